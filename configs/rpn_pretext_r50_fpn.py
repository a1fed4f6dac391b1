# The RPN pretext on its own, on a given backbone checkpoint (e.g. a PixPro or supervised R50):
#   python tools/train.py configs/rpn_pretext_r50_fpn.py --cfg-options load_from=BACKBONE.pth
# Backbone frozen (AlignDet's protocol); FPN and RPN trained on the pseudo boxes.
_base_ = ['pixpro_fpn_rpn.py']
model = dict(
    projector=None,
    pixel_head=None,
    roi_head=None,
    roi_projector=None,
    roi_byol_head=None,
    stages=[dict(begin=0, losses=('rpn', ), frozen=('backbone', ))],
)
max_epochs = 12
optim_wrapper = dict(optimizer=dict(_delete_=True, type='SGD', lr=0.02, momentum=0.9,
                                    weight_decay=1e-4))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=500),
    dict(type='CosineAnnealingLR', T_max=max_epochs, by_epoch=True, begin=0, end=max_epochs,
         convert_to_iter_based=True),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
# The checkpoint of an mmssl_det pretraining or any mmdet/torchvision-style R50 works:
# missing projector/head keys are expected (strict loading is off for load_from).
load_from = None
