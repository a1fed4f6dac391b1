# MoCo v2 (Chen et al., arXiv 2003.04297) on ResNet-50 C5: queue 65536, momentum 0.999
# (constant: the configs set CosineMomentumHook(end_momentum=0.999)), τ 0.2, MLP head 2048→2048→128 without BN.
model = dict(
    type='SelfSupervisedPretrainer',
    data_preprocessor=dict(
        type='MultiViewDataPreprocessor',
        mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
    backbone=dict(type='ResNet', depth=50, num_stages=4, out_indices=(3, ), frozen_stages=-1,
                  norm_cfg=dict(type='BN', requires_grad=True), norm_eval=False,
                  style='pytorch'),
    base_momentum=0.999,
    pretexts=dict(moco=dict(
        type='MoCoV2Pretext', queue_size=65536, temperature=0.2, level=-1,
        projector=dict(type='ProjectionMLP', in_channels=2048, hid_channels=2048,
                       out_channels=128, dense=False, with_avg_pool=True, norm_cfg=None))),
)
model_wrapper_cfg = dict(type='MMDistributedDataParallel', find_unused_parameters=False,
                         broadcast_buffers=False)
