# CPU variant of configs/mocov2_r50.py: ResNet-18 C5, queue 4096, 160 px views of the demo's
# unlabelled tiles (tools/prepare_demo_data.py), 12 epochs of batch 8.
_base_ = ['mocov2_r50.py']
model = dict(
    backbone=dict(depth=18),
    pretexts=dict(moco=dict(queue_size=4096, projector=dict(in_channels=512,
                                                            hid_channels=512))))
view_pipeline = [
    dict(type='RandomResizedCropWithCoord', size=160, scale=(0.2, 1.0)),
    dict(type='RandomFlipWithCoord', prob=0.5),
    dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1, prob=0.8),
    dict(type='RandomGrayscale', prob=0.2, keep_channels=True,
         channel_weights=(0.114, 0.587, 0.299)),
    dict(type='RandomGaussianBlur', sigma=(0.1, 2.0), prob=0.5),
]
train_dataloader = dict(
    batch_size=8, num_workers=2, persistent_workers=False,
    dataset=dict(data_root='data/demo/', data_prefix=dict(img='unlabeled/'), pipeline=[
        dict(type='LoadImageChecked'),
        dict(type='MultiView', transforms=[view_pipeline, view_pipeline], num_views=[1, 1]),
        dict(type='PackMultiViewInputs'),
    ]))
max_epochs = 12
auto_scale_lr = dict(base_batch_size=8)
param_scheduler = [dict(type='CosineAnnealingLR', T_max=max_epochs, by_epoch=True, begin=0,
                        end=max_epochs, convert_to_iter_based=True)]
train_cfg = dict(max_epochs=max_epochs)
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=12))
