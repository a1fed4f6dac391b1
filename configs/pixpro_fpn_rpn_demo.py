# CPU demo of whole-detector pretraining (joint): the PixPro-FPN demo + RPN and RoI pretexts
# on selective-search boxes of the unlabelled tiles. Proposals first:
#   python tools/generate_proposals.py data/demo/unlabeled \
#       data/demo/proposals/unlabeled_demo.json --preset demo --workers 2
_base_ = [
    '_base_/models/detector_pretrainer_r50_fpn.py',
    '_base_/datasets/demo_pretrain.py',
    '_base_/schedules/demo_sgd_12e.py',
    '_base_/default_runtime.py',
]
train_dataloader = dict(dataset=dict(proposals_file='proposals/unlabeled_demo.json'))
# R18 + 128-channel FPN, RPN and RoI layers as in configs/benchmarks/faster-rcnn_r18_fpn_demo.py
model = dict(
    backbone=dict(depth=18),
    neck=dict(in_channels=[64, 128, 256, 512], out_channels=128),
    projector=dict(in_channels=128, hid_channels=512, out_channels=128),
    pixel_head=dict(ppm=dict(channels=128)),
    rpn_head=dict(in_channels=128, feat_channels=128),
    roi_head=dict(bbox_roi_extractor=dict(out_channels=128),
                  bbox_head=dict(in_channels=128)),
    roi_projector=dict(hid_channels=1024),
    roi_byol_head=dict(predictor=dict(hid_channels=1024)),
)
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=12))
