# mmdet's Mask R-CNN R50-C4 under the self-supervised transfer protocol (MoCo / PixPro /
# DenseCL, detectron2's Res5ROIHeads): pytorch-style ResNet (stride in the 3x3 conv,
# torchvision layout; mmdet's C4 base is caffe style), RGB input normalised with the
# torchvision mean/std the pretraining used, every BN trained (norm_eval=False), no frozen stage.
_base_ = ['mmdet::_base_/models/mask-rcnn_r50-caffe-c4.py']
# res5 (`layer4`) is the RoI head: mmdet's ResLayer (here with MoCo's extra BN after it) in
# roi_head.shared_head, so an export
# puts the pretrained layer4 there. Weights come only from load_from (no init_cfg download).
norm_cfg = dict(type='BN', requires_grad=True)  # SyncBN on GPUs: see ../ssl_runtime.py
model = dict(
    data_preprocessor=dict(
        mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
    backbone=dict(
        style='pytorch', norm_cfg=norm_cfg, norm_eval=False, frozen_stages=-1, init_cfg=None),
    roi_head=dict(
        # + the extra BN after res5 of MoCo's C4 protocol (ResLayerExtraNorm's docstring)
        shared_head=dict(type='mmssl_det.ResLayerExtraNorm', style='pytorch',
                         norm_cfg=norm_cfg, norm_eval=False, init_cfg=None)))
