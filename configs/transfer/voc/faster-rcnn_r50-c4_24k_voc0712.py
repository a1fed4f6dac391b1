# Faster R-CNN R50-C4, VOC07+12 trainval -> VOC07 test: the MoCo / PixPro / DenseCL transfer
# protocol (PixPro 400 ep reports AP 60.2; docs/transfer.md).
#   python tools/train.py configs/transfer/voc/faster-rcnn_r50-c4_24k_voc0712.py \
#       --cfg-options load_from=EXPORTED.pth        (8 GPUs: tools/dist_train.sh ... 8)
# Variants: *_scratch.py (random init), *_supervised.py (a supervised ResNet-50).
# Known difference to detectron2: MoCo's Res5ROIHeadsExtraNorm adds one BN after res5; mmdet's
# ResLayer head has none (docs/transfer.md).
_base_ = [
    '../_base_/models/faster-rcnn_r50-c4_ssl.py',
    '../_base_/voc0712_ms.py',
    '../_base_/schedule_voc_24k.py',
    '../_base_/ssl_runtime.py',
]
model = dict(roi_head=dict(bbox_head=dict(num_classes=20)))
