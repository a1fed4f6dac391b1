# Runtime shared by mmssl_det pretraining configs.
default_scope = 'mmssl_det'

default_hooks = dict(
    runtime_info=dict(type='RuntimeInfoHook'),
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=10, max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'),
)
# EMA target decay 0.99 → 1 on BYOL's cosine schedule (the model's base_momentum is the start);
# stop at the first NaN/inf loss; after distributed training, check that all ranks hold
# identical parameters.
custom_hooks = [
    dict(type='FiniteLossHook'),
    dict(type='CosineMomentumHook', end_momentum=1.0),
    dict(type='RankConsistencyHook'),
]

# BN → SyncBN when training distributed on GPUs (mmengine converts; tools/train.py drops it on
# CPU, where gloo has no SyncBN).
sync_bn = 'torch'
env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),  # tools/train.py switches to gloo on CPU
)
log_processor = dict(window_size=10, by_epoch=True)
log_level = 'INFO'
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='Visualizer', vis_backends=vis_backends)
randomness = dict(seed=0, deterministic=False)
load_from = None
resume = False
