"""Pixel correspondences between two views of one image (Xie et al., "Propagate Yourself",
arXiv 2011.10043, Sec. 3.1, eq. 1).

A view is described by its box ``[x1, y1, x2, y2]`` in normalised original-image
coordinates (0..1); a horizontally flipped view has ``x1 > x2``, so walking its feature
columns left to right walks the image right to left. Every function accepts ``(N, 4)``
boxes on any device and computes in float32 (float64 stays float64).
"""
from typing import Sequence, Tuple

import torch
from torch import Tensor


def _check_coords(coords: Tensor, name: str = 'coords') -> Tensor:
    """Validate ``(N, 4)`` view boxes and return them in float32 (or float64)."""
    if coords.dim() != 2 or coords.shape[1] != 4:
        raise ValueError(f'{name} must be (N, 4) view boxes [x1, y1, x2, y2], '
                         f'got shape {tuple(coords.shape)}')
    return coords if coords.dtype == torch.float64 else coords.float()


def _check_size(size: Sequence[int], name: str) -> Tuple[int, int]:
    """Validate a feature-map size ``(H, W)`` (a tuple or ``tensor.shape[-2:]``)."""
    if len(size) != 2 or any(int(s) != s or s <= 0 for s in size):
        raise ValueError(f'{name} must be a feature-map size (H, W) of two positive ints, '
                         f'got {tuple(size)}')
    return int(size[0]), int(size[1])


def _check_pair(coords_a: Tensor, coords_b: Tensor, size_a: Sequence[int],
                size_b: Sequence[int]) -> Tuple[Tensor, Tensor, Tuple[int, int], Tuple[int, int]]:
    """Two views' boxes of the same images in one dtype, and their map sizes, checked."""
    coords_a = _check_coords(coords_a, 'coords_a')
    coords_b = _check_coords(coords_b, 'coords_b')
    if coords_a.shape[0] != coords_b.shape[0]:
        raise ValueError(f'coords_a and coords_b must describe the same images, got '
                         f'{coords_a.shape[0]} and {coords_b.shape[0]} boxes')
    dtype = torch.promote_types(coords_a.dtype, coords_b.dtype)
    return (coords_a.to(dtype), coords_b.to(dtype), _check_size(size_a, 'size_a'),
            _check_size(size_b, 'size_b'))


def feature_bin_centers(coords: Tensor, height: int, width: int) -> Tensor:
    """Centres of the ``height × width`` feature bins of each view, in image coordinates.

    Bin ``(i, j)`` (row ``i``, column ``j``) of a view with box ``[x1, y1, x2, y2]`` has centre
    ``(x1 + (j + 0.5) / W · (x2 − x1), y1 + (i + 0.5) / H · (y2 − y1))``; a flipped view
    (``x1 > x2``) thus runs right to left. Used by arXiv 2011.10043, Sec. 3.1, eq. 1.

    Args:
        coords: ``(N, 4)`` view boxes in normalised original-image coordinates.
        height, width: feature-map size ``H``, ``W``.

    Returns:
        ``(N, H·W, 2)`` centres ``(x, y)``, row-major (index ``i·W + j``, as
        ``feature.flatten(2)``), float32 (float64 for float64 boxes).
    """
    coords = _check_coords(coords)
    height, width = _check_size((height, width), 'feature_bin_centers: (height, width)')
    x1, y1, x2, y2 = coords.unbind(1)
    fx = (torch.arange(width, device=coords.device, dtype=coords.dtype) + 0.5) / width
    fy = (torch.arange(height, device=coords.device, dtype=coords.dtype) + 0.5) / height
    cx = x1[:, None] + fx[None] * (x2 - x1)[:, None]  # (N, W)
    cy = y1[:, None] + fy[None] * (y2 - y1)[:, None]  # (N, H)
    n = coords.shape[0]
    centers = torch.stack((cx[:, None, :].expand(n, height, width),
                           cy[:, :, None].expand(n, height, width)), dim=-1)
    return centers.reshape(n, height * width, 2)


def bin_diagonal(coords: Tensor, height: int, width: int) -> Tensor:
    """Diagonal length of one feature bin of each view, in image coordinates.

    ``sqrt(((x2 − x1) / W)² + ((y2 − y1) / H)²)``, unsigned, so flipped views have the same
    diagonal (arXiv 2011.10043, Sec. 3.1: the distance unit of eq. 1).

    Args:
        coords: ``(N, 4)`` view boxes. height, width: feature-map size.

    Returns:
        ``(N,)`` float32 (float64 for float64 boxes).
    """
    coords = _check_coords(coords)
    height, width = _check_size((height, width), 'bin_diagonal: (height, width)')
    x1, y1, x2, y2 = coords.unbind(1)
    return torch.hypot((x2 - x1) / width, (y2 - y1) / height)


def pairwise_center_distance(coords_a: Tensor, coords_b: Tensor, size_a: Sequence[int],
                             size_b: Sequence[int]) -> Tensor:
    """Normalised distance between every bin of view a and every bin of view b.

    ``dist(i, j) = ‖c_i − c_j‖₂ / max(diag_a, diag_b)`` with ``c`` the bin centres mapped
    back to the original image and ``diag`` the bin diagonals of each view
    (arXiv 2011.10043, Sec. 3.1, eq. 1). Images whose two views are both degenerate
    (zero-size boxes) give NaN/inf, which :func:`positive_pixel_mask` treats as negative.

    Args:
        coords_a, coords_b: ``(N, 4)`` view boxes of the same ``N`` images.
        size_a, size_b: feature-map sizes ``(Ha, Wa)``, ``(Hb, Wb)``.

    Returns:
        ``(N, Ha·Wa, Hb·Wb)`` float32 (float64 if either box tensor is float64).
    """
    coords_a, coords_b, (ha, wa), (hb, wb) = _check_pair(coords_a, coords_b, size_a, size_b)
    # Distances of O(1) numbers must not be rounded by fp16 matmuls under autocast.
    with torch.autocast(coords_a.device.type, enabled=False):
        centers_a = feature_bin_centers(coords_a, ha, wa)
        centers_b = feature_bin_centers(coords_b, hb, wb)
        # Direct differences, not the ‖a‖² + ‖b‖² − 2ab expansion: exact zeros for
        # coinciding centres, so the threshold test is not perturbed by cancellation.
        # (torch.cdist's direct mode does the same but is ~50x slower on CUDA: 18 ms for
        # 64 × 784 × 784 on an H100, measured with tools/benchmarks/pretrain_speed.py.)
        diff = centers_a[:, :, None, :] - centers_b[:, None, :, :]  # (N, La, Lb, 2)
        dist = torch.hypot(diff[..., 0], diff[..., 1])
        diag = torch.maximum(bin_diagonal(coords_a, ha, wa), bin_diagonal(coords_b, hb, wb))
        return dist / diag[:, None, None]


def positive_pixel_mask(coords_a: Tensor, coords_b: Tensor, size_a: Sequence[int],
                        size_b: Sequence[int], threshold: float = 0.7) -> Tensor:
    """Positive pixel pairs between two views (arXiv 2011.10043, Sec. 3.1, eq. 1).

    ``A(i, j) = 1`` if :func:`pairwise_center_distance` ``< threshold`` (T = 0.7 in the
    paper), i.e. the two bins' centres lie closer than ``threshold`` bin diagonals in the
    original image. Views that do not overlap have no positives.

    Args:
        coords_a, coords_b: ``(N, 4)`` view boxes in normalised original-image coordinates.
        size_a, size_b: feature-map sizes ``(Ha, Wa)``, ``(Hb, Wb)``.
        threshold: T, in units of the larger bin diagonal.

    Returns:
        ``(N, Ha·Wa, Hb·Wb)`` bool, rows indexing view a's flattened bins.
    """
    if threshold <= 0:
        raise ValueError(f'positive_pixel_mask: threshold must be > 0, got {threshold}')
    return pairwise_center_distance(coords_a, coords_b, size_a, size_b) < threshold


def positive_pixel_index(coords_a: Tensor, coords_b: Tensor, size_a: Sequence[int],
                         size_b: Sequence[int], threshold: float = 0.7) -> Tensor:
    """The positives of :func:`positive_pixel_mask` as index triples, without the dense
    ``La × Lb`` matrices (arXiv 2011.10043, Sec. 3.1, eq. 1).

    A pair can only be positive if its centres are closer than ``threshold`` diagonals along
    x and along y separately (``|dx| ≤ hypot(dx, dy)``, and rounding is monotone), so the
    candidates are the products of the per-axis candidates ``(N, Wa, Wb)`` and
    ``(N, Ha, Hb)``; each is then tested with the same float operations as
    :func:`pairwise_center_distance`. The result is exactly ``mask.nonzero()``; the memory
    is the number of candidates (a few per bin) instead of ``N·La·Lb`` (9.8 M per image at
    P2, 56 × 56 bins at 224 px). Sizing the lists waits for the device four times (two
    ``nonzero``, the candidate count, the kept pairs).

    Args:
        coords_a, coords_b: ``(N, 4)`` view boxes; size_a, size_b: ``(Ha, Wa)``, ``(Hb, Wb)``.
        threshold: T, in units of the larger bin diagonal.

    Returns:
        ``(P, 3)`` long ``(image, bin of view a, bin of view b)`` (bins flattened row-major),
        sorted as ``positive_pixel_mask(...).nonzero()``.
    """
    if threshold <= 0:
        raise ValueError(f'positive_pixel_index: threshold must be > 0, got {threshold}')
    coords_a, coords_b, (ha, wa), (hb, wb) = _check_pair(coords_a, coords_b, size_a, size_b)
    n = coords_a.shape[0]
    with torch.autocast(coords_a.device.type, enabled=False):
        centers_a = feature_bin_centers(coords_a, ha, wa).view(n, ha, wa, 2)
        centers_b = feature_bin_centers(coords_b, hb, wb).view(n, hb, wb, 2)
        diag = torch.maximum(bin_diagonal(coords_a, ha, wa), bin_diagonal(coords_b, hb, wb))
        dx = centers_a[:, 0, :, None, 0] - centers_b[:, 0, None, :, 0]  # (N, Wa, Wb)
        dy = centers_a[:, :, 0, None, 1] - centers_b[:, :, 0, None, 1].transpose(1, 2)
        near_x = dx.abs() / diag[:, None, None] < threshold
        near_y = dy.abs() / diag[:, None, None] < threshold  # (N, Ha, Hb)
        img_x, col_a, col_b = near_x.nonzero(as_tuple=True)
        img_y, row_a, row_b = near_y.nonzero(as_tuple=True)
        # Every x candidate with every y candidate of the same image.
        num_x = torch.zeros(n, dtype=torch.long, device=dx.device).index_add_(
            0, img_x, torch.ones_like(img_x))  # not bincount: no read-back of its maximum
        first_x = num_x.cumsum(0) - num_x
        per_y = num_x[img_y]
        y = torch.repeat_interleave(torch.arange(len(img_y), device=dx.device), per_y)
        x = first_x[img_y[y]] + torch.arange(len(y), device=dx.device) - \
            (per_y.cumsum(0) - per_y)[y]
        image = img_y[y]
        # The same operations as pairwise_center_distance, on the candidates only.
        dist = torch.hypot(dx[image, col_a[x], col_b[x]], dy[image, row_a[y], row_b[y]])
        keep = (dist / diag[image] < threshold).nonzero().squeeze(1)
        x, y, image = x[keep], y[keep], image[keep]
        bin_a = row_a[y] * wa + col_a[x]
        bin_b = row_b[y] * wb + col_b[x]
        order = ((image * (ha * wa) + bin_a) * (hb * wb) + bin_b).argsort()
        return torch.stack((image, bin_a, bin_b), dim=1)[order]


def pixel_pair_rows(index: Tensor, num_images: int, num_bins: int) -> Tuple[Tensor, Tensor]:
    """Rows to propagate and pairs to score for the sparse PixPro loss.

    Args:
        index: ``(P, 3)`` long ``(image, bin of view a, bin of view b)`` positives, any order
            (:func:`positive_pixel_index`, or a mask's ``nonzero()``).
        num_images: ``N``. num_bins: ``La``, the bins of view a.

    Returns:
        ``rows`` ``(N, R)`` long: per image, the bins of view a with at least one positive,
        ascending, padded with 0 to the largest count ``R``; and ``pairs`` ``(P, 3)`` long
        ``(image, slot in rows, bin of view b)``, in ``index``'s order.
    """
    if index.dim() != 2 or index.shape[1] != 3:
        raise ValueError(f'pixel_pair_rows: index must be (P, 3) (image, i, j), '
                         f'got {tuple(index.shape)}')
    image, bin_a, bin_b = index.unbind(1)
    needed = torch.zeros(num_images, num_bins, dtype=torch.bool, device=index.device)
    needed[image, bin_a] = True
    slot = needed.cumsum(1) - 1  # position of each needed bin among its image's
    num_rows = int(slot[:, -1].max()) + 1 if needed.numel() else 0
    rows = torch.zeros(num_images, num_rows, dtype=torch.long, device=index.device)
    pair_slot = slot[image, bin_a]
    rows[image, pair_slot] = bin_a  # repeated pairs write the same value
    return rows, torch.stack((image, pair_slot, bin_b), dim=1)


def positive_pixel_pairs(mask: Tensor) -> Tuple[Tensor, Tensor]:
    """:func:`pixel_pair_rows` of a dense :func:`positive_pixel_mask`, for the sparse PixPro
    loss (arXiv 2011.10043, eq. 4-5 need ``y_i`` only where bin ``i`` has a positive).

    Args:
        mask: ``(N, La, Lb)`` positive pairs (bool or 0/1).

    Returns:
        ``rows`` ``(N, R)`` and ``pairs`` ``(P, 3)`` as :func:`pixel_pair_rows`, the pairs in
        ``mask.nonzero()`` order.
    """
    if mask.dim() != 3:
        raise ValueError(f'positive_pixel_pairs: mask must be (N, La, Lb), '
                         f'got shape {tuple(mask.shape)}')
    return pixel_pair_rows(mask.bool().nonzero(), mask.shape[0], mask.shape[1])
