# PixPro on ResNet-50 + FPN. backbone/neck match mmdet's faster-rcnn_r50_fpn exactly, so the
# export loads 100 % of their weights. Pixel loss on P3-P5 (FPN outputs 1-3); see PixPro's
# docstring for the design.
model = dict(
    type='PixPro',
    data_preprocessor=dict(
        type='MultiViewDataPreprocessor',
        mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
    backbone=dict(
        type='ResNet', depth=50, num_stages=4, out_indices=(0, 1, 2, 3), frozen_stages=-1,
        norm_cfg=dict(type='BN', requires_grad=True), norm_eval=False, style='pytorch',
        zero_init_residual=True),  # as the authors (docs/pixpro_fidelity.md)
    neck=dict(type='FPN', in_channels=[256, 512, 1024, 2048], out_channels=256, num_outs=5),
    levels=(1, 2, 3),
    level_weights=(1.0, 1.0, 1.0),
    share_projector=True,
    projector=dict(type='ProjectionMLP', in_channels=256, hid_channels=2048, out_channels=256,
                   dense=True),
    pixel_head=dict(type='PixProHead', pos_threshold=0.7,
                    ppm=dict(type='PixelPropagationModule', channels=256, num_layers=1,
                             gamma=2.0)),
    base_momentum=0.99,
)
# With levels P3-P5 the FPN's P2 convs (lateral_convs.0, fpn_convs.0) get no gradient from the
# pixel loss (the RPN/RoI pretexts of DetectorPretrainer train them); DDP must allow that.
# broadcast_buffers=False as the authors: with SyncBN every rank's BN statistics agree anyway.
model_wrapper_cfg = dict(type='MMDistributedDataParallel', find_unused_parameters=True,
                         broadcast_buffers=False)
