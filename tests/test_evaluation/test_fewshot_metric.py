"""FewShotCocoMetric / FewShotVOCMetric: base, novel and all AP on hand-made detections, with
real pycocotools (COCO) and mmdet's eval_map (VOC)."""
import json

import numpy as np
import pytest
import torch

from mmssl_det.evaluation import FewShotCocoMetric, FewShotVOCMetric
from mmssl_det.evaluation.fewshot_metric import class_groups, coco_per_class_ap, group_means
from mmssl_det.registry import METRICS

# Two images; 'cat' (novel) and 'dog', 'cow' (base). Boxes xyxy.
GT = {
    1: [('cat', [10, 10, 50, 50]), ('dog', [60, 60, 100, 100])],
    2: [('cat', [20, 20, 70, 60]), ('cow', [5, 5, 40, 30])],
}
SPLIT = dict(base=['dog', 'cow'], novel=['cat'])
# The file lists the categories in another order than the dataset (base then novel), so a
# metric that paired labels with the file's order would score the wrong classes.
FILE_CATEGORIES = [dict(id=7, name='cat'), dict(id=3, name='cow'), dict(id=5, name='dog')]
CLASSES = ('dog', 'cow', 'cat')


def _coco_json(path):
    ids = {c['name']: c['id'] for c in FILE_CATEGORIES}
    anns = []
    for img, objs in GT.items():
        for name, (x1, y1, x2, y2) in objs:
            anns.append(dict(id=len(anns) + 1, image_id=img, category_id=ids[name],
                             bbox=[x1, y1, x2 - x1, y2 - y1], area=(x2 - x1) * (y2 - y1),
                             iscrowd=0))
    path.write_text(json.dumps(dict(
        images=[dict(id=i, file_name=f'{i}.jpg', width=128, height=128) for i in GT],
        annotations=anns, categories=FILE_CATEGORIES)))
    return str(path)


def _sample(img_id, dets):
    """A data sample as the model returns it: dets = [(class, xyxy, score)]."""
    boxes = torch.tensor([d[1] for d in dets], dtype=torch.float32).reshape(-1, 4)
    return dict(img_id=img_id, ori_shape=(128, 128),
                pred_instances=dict(bboxes=boxes,
                                    scores=torch.tensor([d[2] for d in dets]),
                                    labels=torch.tensor([CLASSES.index(d[0]) for d in dets],
                                                        dtype=torch.long)))


def _perfect(names):
    return [_sample(img, [(n, box, 0.9) for n, box in objs if n in names])
            for img, objs in GT.items()]


def _coco_metric(tmp_path, samples, split=SPLIT):
    metric = METRICS.build(dict(type='FewShotCocoMetric', split=split,
                                ann_file=_coco_json(tmp_path / 'gt.json')))
    metric.dataset_meta = dict(classes=CLASSES)
    metric.process({}, samples)
    return metric.evaluate(len(samples))


def test_coco_perfect_novel_no_base(tmp_path):
    res = _coco_metric(tmp_path, _perfect({'cat'}))
    assert res['coco/bbox_novel_AP'] == pytest.approx(1.0)
    assert res['coco/bbox_novel_AP50'] == pytest.approx(1.0)
    assert res['coco/bbox_base_AP'] == pytest.approx(0.0)
    assert res['coco/bbox_all_AP50'] == pytest.approx(1 / 3)
    assert res['coco/bbox_mAP'] == pytest.approx(1 / 3)


def test_coco_perfect_base_no_novel(tmp_path):
    res = _coco_metric(tmp_path, _perfect({'dog', 'cow'}))
    assert res['coco/bbox_base_AP75'] == pytest.approx(1.0)
    assert res['coco/bbox_novel_AP75'] == pytest.approx(0.0)
    assert res['coco/bbox_all_AP'] == pytest.approx(2 / 3)


def test_coco_ap50_vs_ap75(tmp_path):
    # 'cat' boxes stretched to IoU 1600/2200 and 2000/2750 (both 0.727) with their ground
    # truth: hits at the thresholds 0.50-0.70 (5 of 10), misses from 0.75 on.
    samples = [_sample(1, [('cat', [10, 10, 50, 65], 0.9)]),
               _sample(2, [('cat', [20, 20, 70, 75], 0.9)])]
    res = _coco_metric(tmp_path, samples)
    assert res['coco/bbox_novel_AP50'] == pytest.approx(1.0)
    assert res['coco/bbox_novel_AP75'] == pytest.approx(0.0)
    assert res['coco/bbox_novel_AP'] == pytest.approx(0.5)


def test_coco_novel_class_missing_from_dataset(tmp_path):
    with pytest.raises(ValueError, match=r"novel class\(es\) \['sofa'\]"):
        _coco_metric(tmp_path, _perfect({'cat'}), split=dict(base=['dog'], novel=['sofa']))


def test_coco_bad_metric():
    with pytest.raises(ValueError, match="only 'bbox'"):
        FewShotCocoMetric(split='voc1', metric='segm')


def test_per_class_ap_skips_classes_without_gt():
    precision = -np.ones((2, 3, 2, 4, 3))
    precision[:, :, 0, 0, -1] = [[1, 1, 0], [1, 0, 0]]
    ap = coco_per_class_ap(precision)
    assert ap[0] == pytest.approx(0.5) and np.isnan(ap[1])
    assert coco_per_class_ap(precision, 0)[0] == pytest.approx(2 / 3)
    assert group_means({'a': 0.5, 'b': float('nan')}, dict(x=['a', 'b'], y=['b'])) == \
        pytest.approx(dict(x=0.5, y=float('nan')), nan_ok=True)


def test_class_groups_follow_dataset_order():
    groups = class_groups(('sofa', 'aeroplane', 'bird'),
                          dict(base=['aeroplane'], novel=['bird', 'sofa']), 'test')
    assert groups == dict(base=['aeroplane'], novel=['sofa', 'bird'],
                          all=['sofa', 'aeroplane', 'bird'])


def _voc_sample(img_id, dets):
    s = _sample(img_id, dets)
    objs = GT[img_id]
    s['gt_instances'] = dict(bboxes=torch.tensor([b for _, b in objs], dtype=torch.float32),
                             labels=torch.tensor([CLASSES.index(n) for n, _ in objs]))
    s['ignored_instances'] = dict(bboxes=torch.zeros(0, 4), labels=torch.zeros(0).long())
    return s


def test_voc_perfect_novel_no_base():
    metric = FewShotVOCMetric(split=SPLIT)
    metric.dataset_meta = dict(classes=CLASSES)
    samples = [_voc_sample(img, [(n, b, 0.9) for n, b in objs if n == 'cat'])
               for img, objs in GT.items()]
    metric.process({}, samples)
    res = metric.evaluate(2)
    assert res['pascal_voc/novel_AP50'] == pytest.approx(1.0)
    assert res['pascal_voc/base_AP50'] == pytest.approx(0.0)
    assert res['pascal_voc/all_AP50'] == pytest.approx(1 / 3, abs=1e-6)
    assert res['pascal_voc/mAP'] == pytest.approx(1 / 3, abs=1e-6)


def test_coco_without_ann_file_uses_the_samples_ground_truth():
    """ann_file=None: mmdet converts the samples' instances to COCO with ids = labels."""
    samples = _perfect({'dog', 'cow'})
    for s in samples:
        s['instances'] = [dict(bbox=box, bbox_label=CLASSES.index(n), ignore_flag=0)
                          for n, box in GT[s['img_id']]]
    metric = FewShotCocoMetric(split=SPLIT)
    metric.dataset_meta = dict(classes=CLASSES)
    metric.process({}, samples)
    res = metric.evaluate(len(samples))
    assert res['coco/bbox_base_AP'] == pytest.approx(1.0)
    assert res['coco/bbox_novel_AP'] == pytest.approx(0.0)


def test_coco_no_detections_reports_zeros(tmp_path):
    res = _coco_metric(tmp_path, [_sample(img, []) for img in GT])
    assert res['coco/bbox_mAP'] == 0.0 and res['coco/bbox_novel_AP50'] == 0.0
