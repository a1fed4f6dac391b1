"""Selective search pieces on hand-made label maps, and the whole search on synthetic images."""
import numpy as np
import pytest

from mmssl_det.proposals.selective_search import (SIMILARITY_SETS, adjacent_pairs,
                                                  colour_histograms, hierarchical_grouping,
                                                  region_boxes, selective_search, similarity)

LABELS = np.array([[0, 0, 1],
                   [2, 2, 1],
                   [2, 3, 3]])


def test_adjacent_pairs_4_connectivity():
    np.testing.assert_array_equal(adjacent_pairs(LABELS, 4),
                                  [[0, 1], [0, 2], [1, 2], [1, 3], [2, 3]])


def test_region_boxes_use_pixel_edges():
    np.testing.assert_array_equal(region_boxes(LABELS, 4),
                                  [[0, 0, 2, 1], [2, 0, 3, 2], [0, 1, 2, 3], [1, 2, 3, 3]])


def test_colour_histograms_are_l1_normalised_per_region():
    img = np.zeros((3, 3, 3), np.uint8)
    img[0, 0] = 255  # one of region 0's two pixels is white
    hist = colour_histograms(img, LABELS, 4, (256, 256, 256))
    assert hist.shape == (4, 75)
    np.testing.assert_allclose(hist.sum(axis=1), 1.0)
    # region 0: per channel, bin 0 and bin 24 each hold one pixel of six channel-values
    np.testing.assert_allclose(hist[0, [0, 24, 25, 49, 50, 74]], 1 / 6)
    np.testing.assert_allclose(hist[1, [0, 25, 50]], 1 / 3)


def test_similarity_terms_hand_computed():
    # sizes 2 and 3 in a 10-pixel image; bounding box of the pair is 2 x 3 = 6 pixels
    args = dict(size_i=np.array([2.0]), size_j=np.array([3.0]),
                box_i=np.array([[0, 0, 2, 1.0]]), box_j=np.array([[0, 1, 2, 3.0]]),
                colour_i=np.array([[0.5, 0.5, 0]]), colour_j=np.array([[0, 1.0, 0]]),
                texture_i=np.array([[1.0, 0]]), texture_j=np.array([[1.0, 0]]), img_area=10.0)
    # colour 0.5, texture 1, size 1 - 5/10 = 0.5, fill 1 - (6 - 5)/10 = 0.9
    np.testing.assert_allclose(similarity(**args, use=SIMILARITY_SETS['CTSF']), [2.9])
    np.testing.assert_allclose(similarity(**args, use=SIMILARITY_SETS['TSF']), [2.4])
    np.testing.assert_allclose(similarity(**args, use=SIMILARITY_SETS['F']), [0.9])


def test_hierarchical_grouping_merges_most_similar_pair_first():
    # three 1-pixel regions in a row; 0 and 1 have similar colour, 2 differs
    boxes = np.array([[0, 0, 1, 1], [1, 0, 2, 1], [2, 0, 3, 1]], dtype=np.float64)
    colour = np.array([[1.0, 0], [0.9, 0.1], [0, 1.0]])
    out = hierarchical_grouping(np.ones(3), boxes, colour, np.ones((3, 1)),
                                np.array([[0, 1], [1, 2]]), 3.0, (True, False, False, False))
    np.testing.assert_array_equal(out, [[0, 0, 1, 1], [1, 0, 2, 1], [2, 0, 3, 1],
                                        [0, 0, 2, 1], [0, 0, 3, 1]])


def _two_squares() -> np.ndarray:
    img = np.full((64, 64, 3), 128, np.uint8)
    img[8:24, 8:24] = (0, 0, 255)      # red square (BGR)
    img[30:50, 36:56] = (255, 0, 0)    # blue square
    return img


@pytest.mark.parametrize('mode', ['single', 'fast'])
def test_selective_search_finds_the_objects_and_whole_image(mode):
    pytest.importorskip('skimage', reason='selective search needs scikit-image')
    boxes, scores = selective_search(_two_squares(), mode=mode, scale=50, sigma=0.5,
                                     min_size=10)
    found = {tuple(b) for b in boxes.tolist()}
    assert {(8, 8, 24, 24), (36, 30, 56, 50), (0, 0, 64, 64)} <= found
    assert len(found) == len(boxes)  # duplicates removed
    np.testing.assert_allclose(scores, 1 / (1 + np.arange(len(boxes))), rtol=1e-6)


def test_selective_search_deterministic_and_seed_only_reorders():
    pytest.importorskip('skimage', reason='selective search needs scikit-image')
    img = _two_squares()
    img[40:60, 4:20] = (0, 200, 0)
    a, _ = selective_search(img, seed=0, scale=50, sigma=0.5, min_size=10)
    b, _ = selective_search(img, seed=0, scale=50, sigma=0.5, min_size=10)
    c, _ = selective_search(img, seed=1, scale=50, sigma=0.5, min_size=10)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert {tuple(x) for x in a.tolist()} == {tuple(x) for x in c.tolist()}


def test_selective_search_rejects_bad_input():
    with pytest.raises(ValueError, match='mode'):
        selective_search(_two_squares(), mode='quality')
    with pytest.raises(ValueError, match='uint8'):
        selective_search(_two_squares().astype(np.float32))
