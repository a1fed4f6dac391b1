from typing import Dict, Optional, Sequence, Tuple

import torch
from torch import Tensor, nn

from mmssl_det.registry import MODELS
from .base import BasePretext, PretextBatch


@MODELS.register_module()
class PixelPretext(BasePretext):
    """Pixel-level consistency of Xie et al., "Propagate Yourself", arXiv 2011.10043.

    Each level in ``levels`` of both views goes through a dense projector (online) and its EMA
    copy (target); ``head`` scores online pixels of view a against target pixels of view b at
    the positions both views saw (eq. 1): ``PixProHead`` (PPM + cosine, eq. 3-5) or
    ``PixContrastHead`` (pixel InfoNCE, eq. 2). The loss of level ``l`` is weighted by
    ``level_weights[l]`` and logged as ``loss_<name>_l<level>`` (``loss_<name>`` for one level).

    FPN design (ours — the paper publishes no FPN recipe): positives are found per level from
    that level's own bin size, i.e. its stride, so T = 0.7 keeps the paper's meaning at every
    scale; the projector is shared across levels by default (``share_projector=False``: one
    per level). See the README's "PixPro on an FPN".

    Args:
        projector: dense ``ProjectionMLP`` config. head: ``PixProHead`` / ``PixContrastHead``.
        levels: encoder levels (``(-1, )`` = C5 as in the paper). level_weights: one each.
    """

    fields = ('coords', )
    needs_target = True

    def __init__(self, projector: dict, head: dict, levels: Sequence[int] = (-1, ),
                 level_weights: Optional[Sequence[float]] = None, share_projector: bool = True,
                 init_cfg=None) -> None:
        super().__init__(levels, init_cfg=init_cfg)
        self.level_weights = tuple(level_weights) if level_weights is not None \
            else (1.0, ) * len(self.levels)
        if len(self.level_weights) != len(self.levels):
            raise ValueError(f'level_weights {self.level_weights} must have one weight per '
                             f'level in levels={self.levels}')
        self.head = MODELS.build(head)  # before the projectors: a seed gives the old init
        self.projectors = nn.ModuleList(
            [MODELS.build(projector) for _ in range(1 if share_projector else len(self.levels))])

    def target_modules(self) -> Dict[str, nn.Module]:
        return dict(projectors=self.projectors)

    def loss_suffixes(self) -> Tuple[str, ...]:
        return ('', ) if len(self.levels) == 1 else tuple(f'l{lvl}' for lvl in self.levels)

    @staticmethod
    def _projector(projectors: nn.ModuleList, i: int) -> nn.Module:
        return projectors[i if len(projectors) > 1 else 0]

    def loss(self, batch: PretextBatch, target: Dict[str, nn.Module]) -> Dict[str, Tensor]:
        coords = batch.coords()
        losses = {}
        for i, (suffix, level, weight) in enumerate(
                zip(self.loss_suffixes(), self.levels, self.level_weights)):
            online = [self._projector(self.projectors, i)(f[level]) for f in batch.online]
            with torch.no_grad():
                key = [self._projector(target['projectors'], i)(f[level]) for f in batch.target]
            losses[suffix] = weight * self.head.loss(online, key, coords)
        return losses
