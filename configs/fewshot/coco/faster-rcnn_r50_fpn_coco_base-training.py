# TFA stage 1 on COCO: Faster R-CNN R50-FPN (SSL transfer protocol) on the 60 base classes,
# 110k iterations at batch 16.
#   bash tools/dist_train.sh configs/fewshot/coco/faster-rcnn_r50_fpn_coco_base-training.py 8 \
#       --cfg-options load_from=EXPORTED.pth
_base_ = ['../../transfer/_base_/models/faster-rcnn_r50_fpn_ssl.py',
          '../_base_/coco_base-training.py']
model = dict(roi_head=dict(bbox_head=dict(num_classes=60)))
