# RotNet (Gidaris et al., arXiv 1803.07728) on ResNet-50 C5: the four rotations of one view per
# image in the batch, a linear 4-way classifier on the pooled C5, cross entropy; no target
# network (so the configs drop CosineMomentumHook).
_base_ = ['mocov2_r50.py']  # the same encoder and data preprocessor
model = dict(
    with_target=False,
    pretexts=dict(_delete_=True, rotnet=dict(type='RotationPretext', in_channels=2048,
                                             level=-1)),
)
