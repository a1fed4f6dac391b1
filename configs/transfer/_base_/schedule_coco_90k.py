# detectron2's COCO 1x (the SSL papers' "1x"): 90k iterations at batch 16 (~12 epochs of
# train2017), SGD lr 0.02 (momentum 0.9, weight decay 1e-4), x0.1 at 60k and 80k, 1000-iteration
# linear warm-up from 0.001 x lr (2x: coco/mask-rcnn_r50_fpn_2x_coco.py).
max_iters = 90000
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=1000),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters,
         milestones=[60000, 80000], gamma=0.1),
]
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=1e-4))
auto_scale_lr = dict(enable=False, base_batch_size=16)
