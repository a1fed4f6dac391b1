# Demo fine-tuning, everything but the model change and K: both classes (training, val and
# test; base / novel / all AP), a K-shot file of
# tools/prepare_fewshot_demo.py (seed{S}/{K}shot.json, K 2 or 5, seeds 0-2), 100 iterations
# at batch 2, lr 0.01 (x0.1 at 80), 10-iteration warm-up. Chosen for CPU minutes, not from a
# paper; the R50 configs follow the papers' schedules.
_base_ = ['./demo.py']
model = dict(roi_head=dict(bbox_head=dict(num_classes=2)))
train_dataloader = dict(dataset=dict(subset='all', ann_file='fewshot/seed0/2shot.json'))
val_dataloader = dict(dataset=dict(subset='all'))
test_dataloader = dict(dataset=dict(subset='all'))
val_evaluator = dict(_delete_=True, type='FewShotCocoMetric', split='demo',
                     ann_file='data/demo/fewshot/val.json')
test_evaluator = dict(_delete_=True, type='FewShotCocoMetric', split='demo',
                      ann_file='data/demo/fewshot/test.json')
max_iters = 100
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=10),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters, milestones=[80],
         gamma=0.1),
]
optim_wrapper = dict(optimizer=dict(lr=0.01))
default_hooks = dict(checkpoint=dict(interval=max_iters))
