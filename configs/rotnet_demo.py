# CPU variant of configs/rotnet_r50.py: ResNet-18 C5, one 160 px view of the demo's unlabelled
# tiles (tools/prepare_demo_data.py) rotated four times, 12 epochs of batch 8 (32 rotated
# images), SGD lr 0.01 ÷10 after epochs 4 and 8.
_base_ = [
    '_base_/models/rotnet_r50.py',
    '_base_/datasets/rotnet_demo.py',
    '_base_/default_runtime.py',
]
custom_hooks = [dict(type='FiniteLossHook'), dict(type='RankConsistencyHook')]  # no target
model = dict(backbone=dict(depth=18), pretexts=dict(rotnet=dict(in_channels=512)))
max_epochs = 12
optim_wrapper = dict(type='OptimWrapper',
                     optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=5e-4))
param_scheduler = [dict(type='MultiStepLR', milestones=[4, 8], gamma=0.1, by_epoch=True)]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
auto_scale_lr = dict(enable=False, base_batch_size=8)
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=12))
