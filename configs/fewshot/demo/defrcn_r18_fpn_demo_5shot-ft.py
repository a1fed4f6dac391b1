# DeFRCN fine-tuning on the demo, 5-shot (seed 0): RoI lambda 0.01, RPN lambda 0, backbone and
# FPN trained, RoI shared fcs frozen, dropout 0.8 before the classifier, weight decay 5e-5.
_base_ = ['../_base_/demo_ft.py', '../_base_/models/defrcn.py']
model = {{_base_.defrcn_ft_model}}
train_dataloader = dict(dataset=dict(ann_file='fewshot/seed0/5shot.json'))
optim_wrapper = dict(optimizer=dict(weight_decay=5e-5))
