# CPU variant of configs/densecl_r50.py: ResNet-18 C5 (5 × 5 grid of the 160 px views), queues
# 4096, the data and schedule of configs/mocov2_demo.py.
_base_ = [
    '_base_/models/densecl_r50.py',
    '_base_/datasets/mocov2_demo.py',
    '_base_/schedules/sgd_cosine_12e_demo.py',
    '_base_/default_runtime.py',
]
# MoCo's momentum is constant: the cosine schedule from 0.999 to 0.999.
custom_hooks = [dict(type='FiniteLossHook'), dict(type='RankConsistencyHook'),
                dict(type='CosineMomentumHook', end_momentum=0.999)]
model = dict(
    backbone=dict(depth=18),
    pretexts=dict(densecl=dict(
        queue_size=4096, projector=dict(in_channels=512, hid_channels=512),
        dense_projector=dict(in_channels=512, hid_channels=512))))
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=12))
