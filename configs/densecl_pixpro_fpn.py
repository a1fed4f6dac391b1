# Composition: DenseCL (arXiv 2011.09157) + PixPro's pixel pretext (arXiv 2011.10043) on the
# FPN of ResNet-50, one encoder and one EMA target for both. DenseCL's dense branch and
# PixPro's pixel loss read P3-P5 (FPN outputs 1-3), DenseCL's global branch the pooled P5.
# PixPro's data (views with recorded boxes, which the pixel pretext needs), optimiser (LARS)
# and target schedule (0.99 → 1 cosine) — DenseCL's constant 0.999 is one of the choices the
# composition has to make. backbone / neck match mmdet's faster-rcnn_r50_fpn exactly:
#   python tools/export_detector.py work_dirs/densecl_pixpro_fpn/epoch_100.pth \
#       --config mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py --out frcnn.pth
_base_ = [
    '_base_/models/pixpro_r50_fpn.py',
    '_base_/datasets/pixpro_pretrain.py',
    '_base_/schedules/lars_cosine_100e.py',
    '_base_/default_runtime.py',
]
model = dict(
    _delete_=True,
    type='SelfSupervisedPretrainer',
    data_preprocessor={{_base_.model.data_preprocessor}},
    backbone={{_base_.model.backbone}},
    neck={{_base_.model.neck}},
    base_momentum=0.99,
    pretexts=dict(
        densecl=dict(
            type='DenseCLPretext', queue_size=65536, temperature=0.2, levels=(1, 2, 3),
            loss_lambda=0.5,
            projector=dict(type='ProjectionMLP', in_channels=256, hid_channels=2048,
                           out_channels=128, dense=False, with_avg_pool=True, norm_cfg=None),
            dense_projector=dict(type='ProjectionMLP', in_channels=256, hid_channels=2048,
                                 out_channels=128, dense=True, norm_cfg=None)),
        pixel=dict(type='PixelPretext', levels=(1, 2, 3),
                   projector={{_base_.model.projector}}, head={{_base_.model.pixel_head}})),
)
