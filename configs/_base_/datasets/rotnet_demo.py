# configs/_base_/datasets/rotnet_pretrain.py on the demo's unlabelled tiles
# (tools/prepare_demo_data.py): one 160 px view, batch 8 (32 rotated images).
_base_ = ['rotnet_pretrain.py']
view_pipeline = [
    dict(type='RandomResizedCropWithCoord', size=160, scale=(0.6, 1.0)),
    dict(type='RandomFlipWithCoord', prob=0.5),
]
train_pipeline = [
    dict(type='LoadImageChecked'),
    dict(type='MultiView', transforms=[view_pipeline], num_views=[1]),
    dict(type='PackMultiViewInputs'),
]
train_dataloader = dict(
    batch_size=8, num_workers=2, persistent_workers=False,
    dataset=dict(data_root='data/demo/', data_prefix=dict(img='unlabeled/'),
                 pipeline=train_pipeline))
