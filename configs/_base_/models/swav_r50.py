# SwAV (Caron et al., arXiv 2006.09882) on ResNet-50 C5: projector 2048 → 2048 (BN, ReLU) →
# 128, z L2-normalised, K = 3000 prototypes (rows re-normalised every step), τ 0.1, Sinkhorn
# ε 0.05 × 3 iterations on the 2 large crops, queue of 3840 (switched on by SwAVQueueHook in
# the configs), no EMA target.
model = dict(
    type='SelfSupervisedPretrainer',
    data_preprocessor=dict(
        type='MultiViewDataPreprocessor',
        mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
    backbone=dict(type='ResNet', depth=50, num_stages=4, out_indices=(3, ), frozen_stages=-1,
                  norm_cfg=dict(type='BN', requires_grad=True), norm_eval=False,
                  style='pytorch'),
    with_target=False,
    pretexts=dict(swav=dict(
        type='SwAVPretext', num_prototypes=3000, num_crops=(2, 6), temperature=0.1,
        epsilon=0.05, sinkhorn_iters=3, queue_length=3840, level=-1,
        projector=dict(type='ProjectionMLP', in_channels=2048, hid_channels=2048,
                       out_channels=128, dense=False, with_avg_pool=False,
                       norm_cfg=dict(type='BN')))),
)
model_wrapper_cfg = dict(type='MMDistributedDataParallel', find_unused_parameters=False,
                         broadcast_buffers=False)
