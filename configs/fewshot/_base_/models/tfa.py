# TFA's fine-tuning detector as a change to any mmdet Faster R-CNN (Wang et al., arXiv
# 2003.06957, Sec. 3.1): backbone, FPN, RPN and the RoI head's shared fcs frozen
# (requires_grad=False, norms in eval mode) and the cosine-similarity box classifier (scale 20,
# background a class row); only fc_cls and fc_reg train. A config applies it with
# `model = {{_base_.tfa_model}}` (merged into its base's model).
tfa_model = dict(
    type='mmssl_det.FrozenFasterRCNN',
    frozen_modules=['backbone', 'neck', 'rpn_head', 'roi_head.bbox_head.shared_fcs'],
    roi_head=dict(bbox_head=dict(type='mmssl_det.CosineSimBBoxHead', scale=20.0)))
