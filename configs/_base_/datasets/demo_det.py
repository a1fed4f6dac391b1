# Tree-crown detection fine-tuning data (mmdet CocoDataset): the DeepForest demo set written
# by `python tools/prepare_demo_data.py` (data/demo/: ~320 px aerial tiles, one class 'tree',
# spatially disjoint train/val/test strips; see data/demo/README.md).
# Types resolve with default_scope = 'mmssl_det' (set by ../default_runtime.py): mmdet's names
# reach mmdet through our child registries; LoadImageChecked is ours.
# Another location: override data_root AND each dataloader's dataset.data_root and the
# evaluators' ann_file (config variables are resolved when this file is read), e.g.
#   --cfg-options train_dataloader.dataset.data_root=D val_dataloader.dataset.data_root=D
#       test_dataloader.dataset.data_root=D val_evaluator.ann_file=D/annotations/val.json
#       test_evaluator.ann_file=D/annotations/test.json
dataset_type = 'CocoDataset'
data_root = 'data/demo/'
metainfo = dict(classes=('tree', ), palette=[(0, 160, 0)])
backend_args = None
img_scale = (320, 320)

train_pipeline = [
    dict(type='LoadImageChecked', backend_args=backend_args),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    # Nadir aerial views have no "up": vertical flips are as valid as horizontal ones.
    dict(type='RandomFlip', prob=[0.25, 0.25], direction=['horizontal', 'vertical']),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageChecked', backend_args=backend_args),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]

train_dataloader = dict(
    batch_size=4,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='AspectRatioBatchSampler'),
    dataset=dict(
        type=dataset_type,
        metainfo=metainfo,
        data_root=data_root,
        ann_file='annotations/train.json',
        data_prefix=dict(img='images/train/'),
        filter_cfg=dict(filter_empty_gt=True, min_size=32),
        pipeline=train_pipeline,
        backend_args=backend_args))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        metainfo=metainfo,
        data_root=data_root,
        ann_file='annotations/val.json',
        data_prefix=dict(img='images/val/'),
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
test_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        metainfo=metainfo,
        data_root=data_root,
        ann_file='annotations/test.json',
        data_prefix=dict(img='images/test/'),
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))

val_evaluator = dict(
    type='CocoMetric',
    ann_file=data_root + 'annotations/val.json',
    metric='bbox',
    format_only=False,
    backend_args=backend_args)
test_evaluator = dict(
    type='CocoMetric',
    ann_file=data_root + 'annotations/test.json',
    metric='bbox',
    format_only=False,
    backend_args=backend_args)
