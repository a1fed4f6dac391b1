# Whole-detector pretraining on ResNet-50 + FPN: PixPro pixel loss (P3-P5) + RPN pretext +
# RoI pretext. rpn_head / roi_head mirror mmdet's faster-rcnn_r50_fpn exactly (anchors,
# channels, Shared2FCBBoxHead), so the export fills backbone, neck, rpn_head and the RoI
# head's shared fcs of that detector.
_base_ = ['pixpro_r50_fpn.py', 'rpn_head_r50_fpn.py']

model = dict(
    type='DetectorPretrainer',
    rpn_head={{_base_.rpn_head}},
    roi_head=dict(
        type='RoIPretextHead',
        bbox_roi_extractor=dict(
            type='SingleRoIExtractor',
            roi_layer=dict(type='RoIAlign', output_size=7, sampling_ratio=0),
            out_channels=256, featmap_strides=[4, 8, 16, 32]),
        bbox_head=dict(type='Shared2FCBBoxHead', in_channels=256, fc_out_channels=1024,
                       roi_feat_size=7, num_classes=1)),
    roi_projector=dict(type='ProjectionMLP', in_channels=1024, hid_channels=4096,
                       out_channels=256, dense=False),
    roi_byol_head=dict(type='InstanceBYOLHead', loss_weight=1.0, predictor=dict(
        type='ProjectionMLP', in_channels=256, hid_channels=4096, out_channels=256,
        dense=False)),
    # SoCo's 4 pseudo boxes per image in the RoI pretext: enough pairs for BYOL, and the RoI
    # head's cost no longer grows with the ~100 proposals per image the RPN pretext uses.
    roi_boxes_per_image=4,
    stages=[dict(begin=0, losses=('pixel', 'rpn', 'roi'), frozen=())],
)
# Frozen modules / stages leave some parameters without gradient in a step (find_unused_parameters
# comes from the base).
