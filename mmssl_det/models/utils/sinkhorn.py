"""Sinkhorn-Knopp equipartition of SwAV (Caron et al., "Unsupervised Learning of Visual
Features by Contrasting Cluster Assignments", arXiv 2006.09882, Sec. 3.1 "Computing codes
online" and Appendix A.1, Algorithm 1).

The codes are targets: computed without gradient, in float32 (float64 stays float64) with
autocast disabled, whatever the caller's precision.
"""
import math

import torch
from mmengine.dist import all_reduce
from torch import Tensor


def _row_logsumexp(log_q: Tensor, distributed: bool) -> Tensor:
    """``log Σ_b exp(log_q[k, b])`` over the samples of every rank: ``(K, B)`` → ``(K, 1)``.

    Max-subtracted: ``m_k = max_b`` (all-reduced max), then ``m_k + log Σ_b exp(· − m_k)``
    (all-reduced sum). Without ``distributed`` (or single-process) the reductions are local.
    """
    m = log_q.amax(1, keepdim=True)
    if distributed:
        all_reduce(m, op='max')
    s = (log_q - m).exp().sum(1, keepdim=True)
    if distributed:
        all_reduce(s, op='sum')
    return m + s.log()


@torch.no_grad()
def sinkhorn_knopp(scores: Tensor, epsilon: float = 0.05, num_iters: int = 3,
                   distributed: bool = True) -> Tensor:
    """Soft cluster assignments (codes) with equal prototype usage, SwAV Sec. 3.1.

    Sec. 3.1 solves ``max_Q Tr(Qᵀ Cᵀ Z) + ε H(Q)`` over the transportation polytope (every
    prototype used by ``1/K`` of the batch, every sample ``1/B``); its solution is
    ``Q* = Diag(u) exp(Cᵀ Z / ε) Diag(v)``, approximated by Algorithm 1 (Appendix A.1):
    ``Q = exp(scoresᵀ / ε)`` (``K × B``), then ``num_iters`` times: normalise each row
    (prototype) to sum ``1/K`` and each column (sample) to sum ``1/B``; finally ``Q·B`` so
    each sample's code sums to 1. Paper defaults: ε = 0.05, 3 iterations.

    Computed in the log domain — each normalisation subtracts a max-stabilised logsumexp —
    so ``exp`` never overflows or underflows a whole row/column whatever the score range;
    in exact arithmetic it equals Algorithm 1. (Algorithm 1's first division by ``ΣQ`` is
    omitted: the row normalisation that follows removes any common factor.)

    With ``distributed`` and an initialised process group (mmengine.dist), the row sums and
    the batch size ``B`` are all-reduced over ranks, as in Appendix A.1: the equipartition
    holds over the global batch while each rank keeps its own samples' codes. Every rank
    must call it (a collective). Single-process it is local.

    Args:
        scores: ``(B, K)`` similarities of ``B`` samples to ``K`` prototypes (SwAV: cosine
            of the normalised ``z`` and prototypes, i.e. ``z @ Cᵀ``), finite.
        epsilon: ε, the entropy weight (0.05).
        num_iters: Sinkhorn iterations (3), ≥ 1.
        distributed: all-reduce over ranks when a process group is initialised.

    Returns:
        ``(B, K)`` codes ``q``, each row summing to 1, detached, float32 (float64 for float64
        scores). Over the global batch, prototype ``k`` receives ``Σ_b q[b, k] ≈ B/K``
        (exactly in the limit of many iterations).
    """
    if scores.dim() != 2 or scores.shape[0] == 0 or scores.shape[1] == 0:
        raise ValueError(f'sinkhorn_knopp: scores must be (B, K) = (samples, prototypes) with '
                         f'B, K ≥ 1, got shape {tuple(scores.shape)}')
    if not epsilon > 0:
        raise ValueError(f'sinkhorn_knopp: epsilon must be > 0, got {epsilon}')
    if int(num_iters) != num_iters or num_iters < 1:
        raise ValueError(f'sinkhorn_knopp: num_iters must be an int ≥ 1, got {num_iters}')
    dtype = torch.promote_types(torch.float32, scores.dtype)
    with torch.autocast(scores.device.type, enabled=False):
        log_q = scores.to(dtype).t() / epsilon  # (K, B)
        num_prototypes = log_q.shape[0]
        batch = torch.tensor([log_q.shape[1]], dtype=dtype, device=log_q.device)
        if distributed:
            all_reduce(batch, op='sum')
        log_batch = batch.log()
        for _ in range(int(num_iters)):
            # Rows (prototypes) sum to 1/K over the global batch.
            log_q = log_q - _row_logsumexp(log_q, distributed) - math.log(num_prototypes)
            # Columns (samples) sum to 1/B; local, every sample lives on one rank.
            log_q = log_q - log_q.logsumexp(0, keepdim=True) - log_batch
        # × B: each sample's code sums to 1. A softmax over prototypes of the normalised
        # columns is exactly that, and makes the sums 1 to rounding.
        return log_q.t().softmax(-1)
