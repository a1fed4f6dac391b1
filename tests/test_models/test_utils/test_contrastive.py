"""NT-Xent (SimCLR, arXiv 2002.05709 eq. 1) and InfoNCE with a queue (MoCo, arXiv 1911.05722
eq. 1) against hand-computed values and explicit loops."""
import math

import pytest
import torch
import torch.nn.functional as F

from mmssl_det.models.utils import all_gather_with_grad, infonce_loss, nt_xent_loss

DEVICES = ['cpu'] + (['cuda'] if torch.cuda.is_available() else [])


def nt_xent_loop(z_a, z_b, tau):
    """Eq. 1 written anchor by anchor over the 2N embeddings [a_0..a_{N-1}, b_0..b_{N-1}]."""
    z = [v / v.norm() for v in torch.cat((z_a, z_b)).double()]
    n = z_a.shape[0]
    total = 0.
    for i in range(2 * n):
        j = (i + n) % (2 * n)  # the other view of the same image
        sim = [float(z[i] @ z[k]) for k in range(2 * n)]
        denominator = sum(math.exp(sim[k] / tau) for k in range(2 * n) if k != i)
        total += -math.log(math.exp(sim[j] / tau) / denominator)
    return total / (2 * n)


def test_nt_xent_tiny_case_by_hand():
    # a_0 = b_0 = e_1, a_1 = b_1 = e_2, τ = 1. Anchor a_0: positive b_0 (cos 1), negatives
    # a_1, b_1 (cos 0): ℓ = −log(e / (e + 2)) = log(1 + 2/e); all four anchors alike.
    e1, e2 = torch.tensor([1., 0.]), torch.tensor([0., 1.])
    z = torch.stack((e1, e2))
    expected = math.log(1 + 2 / math.e)  # 0.551444…
    torch.testing.assert_close(nt_xent_loss(z, z * 3, tau=1.), torch.tensor(expected))


@pytest.mark.parametrize('tau', [0.1, 0.5])
def test_nt_xent_equals_explicit_loop_on_4_images(tau):
    g = torch.Generator().manual_seed(0)
    z_a, z_b = torch.randn(4, 5, generator=g), torch.randn(4, 5, generator=g)
    loss = nt_xent_loss(z_a, z_b, tau=tau)
    assert loss.shape == () and loss.dtype == torch.float32
    torch.testing.assert_close(loss.double(), torch.tensor(nt_xent_loop(z_a, z_b, tau),
                                                           dtype=torch.float64))
    # Symmetric in the views; float64 in, float64 out.
    torch.testing.assert_close(nt_xent_loss(z_b, z_a, tau=tau), loss)
    assert nt_xent_loss(z_a.double(), z_b.double(), tau=tau).dtype == torch.float64


@pytest.mark.parametrize('device', DEVICES)
def test_nt_xent_gradients_finite_under_autocast_and_gather_is_identity(device):
    g = torch.Generator().manual_seed(1)
    z_a = torch.randn(3, 8, generator=g).to(device).requires_grad_()
    z_b = torch.randn(3, 8, generator=g).to(device)
    with torch.autocast(device, dtype=torch.bfloat16):
        loss = nt_xent_loss(z_a, z_b, tau=0.2)
    assert loss.dtype == torch.float32
    loss.backward()
    assert torch.isfinite(z_a.grad).all() and z_a.grad.abs().sum() > 0
    torch.testing.assert_close(nt_xent_loss(z_a, z_b, 0.2, gather=True),
                               nt_xent_loss(z_a, z_b, 0.2, gather=False))
    assert all_gather_with_grad(z_a) is z_a  # single process: identity


def infonce_loop(q, k, queue, tau):
    total = 0.
    for n in range(q.shape[0]):
        qn = q[n].double() / q[n].double().norm()
        pos = math.exp(float(qn @ (k[n].double() / k[n].double().norm())) / tau)
        neg = sum(math.exp(float(qn @ (key.double() / key.double().norm())) / tau)
                  for key in queue)
        total += -math.log(pos / (pos + neg))
    return total / q.shape[0]


def test_infonce_tiny_case_by_hand():
    # q = k = e_1, queue = {e_1, e_2, −e_1}, τ = 1: −log(e / (e + e + 1 + 1/e)).
    q = torch.tensor([[1., 0.]])
    queue = torch.tensor([[1., 0.], [0., 2.], [-1., 0.]])
    expected = -math.log(math.e / (2 * math.e + 1 + 1 / math.e))
    torch.testing.assert_close(infonce_loss(q, q, queue, tau=1.), torch.tensor(expected))
    # An empty queue leaves only the positive: loss 0.
    assert infonce_loss(q, q, queue[:0]).item() == 0


def test_infonce_equals_explicit_loop_and_gradient_reaches_q():
    g = torch.Generator().manual_seed(2)
    q = torch.randn(4, 6, generator=g, requires_grad=True)
    k, queue = torch.randn(4, 6, generator=g), torch.randn(10, 6, generator=g)
    loss = infonce_loss(q, k, queue, tau=0.2)
    torch.testing.assert_close(loss.double(), torch.tensor(infonce_loop(q.detach(), k, queue, .2),
                                                           dtype=torch.float64))
    loss.backward()
    assert torch.isfinite(q.grad).all() and q.grad.abs().sum() > 0


def test_infonce_is_cross_entropy_with_label_zero():
    g = torch.Generator().manual_seed(3)
    q, k, queue = (F.normalize(torch.randn(s, 4, generator=g), dim=1) for s in (5, 5, 7))
    logits = torch.cat(((q * k).sum(1, keepdim=True), q @ queue.t()), 1) / 0.07
    torch.testing.assert_close(infonce_loss(q, k, queue, 0.07),
                               F.cross_entropy(logits, torch.zeros(5, dtype=torch.long)))


@pytest.mark.parametrize('fn, args, match', [
    (nt_xent_loss, (torch.zeros(4, 3), torch.zeros(4, 2)), r'\(4, 3\) and \(4, 2\)'),
    (nt_xent_loss, (torch.zeros(4), torch.zeros(4)), r'same shape \(N, C\)'),
    (nt_xent_loss, (torch.zeros(0, 3), torch.zeros(0, 3)), 'N ≥ 1'),
    (nt_xent_loss, (torch.zeros(2, 3), torch.zeros(2, 3), 0.), 'tau must be > 0, got 0.0'),
    (infonce_loss, (torch.zeros(2, 3), torch.zeros(3, 3), torch.zeros(5, 3)),
     r'q and k .* \(2, 3\) and \(3, 3\)'),
    (infonce_loss, (torch.zeros(2, 3), torch.zeros(2, 3), torch.zeros(3, 5)),
     r'queue must be \(K, C\) with C = 3, got \(3, 5\)'),
    (infonce_loss, (torch.zeros(2, 3), torch.zeros(2, 3), torch.zeros(5, 3), -1.),
     'tau must be > 0'),
])
def test_bad_inputs(fn, args, match):
    with pytest.raises(ValueError, match=match):
        fn(*args)
