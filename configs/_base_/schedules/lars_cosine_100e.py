# PixPro's ImageNet recipe (arXiv 2011.10043, Sec. 4.1): LARS over SGD momentum 0.9, trust
# 0.001, wd 1e-5, bias/BN excluded from decay and adaptation (LARS exclude_1d), lr = 1.0 ×
# batch / 256, 5-epoch linear warm-up from lr/100, then cosine to 1e-6.
base_lr_per_256 = 1.0
total_batch = 1024  # 8 GPUs × 128
max_epochs = 100
warmup_epochs = 5

# On GPUs, bf16 autocast (the similarity losses and PPM sums stay float32):
#   --cfg-options optim_wrapper.type=AmpOptimWrapper optim_wrapper.dtype=bfloat16
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='LARS', lr=base_lr_per_256 * total_batch / 256, momentum=0.9,
                   weight_decay=1e-5, eta=0.001, exclude_1d=True))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=warmup_epochs,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs, eta_min=1e-6,
         by_epoch=True, begin=warmup_epochs, end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
# Set enable=True to rescale lr when the real total batch differs from `total_batch`.
auto_scale_lr = dict(enable=False, base_batch_size=total_batch)
