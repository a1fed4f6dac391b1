# CPU variant of configs/simsiam_r50.py: the data, backbone and schedule of
# configs/mocov2_demo.py, hidden widths 512 / 128.
_base_ = ['mocov2_demo.py']
model = dict(
    with_target=False,
    pretexts=dict(_delete_=True, simsiam=dict(
        type='SimSiamPretext', level=-1,
        projector=dict(type='ProjectionMLP', in_channels=512, hid_channels=512,
                       out_channels=512, dense=False, with_avg_pool=True, num_layers=3,
                       out_norm=True),
        predictor=dict(type='ProjectionMLP', in_channels=512, hid_channels=128,
                       out_channels=512, dense=False))),
)
optim_wrapper = dict(optimizer=dict(lr=0.05))
custom_hooks = [dict(type='FiniteLossHook'), dict(type='RankConsistencyHook')]
