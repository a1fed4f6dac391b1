# RotNet's data (arXiv 1803.07728, Sec. 3): one square view per image — a random crop with
# flip, no colour augmentation (the paper resizes to 256 and crops 224, about 77 % of the
# image; here a resized crop of 60-100 %, aspect 3/4-4/3). The pretext rotates it four times.
_base_ = ['pixpro_pretrain.py']
view_pipeline = [
    dict(type='RandomResizedCropWithCoord', size=224, scale=(0.6, 1.0)),
    dict(type='RandomFlipWithCoord', prob=0.5),
]
train_pipeline = [
    dict(type='LoadImageChecked'),
    dict(type='MultiView', transforms=[view_pipeline], num_views=[1]),
    dict(type='PackMultiViewInputs'),
]
# 48 images (192 rotated) per step as the paper: 8 GPUs × 6.
train_dataloader = dict(batch_size=6, dataset=dict(pipeline=train_pipeline))
