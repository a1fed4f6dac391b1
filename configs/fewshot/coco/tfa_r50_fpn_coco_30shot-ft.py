# TFA on COCO, 30-shot (seed 0; seed S: --cfg-options
# train_dataloader.dataset.ann_file=fewshot/coco/seed{S}/30shot.json); reports
# coco/bbox_novel_AP (the protocol's number), base and all.
#   python tools/fewshot_surgery.py BASE.pth --config THIS_CONFIG --out ft_init.pth
#   bash tools/dist_train.sh THIS_CONFIG 8 --cfg-options load_from=ft_init.pth
_base_ = ['../_base_/models/tfa_r50_fpn.py', '../_base_/coco_ft.py',
          '../_base_/schedules/finetune_coco_30shot.py']
model = dict(roi_head=dict(bbox_head=dict(num_classes=80)))
train_dataloader = dict(dataset=dict(ann_file='fewshot/coco/seed0/30shot.json'))
