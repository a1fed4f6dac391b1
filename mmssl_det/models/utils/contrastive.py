"""Instance-contrastive losses: SimCLR's NT-Xent (Chen et al., arXiv 2002.05709, eq. 1) and
MoCo's InfoNCE against a queue of negative keys (He et al., arXiv 1911.05722, eq. 1; MoCo v2,
Chen et al., arXiv 2003.04297).

Embeddings are L2-normalised inside (idempotent for normalised inputs) and similarities
computed in float32 (float64 stays float64) with autocast disabled. The functions never
detach: the caller stops gradients to keys and queues.
"""
import torch
import torch.nn.functional as F
from mmengine.dist import get_rank, get_world_size
from torch import Tensor

from .distributed import all_gather_with_grad
from .similarity_losses import _compute_dtype, _normalized


def _check_pair(name: str, a: Tensor, b: Tensor, names: str) -> None:
    """``a`` and ``b``: the same ``(N, C)`` shape with ``N ≥ 1``."""
    if a.dim() != 2 or a.shape != b.shape or a.shape[0] == 0:
        raise ValueError(f'{name}: expected {names} of the same shape (N, C) with N ≥ 1, got '
                         f'{tuple(a.shape)} and {tuple(b.shape)}')


def _check_tau(name: str, tau: float) -> None:
    if not tau > 0:
        raise ValueError(f'{name}: tau must be > 0, got {tau}')


def nt_xent_loss(z_a: Tensor, z_b: Tensor, tau: float = 0.1, gather: bool = True) -> Tensor:
    """NT-Xent, the normalised temperature-scaled cross entropy of SimCLR (arXiv 2002.05709,
    Sec. 2.1, eq. 1), averaged over all ``2N`` anchors of the batch.

    The ``2N`` embeddings ``z_a[0..N−1], z_b[0..N−1]`` are L2-normalised; for anchor ``i``
    with positive ``j`` (the other view of the same image)::

        ℓ(i, j) = −log exp(sim(z_i, z_j)/τ) / Σ_{k≠i} exp(sim(z_i, z_k)/τ)

    so the negatives are the other ``2N − 2`` embeddings; the loss is
    ``1/(2N) Σ_n [ℓ(a_n, b_n) + ℓ(b_n, a_n)]``.

    With ``gather`` and an initialised process group, the keys are the embeddings of every
    rank (:func:`all_gather_with_grad`, gradient flows to the other ranks' embeddings), so
    each anchor has ``2·W·N − 2`` negatives; each rank averages over its own ``2N`` anchors
    (under DDP the mean over ranks is the global-batch loss). Single-process ``gather`` is
    a no-op.

    Args:
        z_a: ``(N, C)`` embeddings of the first view of ``N`` images.
        z_b: ``(N, C)`` embeddings of the second view, row ``n`` the same image as ``z_a[n]``.
        tau: temperature τ (0.1, the paper's ImageNet setting with large batches).
        gather: negatives from all ranks (the paper's global batch).

    Returns:
        Scalar float32 (float64 for float64 inputs), ≥ 0.
    """
    _check_pair('nt_xent_loss', z_a, z_b, 'z_a and z_b')
    _check_tau('nt_xent_loss', tau)
    n = z_a.shape[0]
    dtype = _compute_dtype(z_a, z_b)
    with torch.autocast(z_a.device.type, enabled=False):
        a, b = _normalized(z_a, 1, dtype), _normalized(z_b, 1, dtype)
        distributed = gather and get_world_size() > 1
        if distributed:
            keys_a, keys_b, offset = all_gather_with_grad(a), all_gather_with_grad(b), \
                get_rank() * n
        else:
            keys_a, keys_b, offset = a, b, 0
        m = keys_a.shape[0]  # W·N images in the (global) batch
        anchors = torch.cat((a, b))  # (2N, C)
        logits = anchors @ torch.cat((keys_a, keys_b)).t() / tau  # (2N, 2M)
        idx = torch.arange(n, device=a.device) + offset
        self_idx = torch.cat((idx, idx + m))
        pos_idx = torch.cat((idx + m, idx))
        rows = torch.arange(2 * n, device=a.device)
        is_self = torch.zeros_like(logits, dtype=torch.bool)
        is_self[rows, self_idx] = True
        return F.cross_entropy(logits.masked_fill(is_self, float('-inf')), pos_idx)


def infonce_loss(q: Tensor, k: Tensor, queue: Tensor, tau: float = 0.2) -> Tensor:
    """InfoNCE with one positive key and a queue of negatives, MoCo (arXiv 1911.05722,
    Sec. 3.1, eq. 1), averaged over the ``N`` queries::

        L_q = −log exp(q·k₊/τ) / (exp(q·k₊/τ) + Σ_{i=1..K} exp(q·k_i/τ))

    with ``q``, ``k₊`` and the queue's keys L2-normalised. MoCo v2 (arXiv 2003.04297) keeps
    the loss with τ = 0.2 and K = 65536. DenseCL's dense loss (arXiv 2011.09157, eq. 2) is
    this applied to every location and its matched key, see :func:`dense_infonce_loss`.

    Args:
        q: ``(N, C)`` queries (online encoder).
        k: ``(N, C)`` positive keys, row ``n`` for query ``n`` (momentum encoder; the caller
            detaches).
        queue: ``(K, C)`` negative keys (``K`` may be 0: then the loss is 0).
        tau: temperature τ (0.07 in MoCo, 0.2 in MoCo v2).

    Returns:
        Scalar float32 (float64 if any input is float64), ≥ 0.
    """
    _check_pair('infonce_loss', q, k, 'q and k')
    _check_tau('infonce_loss', tau)
    if queue.dim() != 2 or queue.shape[1] != q.shape[1]:
        raise ValueError(f'infonce_loss: queue must be (K, C) with C = {q.shape[1]}, got '
                         f'{tuple(queue.shape)}')
    dtype = _compute_dtype(q, k, queue)
    with torch.autocast(q.device.type, enabled=False):
        q = _normalized(q, 1, dtype)
        l_pos = (q * _normalized(k, 1, dtype)).sum(1, keepdim=True)  # (N, 1)
        l_neg = q @ _normalized(queue, 1, dtype).t()  # (N, K)
        logits = torch.cat((l_pos, l_neg), 1) / tau
        return F.cross_entropy(logits, logits.new_zeros(q.shape[0], dtype=torch.long))
