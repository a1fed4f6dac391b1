# Mask R-CNN R50-FPN 1x on COCO (train2017 -> val2017, box and mask AP): the SSL papers' FPN
# recipe (PixPro 400 ep reports 41.4 box AP; docs/transfer.md) -- multi-scale training,
# detectron2's 1x (90k iterations at batch 16, lr 0.02), SyncBN in the backbone, the FPN and
# the RoI heads (4conv1fc box head, normalised mask head).
#   python tools/train.py configs/transfer/coco/mask-rcnn_r50_fpn_1x_coco.py \
#       --cfg-options load_from=EXPORTED.pth        (8 GPUs: tools/dist_train.sh ... 8)
# The normalised FPN and heads are new layers: export the backbone only for this config
# (tools/export_detector.py --exclude neck rpn_head roi_head). For an export that includes
# the pretrained FPN / RPN / RoI fcs use mask-rcnn_r50_fpn_1x_coco_detector-pretrained.py.
# Variants: *_scratch.py (random init), *_supervised.py (a supervised ResNet-50).
_base_ = [
    '../_base_/models/mask-rcnn_r50_fpn_ssl.py',
    '../_base_/coco_instance_ms.py',
    '../_base_/schedule_coco_90k.py',
    '../_base_/ssl_runtime.py',
]
norm_cfg = dict(type='BN', requires_grad=True)  # SyncBN on GPUs (../_base_/ssl_runtime.py)
model = dict(
    neck=dict(norm_cfg=norm_cfg),
    roi_head=dict(
        bbox_head=dict(type='Shared4Conv1FCBBoxHead', conv_out_channels=256,
                       norm_cfg=norm_cfg),
        mask_head=dict(norm_cfg=norm_cfg)))
