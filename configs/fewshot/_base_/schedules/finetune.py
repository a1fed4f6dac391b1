# Few-shot fine-tuning, TFA as mmfewshot runs it (the reference numbers in docs/fewshot.md):
# SGD at batch 16, momentum 0.9, weight decay 1e-4, a 10-iteration warm-up, one x0.1 step; the
# lengths per K in ./finetune_{voc,coco}_{K}shot.py (VOC: 1/2/3/5/10 shots -> 4k/8k/12k/20k/40k
# iterations, step 1k (2k for 5 and 4k for 10 shots) before the end, lr 0.001; COCO: 10/30
# shots -> 160k/240k, step at 90 %, lr 0.001). Evaluated once at the end.
max_iters = 4000
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=10),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters, milestones=[3000],
         gamma=0.1),
]
optim_wrapper = dict(
    type='OptimWrapper', optimizer=dict(type='SGD', lr=0.001, momentum=0.9, weight_decay=1e-4))
auto_scale_lr = dict(enable=False, base_batch_size=16)
