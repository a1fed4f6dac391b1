# Unlabelled images → two views with recorded geometry (PixPro/BYOL asymmetric pipeline).
dataset_type = 'ImageFolderDataset'
data_root = 'data/coco/'  # any folder of images: override with --cfg-options
img_dir = 'train2017/'
crop_size = 224
crop_scale = (0.08, 1.0)

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
    batch_size=128,  # per GPU
    num_workers=8,
    persistent_workers=True,
    drop_last=True,
    # DefaultSampler's order, plus per-sample random streams (run seed, epoch, index, view):
    # the same crops with any worker count and after a resume.
    sampler=dict(type='SeededSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(type=dataset_type, data_root=data_root, data_prefix=dict(img=img_dir),
                 pipeline=train_pipeline))
