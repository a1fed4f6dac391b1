"""Cosine-similarity losses of PixPro / PixContrast (Xie et al., "Propagate Yourself",
arXiv 2011.10043) and BYOL (Grill et al., arXiv 2006.07733).

Similarities are computed in float32 with autocast disabled (float64 inputs stay float64):
they are sums over hundreds of channels / thousands of pixels whose fp16 rounding would
bias the losses. The functions never detach: the caller stops gradients to the target.
"""
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor


def _compute_dtype(*tensors: Tensor) -> torch.dtype:
    """float32, or float64 if any input is float64."""
    dtype = torch.float32
    for t in tensors:
        dtype = torch.promote_types(dtype, t.dtype)
    return dtype


def _normalized(x: Tensor, dim: int, dtype: torch.dtype) -> Tensor:
    """``x`` cast to ``dtype`` and L2-normalised along ``dim`` (zero vectors stay zero)."""
    return F.normalize(x.to(dtype), dim=dim)


def _cosine_matrix(a: Tensor, b: Tensor) -> Tensor:
    """Cosine similarity of every column of ``a`` with every column of ``b``.

    ``a``: ``(N, C, La)``, ``b``: ``(N, C, Lb)`` → ``(N, La, Lb)`` in float32 (float64).
    """
    dtype = _compute_dtype(a, b)
    with torch.autocast(a.device.type, enabled=False):
        return torch.bmm(_normalized(a, 1, dtype).transpose(1, 2), _normalized(b, 1, dtype))


def _check_pixel_inputs(name: str, a: Tensor, b: Tensor, mask: Tensor) -> None:
    """``a``: ``(N, C, La)``, ``b``: ``(N, C, Lb)``, ``mask``: ``(N, La, Lb)``."""
    if a.dim() != 3 or b.dim() != 3 or a.shape[:2] != b.shape[:2]:
        raise ValueError(f'{name}: expected features (N, C, La) and (N, C, Lb) with the same '
                         f'N and C, got {tuple(a.shape)} and {tuple(b.shape)}')
    expected = (a.shape[0], a.shape[2], b.shape[2])
    if tuple(mask.shape) != expected:
        raise ValueError(f'{name}: mask must be (N, La, Lb) = {expected}, '
                         f'got {tuple(mask.shape)}')


def pixpro_loss(y: Tensor, x_target: Tensor, mask: Tensor) -> Tensor:
    """One direction of the PixPro loss (arXiv 2011.10043, Sec. 3.2, eq. 5).

    Per image, the mean of ``cos(y_i, x'_j)`` over positive pairs ``(i, j)``
    (sum / (num_pos + 1e-6)); loss = −2 × its mean over images. Eq. 5 is symmetric:
    the caller adds the other direction (view b's ``y`` against view a's target). An image
    without positives contributes 0 (and still counts in the mean), with zero gradient.

    Args:
        y: ``(N, C, La)`` online features of view a after pixel propagation (eq. 4).
        x_target: ``(N, C, Lb)`` target (momentum) features of view b.
        mask: ``(N, La, Lb)`` positive pairs (bool or 0/1), :func:`positive_pixel_mask`.

    Returns:
        Scalar float32 (float64 for float64 inputs), in [−2, 2].
    """
    _check_pixel_inputs('pixpro_loss', y, x_target, mask)
    cos = _cosine_matrix(y, x_target)
    weight = mask.to(cos.dtype)
    per_image = (cos * weight).sum((1, 2)) / (weight.sum((1, 2)) + 1e-6)
    return -2 * per_image.mean()


def pixpro_loss_pairs(y: Tensor, x_target: Tensor, pairs: Tensor) -> Tensor:
    """:func:`pixpro_loss` over a list of positive pairs instead of a dense mask
    (arXiv 2011.10043, Sec. 3.2, eq. 5): the same per-image mean of ``cos(y_i, x'_j)``
    over positives (sum / (num_pos + 1e-6)), times −2, averaged over the ``N`` images, but
    only the ``P`` positive similarities are computed instead of ``La × Lb``.

    Args:
        y: ``(N, C, R)`` online features after pixel propagation, e.g. only at the rows of
            :func:`positive_pixel_pairs` (``pixel_propagation(..., rows=rows)``).
        x_target: ``(N, C, Lb)`` target (momentum) features of view b.
        pairs: ``(P, 3)`` long ``(image, column of y, column of x_target)``, one per positive.

    Returns:
        Scalar float32 (float64 for float64 inputs), in [−2, 2]; equal to :func:`pixpro_loss`
        with the mask the pairs came from.
    """
    if y.dim() != 3 or x_target.dim() != 3 or y.shape[:2] != x_target.shape[:2]:
        raise ValueError(f'pixpro_loss_pairs: expected features (N, C, R) and (N, C, Lb) with '
                         f'the same N and C, got {tuple(y.shape)} and {tuple(x_target.shape)}')
    if pairs.dim() != 2 or pairs.shape[1] != 3:
        raise ValueError(f'pixpro_loss_pairs: pairs must be (P, 3) (image, i, j), '
                         f'got {tuple(pairs.shape)}')
    dtype = _compute_dtype(y, x_target)
    image, i, j = pairs.unbind(1)
    with torch.autocast(y.device.type, enabled=False):
        # (N, L, C) layouts so that each gathered pair is one contiguous channel vector.
        y_n = _normalized(y, 1, dtype).transpose(1, 2)
        t_n = _normalized(x_target, 1, dtype).transpose(1, 2)
        cos = (y_n[image, i] * t_n[image, j]).sum(1)  # (P,)
        total = cos.new_zeros(y.shape[0]).index_add(0, image, cos)
        # index_add, not bincount: bincount reads its maximum back to the host on a GPU
        count = cos.new_zeros(y.shape[0]).index_add(0, image, torch.ones_like(cos.detach()))
        return -2 * (total / (count + 1e-6)).mean()


def pixcontrast_loss(q: Tensor, k: Tensor, mask: Tensor, tau: float = 0.3,
                     negatives: Optional[Tensor] = None) -> Tensor:
    """PixContrast: pixel InfoNCE with several positives (arXiv 2011.10043, Sec. 3.1, eq. 2).

    For every query pixel ``i`` of view a with at least one positive::

        L_i = −log Σ_{j∈pos} e^{cos(q_i, k_j)/τ}
                  / (Σ_{j∈pos} e^{cos(q_i, k_j)/τ} + Σ_{j∈neg} e^{cos(q_i, k_j)/τ})

    where the negatives are the key pixels of the same image that are not positives
    (``mask`` False) plus the optional extra ``negatives`` (e.g. a queue), shared by all
    images. The denominator is therefore a logsumexp over all key pixels and the extras.
    The loss is the mean of ``L_i`` over all query pixels of the batch that have a positive
    (pooled, so images with more matched pixels weigh more), and 0 with zero gradient when
    no pixel has one. One direction; the caller symmetrises.

    Args:
        q: ``(N, C, La)`` online query features of view a.
        k: ``(N, C, Lb)`` target key features of view b.
        mask: ``(N, La, Lb)`` positive pairs (bool or 0/1), :func:`positive_pixel_mask`.
        tau: temperature τ (0.3 in the paper).
        negatives: optional ``(C, M)`` extra negative keys.

    Returns:
        Scalar float32 (float64 for float64 inputs).
    """
    _check_pixel_inputs('pixcontrast_loss', q, k, mask)
    if tau <= 0:
        raise ValueError(f'pixcontrast_loss: tau must be > 0, got {tau}')
    if negatives is not None and (negatives.dim() != 2 or negatives.shape[0] != q.shape[1]):
        raise ValueError(f'pixcontrast_loss: negatives must be (C, M) with C = {q.shape[1]}, '
                         f'got {tuple(negatives.shape)}')
    dtype = _compute_dtype(q, k) if negatives is None else _compute_dtype(q, k, negatives)
    mask = mask.bool()
    with torch.autocast(q.device.type, enabled=False):
        q = _normalized(q, 1, dtype)
        logits = torch.bmm(q.transpose(1, 2), _normalized(k, 1, dtype)) / tau  # (N, La, Lb)
        denominator = logits.logsumexp(-1)  # positives + in-view negatives
        if negatives is not None:
            neg_logits = torch.einsum('ncl,cm->nlm', q, _normalized(negatives, 0, dtype)) / tau
            denominator = torch.logaddexp(denominator, neg_logits.logsumexp(-1))
        valid = mask.any(-1)  # (N, La)
        # Rows without positives get every key as a dummy positive so their logsumexp is
        # finite (an all −inf row would put NaN into the backward pass); they are zeroed below.
        pos = mask | ~valid.unsqueeze(-1)
        numerator = logits.masked_fill(~pos, float('-inf')).logsumexp(-1)
        per_pixel = (denominator - numerator) * valid
        return per_pixel.sum() / valid.sum().clamp(min=1)


def _check_vectors(name: str, p: Tensor, z: Tensor) -> None:
    if p.dim() != 2 or p.shape != z.shape:
        raise ValueError(f'{name}: expected p and z of the same shape (N, C), got '
                         f'{tuple(p.shape)} and {tuple(z.shape)}')


def negative_cosine(p: Tensor, z: Tensor) -> Tensor:
    """``−cos(p, z)`` averaged over the batch: SimSiam's ``D(p, z)`` (Chen & He,
    arXiv 2011.10566, eq. 1), one direction; the caller stops gradients to ``z`` (eq. 3).

    Args:
        p: ``(N, C)`` predictions. z: ``(N, C)`` projections of the other view.

    Returns:
        Scalar float32 (float64 for float64 inputs), in [−1, 1].
    """
    _check_vectors('negative_cosine', p, z)
    dtype = _compute_dtype(p, z)
    with torch.autocast(p.device.type, enabled=False):
        return -(_normalized(p, 1, dtype) * _normalized(z, 1, dtype)).sum(1).mean()


def byol_loss(p: Tensor, z: Tensor) -> Tensor:
    """BYOL regression loss (Grill et al. arXiv 2006.07733, eq. 2), one direction.

    ``2 − 2·cos(p, z)`` averaged over the batch: the normalised-MSE form of eq. 2, which is
    0 at perfect agreement. PixPro's instance branch writes it as −2·cos; the two differ by
    a constant and have the same gradient. The caller symmetrises and stops gradients to z.

    Args:
        p: ``(N, C)`` online predictions. z: ``(N, C)`` target projections of the other view.

    Returns:
        Scalar float32 (float64 for float64 inputs), in [0, 4].
    """
    _check_vectors('byol_loss', p, z)
    return 2 + 2 * negative_cosine(p, z)
