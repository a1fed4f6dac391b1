"""DenseCL's correspondence by feature argmax (arXiv 2011.09157, Sec. 3.3) and dense InfoNCE
over matched pairs (Sec. 3.2, eq. 2) on hand-built features."""
import math

import pytest
import torch

from mmssl_det.models.utils import argmax_correspondence, dense_infonce_loss, infonce_loss

DEVICES = ['cpu'] + (['cuda'] if torch.cuda.is_available() else [])


def fmap(*rows, dtype=torch.float32):
    """A (1, C, H, W) map from rows of per-location vectors."""
    return torch.tensor(rows, dtype=dtype).permute(2, 0, 1)[None].contiguous()


@pytest.mark.parametrize('device', DEVICES)
def test_argmax_matches_hand_built_features(device):
    e1, e2, e3 = (1., 0., 0.), (0., 1., 0.), (0., 0., 1.)
    # View a (2×2): e1, e2 / e3, (1, 1, 0). View b (1×3): 5·e3, (0.1, 1, 0), (2, 0.1, 0).
    # Cosine picks direction, not magnitude: e1 → b2, e2 → b1, e3 → b0; (1, 1, 0)/√2 has
    # cos 1.1/√2.02 = 0.774 with b1 and 2.1/√8.02 = 0.742 with b2 → b1.
    a = fmap((e1, e2), (e3, (1., 1., 0.))).to(device)
    b = fmap(((0., 0., 5.), (.1, 1., 0.), (2., .1, 0.))).to(device)
    matches = argmax_correspondence(a, b)
    assert matches.dtype == torch.int64 and matches.device.type == device
    assert matches.tolist() == [[2, 1, 0, 1]]
    # Flattened (N, C, L) inputs give the same; view b → a is matched the other way.
    assert torch.equal(argmax_correspondence(a.flatten(2), b.flatten(2)), matches)
    assert argmax_correspondence(b, a).tolist() == [[2, 1, 0]]


def test_argmax_batch_is_per_image_and_without_gradient():
    g = torch.Generator().manual_seed(0)
    a = torch.randn(3, 4, 2, 3, generator=g, requires_grad=True)
    b = torch.randn(3, 4, 5, 5, generator=g)
    matches = argmax_correspondence(a, b)
    assert matches.shape == (3, 6) and not matches.requires_grad
    for n in range(3):
        fa = a[n].detach().flatten(1)
        fb = b[n].flatten(1)
        for i in range(6):
            cos = [float(fa[:, i] @ fb[:, j] / (fa[:, i].norm() * fb[:, j].norm()))
                   for j in range(25)]
            assert matches[n, i] == max(range(25), key=cos.__getitem__)


def test_argmax_of_a_permuted_view_recovers_the_permutation():
    g = torch.Generator().manual_seed(1)
    a = torch.randn(2, 16, 4, 4, generator=g)
    perm = torch.randperm(16, generator=g)
    b = a.flatten(2)[:, :, perm] * 3  # location j of b is location perm[j] of a
    expected = perm.argsort().expand(2, 16)
    assert torch.equal(argmax_correspondence(a, b), expected)


def test_dense_infonce_known_value():
    # Two query locations (τ = 1): q_0 = e1 matched to k_1 = e1 (cos 1), q_1 = e2 matched to
    # k_0 = (1, 1)/√2 (cos 1/√2); queue {−e1}: cos −1 and 0.
    q = torch.tensor([[[1., 0.], [0., 1.]]])  # (1, C=2, L=2): columns e1, e2
    k = torch.tensor([[[1., 1.], [1., 0.]]])  # columns (1, 1), (1, 0)
    matches = torch.tensor([[1, 0]])
    queue = torch.tensor([[-1., 0.]])
    r = 1 / math.sqrt(2)
    loss_0 = -math.log(math.e / (math.e + math.exp(-1)))
    loss_1 = -math.log(math.exp(r) / (math.exp(r) + 1))
    expected = (loss_0 + loss_1) / 2
    torch.testing.assert_close(dense_infonce_loss(q, k, matches, queue, tau=1.),
                               torch.tensor(expected))


def test_dense_infonce_is_infonce_over_all_matched_locations():
    g = torch.Generator().manual_seed(2)
    q = torch.randn(2, 8, 3, 3, generator=g, requires_grad=True)
    k = torch.randn(2, 8, 2, 2, generator=g)
    queue = torch.randn(6, 8, generator=g)
    matches = torch.randint(0, 4, (2, 9), generator=g)
    loss = dense_infonce_loss(q, k, matches, queue, tau=0.2)
    qs, ks = [], []
    for n in range(2):
        for s in range(9):
            qs.append(q[n].flatten(1)[:, s])
            ks.append(k[n].flatten(1)[:, matches[n, s]])
    torch.testing.assert_close(loss, infonce_loss(torch.stack(qs), torch.stack(ks), queue, 0.2))
    loss.backward()
    assert torch.isfinite(q.grad).all() and q.grad.abs().sum() > 0


@pytest.mark.parametrize('fn, args, match', [
    (argmax_correspondence, (torch.zeros(1, 3), torch.zeros(1, 3, 4)),
     r'feat_a must be a feature map \(N, C, H, W\) or \(N, C, L\), got shape \(1, 3\)'),
    (argmax_correspondence, (torch.zeros(1, 3, 4), torch.zeros(1, 2, 4)),
     r'same N and C, got \(1, 3, 4\) and \(1, 2, 4\)'),
    (argmax_correspondence, (torch.zeros(1, 3, 4), torch.zeros(1, 3, 0)), 'no locations'),
    (dense_infonce_loss, (torch.zeros(1, 3, 4), torch.zeros(1, 3, 2), torch.zeros(1, 3),
                          torch.zeros(5, 3)), r'\(N, La\) = \(1, 4\), got \(1, 3\)'),
    (dense_infonce_loss, (torch.zeros(1, 3, 4), torch.zeros(1, 3, 2), torch.zeros(1, 4),
                          torch.zeros(5, 3)), 'integer indices'),
    (dense_infonce_loss, (torch.zeros(1, 3, 4), torch.zeros(1, 3, 2),
                          torch.tensor([[0, 1, 2, 0]]), torch.zeros(5, 3)),
     r"view b's 2 locations, got values in \[0, 2\]"),
    (dense_infonce_loss, (torch.zeros(1, 3, 4), torch.zeros(2, 3, 2),
                          torch.zeros(1, 4, dtype=torch.long), torch.zeros(5, 3)),
     'same N and C'),
    (dense_infonce_loss, (torch.zeros(1, 3, 4), torch.zeros(1, 3, 2),
                          torch.zeros(1, 4, dtype=torch.long), torch.zeros(5, 2)),
     r'queue must be \(K, C\) with C = 3'),
])
def test_bad_inputs(fn, args, match):
    with pytest.raises(ValueError, match=match):
        fn(*args)
