# DenseCL (Wang et al., arXiv 2011.09157) on ResNet-50 C5 at the paper's recipe (MoCo v2's):
# global + dense branches (λ 0.5), queues 65536, τ 0.2, momentum 0.999 (constant), MoCo v2's
# augmentation, SGD lr 0.03 / batch 256, wd 1e-4, cosine, 200 epochs.
# Composed with PixPro on an FPN: configs/densecl_pixpro_fpn.py. CPU variant:
# configs/densecl_demo.py.
_base_ = [
    '_base_/models/densecl_r50.py',
    '_base_/datasets/mocov2_pretrain.py',
    '_base_/schedules/sgd_cosine_200e.py',
    '_base_/default_runtime.py',
]
# MoCo's momentum is constant: the cosine schedule from 0.999 to 0.999.
custom_hooks = [dict(type='FiniteLossHook'), dict(type='RankConsistencyHook'),
                dict(type='CosineMomentumHook', end_momentum=0.999)]
