# CPU variant of configs/simsiam_r50.py: ResNet-18 C5 (hidden widths 512 / 128) on the data
# and schedule of configs/mocov2_demo.py.
_base_ = [
    '_base_/models/simsiam_r50.py',
    '_base_/datasets/mocov2_demo.py',
    '_base_/schedules/sgd_cosine_12e_demo.py',
    '_base_/default_runtime.py',
]
custom_hooks = [dict(type='FiniteLossHook'), dict(type='RankConsistencyHook')]  # no target
model = dict(
    backbone=dict(depth=18),
    pretexts=dict(simsiam=dict(
        projector=dict(in_channels=512, hid_channels=512, out_channels=512),
        predictor=dict(in_channels=512, hid_channels=128, out_channels=512))))
optim_wrapper = dict(optimizer=dict(lr=0.05))
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=12))
