# Faster R-CNN R50-FPN 1x on COCO (box AP): the FPN recipe of mask-rcnn_r50_fpn_1x_coco.py
# without the mask head -- SyncBN in backbone, FPN and the 4conv1fc box head; 90k iterations.
#   python tools/train.py configs/transfer/coco/faster-rcnn_r50_fpn_1x_coco.py \
#       --cfg-options load_from=EXPORTED.pth
# Backbone-only exports (the normalised FPN and head are new layers).
_base_ = [
    '../_base_/models/faster-rcnn_r50_fpn_ssl.py',
    '../_base_/coco_ms.py',
    '../_base_/schedule_coco_90k.py',
    '../_base_/ssl_runtime.py',
]
norm_cfg = dict(type='BN', requires_grad=True)  # SyncBN on GPUs (../_base_/ssl_runtime.py)
model = dict(
    neck=dict(norm_cfg=norm_cfg),
    roi_head=dict(bbox_head=dict(type='Shared4Conv1FCBBoxHead', conv_out_channels=256,
                                 norm_cfg=norm_cfg)))
