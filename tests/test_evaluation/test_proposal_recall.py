import numpy as np
import pytest
from pycocotools.coco import COCO

from mmssl_det.evaluation import proposal_recall


def _gt():
    coco = COCO()
    coco.dataset = dict(
        images=[dict(id=1, width=100, height=100), dict(id=2, width=100, height=100)],
        categories=[dict(id=1, name='tree')],
        annotations=[dict(id=i + 1, image_id=img, category_id=1, bbox=b, area=b[2] * b[3],
                          iscrowd=0)
                     for i, (img, b) in enumerate([(1, [0, 0, 10, 10]), (1, [50, 50, 20, 20]),
                                                   (2, [10, 10, 30, 30]), (2, [60, 0, 10, 40])])])
    coco.createIndex()
    return coco


def test_known_recall_at_k():
    props = {
        1: np.array([[0, 0, 10, 10], [90, 90, 99, 99], [50, 50, 70, 70]], float),  # hits #1, #3
        2: np.array([[10, 10, 40, 40], [0, 0, 1, 1], [0, 0, 2, 2]], float),  # one hit of two
    }
    r = proposal_recall(_gt(), props, max_dets=(1, 3), iou_thrs=(0.5, ))
    assert r[1] == pytest.approx(2 / 4)  # top-1: gt 1 and gt 3
    assert r[3] == pytest.approx(3 / 4)


def test_iou_range_averages_thresholds():
    # IoU of [0,0,10,9] with [0,0,10,10] is 0.9: a hit for thresholds 0.5..0.9 (9 of 10)
    props = {1: np.array([[0, 0, 10, 9]], float), 2: np.zeros((0, 4))}
    r = proposal_recall(_gt(), props, max_dets=(10, ))
    assert r[10] == pytest.approx(0.9 / 4)


def test_empty_and_missing():
    assert proposal_recall(_gt(), {1: np.zeros((0, 4)), 2: np.zeros((0, 4))}) == \
        {10: 0.0, 50: 0.0, 100: 0.0}
    with pytest.raises(ValueError, match='id 2'):
        proposal_recall(_gt(), {1: np.zeros((0, 4))})
