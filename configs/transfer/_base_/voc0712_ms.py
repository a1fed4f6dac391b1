# VOC07+12 trainval -> VOC07 test, the detectron2 protocol of MoCo / PixPro / DenseCL:
# train short side 480-800 (step 32, long side <= 1333), random flip; test short side 800.
# Metric: mmdet's VOCMetric (VOC's own matching: 'difficult' objects ignored, +1 pixel areas,
# VOC07 11-point AP) at IoU 0.50:0.05:0.95 -- exactly detectron2's PascalVOCDetectionEvaluator,
# whose AP / AP50 / AP75 the papers report. Keys: pascal_voc/mAP (= COCO-style AP, the mean
# over the ten IoUs), pascal_voc/AP50, pascal_voc/AP75. Values are fractions, the papers print
# percent.
_base_ = ['mmdet::_base_/datasets/voc0712.py']

data_root = 'data/VOCdevkit/'
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=None),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='RandomChoiceResize',
         scales=[(1333, 480), (1333, 512), (1333, 544), (1333, 576), (1333, 608),
                 (1333, 640), (1333, 672), (1333, 704), (1333, 736), (1333, 768),
                 (1333, 800)],
         keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=None),
    dict(type='Resize', scale=(1333, 800), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
# Iteration-based (InfiniteSampler), no RepeatDataset. No bbox_min_size: detectron2 trains on
# small boxes too (mmdet's VOC base would ignore boxes under 32 px).
train_dataloader = dict(
    batch_size=2,  # per GPU: 8 GPUs x 2 = 16
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        _delete_=True,
        type='ConcatDataset',
        ignore_keys=['dataset_type'],
        datasets=[
            dict(type='VOCDataset', data_root=data_root,
                 ann_file='VOC2007/ImageSets/Main/trainval.txt',
                 data_prefix=dict(sub_data_root='VOC2007/'),
                 filter_cfg=dict(filter_empty_gt=True, min_size=32),
                 pipeline=train_pipeline, backend_args=None),
            dict(type='VOCDataset', data_root=data_root,
                 ann_file='VOC2012/ImageSets/Main/trainval.txt',
                 data_prefix=dict(sub_data_root='VOC2012/'),
                 filter_cfg=dict(filter_empty_gt=True, min_size=32),
                 pipeline=train_pipeline, backend_args=None),
        ]))
val_dataloader = dict(dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type='VOCMetric', metric='mAP', eval_mode='11points',
                     iou_thrs=[0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95])
test_evaluator = val_evaluator
