# configs/_base_/datasets/mocov2_pretrain.py on the demo's unlabelled tiles
# (tools/prepare_demo_data.py): 160 px views, batch 8.
_base_ = ['mocov2_pretrain.py']
view_pipeline = [
    dict(type='RandomResizedCropWithCoord', size=160, scale=(0.2, 1.0)),
    dict(type='RandomFlipWithCoord', prob=0.5),
    dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1, prob=0.8),
    dict(type='RandomGrayscale', prob=0.2, keep_channels=True,
         channel_weights=(0.114, 0.587, 0.299)),
    dict(type='RandomGaussianBlur', sigma=(0.1, 2.0), prob=0.5),
]
train_pipeline = [
    dict(type='LoadImageChecked'),
    dict(type='MultiView', transforms=[view_pipeline, view_pipeline], num_views=[1, 1]),
    dict(type='PackMultiViewInputs'),
]
train_dataloader = dict(
    batch_size=8, num_workers=2, persistent_workers=False,
    dataset=dict(data_root='data/demo/', data_prefix=dict(img='unlabeled/'),
                 pipeline=train_pipeline))
