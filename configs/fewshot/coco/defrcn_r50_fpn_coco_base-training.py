# DeFRCN stage 1 on COCO: the gradient-decoupled layers (RPN lambda 0, RoI lambda 0.75) on the
# TFA COCO base-training recipe.
_base_ = ['../_base_/models/defrcn_r50_fpn.py', '../_base_/coco_base-training.py']
model = dict(roi_head=dict(bbox_head=dict(num_classes=60)))
# DeFRCN's released code uses weight decay 5e-5 in both stages.
optim_wrapper = dict(optimizer=dict(weight_decay=5e-5))
