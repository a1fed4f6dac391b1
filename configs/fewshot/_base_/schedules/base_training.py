# Base training (mmfewshot's TFA recipe; detectron2's TFA uses the same numbers): SGD lr 0.02 at
# batch 16 (momentum 0.9, weight decay 1e-4), x0.1 at the two milestones, linear warm-up.
# VOC (per split): 18k iterations, steps 12k / 16k. COCO: 110k, steps 85k / 100k
# (../coco_base-training.py overrides).
max_iters = 18000
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=100),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters,
         milestones=[12000, 16000], gamma=0.1),
]
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=1e-4))
auto_scale_lr = dict(enable=False, base_batch_size=16)
