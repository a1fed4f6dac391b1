# CPU variant of configs/swav_r50.py: ResNet-18 C5, 2×96 + 2×48 crops of the demo's
# unlabelled tiles (tools/prepare_demo_data.py), K 64 prototypes, queue of 64 from epoch 4,
# prototypes frozen for the first epoch, 12 epochs of batch 8 with SGD.
_base_ = [
    '_base_/models/swav_r50.py',
    '_base_/datasets/swav_multicrop.py',
    '_base_/schedules/sgd_cosine_12e_demo.py',
    '_base_/default_runtime.py',
]
custom_hooks = [dict(type='FiniteLossHook'), dict(type='RankConsistencyHook'),
                dict(type='SwAVQueueHook', start_epoch=4),
                dict(type='PrototypeFreezeHook', freeze_epochs=1)]
model = dict(
    backbone=dict(depth=18),
    pretexts=dict(swav=dict(num_prototypes=64, num_crops=(2, 2), queue_length=64,
                            projector=dict(in_channels=512, hid_channels=512))))
# The paper's crop pipelines at demo sizes (the base file's function is not inherited).
color = [
    dict(type='RandomFlipWithCoord', prob=0.5),
    dict(type='ColorJitter', brightness=0.8, contrast=0.8, saturation=0.8, hue=0.2, prob=0.8),
    dict(type='RandomGrayscale', prob=0.2, keep_channels=True,
         channel_weights=(0.114, 0.587, 0.299)),
    dict(type='RandomGaussianBlur', sigma=(0.1, 2.0), prob=0.5),
]
train_pipeline = [
    dict(type='LoadImageChecked'),
    dict(type='MultiView',
         transforms=[[dict(type='RandomResizedCropWithCoord', size=96, scale=(0.14, 1.0)),
                      *color],
                     [dict(type='RandomResizedCropWithCoord', size=48, scale=(0.05, 0.14)),
                      *color]],
         num_views=[2, 2]),
    dict(type='PackMultiViewInputs'),
]
train_dataloader = dict(
    batch_size=8, num_workers=2, persistent_workers=False,
    dataset=dict(data_root='data/demo/', data_prefix=dict(img='unlabeled/'),
                 pipeline=train_pipeline))
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=12))
