# MoCo v2 (Chen et al., arXiv 2003.04297) on ResNet-50 C5 at the paper's recipe: queue 65536,
# momentum 0.999 (constant), τ 0.2, MLP head 2048→2048→128, SGD lr 0.03 / batch 256, 200 ep.
# A pretext of SelfSupervisedPretrainer: compose it with others (configs/mocov2_rpn_fpn.py).
# CPU variant: configs/mocov2_demo.py.
_base_ = [
    '_base_/models/mocov2_r50.py',
    '_base_/datasets/mocov2_pretrain.py',
    '_base_/schedules/sgd_cosine_200e.py',
    '_base_/default_runtime.py',
]
# MoCo's momentum is constant: the cosine schedule from 0.999 to 0.999.
custom_hooks = [dict(type='FiniteLossHook'), dict(type='RankConsistencyHook'),
                dict(type='CosineMomentumHook', end_momentum=0.999)]
