# mmdet's RPNHead of faster-rcnn_r50_fpn (anchors, channels, assignment), for the RPN pretext
# of any pretrainer on ResNet-50 + FPN: `model = dict(rpn_head={{_base_.rpn_head}})`.
rpn_head = dict(
    type='RPNHead', in_channels=256, feat_channels=256,
    anchor_generator=dict(type='AnchorGenerator', scales=[8], ratios=[0.5, 1.0, 2.0],
                          strides=[4, 8, 16, 32, 64]),
    bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[.0, .0, .0, .0],
                    target_stds=[1.0, 1.0, 1.0, 1.0]),
    loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
    loss_bbox=dict(type='L1Loss', loss_weight=1.0),
    # AlignDet / mmdet's standard RPN assignment (pos 0.7, neg 0.3, min_pos 0.3)
    train_cfg=dict(
        assigner=dict(type='MaxIoUAssigner', pos_iou_thr=0.7, neg_iou_thr=0.3,
                      min_pos_iou=0.3, match_low_quality=True, ignore_iof_thr=-1),
        sampler=dict(type='RandomSampler', num=256, pos_fraction=0.5, neg_pos_ub=-1,
                     add_gt_as_proposals=False),
        allowed_border=-1, pos_weight=-1, debug=False),
    test_cfg=dict(nms_pre=1000, max_per_img=1000, nms=dict(type='nms', iou_threshold=0.7),
                  min_bbox_size=0))
