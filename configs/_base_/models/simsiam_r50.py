# SimSiam (Chen & He, arXiv 2011.10566) on ResNet-50 C5: projector 3 fc 2048→2048→2048 with BN
# on every layer incl. the output, predictor 2048→512→2048, no target network (so the
# configs drop CosineMomentumHook).
_base_ = ['mocov2_r50.py']  # the same encoder and data preprocessor
model = dict(
    with_target=False,
    pretexts=dict(_delete_=True, simsiam=dict(
        type='SimSiamPretext', level=-1,
        projector=dict(type='ProjectionMLP', in_channels=2048, hid_channels=2048,
                       out_channels=2048, dense=False, with_avg_pool=True, num_layers=3,
                       out_norm=True),
        predictor=dict(type='ProjectionMLP', in_channels=2048, hid_channels=512,
                       out_channels=2048, dense=False))),
)
