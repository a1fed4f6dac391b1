# Random-init baseline: the same recipe as retinanet_r50_fpn_1x_coco.py, no checkpoint.
_base_ = ['retinanet_r50_fpn_1x_coco.py']
load_from = None
