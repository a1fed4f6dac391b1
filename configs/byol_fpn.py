# BYOL on ResNet-50 + FPN (pooled P5): the instance-only baseline with PixPro-FPN's network,
# used by tools/benchmarks/pretrain_speed.py to price PixPro's pixel branch.
_base_ = ['pixpro_fpn.py']
model = dict(
    type='BYOL',
    levels=(3, ),
    level_weights=None,
    projector=None,
    pixel_head=None,
    instance_projector=dict(type='ProjectionMLP', in_channels=256, hid_channels=4096,
                            out_channels=256, dense=False, with_avg_pool=True),
    instance_head=dict(type='InstanceBYOLHead', predictor=dict(
        type='ProjectionMLP', in_channels=256, hid_channels=4096, out_channels=256,
        dense=False)),
)
