# Composition: MoCo v2 on the pooled C5 of ResNet-50 + the RPN pretext on its FPN, on one
# encoder and one EMA target (only MoCo reads it). Exports backbone, neck and rpn_head into
# mmdet's faster-rcnn_r50_fpn. Needs proposals (tools/generate_proposals.py IMG_DIR OUT.json):
#   python tools/train.py configs/mocov2_rpn_fpn.py --cfg-options \
#       train_dataloader.dataset.data_root=DATA/ train_dataloader.dataset.proposals_file=OUT.json
_base_ = ['mocov2_r50.py', '_base_/models/rpn_head_r50_fpn.py']
model = dict(
    backbone=dict(out_indices=(0, 1, 2, 3)),
    neck=dict(type='FPN', in_channels=[256, 512, 1024, 2048], out_channels=256, num_outs=5),
    rpn_head={{_base_.rpn_head}},
    pretexts=dict(
        moco=dict(from_backbone=True),  # C5, not the FPN's P2
        rpn=dict(type='RPNPretext', loss_weight=1.0)),
)
train_dataloader = dict(dataset=dict(proposals_file='proposals/train2017_ss.json'))
