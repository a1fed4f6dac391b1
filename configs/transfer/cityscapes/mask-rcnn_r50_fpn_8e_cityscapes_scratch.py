# Random-init baseline: the same recipe as mask-rcnn_r50_fpn_8e_cityscapes.py, no checkpoint.
_base_ = ['mask-rcnn_r50_fpn_8e_cityscapes.py']
load_from = None
