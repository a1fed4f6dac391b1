# Random-init baseline: the same recipe as faster-rcnn_r50_fpn_24k_voc0712.py, no checkpoint.
_base_ = ['faster-rcnn_r50_fpn_24k_voc0712.py']
load_from = None
