# SimCLR (Chen et al., arXiv 2002.05709) on ResNet-50 C5 at the paper's recipe (Sec. 4
# "Default setting"): projection 2048→2048→128, NT-Xent τ 0.1 with global-batch negatives,
# batch 4096, LARS lr 0.3 × batch/256 = 4.8, wd 1e-6 (biases and BN excluded), 10 warm-up
# epochs then cosine, 100 epochs. CPU variant: configs/simclr_demo.py.
_base_ = [
    '_base_/models/simclr_r50.py',
    '_base_/datasets/simclr_pretrain.py',
    '_base_/schedules/lars_cosine_100e.py',
    '_base_/default_runtime.py',
]
custom_hooks = [dict(type='FiniteLossHook'), dict(type='RankConsistencyHook')]  # no target
total_batch = 4096
max_epochs = 100
warmup_epochs = 10
optim_wrapper = dict(optimizer=dict(lr=0.3 * total_batch / 256, weight_decay=1e-6))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=warmup_epochs,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - warmup_epochs, eta_min=0.,
         by_epoch=True, begin=warmup_epochs, end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs)
auto_scale_lr = dict(enable=False, base_batch_size=total_batch)
