# COCO train2017 -> val2017 with detectron2's multi-scale training (short side 640-800, step
# 32, long side <= 1333; the SSL papers' COCO recipe), test short side 800 (mmdet's test
# pipeline). Iteration-based (InfiniteSampler). Boxes only, CocoMetric bbox; with instance
# masks and the segm metric: coco_instance_ms.py.
_base_ = ['mmdet::_base_/datasets/coco_detection.py']

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=None),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='RandomChoiceResize',
         scales=[(1333, 640), (1333, 672), (1333, 704), (1333, 736), (1333, 768),
                 (1333, 800)],
         keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
train_dataloader = dict(
    batch_size=2,  # per GPU: 8 GPUs x 2 = 16
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(pipeline=train_pipeline))
