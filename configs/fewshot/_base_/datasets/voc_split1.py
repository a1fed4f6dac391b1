# VOC split 1 (novel: bird, bus, cow, motorbike, sofa), TFA's protocol: train on VOC07+12
# trainval, test on VOC07 test, novel AP50 (VOC2007 11-point AP at IoU 0.5, as TFA).
# Files from tools/make_fewshot_split.py data/VOCdevkit --split voc1 --out data/fewshot/voc1
# (file_name relative to the devkit). Training set here: base training (base_train.json:
# every trainval image, base annotations only; subset='base' keeps the 15 base classes);
# fine-tuning configs replace it by a K-shot file (seed{S}/{K}shot.json, subset 'all').
# Pipelines: ../../../transfer/_base_/voc0712_ms.py (short side 480-800, test 800).
_base_ = ['../../../transfer/_base_/voc0712_ms.py']
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='FewShotCocoDataset',
        split='voc1',
        subset='base',
        data_root='data/',
        ann_file='fewshot/voc1/base_train.json',
        data_prefix=dict(img='VOCdevkit/'),
        filter_cfg=dict(filter_empty_gt=True, min_size=32),
        pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='FewShotVOCDataset',
        split='voc1',
        subset='all',
        data_root='data/VOCdevkit/',
        ann_file='VOC2007/ImageSets/Main/test.txt',
        data_prefix=dict(sub_data_root='VOC2007/'),
        test_mode=True,
        pipeline={{_base_.test_pipeline}}))
test_dataloader = val_dataloader
# keys: pascal_voc/base_AP50, pascal_voc/novel_AP50, pascal_voc/all_AP50
val_evaluator = dict(_delete_=True, type='FewShotVOCMetric', split='voc1',
                     eval_mode='11points', iou_thrs=[0.5])
test_evaluator = val_evaluator
