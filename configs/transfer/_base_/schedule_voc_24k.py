# MoCo / PixPro VOC schedule: 24k iterations at batch 16, SGD lr 0.02 (momentum 0.9, weight
# decay 1e-4), x0.1 at 18k and 22k, 100-iteration linear warm-up from 0.001 x lr.
max_iters = 24000
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=100),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters,
         milestones=[18000, 22000], gamma=0.1),
]
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=1e-4))
auto_scale_lr = dict(enable=False, base_batch_size=16)
