# SwAV (Caron et al., arXiv 2006.09882) on ResNet-50 C5 at the paper's small-batch recipe
# (Sec. 4.1, App. A.1): multi-crop 2×224 + 6×96, K 3000, τ 0.1, ε 0.05, batch 256 (8 GPUs × 32)
# with a queue of 3840 from epoch 15, prototypes frozen for the first epoch (5005 iterations
# on ImageNet), LARS (trust 0.001, over every parameter) with SGD momentum 0.9, wd 1e-6, lr 0.6
# without warm-up, cosine to 0.0006, 200 epochs. (The large-batch recipe: batch 4096, no queue,
# lr 4.8 → 0.0048 after 10 warm-up epochs from 0.3, freeze 313 iterations.) The paper trains
# in mixed precision: add optim_wrapper=dict(type='AmpOptimWrapper') on GPUs.
# CPU variant: configs/swav_demo.py.
_base_ = [
    '_base_/models/swav_r50.py',
    '_base_/datasets/swav_multicrop.py',
    '_base_/schedules/lars_cosine_100e.py',
    '_base_/default_runtime.py',
]
max_epochs = 200
total_batch = 256
optim_wrapper = dict(
    optimizer=dict(type='LARS', lr=0.6, momentum=0.9, weight_decay=1e-6, eta=0.001,
                   exclude_1d=False))
param_scheduler = [dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=0.0006,
                        by_epoch=True, begin=0, end=max_epochs, convert_to_iter_based=True)]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
auto_scale_lr = dict(enable=False, base_batch_size=total_batch)
# No EMA target (no CosineMomentumHook); the queue and the prototype freeze are schedules.
custom_hooks = [dict(type='FiniteLossHook'), dict(type='RankConsistencyHook'),
                dict(type='SwAVQueueHook', start_epoch=15),
                dict(type='PrototypeFreezeHook', freeze_epochs=1)]
