# mmdet's RetinaNet R50-FPN with the self-supervised transfer protocol's backbone: pytorch
# style, torchvision RGB mean/std (mmdet's default here too), every BN trained
# (norm_eval=False; SyncBN on GPUs, ../ssl_runtime.py), no frozen stage, weights only from
# load_from (no torchvision download). The FPN (from C3, P6/P7 on C5) and the RetinaHead keep
# mmdet's architecture without norm: detectron2's RetinaNet has no head norm by default, and
# a BN shared across the five levels (what mmdet's RetinaHead norm_cfg would build) is not
# detectron2's per-level BN.
_base_ = ['mmdet::_base_/models/retinanet_r50_fpn.py']
model = dict(
    data_preprocessor=dict(
        mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
    backbone=dict(
        style='pytorch', norm_cfg=dict(type='BN', requires_grad=True), norm_eval=False,
        frozen_stages=-1, init_cfg=None))
