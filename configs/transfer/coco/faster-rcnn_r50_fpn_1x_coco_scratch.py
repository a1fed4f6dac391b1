# Random-init baseline: the same recipe as faster-rcnn_r50_fpn_1x_coco.py, no checkpoint.
_base_ = ['faster-rcnn_r50_fpn_1x_coco.py']
load_from = None
