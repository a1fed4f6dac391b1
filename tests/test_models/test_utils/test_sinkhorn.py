"""SwAV's Sinkhorn-Knopp (arXiv 2006.09882, Sec. 3.1, Appendix A.1 Algorithm 1) against
hand-computed iterations and a literal float64 transcription of Algorithm 1."""
import math

import pytest
import torch
import torch.nn.functional as F

from mmssl_det.models.utils import sinkhorn_knopp

DEVICES = ['cpu'] + (['cuda'] if torch.cuda.is_available() else [])
EPS = 0.05


def algorithm1(scores, epsilon=EPS, num_iters=3):
    """Appendix A.1, Algorithm 1, single process, in float64 without stabilisation."""
    q = torch.exp(scores.double() / epsilon).t()  # (K, B)
    k, b = q.shape
    q /= q.sum()
    for _ in range(num_iters):
        q /= q.sum(1, keepdim=True)
        q /= k
        q /= q.sum(0, keepdim=True)
        q /= b
    return (q * b).t()


def tiny_scores(dtype=torch.float32):
    # exp(scores / ε) = [[1, 1], [1, 3]]  (rows: samples, columns: prototypes).
    return EPS * torch.tensor([[0., 0.], [0., math.log(3)]], dtype=dtype)


def test_tiny_case_by_hand_one_and_two_iterations():
    # Q (prototypes × samples) = [[1, 1], [1, 3]].
    # Iteration 1: rows ÷ [2, 4] and ÷ K=2 → [[1/4, 1/4], [1/8, 3/8]];
    #   columns ÷ [3/8, 5/8] (× B at the end): sample 0 → [2/3, 1/3], sample 1 → [2/5, 3/5].
    one = sinkhorn_knopp(tiny_scores(torch.float64), num_iters=1)
    torch.testing.assert_close(one, torch.tensor([[2 / 3, 1 / 3], [2 / 5, 3 / 5]],
                                                 dtype=torch.float64))
    # Iteration 2 from columns [[1/3, 1/5], [1/6, 3/10]] (sums 1/B = 1/2):
    #   rows ÷ [8/15, 7/15] and ÷ 2 → [[5/16, 3/16], [5/28, 9/28]];
    #   columns ÷ [55/112, 57/112]: sample 0 → [7/11, 4/11], sample 1 → [7/19, 12/19].
    two = sinkhorn_knopp(tiny_scores(torch.float64), num_iters=2)
    torch.testing.assert_close(two, torch.tensor([[7 / 11, 4 / 11], [7 / 19, 12 / 19]],
                                                 dtype=torch.float64))


@pytest.mark.parametrize('device', DEVICES)
def test_equals_algorithm1_on_cosine_scores(device):
    g = torch.Generator().manual_seed(0)
    z = F.normalize(torch.randn(32, 16, generator=g), dim=1)
    prototypes = F.normalize(torch.randn(10, 16, generator=g), dim=1)
    scores = (z @ prototypes.t()).to(device)
    codes = sinkhorn_knopp(scores)
    assert codes.shape == (32, 10) and codes.dtype == torch.float32
    assert codes.device.type == device
    torch.testing.assert_close(codes.cpu().double(), algorithm1(scores.cpu()),
                               rtol=1e-5, atol=1e-7)


def test_sample_sums_are_one_and_marginals_become_uniform():
    g = torch.Generator().manual_seed(1)
    scores = torch.rand(64, 8, generator=g) * 2 - 1  # cosine range
    for num_iters in (1, 3):
        codes = sinkhorn_knopp(scores, num_iters=num_iters)
        torch.testing.assert_close(codes.sum(1), torch.ones(64), rtol=0, atol=4 * 1.2e-7)
    # After enough iterations every prototype gets B/K of the mass.
    codes = sinkhorn_knopp(scores, num_iters=200)
    usage = codes.sum(0) / (64 / 8)
    assert (usage - 1).abs().max() < 1e-3, usage
    # Each iteration moves the usage towards equipartition, from the plain softmax's.
    deviation = [((scores / EPS).softmax(1).sum(0) / 8 - 1).abs().max()]
    for num_iters in (1, 2, 3, 30):
        deviation.append((sinkhorn_knopp(scores, num_iters=num_iters).sum(0) / 8 - 1).abs().max())
    assert all(a > b for a, b in zip(deviation, deviation[1:])), deviation


def test_stable_for_large_scores_and_invariant_to_per_prototype_shifts():
    g = torch.Generator().manual_seed(2)
    # float64, so that adding the offsets does not round the scores themselves.
    scores = torch.rand(16, 6, generator=g, dtype=torch.float64) * 2 - 1
    reference = sinkhorn_knopp(scores)
    torch.testing.assert_close(reference, algorithm1(scores))
    # exp(1000 / 0.05) overflows even float64: the log-domain form does not care.
    torch.testing.assert_close(sinkhorn_knopp(scores + 1000), reference)
    # Row (prototype) normalisation comes first, so a constant per prototype cancels exactly.
    shift = torch.randn(6, generator=g, dtype=torch.float64) * 50
    torch.testing.assert_close(sinkhorn_knopp(scores + shift), reference)
    scores = scores.float()
    # A spread of 400/ε would underflow exp to 0 in whole columns; codes stay finite.
    wide = sinkhorn_knopp(torch.cat((scores, scores[:1] - 400)))
    assert torch.isfinite(wide).all()
    torch.testing.assert_close(wide.sum(1), torch.ones(17), rtol=0, atol=4 * 1.2e-7)


def test_float32_under_autocast_float64_kept_and_no_gradient():
    scores = tiny_scores().requires_grad_()
    with torch.autocast('cpu', dtype=torch.bfloat16):
        codes = sinkhorn_knopp(scores.bfloat16(), num_iters=1)
    assert codes.dtype == torch.float32 and not codes.requires_grad
    torch.testing.assert_close(codes, torch.tensor([[2 / 3, 1 / 3], [2 / 5, 3 / 5]]),
                               rtol=2e-2, atol=1e-2)  # bf16 input rounding only
    assert sinkhorn_knopp(tiny_scores(torch.float64)).dtype == torch.float64


@pytest.mark.parametrize('kwargs, match', [
    (dict(scores=torch.zeros(4)), r'\(B, K\).*\(4,\)'),
    (dict(scores=torch.zeros(0, 3)), r'\(0, 3\)'),
    (dict(scores=torch.zeros(2, 3), epsilon=0), 'epsilon must be > 0, got 0'),
    (dict(scores=torch.zeros(2, 3), num_iters=0), 'num_iters must be an int ≥ 1, got 0'),
    (dict(scores=torch.zeros(2, 3), num_iters=1.5), 'got 1.5'),
])
def test_bad_inputs(kwargs, match):
    with pytest.raises(ValueError, match=match):
        sinkhorn_knopp(**kwargs)
