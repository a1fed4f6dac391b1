"""Sparse PixPro math (positive pairs, PPM at the needed rows, loss over pairs) against the
dense functions it replaces (arXiv 2011.10043, eq. 1, 3-5)."""
import pytest
import torch

from mmssl_det.models.utils import (pixel_pair_rows, pixel_propagation, pixpro_loss,
                                    pixpro_loss_pairs, positive_pixel_index,
                                    positive_pixel_mask, positive_pixel_pairs)


def random_coords(n: int, generator: torch.Generator) -> torch.Tensor:
    """``(n, 4)`` overlapping boxes, half of them flipped (x1 > x2)."""
    lo = torch.rand(n, 2, generator=generator) * 0.5
    hi = lo + 0.3 + torch.rand(n, 2, generator=generator) * 0.2
    boxes = torch.cat([lo, hi], 1)
    boxes[::2] = boxes[::2][:, [2, 1, 0, 3]]
    return boxes


def test_pairs_of_a_known_mask():
    mask = torch.zeros(2, 4, 3, dtype=torch.bool)
    mask[0, 1, 2] = mask[0, 3, 0] = mask[0, 3, 1] = True
    mask[1, 2, 2] = True
    rows, pairs = positive_pixel_pairs(mask)
    # image 0 needs bins 1 and 3, image 1 bin 2 (padded with 0 to R = 2)
    assert rows.tolist() == [[1, 3], [2, 0]]
    assert pairs.tolist() == [[0, 0, 2], [0, 1, 0], [0, 1, 1], [1, 0, 2]]


@pytest.mark.parametrize('dtype', [torch.float32, torch.float64])
@pytest.mark.parametrize('sizes', [((7, 7), (7, 7)), ((6, 9), (4, 5)), ((3, 3), (14, 14)),
                                   ((28, 28), (28, 28))])
def test_index_equals_dense_mask_nonzero(sizes, dtype):
    g = torch.Generator().manual_seed(2)
    coords_a = random_coords(6, g).to(dtype)
    coords_b = random_coords(6, g).to(dtype)
    coords_b[0] = coords_a[0]  # identical views: coinciding centres (exact zeros)
    coords_b[1] = torch.tensor([0.9, 0.9, 1.0, 1.0])  # far away: no positives
    coords_a[2] = coords_b[2] = torch.tensor([0.5, 0.5, 0.5, 0.5])  # degenerate: none
    for threshold in (0.7, 2.5):
        mask = positive_pixel_mask(coords_a, coords_b, *sizes, threshold)
        index = positive_pixel_index(coords_a, coords_b, *sizes, threshold)
        assert mask.any()
        assert torch.equal(index, mask.nonzero())


def test_index_rejects_bad_threshold():
    with pytest.raises(ValueError, match='threshold'):
        positive_pixel_index(torch.zeros(1, 4), torch.zeros(1, 4), (2, 2), (2, 2), 0.0)


def test_rows_from_an_index_in_any_order():
    mask = torch.zeros(2, 4, 3, dtype=torch.bool)
    mask[0, 1, 2] = mask[0, 3, 0] = mask[1, 2, 2] = True
    index = mask.nonzero().flip(0)
    rows, pairs = pixel_pair_rows(index, 2, 4)
    assert rows.tolist() == [[1, 3], [2, 0]]
    assert pairs.tolist() == [[1, 0, 2], [0, 1, 0], [0, 0, 2]]
    with pytest.raises(ValueError, match='pixel_pair_rows'):
        pixel_pair_rows(index[:, :2], 2, 4)


def test_pairs_without_positives():
    rows, pairs = positive_pixel_pairs(torch.zeros(3, 5, 4))
    assert rows.shape == (3, 0) and pairs.shape == (0, 3)


def test_pairs_reject_a_flat_mask():
    with pytest.raises(ValueError, match='positive_pixel_pairs'):
        positive_pixel_pairs(torch.zeros(5, 4))


@pytest.mark.parametrize('dtype', [torch.float32, torch.float64])
def test_propagation_rows_equal_dense_columns(dtype):
    g = torch.Generator().manual_seed(1)
    x = torch.randn(3, 8, 20, generator=g, dtype=dtype)
    gx = torch.randn(3, 6, 20, generator=g, dtype=dtype)
    rows = torch.randint(0, 20, (3, 7), generator=g)
    y = pixel_propagation(x, gx, 2.0, rows=rows)
    dense = pixel_propagation(x, gx, 2.0)
    assert y.shape == (3, 6, 7) and y.dtype == dtype
    torch.testing.assert_close(y, dense.gather(2, rows[:, None].expand(-1, 6, -1)),
                               atol=1e-5, rtol=1e-5)


def test_propagation_rows_shape_checked():
    with pytest.raises(ValueError, match='rows'):
        pixel_propagation(torch.randn(2, 3, 5), rows=torch.zeros(3, 2, dtype=torch.long))


@pytest.mark.parametrize('sizes', [((7, 7), (7, 7)), ((6, 9), (4, 5)), ((14, 14), (3, 3))])
def test_sparse_equals_dense_loss_and_gradients(sizes):
    """End to end on random inputs: eq. 1 mask → PPM → eq. 5, dense vs sparse, to 1e-5."""
    g = torch.Generator().manual_seed(0)
    (ha, wa), (hb, wb) = sizes
    n, c = 4, 16
    coords_a, coords_b = random_coords(n, g), random_coords(n, g)
    coords_b[-1] = torch.tensor([0.9, 0.9, 1.0, 1.0])  # far from view a: no positives
    mask = positive_pixel_mask(coords_a, coords_b, (ha, wa), (hb, wb))
    assert mask.any() and not mask[-1].any()
    x = torch.randn(n, c, ha * wa, generator=g, requires_grad=True)
    gx = torch.randn(n, c, ha * wa, generator=g, requires_grad=True)
    target = torch.randn(n, c, hb * wb, generator=g)

    dense = pixpro_loss(pixel_propagation(x, gx), target, mask)
    dense_grads = torch.autograd.grad(dense, (x, gx))
    rows, pairs = pixel_pair_rows(positive_pixel_index(coords_a, coords_b, (ha, wa), (hb, wb)),
                                  n, ha * wa)
    sparse = pixpro_loss_pairs(pixel_propagation(x, gx, rows=rows), target, pairs)
    sparse_grads = torch.autograd.grad(sparse, (x, gx))

    torch.testing.assert_close(sparse, dense, atol=1e-5, rtol=1e-5)
    for a, b in zip(sparse_grads, dense_grads):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)


def test_loss_pairs_known_value():
    # image 0: pairs (0,0) cos 1 and (1,1) cos 0 → mean 0.5; image 1: no pairs → 0.
    y = torch.tensor([[[1., 0.], [0., 1.]], [[1., 1.], [0., 0.]]])  # (2, C=2, R=2)
    t = torch.tensor([[[2., 1.], [0., 0.]], [[1., 1.], [1., 1.]]])  # (2, C=2, Lb=2)
    pairs = torch.tensor([[0, 0, 0], [0, 1, 1]])
    loss = pixpro_loss_pairs(y, t, pairs)
    torch.testing.assert_close(loss, torch.tensor(-2 * (0.5 / (2 + 1e-6) * 2 + 0) / 2))


def test_loss_pairs_without_positives_is_zero_with_a_graph():
    y = torch.randn(2, 4, 0, requires_grad=True)
    loss = pixpro_loss_pairs(y, torch.randn(2, 4, 3), torch.zeros(0, 3, dtype=torch.long))
    loss.backward()
    assert loss.item() == 0.0 and y.grad.shape == y.shape


def test_loss_pairs_shapes_checked():
    with pytest.raises(ValueError, match='pairs'):
        pixpro_loss_pairs(torch.randn(2, 4, 3), torch.randn(2, 4, 3), torch.zeros(5, 2))
    with pytest.raises(ValueError, match='same N and C'):
        pixpro_loss_pairs(torch.randn(2, 4, 3), torch.randn(2, 5, 3), torch.zeros(5, 3))
