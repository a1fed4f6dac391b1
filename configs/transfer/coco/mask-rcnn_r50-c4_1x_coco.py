# Mask R-CNN R50-C4 1x on COCO (box and mask AP): MoCo's detectron2 C4 recipe -- res5 as the
# RoI head with BN (SyncBN on GPUs), multi-scale training, 90k iterations at batch 16, lr 0.02.
#   python tools/train.py configs/transfer/coco/mask-rcnn_r50-c4_1x_coco.py \
#       --cfg-options load_from=EXPORTED.pth
# The export puts layer4 into roi_head.shared_head. Variants: *_scratch.py, *_supervised.py.
_base_ = [
    '../_base_/models/mask-rcnn_r50-c4_ssl.py',
    '../_base_/coco_instance_ms.py',
    '../_base_/schedule_coco_90k.py',
    '../_base_/ssl_runtime.py',
]
