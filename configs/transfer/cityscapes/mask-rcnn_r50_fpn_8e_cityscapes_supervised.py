# Supervised baseline: the same recipe from a supervised ResNet-50 in torchvision's layout
# (conv1.*, bn1.*, layer1-4.*; e.g. torchvision://resnet50 where it can be downloaded):
#   SUPERVISED_CKPT=/path/to/resnet50.pth python tools/train.py THIS_CONFIG
_base_ = ['mask-rcnn_r50_fpn_8e_cityscapes.py']
supervised_ckpt = '{{$SUPERVISED_CKPT:set-SUPERVISED_CKPT=/path/to/resnet50.pth}}'
load_from = None
model = dict(
    backbone=dict(init_cfg=dict(_delete_=True, type='Pretrained', checkpoint=supervised_ckpt)))
