# CPU demo of the flagship: PixPro on ResNet-18 + FPN (P3-P5), 160 px views of the demo's
# unlabelled tiles (tools/prepare_demo_data.py). A few minutes on 2 cores.
_base_ = ['pixpro_fpn.py']

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
    batch_size=16, num_workers=2, persistent_workers=False,
    dataset=dict(data_root=data_root, data_prefix=dict(img='unlabeled/'),
                 pipeline=train_pipeline))

model = dict(
    backbone=dict(depth=18),
    neck=dict(in_channels=[64, 128, 256, 512], out_channels=256),
    projector=dict(hid_channels=512),
)

total_batch = 16
auto_scale_lr = dict(base_batch_size=total_batch)
max_epochs = 12
warmup_epochs = 1
optim_wrapper = dict(optimizer=dict(lr=1.0 * total_batch / 256 * 4))  # short schedule: 4x
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=warmup_epochs,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs, eta_min=1e-6,
         by_epoch=True, begin=warmup_epochs, end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs)
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=max_epochs))
