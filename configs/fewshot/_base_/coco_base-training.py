# COCO base training, everything but the model: the 60 base classes of train2017, 110k
# iterations at batch 16, lr 0.02, x0.1 at 85k and 100k; evaluated on val2017 restricted to
# the base classes (a 60-class detector scores 60 labels; coco/bbox_mAP = base AP).
_base_ = ['./datasets/coco.py', './schedules/base_training.py', './fewshot_runtime.py']
max_iters = 110000
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=100),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters,
         milestones=[85000, 100000], gamma=0.1),
]
default_hooks = dict(checkpoint=dict(interval=10000, max_keep_ckpts=2))
val_dataloader = dict(dataset=dict(subset='base'))
test_dataloader = dict(dataset=dict(subset='base'))
val_evaluator = dict(_delete_=True, type='CocoMetric', metric='bbox',
                     ann_file='data/coco/annotations/instances_val2017.json')
test_evaluator = val_evaluator
