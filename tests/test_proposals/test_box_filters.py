"""SoCo-style proposal filters on hand-made boxes."""
import numpy as np
import pytest

from mmssl_det.proposals import (aspect_ratio_mask, filter_proposals, min_side_mask,
                                 nms_indices, relative_size_mask, topk_indices)


def test_aspect_ratio_mask_bounds_inclusive_and_degenerate_dropped():
    # w/h = 1, 3, 3.05, 1/3, 0.3, and h = 0
    boxes = np.array([[0, 0, 10, 10], [0, 0, 30, 10], [0, 0, 30.5, 10], [0, 0, 10, 30],
                      [0, 0, 3, 10], [0, 0, 10, 0]], dtype=np.float32)
    np.testing.assert_array_equal(aspect_ratio_mask(boxes, 1 / 3, 3),
                                  [True, True, False, True, False, False])


def test_relative_size_mask_on_100x100_image():
    # sqrt(w h / 10000) = 0.3, 0.8, 0.29, 0.9, 0.2 (10 x 40)
    boxes = np.array([[0, 0, 30, 30], [10, 10, 90, 90], [0, 0, 29, 29], [0, 0, 90, 90],
                      [5, 5, 15, 45]], dtype=np.float32)
    np.testing.assert_array_equal(relative_size_mask(boxes, (100, 100), 0.3, 0.8),
                                  [True, True, False, False, False])
    # a 200 x 50 image has the same area, so the same answer
    np.testing.assert_array_equal(relative_size_mask(boxes, (50, 200), 0.2, 0.3),
                                  [True, False, True, False, True])


def test_min_side_mask_needs_both_sides():
    boxes = np.array([[0, 0, 32, 32], [0, 0, 31, 64], [0, 0, 64, 31.9]], dtype=np.float32)
    np.testing.assert_array_equal(min_side_mask(boxes, 32), [True, False, False])


def test_nms_keeps_best_of_overlapping_pair():
    # IoU([0,0,10,10], [1,1,11,11]) = 81 / 119 = 0.68
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30]], dtype=np.float32)
    scores = np.array([0.5, 0.9, 0.1], dtype=np.float32)
    np.testing.assert_array_equal(nms_indices(boxes, scores, 0.5), [1, 2])
    np.testing.assert_array_equal(nms_indices(boxes, scores, 0.7), [1, 0, 2])
    assert nms_indices(np.zeros((0, 4), np.float32), np.zeros(0, np.float32), 0.5).shape == (0, )


def test_topk_is_stable_on_ties():
    scores = np.array([0.1, 0.9, 0.5, 0.9])
    np.testing.assert_array_equal(topk_indices(scores, 2), [1, 3])
    np.testing.assert_array_equal(topk_indices(scores, None), [1, 3, 2, 0])


def test_filter_proposals_applies_every_filter_in_order():
    img_hw = (100, 100)
    boxes = np.array([
        [0, 0, 40, 40],    # kept (rank 0)
        [0, 0, 90, 90],    # relative size 0.9 -> dropped
        [0, 0, 60, 10],    # aspect 6 -> dropped
        [2, 2, 42, 42],    # IoU 0.82 with the first -> NMS drops it
        [50, 50, 80, 80],  # kept
        [60, 0, 95, 35],   # kept, but beyond top-2
        [0, 50, 93, 80],   # aspect 3.1 (relative size 0.53) -> dropped
    ], dtype=np.float32)
    scores = 1.0 / (1.0 + np.arange(len(boxes), dtype=np.float32))
    out_boxes, out_scores = filter_proposals(boxes, scores, img_hw, aspect=(1 / 3, 3),
                                             rel_size=(0.3, 0.8), min_side=8, nms_iou=0.7,
                                             topk=2)
    np.testing.assert_array_equal(out_boxes, boxes[[0, 4]])
    np.testing.assert_allclose(out_scores, scores[[0, 4]])
    assert out_boxes.dtype == np.float32 and out_scores.dtype == np.float32
    # without NMS and top-k the near-duplicate and the third box survive
    out_boxes, _ = filter_proposals(boxes, scores, img_hw, rel_size=(0.3, 0.8), min_side=8,
                                    nms_iou=None, topk=None)
    np.testing.assert_array_equal(out_boxes, boxes[[0, 3, 4, 5]])


@pytest.mark.parametrize('min_side', [0, 50])
def test_filter_proposals_can_return_nothing(min_side):
    boxes = np.array([[0, 0, 100, 100]], dtype=np.float32)  # the whole image
    out_boxes, out_scores = filter_proposals(boxes, np.ones(1), (100, 100), min_side=min_side)
    assert out_boxes.shape == (0, 4) and out_scores.shape == (0, )
