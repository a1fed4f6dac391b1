# Fine-tune a stock mmdet Faster R-CNN (ResNet-18 + FPN) on the demo's labelled tree tiles,
# from an exported pretraining (load_from=...) or from scratch (load_from=None).
#   python tools/train.py configs/benchmarks/faster-rcnn_r18_fpn_demo.py \
#       --cfg-options load_from=work_dirs/demo/pixpro_fpn_frcnn_r18.pth
# As recommended for SSL checkpoints: BN trained (norm_eval=False), no frozen stages.
_base_ = [
    'mmdet::_base_/models/faster-rcnn_r50_fpn.py',
    'mmdet::_base_/default_runtime.py',
    '../_base_/datasets/demo_det.py',
]
custom_imports = dict(imports=['mmssl_det'], allow_failed_imports=False)
# mmssl_det's scope reaches every mmdet module through its child registries, plus our
# LoadImageChecked (clear errors for corrupt/missing images).
default_scope = 'mmssl_det'

# ResNet-18 with a 128-channel FPN (CPU-sized; the R50 variant keeps mmdet's 256).
model = dict(
    backbone=dict(depth=18, frozen_stages=-1, norm_eval=False, init_cfg=None),
    neck=dict(in_channels=[64, 128, 256, 512], out_channels=128),
    rpn_head=dict(in_channels=128, feat_channels=128),
    roi_head=dict(bbox_roi_extractor=dict(out_channels=128),
                  bbox_head=dict(in_channels=128, num_classes=1)),
    # Tiles hold up to ~60 small crowns.
    test_cfg=dict(rcnn=dict(max_per_img=150)),
)

max_iters = 200
train_dataloader = dict(batch_size=2)
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(type='OptimWrapper',
                     optimizer=dict(type='SGD', lr=0.02, momentum=0.9, weight_decay=1e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=50),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters,
         milestones=[int(0.75 * max_iters)], gamma=0.1),
]
default_hooks = dict(logger=dict(interval=20),
                     checkpoint=dict(by_epoch=False, interval=max_iters, max_keep_ckpts=1))
log_processor = dict(by_epoch=False)
# Right after load_from: a per-part table of what loaded; stops when a part the export claims
# (its meta.parts) loaded less than min_loaded of its tensors, or a tensor is NaN/inf.
custom_hooks = [dict(type='LoadReportHook', min_loaded=1.0)]
