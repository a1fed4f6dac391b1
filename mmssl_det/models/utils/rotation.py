"""The rotation pretext batch of RotNet (Gidaris et al., "Unsupervised Representation
Learning by Predicting Image Rotations", arXiv 1803.07728, Sec. 2.2)."""
from typing import Optional, Tuple

import torch
from torch import Tensor


def rotation_batch(images: Tensor) -> Tuple[Tensor, Tensor]:
    """The four rotations 0°, 90°, 180°, 270° of every image, and their labels 0..3.

    RotNet (arXiv 1803.07728, Sec. 2.2) rotates by multiples of 90° because these need no
    interpolation: they are exact transposes and flips (Sec. 2.2), here
    ``torch.rot90`` on the ``(H, W)`` dims, counter-clockwise as displayed (row 0 on top):
    rotation ``r`` of image ``x`` satisfies ``rot_1(x)[i, j] = x[j, W−1−i]`` (90°),
    ``rot_2(x)[i, j] = x[H−1−i, W−1−j]`` (180°), ``rot_3(x)[i, j] = x[H−1−j, i]`` (270°).
    All four rotated copies of an image go into the same batch, as the paper found best
    (Sec. 2.2), image-major: ``out[4n + r] = rot_r(images[n])``, ``labels[4n + r] = r``;
    the loss is a 4-way cross entropy.

    Args:
        images: ``(N, C, H, W)`` with ``H == W`` (rotating a non-square image by 90° changes
            its shape, so the four copies could not be stacked: crop or resize to a square).

    Returns:
        ``(4N, C, H, W)`` rotated images (same dtype/device) and ``(4N,)`` int64 labels.
    """
    if images.dim() != 4:
        raise ValueError(f'rotation_batch: images must be (N, C, H, W), got shape '
                         f'{tuple(images.shape)}')
    height, width = images.shape[-2:]
    if height != width:
        raise ValueError(f'rotation_batch: images must be square (H == W) so that 90° rotations '
                         f'keep the shape, got (N, C, H, W) = {tuple(images.shape)}; crop or '
                         f'resize the views to a square')
    rotated = torch.stack([torch.rot90(images, r, dims=(-2, -1)) for r in range(4)], 1)
    return rotated.flatten(0, 1), rotation_labels(images.shape[0], images.device)


def rotation_labels(num_images: int, device: Optional[torch.device] = None) -> Tensor:
    """The labels of :func:`rotation_batch`'s image-major layout: ``(4N,)`` int64,
    ``labels[4n + r] = r`` (the rotation by ``r``·90°), e.g. ``[0, 1, 2, 3, 0, 1, 2, 3]``
    for ``N = 2``."""
    if num_images < 0:
        raise ValueError(f'rotation_labels: num_images must be >= 0, got {num_images}')
    return torch.arange(4, device=device).repeat(num_images)
