# Mask R-CNN R50-FPN on Cityscapes, mmdet's protocol (configs/cityscapes in mmdet): the 8
# instance classes from gtFine polygons (mmdet's tools/dataset_converters/cityscapes.py writes
# annotations/instancesonly_filtered_gtFine_{train,val}.json), train multi-scale (2048,
# 800-1024), test (2048, 1024), 8 epochs over an 8x repeated train set, batch 8 (8 GPUs x 1),
# lr 0.01 with a 500-iteration warm-up, x0.1 after epoch 7. Metrics on val: COCO-style box
# and mask AP (CocoMetric) and the official Cityscapes instance AP (CityScapesMetric, needs
# cityscapesscripts). mmdet starts this from a COCO-trained Mask R-CNN; here the start is
# your export, with the backbone's BN trained (SyncBN on GPUs).
#   python tools/train.py configs/transfer/cityscapes/mask-rcnn_r50_fpn_8e_cityscapes.py \
#       --cfg-options load_from=EXPORTED.pth        (8 GPUs: tools/dist_train.sh ... 8)
# FPN and heads are mmdet's (no norm): whole-detector exports (configs/pixpro_fpn*.py) load
# their neck / RPN / RoI shared fcs. Variants: *_scratch.py, *_supervised.py.
_base_ = [
    '../_base_/models/mask-rcnn_r50_fpn_ssl.py',
    'mmdet::_base_/datasets/cityscapes_instance.py',
    '../_base_/ssl_runtime.py',
]
model = dict(
    roi_head=dict(
        bbox_head=dict(
            num_classes=8,
            loss_bbox=dict(type='SmoothL1Loss', beta=1.0, loss_weight=1.0)),
        mask_head=dict(num_classes=8)))

max_epochs = 8
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=500),
    dict(type='MultiStepLR', by_epoch=True, begin=0, end=max_epochs, milestones=[7],
         gamma=0.1),
]
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=1e-4))
auto_scale_lr = dict(enable=False, base_batch_size=8)
default_hooks = dict(checkpoint=dict(by_epoch=True, interval=1))
log_processor = dict(by_epoch=True)
