"""SwAV's swapped prediction loss (Caron et al., "Unsupervised Learning of Visual Features by
Contrasting Cluster Assignments", arXiv 2006.09882, Sec. 3.1 eq. 1-3, Sec. 3.2 eq. 4)."""
from typing import Sequence

import torch.nn.functional as F
from torch import Tensor


def swapped_prediction_loss(scores: Sequence[Tensor], codes: Sequence[Tensor],
                            temperature: float = 0.1) -> Tensor:
    """Predict the code of one crop from every other crop, averaged over the pairs.

    Eq. 2: ``ℓ(z_t, q_s) = −Σ_k q_s^(k) log p_t^(k)`` with ``p_t = softmax(z_tᵀC / τ)``
    (eq. 3); eq. 1 swaps the roles of two crops, and with multi-crop (eq. 4) the codes of
    the assigned crops ``a`` (the large ones) are predicted from every other crop ``v ≠ a``:
    ``L = 1/A Σ_a 1/(V − 1) Σ_{v ≠ a} mean_b ℓ(z_v^b, q_a^b)``.

    Args:
        scores: V tensors ``(B, K)``, crop ``v``'s prototype scores ``z_vᵀC`` (with gradient).
        codes: A ≤ V tensors ``(B, K)``, the codes of crops ``0 … A−1`` (targets; detached
            here).
        temperature: τ (0.1).

    Returns:
        The scalar loss.
    """
    num_views, num_assigned = len(scores), len(codes)
    if not 1 <= num_assigned <= num_views or num_views < 2:
        raise ValueError(f'swapped_prediction_loss: needs V ≥ 2 crops and 1 ≤ A ≤ V codes, '
                         f'got V={num_views} scores and A={num_assigned} codes')
    shape = tuple(scores[0].shape)
    if any(tuple(t.shape) != shape or t.dim() != 2 for t in (*scores, *codes)):
        raise ValueError(f'swapped_prediction_loss: every score and code must be (B, K) of '
                         f'the same shape, got scores {[tuple(s.shape) for s in scores]} and '
                         f'codes {[tuple(c.shape) for c in codes]}')
    if not temperature > 0:
        raise ValueError(f'swapped_prediction_loss: temperature must be > 0, got '
                         f'{temperature}')
    log_p = [F.log_softmax(s / temperature, dim=1) for s in scores]
    total = 0.
    for a, q in enumerate(codes):
        q = q.detach()
        cross = sum(-(q * log_p[v]).sum(1).mean() for v in range(num_views) if v != a)
        total = total + cross / (num_views - 1)
    return total / num_assigned
