# COCO 60 base / 20 novel (the VOC classes), TFA's protocol: novel AP (COCO AP at IoU
# .50:.95 averaged over the 20 novel classes). train2017 / val2017 stand for TFA's trainval
# minus 5k / the 5k images (the same images). Files from tools/make_fewshot_split.py
# data/coco/annotations/instances_train2017.json --split coco --out data/fewshot/coco.
# Training set here: base training (base_train.json, subset='base': 60 classes); fine-tuning
# configs replace it by seed{S}/{K}shot.json with subset 'all'.
# Pipelines: ../../../transfer/_base_/coco_ms.py (short side 640-800, test 800).
_base_ = ['../../../transfer/_base_/coco_ms.py']
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='FewShotCocoDataset',
        split='coco',
        subset='base',
        data_root='data/',
        ann_file='fewshot/coco/base_train.json',
        data_prefix=dict(img='coco/train2017/'),
        filter_cfg=dict(filter_empty_gt=True, min_size=32),
        pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='FewShotCocoDataset',
        split='coco',
        subset='all',
        data_root='data/coco/',
        ann_file='annotations/instances_val2017.json',
        data_prefix=dict(img='val2017/'),
        test_mode=True,
        pipeline={{_base_.test_pipeline}}))
test_dataloader = val_dataloader
# keys: coco/bbox_novel_AP (the protocol's number), coco/bbox_base_AP, coco/bbox_all_AP, ...50/75
val_evaluator = dict(_delete_=True, type='FewShotCocoMetric', split='coco',
                     ann_file='data/coco/annotations/instances_val2017.json')
test_evaluator = val_evaluator
