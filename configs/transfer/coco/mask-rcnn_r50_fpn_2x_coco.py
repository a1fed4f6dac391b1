# Mask R-CNN R50-FPN 2x on COCO: mask-rcnn_r50_fpn_1x_coco.py on detectron2's 2x schedule
# (180k iterations at batch 16, x0.1 at 120k and 160k).
#   python tools/train.py configs/transfer/coco/mask-rcnn_r50_fpn_2x_coco.py \
#       --cfg-options load_from=EXPORTED.pth
_base_ = ['mask-rcnn_r50_fpn_1x_coco.py']
max_iters = 180000
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=1000),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters,
         milestones=[120000, 160000], gamma=0.1),
]
