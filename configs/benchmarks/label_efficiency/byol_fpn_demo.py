# Arm (b) of tools/benchmarks/label_efficiency.py: BYOL on the pooled P5 of the demo's
# ResNet-18 + 128-channel FPN, i.e. configs/byol_fpn.py at the size of configs/pixpro_fpn_demo.py
# (hidden widths scaled like that demo's projector, 4096 → 1024) with its 160 px views, data and
# optimiser. The benchmark sets the schedule's length (the same compute for every arm).
_base_ = ['../../pixpro_fpn_demo.py']
model = dict(
    type='BYOL',
    levels=(3, ),
    level_weights=None,
    projector=None,
    pixel_head=None,
    instance_projector=dict(type='ProjectionMLP', in_channels=128, hid_channels=1024,
                            out_channels=128, dense=False, with_avg_pool=True),
    instance_head=dict(type='InstanceBYOLHead', predictor=dict(
        type='ProjectionMLP', in_channels=128, hid_channels=1024, out_channels=128,
        dense=False)),
)
