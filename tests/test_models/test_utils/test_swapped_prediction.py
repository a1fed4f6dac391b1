"""SwAV's swapped prediction loss (arXiv 2006.09882, eq. 1-3; multi-crop Sec. 3.2) on
hand-computed values and against a loop over (assigned crop, other crop) pairs."""
import math

import pytest
import torch

from mmssl_det.models.utils import swapped_prediction_loss

TAU = 0.1


def test_two_crops_by_hand():
    # Crop 1's scores / τ = [log 3, 0] → p_1 = [3/4, 1/4];
    # crop 0's = [0, 0] → p_0 = [½, ½].
    s0 = torch.tensor([[0., 0.]])
    s1 = torch.tensor([[TAU * math.log(3), 0.]])
    q0, q1 = torch.tensor([[1., 0.]]), torch.tensor([[0.5, 0.5]])
    # eq. 1: ℓ(z_1, q_0) + ℓ(z_0, q_1) = −log ¾ − (½ log ½ + ½ log ½), halved (A = 2 codes).
    expected = (math.log(4 / 3) + math.log(2)) / 2
    loss = swapped_prediction_loss([s0, s1], [q0, q1], TAU)
    assert loss.item() == pytest.approx(expected, rel=1e-6)
    # One assigned crop: only ℓ(z_1, q_0).
    assert swapped_prediction_loss([s0, s1], [q0], TAU).item() == pytest.approx(
        math.log(4 / 3), rel=1e-6)


def test_multi_crop_equals_the_loop_over_pairs_and_codes_get_no_gradient():
    g = torch.Generator().manual_seed(0)
    scores = [torch.randn(5, 7, generator=g).requires_grad_() for _ in range(4)]
    codes = [torch.rand(5, 7, generator=g).softmax(1).requires_grad_() for _ in range(2)]
    loss = swapped_prediction_loss(scores, codes, TAU)
    reference = 0.
    for a in range(2):
        for v in range(4):
            if v != a:
                for b in range(5):
                    p = torch.exp(scores[v][b] / TAU) / torch.exp(scores[v][b] / TAU).sum()
                    reference = reference - (codes[a][b] * p.log()).sum() / 5 / 3 / 2
    torch.testing.assert_close(loss, reference)
    loss.backward()
    assert all(c.grad is None for c in codes) and all(s.grad is not None for s in scores)


@pytest.mark.parametrize('scores, codes, tau, match', [
    ([torch.zeros(2, 3)], [torch.zeros(2, 3)], TAU, 'V ≥ 2'),
    ([torch.zeros(2, 3)] * 2, [torch.zeros(2, 3)] * 3, TAU, 'A=3'),
    ([torch.zeros(2, 3), torch.zeros(2, 4)], [torch.zeros(2, 3)], TAU, r'\(2, 4\)'),
    ([torch.zeros(2, 3)] * 2, [torch.zeros(2, 3)], 0., 'temperature must be > 0'),
])
def test_bad_inputs(scores, codes, tau, match):
    with pytest.raises(ValueError, match=match):
        swapped_prediction_loss(scores, codes, tau)
