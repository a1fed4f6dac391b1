# DenseCL (Wang et al., arXiv 2011.09157) on ResNet-50 C5: MoCo v2's global branch (MLP
# 2048→2048→128, queue 65536, τ 0.2, momentum 0.999 constant) + the dense branch (1×1 convs
# 2048→2048→128 without BN on the 7×7 C5 grid, correspondence by backbone-feature argmax, its
# own queue of 65536), loss (1 − λ)·global + λ·dense with λ 0.5.
_base_ = ['mocov2_r50.py']  # the same encoder, data preprocessor and momentum
model = dict(
    pretexts=dict(_delete_=True, densecl=dict(
        type='DenseCLPretext', queue_size=65536, temperature=0.2, levels=(-1, ),
        loss_lambda=0.5,
        projector=dict(type='ProjectionMLP', in_channels=2048, hid_channels=2048,
                       out_channels=128, dense=False, with_avg_pool=True, norm_cfg=None),
        dense_projector=dict(type='ProjectionMLP', in_channels=2048, hid_channels=2048,
                             out_channels=128, dense=True, norm_cfg=None))),
)
