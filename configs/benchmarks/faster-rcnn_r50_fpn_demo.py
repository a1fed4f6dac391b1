# The demo fine-tuning with mmdet's standard Faster R-CNN R50-FPN (what configs/pixpro_fpn.py,
# configs/pixpro_fpn_rpn.py export to). custom_hooks (LoadReportHook) come from the base.
_base_ = ['faster-rcnn_r18_fpn_demo.py']
model = dict(
    backbone=dict(depth=50),
    neck=dict(in_channels=[256, 512, 1024, 2048], out_channels=256),
    rpn_head=dict(in_channels=256, feat_channels=256),
    roi_head=dict(bbox_roi_extractor=dict(out_channels=256), bbox_head=dict(in_channels=256)),
)
