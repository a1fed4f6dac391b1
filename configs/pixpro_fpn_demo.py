# CPU demo of the flagship: PixPro on ResNet-18 + FPN (P3-P5), 160 px views of the demo's
# unlabelled tiles (tools/prepare_demo_data.py). A few minutes on 2 cores.
_base_ = [
    '_base_/models/pixpro_r50_fpn.py',
    '_base_/datasets/demo_pretrain.py',
    '_base_/schedules/demo_sgd_12e.py',
    '_base_/default_runtime.py',
]
# ResNet-18 + a 128-channel FPN: on CPU the 256-channel FPN/RPN convs at P2 would cost more
# than the backbone. configs/benchmarks/faster-rcnn_r18_fpn_demo.py matches this.
model = dict(
    backbone=dict(depth=18),
    neck=dict(in_channels=[64, 128, 256, 512], out_channels=128),
    projector=dict(in_channels=128, hid_channels=512, out_channels=128),
    pixel_head=dict(ppm=dict(channels=128)),
)
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=12))
