"""PixPro (arXiv 2011.10043 eq. 5), PixContrast (eq. 2) and BYOL (arXiv 2006.07733 eq. 2)
losses against hand-computed values and a brute-force loop."""
import math

import pytest
import torch
import torch.nn.functional as F

from mmssl_det.models.utils import byol_loss, negative_cosine, pixcontrast_loss, pixpro_loss

DEVICES = ['cpu'] + (['cuda'] if torch.cuda.is_available() else [])
R = 1 / math.sqrt(2)


def cols(*vectors, dtype=torch.float32):
    """Pixels given as vectors → a (1, C, L) map."""
    return torch.tensor(vectors, dtype=dtype).T[None].contiguous()


# ---------------------------------------------------------------- PixPro


@pytest.mark.parametrize('device', DEVICES)
def test_pixpro_perfect_agreement_is_minus_two(device):
    x = torch.randn(2, 8, 5, device=device)
    mask = torch.eye(5, dtype=torch.bool, device=device).expand(2, 5, 5)
    loss = pixpro_loss(x * 3, x, mask)
    assert loss.shape == () and loss.device.type == device
    torch.testing.assert_close(loss, torch.tensor(-2., device=device))


def test_pixpro_known_value():
    y = cols((1, 0), (0, 1))
    x = cols((1, 0), (1, 1))
    mask = torch.tensor([[[True, True], [False, True]]])  # cos 1, 1/√2, 1/√2
    expected = -2 * (1 + 2 * R) / 3
    torch.testing.assert_close(pixpro_loss(y, x, mask), torch.tensor(expected))
    # 0/1 float masks are accepted too.
    torch.testing.assert_close(pixpro_loss(y, x, mask.float()), torch.tensor(expected))


def test_pixpro_image_without_positives_contributes_zero_with_finite_grads():
    g = torch.Generator().manual_seed(0)
    y = torch.randn(2, 4, 3, generator=g, requires_grad=True)
    x = torch.randn(2, 4, 6, generator=g)
    mask = torch.rand(2, 3, 6, generator=g) > .5
    mask[1] = False
    loss = pixpro_loss(y, x, mask)
    # Image 1 adds 0 but still counts in the mean over images.
    torch.testing.assert_close(loss, pixpro_loss(y[:1], x[:1], mask[:1]) / 2)
    loss.backward()
    assert torch.isfinite(y.grad).all()
    assert y.grad[0].abs().sum() > 0 and torch.equal(y.grad[1], torch.zeros(4, 3))
    # No positives anywhere: exactly 0, no NaN.
    y.grad = None
    empty = pixpro_loss(y, x, torch.zeros_like(mask))
    empty.backward()
    assert empty.item() == 0 and torch.isfinite(y.grad).all()


def test_pixpro_batch_is_mean_of_images():
    g = torch.Generator().manual_seed(1)
    y, x = torch.randn(3, 6, 4, generator=g), torch.randn(3, 6, 7, generator=g)
    mask = torch.rand(3, 4, 7, generator=g) > .6
    per_image = torch.stack([pixpro_loss(y[n:n + 1], x[n:n + 1], mask[n:n + 1])
                             for n in range(3)])
    torch.testing.assert_close(pixpro_loss(y, x, mask), per_image.mean())


# ---------------------------------------------------------------- PixContrast


def pixcontrast_loop(q, k, mask, tau, negatives=None):
    """Eq. 2 written pixel by pixel."""
    losses = []
    for n in range(q.shape[0]):
        for i in range(q.shape[2]):
            if not mask[n, i].any():
                continue
            num, den = 0., 0.
            for j in range(k.shape[2]):
                e = math.exp(F.cosine_similarity(q[n, :, i], k[n, :, j], dim=0).item() / tau)
                den += e
                if mask[n, i, j]:
                    num += e
            if negatives is not None:
                for m in range(negatives.shape[1]):
                    den += math.exp(
                        F.cosine_similarity(q[n, :, i], negatives[:, m], dim=0).item() / tau)
            losses.append(-math.log(num / den))
    return sum(losses) / len(losses) if losses else 0.


def test_pixcontrast_single_positive_known_value():
    q, k = cols((1, 0)), cols((1, 0), (0, 1))
    mask = torch.tensor([[[True, False]]])
    torch.testing.assert_close(pixcontrast_loss(q, k, mask, tau=1.0),
                               torch.tensor(math.log(1 + math.exp(-1))))
    torch.testing.assert_close(pixcontrast_loss(q, k, mask),  # τ = 0.3
                               torch.tensor(math.log(1 + math.exp(-1 / .3))))


def test_pixcontrast_multiple_positives_and_extra_negatives_known_value():
    q, k = cols((1, 0)), cols((1, 0), (0, 1), (-1, 0))
    mask = torch.tensor([[[True, True, False]]])
    e = math.e
    torch.testing.assert_close(pixcontrast_loss(q, k, mask, tau=1.0),
                               torch.tensor(-math.log((e + 1) / (e + 1 + 1 / e))))
    negatives = torch.tensor([[0., 2.], [5., 0.]])  # (C=2, M=2): cos 0 and 1
    torch.testing.assert_close(
        pixcontrast_loss(q, k, mask, tau=1.0, negatives=negatives),
        torch.tensor(-math.log((e + 1) / (e + 1 + 1 / e + 1 + e))))


@pytest.mark.parametrize('with_negatives', [False, True])
def test_pixcontrast_matches_brute_force_loop(with_negatives):
    g = torch.Generator().manual_seed(2)
    q, k = torch.randn(3, 8, 5, generator=g), torch.randn(3, 8, 6, generator=g)
    mask = torch.rand(3, 5, 6, generator=g) > .7
    mask[0, 0] = False  # a query pixel without positives
    mask[2] = False  # an image without positives
    assert mask.any()
    negatives = torch.randn(8, 4, generator=g) if with_negatives else None
    loss = pixcontrast_loss(q, k, mask, tau=.3, negatives=negatives)
    expected = pixcontrast_loop(q, k, mask, .3, negatives)
    torch.testing.assert_close(loss, torch.tensor(expected, dtype=torch.float32))


def test_pixcontrast_no_positives_is_zero_with_finite_grads():
    q = torch.randn(2, 4, 3, requires_grad=True)
    k = torch.randn(2, 4, 5, requires_grad=True)
    loss = pixcontrast_loss(q, k, torch.zeros(2, 3, 5, dtype=torch.bool),
                            negatives=torch.randn(4, 7))
    loss.backward()
    assert loss.item() == 0
    assert torch.isfinite(q.grad).all() and torch.isfinite(k.grad).all()
    # Rows without positives give zero gradient, rows with positives a finite one.
    q.grad = k.grad = None
    mask = torch.zeros(2, 3, 5, dtype=torch.bool)
    mask[0, 1, 2] = True
    pixcontrast_loss(q, k, mask).backward()
    assert torch.isfinite(q.grad).all() and torch.isfinite(k.grad).all()
    assert q.grad[0, :, 1].abs().sum() > 0
    assert q.grad[1].abs().sum() == 0 and q.grad[0, :, [0, 2]].abs().sum() == 0


def test_pixcontrast_batch_pools_query_pixels():
    g = torch.Generator().manual_seed(3)
    q, k = torch.randn(2, 6, 4, generator=g), torch.randn(2, 6, 5, generator=g)
    mask = torch.rand(2, 4, 5, generator=g) > .5
    counts = mask.any(-1).sum(-1).float()
    per_image = torch.stack([pixcontrast_loss(q[n:n + 1], k[n:n + 1], mask[n:n + 1])
                             for n in range(2)])
    torch.testing.assert_close(pixcontrast_loss(q, k, mask),
                               (per_image * counts).sum() / counts.sum())


def test_pixcontrast_stable_for_small_temperature():
    q, k = cols((1, 0)), cols((1, 0), (-1, 0))
    loss = pixcontrast_loss(q, k, torch.tensor([[[False, True]]]), tau=1e-3)
    torch.testing.assert_close(loss, torch.tensor(2 / 1e-3))  # −log(e^{-1/τ} / e^{1/τ})


# ---------------------------------------------------------------- BYOL


def test_byol_known_values():
    p = torch.tensor([[1., 0.], [1., 1.], [1., 0.]])
    z = torch.tensor([[0., 2.], [2., 2.], [-3., 0.]])  # cos 0, 1, −1
    torch.testing.assert_close(byol_loss(p, z), torch.tensor((2 + 0 + 4) / 3))
    torch.testing.assert_close(byol_loss(p[1:2], z[1:2]), torch.tensor(0.))


def test_byol_gradient_equals_minus_two_cos_gradient():
    p = torch.randn(4, 8, requires_grad=True)
    z = torch.randn(4, 8)
    byol_loss(p, z).backward()
    grad = p.grad.clone()
    p.grad = None
    (-2 * F.cosine_similarity(p, z, dim=1).mean()).backward()
    torch.testing.assert_close(grad, p.grad)


# ---------------------------------------------------------------- SimSiam


def test_negative_cosine_known_values():
    """SimSiam's D(p, z) = −cos (arXiv 2011.10566, eq. 1): cos 0, 1, −1 → mean −0."""
    p = torch.tensor([[1., 0.], [1., 1.], [1., 0.]])
    z = torch.tensor([[0., 2.], [2., 2.], [-3., 0.]])
    torch.testing.assert_close(negative_cosine(p, z), torch.tensor(-(0 + 1 - 1) / 3))
    torch.testing.assert_close(negative_cosine(p[1:2], z[1:2]), torch.tensor(-1.))
    with pytest.raises(ValueError, match='negative_cosine'):
        negative_cosine(torch.randn(2, 4), torch.randn(3, 4))


# ---------------------------------------------------------------- dtypes, errors


def test_float64_and_half_precision():
    g = torch.Generator().manual_seed(4)
    y, x = torch.randn(2, 6, 4, generator=g), torch.randn(2, 6, 5, generator=g)
    mask = torch.rand(2, 4, 5, generator=g) > .5
    p, z = torch.randn(3, 6, generator=g), torch.randn(3, 6, generator=g)
    for fn, args in ((pixpro_loss, (y, x, mask)), (pixcontrast_loss, (y, x, mask))):
        ref = fn(*[a.double() if a.is_floating_point() else a for a in args])
        assert ref.dtype == torch.float64
        out16 = fn(*[a.half() if a.is_floating_point() else a for a in args])
        assert out16.dtype == torch.float32
        torch.testing.assert_close(out16.double(), ref, atol=1e-2, rtol=1e-2)
        with torch.autocast('cpu', dtype=torch.bfloat16):
            out = fn(*args)
        assert out.dtype == torch.float32
        torch.testing.assert_close(out.double(), ref, atol=1e-5, rtol=1e-5)
    assert byol_loss(p.double(), z.double()).dtype == torch.float64
    with torch.autocast('cpu', dtype=torch.bfloat16):
        assert byol_loss(p, z).dtype == torch.float32


def test_bad_inputs_raise():
    y, x = torch.randn(2, 4, 3), torch.randn(2, 4, 5)
    with pytest.raises(ValueError, match='mask'):
        pixpro_loss(y, x, torch.ones(2, 5, 3, dtype=torch.bool))
    with pytest.raises(ValueError, match='same N and C'):
        pixcontrast_loss(y, torch.randn(2, 3, 5), torch.ones(2, 3, 5, dtype=torch.bool))
    with pytest.raises(ValueError, match='tau'):
        pixcontrast_loss(y, x, torch.ones(2, 3, 5, dtype=torch.bool), tau=0)
    with pytest.raises(ValueError, match=r'\(C, M\)'):
        pixcontrast_loss(y, x, torch.ones(2, 3, 5, dtype=torch.bool), negatives=torch.ones(3, 7))
    with pytest.raises(ValueError, match='byol_loss'):
        byol_loss(torch.randn(2, 4), torch.randn(2, 5))
