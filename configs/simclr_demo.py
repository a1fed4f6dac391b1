# CPU variant of configs/simclr_r50.py: ResNet-18 C5 (projection 512→512→128), 160 px views of
# the demo's unlabelled tiles (tools/prepare_demo_data.py), 12 epochs of batch 8. LARS lr by
# the paper's square-root rule for small batches (Appendix B.1: 0.075 × √batch ≈ 0.21), one
# warm-up epoch.
_base_ = [
    '_base_/models/simclr_r50.py',
    '_base_/datasets/simclr_demo.py',
    '_base_/schedules/lars_cosine_100e.py',
    '_base_/default_runtime.py',
]
custom_hooks = [dict(type='FiniteLossHook'), dict(type='RankConsistencyHook')]  # no target
model = dict(backbone=dict(depth=18),
             pretexts=dict(simclr=dict(projector=dict(in_channels=512, hid_channels=512))))
max_epochs = 12
optim_wrapper = dict(optimizer=dict(lr=0.075 * 8 ** 0.5, weight_decay=1e-6))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=1,
         convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=max_epochs - 1, eta_min=0., by_epoch=True, begin=1,
         end=max_epochs, convert_to_iter_based=True),
]
train_cfg = dict(max_epochs=max_epochs)
auto_scale_lr = dict(enable=False, base_batch_size=8)
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=12))
