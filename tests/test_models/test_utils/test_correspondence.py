"""Bin centres, bin diagonals and positive pixel pairs (arXiv 2011.10043, Sec. 3.1, eq. 1),
checked against hand-computed values."""
import math

import pytest
import torch

from mmssl_det.models.utils import (bin_diagonal, feature_bin_centers, pairwise_center_distance,
                                    positive_pixel_mask)

DEVICES = ['cpu'] + (['cuda'] if torch.cuda.is_available() else [])
S = 1 / math.sqrt(2)  # one bin step / bin diagonal for square bins


def box(*xyxy, dtype=torch.float32, device='cpu'):
    return torch.tensor([xyxy], dtype=dtype, device=device)


@pytest.mark.parametrize('device', DEVICES)
def test_bin_centers_unit_box_2x2(device):
    centers = feature_bin_centers(box(0, 0, 1, 1, device=device), 2, 2)
    expected = torch.tensor([[[.25, .25], [.75, .25], [.25, .75], [.75, .75]]], device=device)
    assert centers.shape == (1, 4, 2) and centers.device.type == device
    torch.testing.assert_close(centers, expected)


def test_bin_centers_flipped_view_runs_right_to_left():
    centers = feature_bin_centers(box(1, 0, 0, 1), 2, 2)
    expected = torch.tensor([[[.75, .25], [.25, .25], [.75, .75], [.25, .75]]])
    torch.testing.assert_close(centers, expected)


def test_bin_centers_offset_box_non_square_grid_row_major():
    # H=2, W=3 over x in [0.1, 0.7], y in [0.2, 1.0]: columns 0.2/0.4/0.6, rows 0.4/0.8.
    centers = feature_bin_centers(box(.1, .2, .7, 1.), 2, 3)
    expected = torch.tensor([[[.2, .4], [.4, .4], [.6, .4], [.2, .8], [.4, .8], [.6, .8]]])
    torch.testing.assert_close(centers, expected)


def test_bin_diagonal_known_values():
    coords = torch.tensor([[0, 0, 1, 1], [1, 0, 0, 1], [0, 0, 1, .5], [.2, .2, .6, .8]])
    diag = bin_diagonal(coords, 2, 2)
    expected = torch.tensor([math.sqrt(.5), math.sqrt(.5), math.sqrt(.3125),
                             math.sqrt(.2**2 + .3**2)])
    torch.testing.assert_close(diag, expected)
    torch.testing.assert_close(bin_diagonal(box(0, 0, 1, 1), 4, 2),
                               torch.tensor([math.sqrt(.25 + .0625)]))


@pytest.mark.parametrize('size', [2, 3])
def test_identical_square_views_only_self_is_positive(size):
    # Neighbouring centres are 1 bin apart = 1/sqrt(2) ≈ 0.707 diagonals > T = 0.7.
    coords = box(0, 0, 1, 1)
    dist = pairwise_center_distance(coords, coords, (size, size), (size, size))
    assert dist.shape == (1, size * size, size * size)
    torch.testing.assert_close(torch.diagonal(dist[0]), torch.zeros(size * size))
    if size == 2:
        expected = torch.tensor([[0, S, S, 1], [S, 0, 1, S], [S, 1, 0, S], [1, S, S, 0]])
        torch.testing.assert_close(dist[0], expected)
    mask = positive_pixel_mask(coords, coords, (size, size), (size, size))
    assert mask.dtype == torch.bool
    assert torch.equal(mask[0], torch.eye(size * size, dtype=torch.bool))


def test_identical_views_looser_threshold_adds_4_neighbours():
    mask = positive_pixel_mask(box(0, 0, 1, 1), box(0, 0, 1, 1), (2, 2), (2, 2), threshold=0.75)
    expected = torch.tensor([[1, 1, 1, 0], [1, 1, 0, 1], [1, 0, 1, 1], [0, 1, 1, 1]]).bool()
    assert torch.equal(mask[0], expected)


def test_wide_bins_make_vertical_neighbours_positive():
    # Box [0,0,1,0.5] on 2x2: bins 0.5 wide, 0.25 tall, diagonal sqrt(0.3125) ≈ 0.559;
    # vertical neighbours 0.25 / 0.559 ≈ 0.447 < 0.7, horizontal 0.5 / 0.559 ≈ 0.894.
    coords = box(0, 0, 1, .5)
    dist = pairwise_center_distance(coords, coords, (2, 2), (2, 2))
    torch.testing.assert_close(dist[0, 0, 2], torch.tensor(.25 / math.sqrt(.3125)))
    torch.testing.assert_close(dist[0, 0, 1], torch.tensor(.5 / math.sqrt(.3125)))
    mask = positive_pixel_mask(coords, coords, (2, 2), (2, 2))
    expected = torch.tensor([[1, 0, 1, 0], [0, 1, 0, 1], [1, 0, 1, 0], [0, 1, 0, 1]]).bool()
    assert torch.equal(mask[0], expected)


def test_shifted_view_known_distances_and_mask():
    # a = [0,0,1,1] centres x in {.25,.75}; b = [.25,0,1.25,1] centres x in {.5, 1.0};
    # same rows; both diagonals sqrt(.5).
    a, b = box(0, 0, 1, 1), box(.25, 0, 1.25, 1)
    dist = pairwise_center_distance(a, b, (2, 2), (2, 2))[0]
    d = math.sqrt(.5)
    torch.testing.assert_close(dist[0, 0], torch.tensor(.25 / d))
    torch.testing.assert_close(dist[0, 1], torch.tensor(.75 / d))
    torch.testing.assert_close(dist[0, 2], torch.tensor(math.sqrt(.3125) / d))
    torch.testing.assert_close(dist[1, 1], torch.tensor(.25 / d))
    mask = positive_pixel_mask(a, b, (2, 2), (2, 2))[0]
    expected = torch.tensor([[1, 0, 0, 0], [1, 1, 0, 0], [0, 0, 1, 0], [0, 0, 1, 1]]).bool()
    assert torch.equal(mask, expected)


def test_different_map_sizes_use_the_larger_bin_diagonal():
    # a: 4x4 over [0,1]² (diagonal .354); b: 1x1 over [0,.5]² (centre (.25,.25), diagonal .707).
    # With max(.354, .707) the 3x3 top-left block except its far corner is within .7·.707.
    a, b = box(0, 0, 1, 1), box(0, 0, .5, .5)
    mask = positive_pixel_mask(a, b, (4, 4), (1, 1))
    assert mask.shape == (1, 16, 1)
    expected = torch.zeros(4, 4, dtype=torch.bool)
    expected[:3, :3] = True
    expected[2, 2] = False
    assert torch.equal(mask[0, :, 0].view(4, 4), expected)
    # Swapping the views transposes the relation.
    assert torch.equal(positive_pixel_mask(b, a, (1, 1), (4, 4))[0], mask[0].T)
    # A 1x1 view whose centre coincides with one bin of a 2x2 view.
    mask = positive_pixel_mask(box(0, 0, 1, 1), box(.5, 0, 1, .5), (2, 2), (1, 1))
    assert mask[0, :, 0].tolist() == [False, True, False, False]


def test_flipped_view_matches_flipped_feature_columns():
    # The same box seen flipped: centres coincide exactly where feature.flip(-1) puts a bin.
    coords_a, coords_b = box(.1, .2, .9, .7), box(.9, .2, .1, .7)
    feat_a = torch.arange(12.).view(1, 1, 3, 4)
    feat_b = feat_a.flip(-1)
    dist = pairwise_center_distance(coords_a, coords_b, (3, 4), (3, 4))[0]
    ia, ib = torch.nonzero(dist < 1e-6, as_tuple=True)
    assert len(ia) == 12
    assert torch.equal(feat_a.flatten(2)[0, 0, ia], feat_b.flatten(2)[0, 0, ib])


@pytest.mark.parametrize('device', DEVICES)
def test_disjoint_views_have_no_positives(device):
    a = torch.tensor([[0, 0, .4, .4], [.4, 0, 0, .4]], device=device)
    b = torch.tensor([[.6, .6, 1, 1], [1, .6, .6, 1]], device=device)
    mask = positive_pixel_mask(a, b, (4, 4), (7, 7))
    assert mask.shape == (2, 16, 49) and mask.device.type == device
    assert not mask.any()


def test_batch_equals_per_image():
    g = torch.Generator().manual_seed(0)
    xy1 = torch.rand(5, 2, generator=g) * .5
    a = torch.cat([xy1, xy1 + .3 + .2 * torch.rand(5, 2, generator=g)], 1)
    b = torch.cat([xy1 + .1, xy1 + .6], 1)[:, [2, 1, 0, 3]]  # flipped views
    dist = pairwise_center_distance(a, b, (3, 5), (4, 2))
    mask = positive_pixel_mask(a, b, (3, 5), (4, 2))
    assert mask.any()
    for n in range(5):
        torch.testing.assert_close(
            dist[n], pairwise_center_distance(a[n:n + 1], b[n:n + 1], (3, 5), (4, 2))[0])
        assert torch.equal(mask[n], positive_pixel_mask(a[n:n + 1], b[n:n + 1], (3, 5),
                                                        (4, 2))[0])


def test_dtypes_and_shape_objects():
    a64, b64 = box(0, 0, 1, 1, dtype=torch.float64), box(.25, 0, 1.25, 1, dtype=torch.float64)
    dist = pairwise_center_distance(a64, b64, torch.Size([2, 2]), (2, 2))
    assert dist.dtype == torch.float64
    assert feature_bin_centers(a64, 2, 2).dtype == torch.float64
    assert bin_diagonal(a64, 2, 2).dtype == torch.float64
    # Half-precision boxes are computed in float32 and give the same positives.
    a16, b16 = a64.half(), b64.half()
    assert pairwise_center_distance(a16, b16, (2, 2), (2, 2)).dtype == torch.float32
    with torch.autocast('cpu', dtype=torch.bfloat16):
        mask = positive_pixel_mask(a16, b16, (2, 2), (2, 2))
        dist32 = pairwise_center_distance(a16, b16, (2, 2), (2, 2))
    assert dist32.dtype == torch.float32
    assert torch.equal(mask, positive_pixel_mask(a64, b64, (2, 2), (2, 2)))


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match=r'\(N, 4\)'):
        feature_bin_centers(torch.zeros(4), 2, 2)
    with pytest.raises(ValueError, match='size_b'):
        positive_pixel_mask(box(0, 0, 1, 1), box(0, 0, 1, 1), (2, 2), (2, ))
    with pytest.raises(ValueError, match='same images'):
        positive_pixel_mask(box(0, 0, 1, 1), torch.zeros(2, 4), (2, 2), (2, 2))
    with pytest.raises(ValueError, match='threshold'):
        positive_pixel_mask(box(0, 0, 1, 1), box(0, 0, 1, 1), (2, 2), (2, 2), threshold=0)


def test_mask_is_symmetric_in_the_views():
    """PixelCorrespondenceHead reuses the (a, b) mask transposed for (b, a)."""
    g = torch.Generator().manual_seed(3)
    lo = torch.rand(5, 2, generator=g) * 0.5
    coords_a = torch.cat([lo, lo + 0.5], dim=1)
    coords_b = torch.cat([lo + 0.1, lo + 0.4], dim=1).flip(0)
    coords_b[:2, [0, 2]] = coords_b[:2, [2, 0]]  # two flipped views
    ab = positive_pixel_mask(coords_a, coords_b, (7, 7), (5, 6))
    ba = positive_pixel_mask(coords_b, coords_a, (5, 6), (7, 7))
    assert ab.any()
    assert torch.equal(ab, ba.transpose(1, 2))
