# 10-shot fine-tuning on VOC (mmfewshot's TFA): 40000 iterations, lr 0.001 x0.1 at 36000.
_base_ = ['./finetune.py']
max_iters = 40000
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=10),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters, milestones=[36000],
         gamma=0.1),
]
optim_wrapper = dict(optimizer=dict(lr=0.001))
