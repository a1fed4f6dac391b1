"""DenseCL (Wang et al., "Dense Contrastive Learning for Self-Supervised Visual
Pre-Training", arXiv 2011.09157): correspondence between two views by feature argmax
(Sec. 3.3) and the dense InfoNCE over the matched pairs (Sec. 3.2, eq. 2).

Feature maps are ``(N, C, H, W)`` or already flattened ``(N, C, L)`` (``L = H·W``, row-major
as ``feature.flatten(2)``).
"""
import torch
from torch import Tensor

from .contrastive import infonce_loss
from .similarity_losses import _cosine_matrix


def _flat(x: Tensor, name: str, fn: str) -> Tensor:
    """``(N, C, H, W)`` → ``(N, C, H·W)``; ``(N, C, L)`` unchanged."""
    if x.dim() == 4:
        return x.flatten(2)
    if x.dim() == 3:
        return x
    raise ValueError(f'{fn}: {name} must be a feature map (N, C, H, W) or (N, C, L), got '
                     f'shape {tuple(x.shape)}')


@torch.no_grad()
def argmax_correspondence(feat_a: Tensor, feat_b: Tensor) -> Tensor:
    """For every location of view a, the location of view b with the most similar feature.

    DenseCL Sec. 3.3: with the backbone feature maps ``f₁`` (view a) and ``f₂`` (view b)
    of one image, location ``i`` of view a is matched to
    ``c_i = argmax_j sim(f₁_i, f₂_j)``, ``sim`` the cosine similarity. (The paper then takes
    the matched *projection* vector of view b as the positive key of eq. 2.) Ties go to the
    first (lowest) index; an all-zero feature vector has similarity 0 to everything.

    Args:
        feat_a: ``(N, C, Ha, Wa)`` or ``(N, C, La)`` backbone features of view a.
        feat_b: ``(N, C', Hb, Wb)`` or ``(N, C', Lb)`` of view b, same ``N`` and ``C``.

    Returns:
        ``(N, La)`` int64 indices into view b's flattened locations ``0..Lb−1`` (no gradient).
    """
    fn = 'argmax_correspondence'
    a, b = _flat(feat_a, 'feat_a', fn), _flat(feat_b, 'feat_b', fn)
    if a.shape[:2] != b.shape[:2]:
        raise ValueError(f'{fn}: feat_a and feat_b must have the same N and C, got '
                         f'{tuple(feat_a.shape)} and {tuple(feat_b.shape)}')
    if b.shape[2] == 0:
        raise ValueError(f'{fn}: feat_b has no locations, shape {tuple(feat_b.shape)}')
    return _cosine_matrix(a, b).argmax(-1)  # (N, La, Lb) → (N, La)


def dense_infonce_loss(q: Tensor, k: Tensor, matches: Tensor, queue: Tensor,
                       tau: float = 0.2) -> Tensor:
    """DenseCL's dense contrastive loss (arXiv 2011.09157, Sec. 3.2, eq. 2), one direction::

        L_r = 1/S² Σ_s −log exp(r^s·t^s₊/τ) / (exp(r^s·t^s₊/τ) + Σ_k exp(r^s·t^s_k₋/τ))

    averaged over the ``N`` images: location ``s`` of view a's dense projection ``r`` (the
    query) has as positive key the projection ``t`` of view b at the matched location
    ``matches[n, s]`` (:func:`argmax_correspondence`), and as negatives the dense queue
    (DenseCL enqueues one vector per key image, its pooled dense projection). This is
    :func:`infonce_loss` over all ``N·La`` locations. The weight λ of eq. 3
    (``(1 − λ) L_q + λ L_r``, λ = 0.5) is left to the caller.

    Args:
        q: ``(N, C, Ha, Wa)`` or ``(N, C, La)`` dense query projections of view a.
        k: ``(N, C, Hb, Wb)`` or ``(N, C, Lb)`` dense key projections of view b (target
            encoder; the caller detaches).
        matches: ``(N, La)`` int indices into ``0..Lb−1``.
        queue: ``(K, C)`` dense negative keys.
        tau: temperature τ (0.2).

    Returns:
        Scalar float32 (float64 if any input is float64).
    """
    fn = 'dense_infonce_loss'
    q, k = _flat(q, 'q', fn), _flat(k, 'k', fn)
    n, c, la = q.shape
    if k.shape[:2] != (n, c):
        raise ValueError(f'{fn}: q and k must have the same N and C, got {tuple(q.shape)} and '
                         f'{tuple(k.shape)}')
    if tuple(matches.shape) != (n, la) or matches.is_floating_point() or matches.is_complex():
        raise ValueError(f'{fn}: matches must be integer indices of shape (N, La) = {(n, la)}, '
                         f'got {tuple(matches.shape)} {matches.dtype}')
    if matches.numel() and (matches.min() < 0 or matches.max() >= k.shape[2]):
        raise ValueError(f'{fn}: matches must index view b\'s {k.shape[2]} locations, got '
                         f'values in [{int(matches.min())}, {int(matches.max())}]')
    positives = k.gather(2, matches.long()[:, None, :].expand(n, c, la))  # (N, C, La)
    return infonce_loss(q.transpose(1, 2).reshape(n * la, c),
                        positives.transpose(1, 2).reshape(n * la, c), queue, tau)
