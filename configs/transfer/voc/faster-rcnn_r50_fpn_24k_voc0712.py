# Faster R-CNN R50-FPN, VOC07+12 trainval -> VOC07 test, on the C4 protocol's schedule and
# scales (24k iterations, batch 16, lr 0.02, steps 18k/22k, 100-iteration warm-up; train
# short side 480-800, test 800).
#   python tools/train.py configs/transfer/voc/faster-rcnn_r50_fpn_24k_voc0712.py \
#       --cfg-options load_from=EXPORTED.pth
# The FPN, RPN and RoI head keep mmdet's architecture (no norm), so an export of
# configs/pixpro_fpn*.py loads its neck / RPN / RoI shared fcs here; the backbone's BN is
# trained (SyncBN on GPUs). Variants: *_scratch.py, *_supervised.py.
_base_ = [
    '../_base_/models/faster-rcnn_r50_fpn_ssl.py',
    '../_base_/voc0712_ms.py',
    '../_base_/schedule_voc_24k.py',
    '../_base_/ssl_runtime.py',
]
model = dict(roi_head=dict(bbox_head=dict(num_classes=20)))
