# SimSiam (Chen & He, arXiv 2011.10566) on ResNet-50 C5 at the paper's recipe (model in
# _base_/models/simsiam_r50.py), MoCo v2's augmentation, SGD lr 0.05 / batch 256, wd 1e-4,
# cosine, 100 epochs. CPU variant: configs/simsiam_demo.py.
_base_ = [
    '_base_/models/simsiam_r50.py',
    '_base_/datasets/mocov2_pretrain.py',
    '_base_/schedules/sgd_cosine_200e.py',
    '_base_/default_runtime.py',
]
custom_hooks = [dict(type='FiniteLossHook'), dict(type='RankConsistencyHook')]  # no target
max_epochs = 100
optim_wrapper = dict(optimizer=dict(lr=0.05))
param_scheduler = [dict(type='CosineAnnealingLR', T_max=max_epochs, by_epoch=True, begin=0,
                        end=max_epochs, convert_to_iter_based=True)]
train_cfg = dict(max_epochs=max_epochs)
