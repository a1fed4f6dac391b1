"""Geometry-tracking crop and flip: hand-computed view boxes, pseudo boxes, pixel content."""
import numpy as np
import pytest

from mmssl_det.datasets.transforms import geometric
from mmssl_det.datasets.transforms.geometric import (RandomFlipWithCoord,
                                                     RandomResizedCropWithCoord,
                                                     crop_to_coord, sample_crop_box)

W, H = 200, 100


def gradient_image(w: int = W, h: int = H) -> np.ndarray:
    """BGR image whose blue channel is the column index and green the row index."""
    img = np.zeros((h, w, 3), dtype=np.uint8)
    img[..., 0] = np.arange(w, dtype=np.uint8)[None, :]
    img[..., 1] = np.arange(h, dtype=np.uint8)[:, None]
    return img


def fixed_crops(monkeypatch, *boxes):
    """Make the crop transform cut ``boxes`` in turn instead of random ones."""
    queue = list(boxes)
    monkeypatch.setattr(geometric, 'sample_crop_box', lambda *args: queue.pop(0))


def test_crop_to_coord_edges_known_values():
    assert crop_to_coord((10, 20, 60, 100), W, H, coord_mode='edges') == pytest.approx(
        [0.05, 0.2, 0.3, 1.0])
    # Inside a view covering the bottom-right quarter: a quarter of the offsets.
    np.testing.assert_allclose(
        crop_to_coord((10, 20, 60, 100), W, H, (0.5, 0.5, 1., 1.), coord_mode='edges'),
        [0.525, 0.6, 0.65, 1.0], atol=1e-7)
    # Inside a flipped view of the right half: x runs from 1.0 leftwards.
    np.testing.assert_allclose(
        crop_to_coord((10, 20, 60, 100), W, H, (1., 0., 0.5, 1.), coord_mode='edges'),
        [0.975, 0.2, 0.85, 1.0], atol=1e-7)


def test_crop_to_coord_centers_is_the_authors_convention():
    """zdaxie/PixPro: ``j / (W − 1)`` .. ``(j + w − 1) / (W − 1)``, end pixel inclusive."""
    np.testing.assert_allclose(crop_to_coord((10, 20, 60, 100), W, H),
                               [10 / 199, 20 / 99, 59 / 199, 99 / 99], atol=1e-7)
    # The whole image spans [0, 1] in both conventions.
    np.testing.assert_allclose(crop_to_coord((0, 0, W, H), W, H), [0, 0, 1, 1], atol=1e-7)
    # A crop of a crop lands where the direct crop of the same pixels does.
    first = crop_to_coord((10, 20, 110, 100), W, H)
    np.testing.assert_allclose(crop_to_coord((50, 40, 100, 80), 100, 80, first),
                               crop_to_coord((60, 60, 110, 100), W, H), atol=1e-6)
    # In the mirrored image, columns 0..49 are the original's 199..150.
    np.testing.assert_allclose(crop_to_coord((0, 0, 50, H), W, H, (1., 0., 0., 1.)),
                               [1.0, 0.0, 150 / 199, 1.0], atol=1e-7)
    with pytest.raises(ValueError, match='coord_mode'):
        crop_to_coord((0, 0, 5, 5), W, H, coord_mode='corners')


def test_sample_crop_box_respects_scale_ratio_and_bounds():
    np.random.seed(0)
    for _ in range(200):
        x1, y1, x2, y2 = sample_crop_box(H, W, (0.2, 0.6), (3 / 4, 4 / 3))
        w, h = x2 - x1, y2 - y1
        assert 0 <= x1 < x2 <= W and 0 <= y1 < y2 <= H
        # Rounding each side to whole pixels moves area and ratio by at most ~1 px per side.
        assert 0.2 * W * H - (w + h) <= w * h <= 0.6 * W * H + (w + h)
        assert 3 / 4 - 1 / h <= w / h <= 4 / 3 + 1 / h


def test_sample_crop_box_fallback_is_central_with_clamped_ratio():
    # Width/height 2 exceeds ratio 4/3: the fallback is 133 x 100 (round(100 · 4/3)).
    assert sample_crop_box(H, W, max_attempts=0) == (33, 0, 166, 100)
    # A tall 50 x 200 image: 200 rows exceed h = round(50 / (3/4)) = 67.
    assert sample_crop_box(200, 50, max_attempts=0) == (0, 66, 50, 133)
    assert sample_crop_box(90, 100, max_attempts=0) == (0, 0, 100, 90)


def test_crop_without_resize_copies_the_region_and_records_its_box(monkeypatch):
    fixed_crops(monkeypatch, (10, 20, 60, 100))
    img = gradient_image()
    out = RandomResizedCropWithCoord(size=(80, 50), coord_mode='edges')(dict(img=img))
    np.testing.assert_array_equal(out['img'], img[20:100, 10:60])
    assert out['img_shape'] == (80, 50)
    assert out['view_coord'].dtype == np.float32
    np.testing.assert_allclose(out['view_coord'], [0.05, 0.2, 0.3, 1.0], atol=1e-7)


def test_resized_view_pixels_map_back_through_view_coord(monkeypatch):
    """A pixel centre at fraction t of the view sits at x1 + t·(x2 − x1) of the original."""
    fixed_crops(monkeypatch, (40, 10, 140, 90))
    img = gradient_image()
    out = RandomResizedCropWithCoord(size=(160, 200))(dict(img=img))
    x1, y1, x2, y2 = out['view_coord']
    out_h, out_w = out['img'].shape[:2]
    cols = np.arange(10, out_w - 10)  # away from the border where bilinear clamps
    rows = np.arange(10, out_h - 10)
    orig_x = (x1 + (cols + 0.5) / out_w * (x2 - x1)) * W - 0.5
    orig_y = (y1 + (rows + 0.5) / out_h * (y2 - y1)) * H - 0.5
    np.testing.assert_allclose(out['img'][20, cols, 0], orig_x, atol=1.0)
    np.testing.assert_allclose(out['img'][rows, 20, 1], orig_y, atol=1.0)


@pytest.mark.parametrize('backend, smooth', [('pillow', True), ('cv2', False)])
def test_shrinking_crop_antialiases_like_the_authors_pil_resize(monkeypatch, backend, smooth):
    """A 1-px checkerboard shrunk 3x: PIL's bilinear (the authors') averages it to grey,
    OpenCV's samples it and keeps full contrast."""
    fixed_crops(monkeypatch, (0, 0, 96, 96))
    board = ((np.indices((96, 96)).sum(0) % 2) * 255).astype(np.uint8)
    out = RandomResizedCropWithCoord(size=32, backend=backend)(
        dict(img=np.repeat(board[..., None], 3, axis=2)))
    assert (out['img'].std() < 10) == smooth, out['img'].std()


def test_flip_swaps_x_of_view_coord_and_mirrors_image_and_boxes():
    img = gradient_image()
    out = RandomFlipWithCoord(prob=1.0)(dict(
        img=img, view_coord=np.array([0.1, 0.2, 0.6, 0.9], dtype=np.float32),
        pseudo_boxes=np.array([[10, 20, 50, 60]], dtype=np.float32),
        pseudo_box_ids=np.array([3])))
    np.testing.assert_allclose(out['view_coord'], [0.6, 0.2, 0.1, 0.9], atol=1e-7)
    np.testing.assert_array_equal(out['img'], img[:, ::-1])
    np.testing.assert_array_equal(out['pseudo_boxes'], [[150, 20, 190, 60]])
    np.testing.assert_array_equal(out['pseudo_box_ids'], [3])


def test_flip_with_prob_zero_only_records_the_whole_view():
    img = gradient_image()
    out = RandomFlipWithCoord(prob=0.0)(dict(img=img.copy()))
    np.testing.assert_array_equal(out['img'], img)
    np.testing.assert_array_equal(out['view_coord'], [0, 0, 1, 1])


def boxes_input():
    return dict(img=gradient_image(),
                pseudo_boxes=np.array([[20, 30, 60, 70],     # inside the crop
                                       [0, 0, 30, 10],       # outside it
                                       [100, 50, 120, 90]],  # half inside
                                      dtype=np.float32),
                pseudo_box_ids=np.array([7, 8, 9], dtype=np.int64))


def test_boxes_through_crop_resize_and_flip_exact(monkeypatch):
    # Crop 100 x 80 at (10, 20), resized to 50 x 40: scale 0.5 on both axes.
    fixed_crops(monkeypatch, (10, 20, 110, 100))
    out = RandomResizedCropWithCoord(size=(40, 50), min_box_visibility=0.5,
                                     coord_mode='edges')(boxes_input())
    np.testing.assert_allclose(out['pseudo_boxes'], [[5, 5, 25, 25], [45, 15, 50, 35]])
    np.testing.assert_array_equal(out['pseudo_box_ids'], [7, 9])
    np.testing.assert_allclose(out['view_coord'], [0.05, 0.2, 0.55, 1.0], atol=1e-7)
    out = RandomFlipWithCoord(prob=1.0)(out)
    np.testing.assert_allclose(out['pseudo_boxes'], [[25, 5, 45, 25], [0, 15, 5, 35]])
    np.testing.assert_array_equal(out['pseudo_box_ids'], [7, 9])
    np.testing.assert_allclose(out['view_coord'], [0.55, 0.2, 0.05, 1.0], atol=1e-7)


def test_box_mostly_outside_the_crop_is_dropped_and_ids_stay_aligned(monkeypatch):
    fixed_crops(monkeypatch, (10, 20, 110, 100))
    out = RandomResizedCropWithCoord(size=(40, 50), min_box_visibility=0.6)(boxes_input())
    np.testing.assert_allclose(out['pseudo_boxes'], [[5, 5, 25, 25]])
    np.testing.assert_array_equal(out['pseudo_box_ids'], [7])
    assert out['pseudo_boxes'].dtype == np.float32 and out['pseudo_box_ids'].dtype == np.int64


def test_crop_of_crop_composes_coords_pixels_and_box_visibility(monkeypatch):
    fixed_crops(monkeypatch, (10, 20, 110, 100), (50, 40, 100, 80))
    results = boxes_input()
    img = results['img'].copy()
    results = RandomResizedCropWithCoord(size=(80, 100), coord_mode='edges')(results)
    out = RandomResizedCropWithCoord(size=(40, 50), coord_mode='edges')(results)  # no resizes
    # Second crop = original pixels (60, 60)–(110, 100).
    np.testing.assert_allclose(out['view_coord'], [0.3, 0.6, 0.55, 1.0], atol=1e-6)
    np.testing.assert_array_equal(out['img'], img[60:100, 60:110])
    # Box 9 kept 400 of its 800 px² in the first crop, 300 in the second: 0.375 < 0.5 of
    # the whole box, so it goes although 300 / 400 of what the first crop kept is visible.
    assert out['pseudo_box_ids'].tolist() == []
    assert out['pseudo_boxes'].shape == (0, 4)


def test_crop_of_flipped_view_keeps_orientation(monkeypatch):
    fixed_crops(monkeypatch, (0, 0, 50, 100))
    results = RandomFlipWithCoord(prob=1.0)(dict(img=gradient_image()))
    out = RandomResizedCropWithCoord(size=(100, 50), coord_mode='edges')(results)
    # The left quarter of the mirrored image is the right quarter of the original.
    np.testing.assert_allclose(out['view_coord'], [1.0, 0.0, 0.75, 1.0], atol=1e-7)
    np.testing.assert_array_equal(out['img'][0, :, 0], np.arange(199, 149, -1))


def test_missing_box_ids_default_to_the_box_index(monkeypatch):
    fixed_crops(monkeypatch, (10, 20, 110, 100))
    results = boxes_input()
    del results['pseudo_box_ids']
    out = RandomResizedCropWithCoord(size=(80, 100))(results)
    np.testing.assert_array_equal(out['pseudo_box_ids'], [0, 2])


def test_random_crop_default_size_and_coord_range():
    np.random.seed(1)
    out = RandomResizedCropWithCoord()(dict(img=gradient_image()))
    assert out['img'].shape == (224, 224, 3) and out['img'].dtype == np.uint8
    x1, y1, x2, y2 = out['view_coord']
    assert 0 <= x1 < x2 <= 1 and 0 <= y1 < y2 <= 1


@pytest.mark.parametrize('kwargs', [dict(size=0), dict(size=(224,)), dict(scale=(0.5, 0.1)),
                                    dict(ratio=(0, 1)), dict(min_box_visibility=1.5),
                                    dict(interpolation='cubic-ish'), dict(max_attempts=-1),
                                    dict(coord_mode='corners'), dict(backend='torch'),
                                    dict(interpolation='area', backend='pillow')])
def test_crop_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        RandomResizedCropWithCoord(**kwargs)


def test_bad_pseudo_boxes_name_the_image():
    results = dict(img=gradient_image(), img_path='x/a.jpg',
                   pseudo_boxes=np.zeros((3, 5), dtype=np.float32))
    with pytest.raises(ValueError, match='x/a.jpg'):
        RandomResizedCropWithCoord()(results)
    results = dict(img=gradient_image(), img_path='x/a.jpg',
                   pseudo_boxes=np.zeros((3, 4), dtype=np.float32), pseudo_box_ids=[1, 2])
    with pytest.raises(ValueError, match='2 ids for 3'):
        RandomFlipWithCoord(prob=1.0)(results)
