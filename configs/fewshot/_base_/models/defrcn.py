# DeFRCN (Qiao et al., arXiv 2108.09017) as a change to any mmdet Faster R-CNN with an FPN,
# applied with `model = {{_base_.defrcn_model}}` or `{{_base_.defrcn_ft_model}}`.
# Base training: a gradient-decoupled layer on each path from the features (backbone + FPN)
# to a head, RPN lambda 0 (the RPN does not update the features), RoI lambda 0.75. The paper's
# detector is R101-C4; here the layers act on every FPN level. PCB is not implemented.
defrcn_model = dict(type='mmssl_det.DeFRCN', rpn_scale=0.0, roi_scale=0.75)
# Fine-tuning: RoI lambda 0.01 (RPN still 0), backbone and FPN trained, the RoI feature head
# (shared fcs) frozen, dropout 0.8 on the box classifier's input (the regressor sees the
# features without dropout). The configs also set the paper's weight decay, 5e-5.
defrcn_ft_model = dict(
    type='mmssl_det.DeFRCN', rpn_scale=0.0, roi_scale=0.01,
    frozen_modules=['roi_head.bbox_head.shared_fcs'],
    roi_head=dict(bbox_head=dict(
        cls_predictor_cfg=dict(type='mmssl_det.DropoutLinear', dropout=0.8))))
