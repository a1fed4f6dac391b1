from typing import Optional, Sequence

from mmengine.model import BaseModule
from torch import Tensor

from mmssl_det.models.utils import (pixcontrast_loss, pixel_pair_rows, pixpro_loss,
                                    pixpro_loss_pairs, positive_pixel_index,
                                    positive_pixel_mask)
from mmssl_det.registry import MODELS


class PixelCorrespondenceHead(BaseModule):
    """Shared part of the pixel-level pretext heads of Xie et al. arXiv 2011.10043.

    For each ordered view pair (a, b) the positives are the bins whose centres, mapped back
    to the original image, lie closer than ``pos_threshold`` × the larger bin diagonal
    (Sec. 3.1, eq. 1); the subclass scores online view ``a`` against target view ``b`` and
    the loss is symmetrised over (a, b) ∈ {(0, 1), (1, 0)}. The mask follows each map's own
    size, so on an FPN level the positives come from that level's stride.
    """

    def __init__(self, pos_threshold: float = 0.7, loss_weight: float = 1.0,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg)
        self.pos_threshold = pos_threshold
        self.loss_weight = loss_weight

    def pair_loss(self, online: Tensor, target: Tensor, mask: Tensor) -> Tensor:
        """Loss of one direction: online ``(N, C, La)``, target ``(N, C, Lb)``, mask ``(N, La, Lb)``."""
        raise NotImplementedError

    def online_transform(self, x: Tensor) -> Tensor:
        """Extra online-only mapping before scoring (PPM for PixPro); identity by default."""
        return x

    def positive_mask(self, online: Sequence[Tensor], target: Sequence[Tensor],
                      coords: Tensor) -> Tensor:
        """``(N, La, Lb)`` positives of online view 0 against target view 1 (eq. 1)."""
        return positive_pixel_mask(coords[:, 0], coords[:, 1], online[0].shape[-2:],
                                   target[1].shape[-2:], self.pos_threshold)

    def loss(self, online: Sequence[Tensor], target: Sequence[Tensor],
             coords: Tensor) -> Tensor:
        """Args:
            online: two online projections ``(N, C, H_v, W_v)``.
            target: two target projections ``(N, C, H_v, W_v)`` (no gradient).
            coords: ``(N, 2, 4)`` view boxes in normalised original-image coordinates.
        """
        # Eq. 1 is symmetric in the two views, so the (1, 0) mask is the (0, 1) one transposed.
        mask = self.positive_mask(online, target, coords)
        total = self.pair_loss(self.online_transform(online[0]).flatten(2),
                               target[1].flatten(2), mask)
        total = total + self.pair_loss(self.online_transform(online[1]).flatten(2),
                                       target[0].flatten(2), mask.transpose(1, 2))
        return self.loss_weight * total


@MODELS.register_module()
class PixProHead(PixelCorrespondenceHead):
    """PixPro loss (arXiv 2011.10043, eq. 5): PPM on the online branch, then
    −cos(y_i, x'_j) averaged over positive pairs, symmetrised.

    ``sparse=True`` (default) computes the same loss from the positive pairs: found without
    the ``La × Lb`` distance matrices (:func:`positive_pixel_index`), the PPM output only at
    the bins that have a positive (an ``R × L`` similarity instead of ``L × L``) and the
    cosine only for the ``P`` positive pairs instead of all ``La × Lb``
    (:func:`pixel_pair_rows`, :func:`pixpro_loss_pairs`). Sizing the pair lists waits for
    the device six times per level on a GPU; ``sparse=False`` is the sync-free dense form
    (docs/benchmarks.md compares them).
    """

    def __init__(self, ppm: dict = dict(type='PixelPropagationModule'), sparse: bool = True,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.ppm = MODELS.build(ppm)
        self.sparse = sparse

    def loss(self, online: Sequence[Tensor], target: Sequence[Tensor],
             coords: Tensor) -> Tensor:
        if not self.sparse:
            return super().loss(online, target, coords)
        index = positive_pixel_index(coords[:, 0], coords[:, 1], online[0].shape[-2:],
                                     target[1].shape[-2:], self.pos_threshold)
        total = 0
        # Eq. 1 is symmetric: the (1, 0) positives are the (0, 1) ones with the bins swapped.
        for a, b, pairs in ((0, 1, index), (1, 0, index[:, [0, 2, 1]])):
            rows, pairs = pixel_pair_rows(pairs, online[a].shape[0],
                                          online[a].shape[-2] * online[a].shape[-1])
            y = self.ppm(online[a], rows=rows)
            total = total + pixpro_loss_pairs(y, target[b].flatten(2), pairs)
        return self.loss_weight * total

    def online_transform(self, x: Tensor) -> Tensor:
        return self.ppm(x)

    def pair_loss(self, online: Tensor, target: Tensor, mask: Tensor) -> Tensor:
        return pixpro_loss(online, target, mask)


@MODELS.register_module()
class PixContrastHead(PixelCorrespondenceHead):
    """PixContrast loss (arXiv 2011.10043, eq. 2): InfoNCE over pixels with several
    positives, the other pixels of the target view as negatives, temperature τ = 0.3."""

    def __init__(self, temperature: float = 0.3, **kwargs) -> None:
        super().__init__(**kwargs)
        self.temperature = temperature

    def pair_loss(self, online: Tensor, target: Tensor, mask: Tensor) -> Tensor:
        return pixcontrast_loss(online, target, mask, tau=self.temperature)
