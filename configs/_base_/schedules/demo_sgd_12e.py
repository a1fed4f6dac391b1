# Short CPU schedule for the demos: SGD, 12 epochs (batch 8 in demo_pretrain.py: ~70 steps).
# Not LARS: its layer-wise trust ratio (η = 0.001) is made for batch 1024 × 100s of epochs;
# at batch 16 for 36 steps it left the convolutions almost unchanged (measured: the RPN
# pretext's objectness loss went 0.690 → 0.677, and the RPN learned nothing).
_base_ = ['lars_cosine_100e.py']

total_batch = 8
auto_scale_lr = dict(base_batch_size=total_batch)
max_epochs = 12
warmup_epochs = 1
optim_wrapper = dict(
    optimizer=dict(_delete_=True, type='SGD', lr=0.02, momentum=0.9, weight_decay=1e-4),
    # as LARS did: no decay on norms and biases
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=warmup_epochs,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs, eta_min=1e-6,
         by_epoch=True, begin=warmup_epochs, end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs)
