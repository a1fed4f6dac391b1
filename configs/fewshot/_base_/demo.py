# The CPU demo's few-shot setting: the demo detector and recipe (Faster R-CNN R18-FPN with a
# 128-channel FPN, 320-px tiles, SGD lr 0.02 at batch 2, 200 iterations:
# ../../benchmarks/faster-rcnn_r18_fpn_demo.py) on the two-class split of
# tools/prepare_fewshot_demo.py (tree crowns by box area: 'large crown' base, 'small crown'
# novel; data/demo/fewshot/). As set here, base training: base_train.json, val / test tiles
# restricted to the base class (CocoMetric: coco/bbox_mAP = base AP); ./demo_ft.py switches
# to a K-shot file and both classes (FewShotCocoMetric: coco/bbox_novel_AP, base, all).
# load_from: a base-trained checkpoint after tools/fewshot_surgery.py, an export
# (tools/export_detector.py) for base training, or None (random init).
_base_ = ['../../benchmarks/faster-rcnn_r18_fpn_demo.py']
data_root = 'data/demo/'
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='FewShotCocoDataset',
        split='demo',
        subset='base',
        data_root=data_root,
        ann_file='fewshot/base_train.json',
        data_prefix=dict(img='images/train/'),
        filter_cfg=dict(filter_empty_gt=True, min_size=32),
        pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='FewShotCocoDataset',
        split='demo',
        subset='base',
        data_root=data_root,
        ann_file='fewshot/val.json',
        data_prefix=dict(img='images/val/'),
        test_mode=True,
        pipeline={{_base_.test_pipeline}}))
test_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='FewShotCocoDataset',
        split='demo',
        subset='base',
        data_root=data_root,
        ann_file='fewshot/test.json',
        data_prefix=dict(img='images/test/'),
        test_mode=True,
        pipeline={{_base_.test_pipeline}}))
val_evaluator = dict(_delete_=True, type='CocoMetric', metric='bbox',
                     ann_file=data_root + 'fewshot/val.json')
test_evaluator = dict(_delete_=True, type='CocoMetric', metric='bbox',
                      ann_file=data_root + 'fewshot/test.json')
# mmssl_det.evaluation registers FewShotCocoMetric (the metric registry does not import it)
custom_imports = dict(imports=['mmssl_det', 'mmssl_det.evaluation'], allow_failed_imports=False)
custom_hooks = [dict(type='LoadReportHook', min_loaded=1.0), dict(type='ClassCheckHook')]
