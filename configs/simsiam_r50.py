# SimSiam (Chen & He, arXiv 2011.10566) on ResNet-50 C5 at the paper's recipe: projector
# 3 fc 2048→2048→2048 with BN on every layer incl. the output, predictor 2048→512→2048,
# no target network (no CosineMomentumHook), SGD lr 0.05 / batch 256, wd 1e-4, 100 epochs.
# CPU variant: configs/simsiam_demo.py.
_base_ = ['mocov2_r50.py']  # same data and backbone; the model's pretext is replaced below
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
max_epochs = 100
optim_wrapper = dict(optimizer=dict(lr=0.05))
param_scheduler = [dict(type='CosineAnnealingLR', T_max=max_epochs, by_epoch=True, begin=0,
                        end=max_epochs, convert_to_iter_based=True)]
train_cfg = dict(max_epochs=max_epochs)
custom_hooks = [dict(type='FiniteLossHook'), dict(type='RankConsistencyHook')]
