"""Pixel propagation (Xie et al., "Propagate Yourself", arXiv 2011.10043, Sec. 3.2)."""
from typing import Optional

import torch
from torch import Tensor

from .similarity_losses import _compute_dtype, _cosine_matrix, _normalized


def pixel_propagation(x: Tensor, gx: Optional[Tensor] = None, gamma: float = 2.0,
                      rows: Optional[Tensor] = None) -> Tensor:
    """Smooth each pixel's feature with the similar pixels of the same view (PPM).

    ``s_ij = max(cos(x_i, x_j), 0)^γ`` over all pixel pairs of one view (eq. 3) and
    ``y_i = Σ_j s_ij · g(x_j)`` (eq. 4), computed for all pixels as one batched matmul of
    the L2-normalised features. The sums run in float32 (float64 stays float64) with
    autocast off: they add up to ``L`` terms and can exceed the fp16 range on large maps.

    ``rows`` computes ``y_i`` only for the listed pixels ``i`` (still summing over every
    ``j``): the PixPro loss reads ``y`` only where view a has a positive in view b (eq. 5),
    so the ``L × L`` similarity shrinks to ``R × L``. Same values as the dense output's
    columns ``rows``.

    Args:
        x: ``(N, C, L)`` features whose similarities define ``s`` (L = H·W, flattened).
        gx: ``(N, C', L)`` transformed features ``g(x)`` to propagate; None = identity (x).
        gamma: sharpness γ (2 in the paper), > 0.
        rows: optional ``(N, R)`` long indices of the output pixels, e.g. from
            :func:`positive_pixel_pairs` (padding entries may repeat any index).

    Returns:
        ``(N, C', L)`` (``(N, C', R)`` with ``rows``) float32 (float64 for float64 inputs).
    """
    if gamma <= 0:
        raise ValueError(f'pixel_propagation: gamma must be > 0, got {gamma}')
    if gx is None:
        gx = x
    if x.dim() != 3 or gx.dim() != 3 or x.shape[0] != gx.shape[0] or x.shape[2] != gx.shape[2]:
        raise ValueError(f'pixel_propagation: expected x (N, C, L) and gx (N, C\', L), got '
                         f'{tuple(x.shape)} and {tuple(gx.shape)}')
    if rows is not None and (rows.dim() != 2 or rows.shape[0] != x.shape[0]):
        raise ValueError(f'pixel_propagation: rows must be (N, R) pixel indices with '
                         f'N = {x.shape[0]}, got {tuple(rows.shape)}')
    if rows is None:
        cos = _cosine_matrix(x, x)  # (N, L, L), symmetric
    else:
        cos = _cosine_rows(x, rows)  # (N, R, L)
    # Clamping to a tiny positive value before the power keeps its gradient finite for
    # γ < 1; the non-positive similarities are then zeroed (and get no gradient).
    tiny = torch.finfo(cos.dtype).tiny
    s = cos.clamp(min=tiny).pow(gamma).masked_fill(cos <= 0, 0)
    dtype = _compute_dtype(x, gx)
    with torch.autocast(x.device.type, enabled=False):
        if rows is not None:
            # (N, R, C') then a transposed view: the sparse loss gathers whole rows of it.
            return torch.bmm(s.to(dtype), gx.to(dtype).transpose(1, 2)).transpose(1, 2)
        # y[:, :, i] = Σ_j gx[:, :, j] s[j, i], and s is symmetric.
        return torch.bmm(gx.to(dtype), s.to(dtype))


def _cosine_rows(x: Tensor, rows: Tensor) -> Tensor:
    """``cos(x_i, x_j)`` for the pixels ``i`` in ``rows`` ``(N, R)`` and every ``j``:
    ``(N, R, L)``, float32 (float64) with autocast off."""
    dtype = _compute_dtype(x)
    with torch.autocast(x.device.type, enabled=False):
        xn = _normalized(x, 1, dtype)  # (N, C, L)
        picked = xn.gather(2, rows[:, None, :].expand(-1, xn.shape[1], -1))  # (N, C, R)
        return torch.bmm(picked.transpose(1, 2), xn)
