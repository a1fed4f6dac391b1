# mask-rcnn_r50_fpn_1x_coco.py for exports of whole-detector pretraining (configs/pixpro_fpn.py,
# configs/pixpro_fpn_rpn.py): the FPN and the box head are mmdet's (no norm, Shared2FC), the
# architecture those pretrainings train, so their neck / RPN / RoI shared fcs load; the
# backbone keeps the protocol (BN trained, SyncBN on GPUs); the mask head stays normalised.
#   python tools/train.py configs/transfer/coco/mask-rcnn_r50_fpn_1x_coco_detector-pretrained.py \
#       --cfg-options load_from=EXPORTED.pth
_base_ = ['mask-rcnn_r50_fpn_1x_coco.py']
model = dict(
    neck=dict(norm_cfg=None),
    roi_head=dict(bbox_head=dict(
        _delete_=True,
        type='Shared2FCBBoxHead',
        in_channels=256,
        fc_out_channels=1024,
        roi_feat_size=7,
        num_classes=80,
        bbox_coder=dict(type='DeltaXYWHBBoxCoder', target_means=[0., 0., 0., 0.],
                        target_stds=[0.1, 0.1, 0.2, 0.2]),
        reg_class_agnostic=False,
        loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
        loss_bbox=dict(type='L1Loss', loss_weight=1.0))))
