# configs/_base_/datasets/simclr_pretrain.py on the demo's unlabelled tiles
# (tools/prepare_demo_data.py): 160 px views of 20-100 % crops (the tiles are small already),
# batch 8.
_base_ = ['simclr_pretrain.py']
view_pipeline = [
    dict(type='RandomResizedCropWithCoord', size=160, scale=(0.2, 1.0)),
    dict(type='RandomFlipWithCoord', prob=0.5),
    dict(type='ColorJitter', brightness=0.8, contrast=0.8, saturation=0.8, hue=0.2, prob=0.8),
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
