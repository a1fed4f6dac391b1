# Flagship: PixPro pretraining of ResNet-50 **and FPN** (pixel loss on P3-P5).
#   python tools/train.py configs/pixpro_fpn.py --cfg-options \
#       train_dataloader.dataset.data_root=/path/to/images/ train_dataloader.dataset.data_prefix.img=''
#   bash tools/dist_train.sh configs/pixpro_fpn.py 8        # 8 GPUs × 128 = 1024, as below
# Export: python tools/export_detector.py work_dirs/pixpro_fpn/epoch_100.pth \
#             --config mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py --out pixpro_fpn_frcnn.pth
_base_ = [
    '_base_/models/pixpro_r50_fpn.py',
    '_base_/datasets/pixpro_pretrain.py',
    '_base_/schedules/lars_cosine_100e.py',
    '_base_/default_runtime.py',
]
