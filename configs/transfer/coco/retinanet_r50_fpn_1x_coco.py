# RetinaNet R50-FPN 1x on COCO (box AP): BN trained in the backbone (SyncBN on GPUs),
# multi-scale training, 90k iterations at batch 16 with lr 0.01 (RetinaNet's, as detectron2
# and mmdet use).
#   python tools/train.py configs/transfer/coco/retinanet_r50_fpn_1x_coco.py \
#       --cfg-options load_from=EXPORTED.pth
# RetinaNet's FPN starts at C3 and has no RPN: export the backbone (and the neck where the
# export tool maps it). Variants: *_scratch.py, *_supervised.py.
_base_ = [
    '../_base_/models/retinanet_r50_fpn_ssl.py',
    '../_base_/coco_ms.py',
    '../_base_/schedule_coco_90k.py',
    '../_base_/ssl_runtime.py',
]
optim_wrapper = dict(optimizer=dict(lr=0.01))
