# TFA on VOC split 1, 10-shot (seed 0; seed S: --cfg-options
# train_dataloader.dataset.ann_file=fewshot/voc1/seed{S}/10shot.json), frozen detector and
# cosine classifier, from the surgery of a base training:
#   python tools/fewshot_surgery.py BASE.pth --config THIS_CONFIG --out ft_init.pth
#   python tools/train.py THIS_CONFIG --cfg-options load_from=ft_init.pth
_base_ = ['../_base_/models/tfa_r50_fpn.py', '../_base_/voc-split1_ft.py',
          '../_base_/schedules/finetune_voc_10shot.py']
model = dict(roi_head=dict(bbox_head=dict(num_classes=20)))
train_dataloader = dict(dataset=dict(ann_file='fewshot/voc1/seed0/10shot.json'))
