# TFA stage 1 on VOC split 1: Faster R-CNN R50-FPN (the SSL transfer protocol's: pytorch-style,
# BN trained, nothing frozen) trained on the 15 base classes, 18k iterations at batch 16.
#   python tools/train.py configs/fewshot/voc/faster-rcnn_r50_fpn_voc-split1_base-training.py \
#       --cfg-options load_from=EXPORTED.pth   # tools/export_detector.py output; or None
# Then tools/fewshot_surgery.py on its last checkpoint, with a fine-tuning config.
_base_ = ['../../transfer/_base_/models/faster-rcnn_r50_fpn_ssl.py',
          '../_base_/voc-split1_base-training.py']
model = dict(roi_head=dict(bbox_head=dict(num_classes=15)))
