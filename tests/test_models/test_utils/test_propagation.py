"""Pixel propagation (arXiv 2011.10043, Sec. 3.2, eq. 3-4) against hand-computed values."""
import math

import pytest
import torch

from mmssl_det.models.utils import pixel_propagation

DEVICES = ['cpu'] + (['cuda'] if torch.cuda.is_available() else [])


def three_pixels(dtype=torch.float32, device='cpu'):
    """x0 = (1, 0), x1 = (1, 1), x2 = (-1, 0) as a (1, C=2, L=3) map.

    cos: x0·x1 = 1/√2, x0·x2 = −1, x1·x2 = −1/√2,
    so s (γ=2) = [[1, .5, 0], [.5, 1, 0], [0, 0, 1]].
    """
    return torch.tensor([[[1., 1., -1.], [0., 1., 0.]]], dtype=dtype, device=device)


@pytest.mark.parametrize('device', DEVICES)
def test_identity_transform_gamma_2(device):
    y = pixel_propagation(three_pixels(device=device))
    # y0 = x0 + .5 x1 = (1.5, .5); y1 = .5 x0 + x1 = (1.5, 1); y2 = x2 (negative cos clamped).
    expected = torch.tensor([[[1.5, 1.5, -1.], [.5, 1., 0.]]], device=device)
    assert y.device.type == device
    torch.testing.assert_close(y, expected)


def test_gamma_1_keeps_raw_cosine():
    y = pixel_propagation(three_pixels(), gamma=1.0)
    r = 1 / math.sqrt(2)
    expected = torch.tensor([[[1 + r, r + 1, -1.], [r, 1., 0.]]])
    torch.testing.assert_close(y, expected)


def test_transformed_features_with_other_channel_count():
    x = three_pixels()
    gx = torch.tensor([[[1., 2., 3.], [4., 5., 6.], [7., 8., 9.]]])  # (1, C'=3, L=3)
    y = pixel_propagation(x, gx, gamma=2.0)
    g0, g1, g2 = gx[0].T
    expected = torch.stack([g0 + .5 * g1, .5 * g0 + g1, g2], dim=1)[None]
    torch.testing.assert_close(y, expected)


def test_similarity_ignores_feature_norms():
    x = three_pixels()
    gx = torch.randn(1, 4, 3)
    scaled = x * torch.tensor([3., .2, 7.])  # rescale each pixel
    torch.testing.assert_close(pixel_propagation(scaled, gx), pixel_propagation(x, gx))


def test_orthogonal_and_antiparallel_pixels_do_not_mix():
    x = torch.tensor([[[1., 0., -1., 0.], [0., 1., 0., -1.]]])
    gx = torch.tensor([[[1., 10., 100., 1000.]]])
    torch.testing.assert_close(pixel_propagation(x, gx), gx)


def test_batch_equals_per_image():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(3, 8, 12, generator=g)
    gx = torch.randn(3, 5, 12, generator=g)
    y = pixel_propagation(x, gx)
    assert y.shape == (3, 5, 12)
    for n in range(3):
        torch.testing.assert_close(y[n], pixel_propagation(x[n:n + 1], gx[n:n + 1])[0])
    # Reference: explicit s_ij from eq. 3 and the sum of eq. 4.
    xn = torch.nn.functional.normalize(x, dim=1)
    s = torch.einsum('nci,ncj->nij', xn, xn).clamp(min=0) ** 2
    torch.testing.assert_close(y, torch.einsum('nij,ncj->nci', s, gx), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize('gamma', [0.5, 1.0, 2.0])
def test_gradients_finite_with_zero_similarities(gamma):
    x = torch.tensor([[[1., 0., -1., 1.], [0., 1., 0., 1.]]], requires_grad=True)
    gx = torch.randn(1, 3, 4, requires_grad=True)
    pixel_propagation(x, gx, gamma).square().sum().backward()
    assert torch.isfinite(x.grad).all() and torch.isfinite(gx.grad).all()
    assert x.grad.abs().sum() > 0


def test_dtypes():
    y64 = pixel_propagation(three_pixels(torch.float64))
    assert y64.dtype == torch.float64
    y16 = pixel_propagation(three_pixels(torch.float16))
    assert y16.dtype == torch.float32
    torch.testing.assert_close(y16, y64.float())
    with torch.autocast('cpu', dtype=torch.bfloat16):
        x = torch.randn(2, 16, 49)
        y = pixel_propagation(x, torch.nn.functional.linear(x.transpose(1, 2), torch.eye(16))
                              .transpose(1, 2))
    assert y.dtype == torch.float32
    # Only the bfloat16 linear rounds; the similarities and sums stay float32.
    torch.testing.assert_close(y, pixel_propagation(x), atol=5e-2, rtol=1e-2)


def test_bad_inputs_raise():
    with pytest.raises(ValueError, match='gamma'):
        pixel_propagation(three_pixels(), gamma=0)
    with pytest.raises(ValueError, match=r'\(N, C, L\)'):
        pixel_propagation(torch.zeros(2, 3, 4, 4))
    with pytest.raises(ValueError, match='gx'):
        pixel_propagation(three_pixels(), torch.zeros(1, 2, 4))
