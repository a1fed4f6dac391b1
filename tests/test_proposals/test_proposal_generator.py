"""SelectiveSearchProposals: registry, filters honoured on a real image, edge cases."""
from pathlib import Path

import mmcv
import numpy as np
import pytest
from mmdet.evaluation.functional import bbox_overlaps
from mmengine.registry import DefaultScope

import mmssl_det  # noqa: F401
from mmssl_det.proposals import PRESETS, SelectiveSearchProposals
from mmssl_det.registry import TASK_UTILS

IMAGE = Path(__file__).resolve().parents[1] / 'data' / 'images' / 'OSBS_029.jpg'


def _skimage():
    pytest.importorskip('skimage', reason='selective search needs scikit-image')


def test_registered_in_task_utils():
    # In our scope: an mmengine Runner built earlier in the session (tests/test_configs)
    # leaves the global default scope at its config's ('mmdet').
    with DefaultScope.overwrite_default_scope('mmssl_det'):
        gen = TASK_UTILS.build(dict(type='SelectiveSearchProposals', topk=5,
                                    rel_size=(0.1, 0.5)))
    assert isinstance(gen, SelectiveSearchProposals)
    assert gen.params['topk'] == 5 and gen.params['rel_size'] == [0.1, 0.5]


@pytest.mark.parametrize('kwargs, match', [
    (dict(rel_size=(0.8, 0.3)), 'rel_size'),
    (dict(rel_size=(0.3, 1.2)), 'rel_size'),
    (dict(aspect=(3, 1 / 3)), 'aspect'),
    (dict(mode='quality'), 'mode'),
    (dict(topk=0), 'topk'),
    (dict(nms_iou=1.5), 'nms_iou'),
])
def test_bad_parameters_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SelectiveSearchProposals(**kwargs)


def test_bad_image_raises():
    with pytest.raises(ValueError, match='uint8'):
        SelectiveSearchProposals()(np.zeros((8, 8), np.uint8))


def test_fixture_image_boxes_inside_and_filtered():
    _skimage()
    img = mmcv.imread(str(IMAGE))
    h, w = img.shape[:2]
    params = dict(PRESETS['demo'], topk=30, max_side=200)  # searched at half size for speed
    gen = SelectiveSearchProposals(**params)
    boxes, scores = gen(img)
    assert boxes.dtype == np.float32 and boxes.shape[1] == 4
    assert 0 < len(boxes) <= 30 and scores.shape == (len(boxes), )
    assert (boxes[:, :2] >= 0).all() and (boxes[:, 2] <= w).all() and (boxes[:, 3] <= h).all()
    bw, bh = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    assert (bw >= params['min_side']).all() and (bh >= params['min_side']).all()
    ratio, rel = bw / bh, np.sqrt(bw * bh / (w * h))
    assert (ratio >= params['aspect'][0]).all() and (ratio <= params['aspect'][1]).all()
    assert (rel >= params['rel_size'][0]).all() and (rel <= params['rel_size'][1]).all()
    assert (np.diff(scores) < 0).all()  # best (lowest selective-search rank) first
    iou = bbox_overlaps(boxes, boxes) - np.eye(len(boxes))
    assert iou.max() <= params['nms_iou'] + 1e-6
    again, _ = gen(img)
    np.testing.assert_array_equal(boxes, again)


def test_uniform_image_yields_no_box():
    _skimage()
    # one segment: the only proposal is the whole image, relative size 1 > 0.8
    boxes, scores = SelectiveSearchProposals()(np.full((64, 64, 3), 90, np.uint8))
    assert boxes.shape == (0, 4) and scores.shape == (0, )


def test_max_side_searches_small_and_maps_boxes_back():
    _skimage()
    img = np.full((128, 128, 3), 128, np.uint8)
    img[16:48, 16:48] = (0, 0, 255)
    img[60:100, 72:112] = (255, 0, 0)
    gen = SelectiveSearchProposals(mode='single', scale=50, sigma=0.5, min_size=10, topk=None,
                                   min_side=0, rel_size=(0, 1), nms_iou=None, max_side=64)
    found = {tuple(b) for b in gen(img)[0].tolist()}
    assert {(16, 16, 48, 48), (72, 60, 112, 100), (0, 0, 128, 128)} <= found
