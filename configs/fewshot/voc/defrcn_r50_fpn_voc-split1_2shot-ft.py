# DeFRCN fine-tuning on VOC split 1, 2-shot (seed 0): RoI lambda 0.01, RPN lambda 0, backbone
# and FPN trained, RoI shared fcs frozen, dropout 0.8 before the classifier, weight decay
# 5e-5 (the paper's fine-tuning settings); schedule and lr of TFA's 2-shot config (DeFRCN's
# own schedules are not reproduced). From tools/fewshot_surgery.py of a DeFRCN base training.
_base_ = ['../_base_/models/defrcn_r50_fpn_ft.py', '../_base_/voc-split1_ft.py',
          '../_base_/schedules/finetune_voc_2shot.py']
model = dict(roi_head=dict(bbox_head=dict(num_classes=20)))
train_dataloader = dict(dataset=dict(ann_file='fewshot/voc1/seed0/2shot.json'))
optim_wrapper = dict(optimizer=dict(weight_decay=5e-5))
