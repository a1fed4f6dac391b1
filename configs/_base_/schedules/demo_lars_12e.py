# Short CPU schedule for the demos: LARS (PixPro's optimiser) on batch 16, 12 epochs.
_base_ = ['lars_cosine_100e.py']

total_batch = 16
auto_scale_lr = dict(base_batch_size=total_batch)
max_epochs = 12
warmup_epochs = 1
optim_wrapper = dict(optimizer=dict(lr=1.0 * total_batch / 256 * 4))  # short schedule: 4x
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=warmup_epochs,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs, eta_min=1e-6,
         by_epoch=True, begin=warmup_epochs, end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs)
