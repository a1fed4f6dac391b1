# mmdet's Faster R-CNN R50-FPN with the self-supervised transfer protocol's backbone: pytorch
# style, torchvision RGB mean/std (mmdet's default here too), every BN trained
# (norm_eval=False; SyncBN on GPUs, ../ssl_runtime.py), no frozen stage, weights only from
# load_from (no torchvision download). Neck and heads keep mmdet's architecture, so exports
# that include the FPN, RPN and RoI shared fcs (configs/pixpro_fpn*.py) load.
_base_ = ['mmdet::_base_/models/faster-rcnn_r50_fpn.py']
model = dict(
    data_preprocessor=dict(
        mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
    backbone=dict(
        style='pytorch', norm_cfg=dict(type='BN', requires_grad=True), norm_eval=False,
        frozen_stages=-1, init_cfg=None))
