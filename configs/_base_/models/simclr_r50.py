# SimCLR (Chen et al., arXiv 2002.05709) on ResNet-50 C5: projection head g 2048→2048→128 with
# BN on the hidden layer, NT-Xent with τ 0.1 over the global batch, no target network (so the
# configs drop CosineMomentumHook).
_base_ = ['mocov2_r50.py']  # the same encoder and data preprocessor
model = dict(
    with_target=False,
    pretexts=dict(_delete_=True, simclr=dict(
        type='SimCLRPretext', temperature=0.1, level=-1,
        projector=dict(type='ProjectionMLP', in_channels=2048, hid_channels=2048,
                       out_channels=128, dense=False, with_avg_pool=True))),
)
