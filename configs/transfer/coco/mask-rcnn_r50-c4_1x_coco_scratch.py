# Random-init baseline: the same recipe as mask-rcnn_r50-c4_1x_coco.py, no checkpoint.
_base_ = ['mask-rcnn_r50-c4_1x_coco.py']
load_from = None
