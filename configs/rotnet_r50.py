# RotNet (Gidaris et al., arXiv 1803.07728) on ResNet-50 C5 at the paper's ImageNet recipe
# (Sec. 3.4): the four rotations of 48 images per step (batch 192), SGD lr 0.01, momentum
# 0.9, wd 5e-4, lr ÷10 after epochs 10 and 20, 30 epochs. CPU variant: configs/rotnet_demo.py.
_base_ = [
    '_base_/models/rotnet_r50.py',
    '_base_/datasets/rotnet_pretrain.py',
    '_base_/default_runtime.py',
]
custom_hooks = [dict(type='FiniteLossHook'), dict(type='RankConsistencyHook')]  # no target
max_epochs = 30
optim_wrapper = dict(type='OptimWrapper',
                     optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=5e-4))
param_scheduler = [dict(type='MultiStepLR', milestones=[10, 20], gamma=0.1, by_epoch=True)]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
auto_scale_lr = dict(enable=False, base_batch_size=48)  # images (×4 rotations)
