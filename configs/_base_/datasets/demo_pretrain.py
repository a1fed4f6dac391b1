# The demo's unlabelled tiles (tools/prepare_demo_data.py) as two 160 px views with recorded
# geometry: PixPro's asymmetric BYOL pipeline at CPU scale.
_base_ = ['pixpro_pretrain.py']

data_root = 'data/demo/'
crop_size = 160
crop_scale = (0.2, 1.0)  # tiles are small already; tiny crops of them carry little content
view_pipeline1 = [
    dict(type='RandomResizedCropWithCoord', size=crop_size, scale=crop_scale),
    dict(type='RandomFlipWithCoord', prob=0.5),
    dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.2, hue=0.1,
         prob=0.8),
    dict(type='RandomGrayscale', prob=0.2, keep_channels=True,
         channel_weights=(0.114, 0.587, 0.299)),  # BGR luma weights
    dict(type='RandomGaussianBlur', sigma=(0.1, 2.0), prob=1.0),
    dict(type='RandomSolarize', threshold=128, prob=0.0),
]
view_pipeline2 = [
    dict(type='RandomResizedCropWithCoord', size=crop_size, scale=crop_scale),
    dict(type='RandomFlipWithCoord', prob=0.5),
    dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.2, hue=0.1,
         prob=0.8),
    dict(type='RandomGrayscale', prob=0.2, keep_channels=True,
         channel_weights=(0.114, 0.587, 0.299)),  # BGR luma weights
    dict(type='RandomGaussianBlur', sigma=(0.1, 2.0), prob=0.1),
    dict(type='RandomSolarize', threshold=128, prob=0.2),
]
train_pipeline = [
    dict(type='LoadImageChecked'),
    dict(type='MultiView', transforms=[view_pipeline1, view_pipeline2], num_views=[1, 1]),
    dict(type='PackMultiViewInputs'),
]
train_dataloader = dict(
    batch_size=8, num_workers=2, persistent_workers=False,
    dataset=dict(data_root=data_root, data_prefix=dict(img='unlabeled/'),
                 pipeline=train_pipeline))
