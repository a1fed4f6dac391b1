# DeFRCN stage 1 on VOC split 1: base training with the gradient-decoupled layers (RPN lambda 0,
# RoI lambda 0.75) on the TFA base-training recipe (18k iterations at batch 16, lr 0.02).
_base_ = ['../_base_/models/defrcn_r50_fpn.py', '../_base_/voc-split1_base-training.py']
model = dict(roi_head=dict(bbox_head=dict(num_classes=15)))
# DeFRCN's released code uses weight decay 5e-5 in both stages.
optim_wrapper = dict(optimizer=dict(weight_decay=5e-5))
