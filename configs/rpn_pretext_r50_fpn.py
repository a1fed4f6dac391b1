# The RPN pretext on its own, on a given backbone checkpoint (AlignDet's protocol: backbone
# frozen; FPN and RPN trained on the pseudo boxes). The checkpoint is read by the backbone's
# init_cfg, so its keys must be the backbone's own (prefix stripped):
#   mmssl_det / mmdet checkpoint:  --cfg-options model.backbone.init_cfg.checkpoint=PRETRAIN.pth
#                                  (init_cfg below strips the 'backbone.' prefix)
#   torchvision-style R50 weights: --cfg-options model.backbone.init_cfg.prefix=None
#                                  model.backbone.init_cfg.checkpoint=resnet50.pth
# A missing checkpoint fails loudly, unlike a non-strict load_from that matches no key.
_base_ = ['pixpro_fpn_rpn.py']
model = dict(
    backbone=dict(init_cfg=dict(type='Pretrained', prefix='backbone.',
                                checkpoint='work_dirs/pixpro_fpn/epoch_100.pth')),
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
