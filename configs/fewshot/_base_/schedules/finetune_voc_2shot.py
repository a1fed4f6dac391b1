# 2-shot fine-tuning on VOC (mmfewshot's TFA): 8000 iterations, lr 0.001 x0.1 at 7000.
_base_ = ['./finetune.py']
max_iters = 8000
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=10),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters, milestones=[7000],
         gamma=0.1),
]
optim_wrapper = dict(optimizer=dict(lr=0.001))
