# PixPro as in the paper: ResNet-50 C5 only (7×7 at 224 px), projector 2048→4096→256.
_base_ = [
    '_base_/models/pixpro_r50_fpn.py',
    '_base_/datasets/pixpro_pretrain.py',
    '_base_/schedules/lars_cosine_100e.py',
    '_base_/default_runtime.py',
]
model = dict(
    backbone=dict(out_indices=(3, )),
    neck=None,
    levels=(-1, ),
    level_weights=None,
    projector=dict(in_channels=2048, hid_channels=4096, out_channels=256),
)
# C5 only: every parameter gets a gradient.
model_wrapper_cfg = dict(find_unused_parameters=False)
