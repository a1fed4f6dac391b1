from typing import Dict, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mmssl_det.models.utils import argmax_correspondence, dense_infonce_loss
from mmssl_det.registry import MODELS
from .base import PretextBatch
from .mocov2 import MoCoV2Pretext


@MODELS.register_module()
class DenseCLPretext(MoCoV2Pretext):
    """DenseCL (Wang, Zhang, Shen, Kong & Li, "Dense Contrastive Learning for Self-Supervised
    Visual Pre-Training", arXiv 2011.09157): MoCo v2's global branch plus a dense branch.

    - Global (Sec. 3.2): :class:`MoCoV2Pretext`'s loss ``L_q`` on the pooled last of
      ``levels`` (C5 in the paper) with its queue.
    - Dense (Sec. 3.2-3.3): ``dense_projector`` (1×1 convs, no BN: the paper's dense head)
      maps a level of both views to ``S × S`` vectors (the map itself, or the map pooled
      to ``grid_size`` first, as DenseCL's neck does). Location ``s`` of view 0 (online,
      the query ``r``) is matched to the location of view 1 whose *encoder* feature is the
      most similar (cosine argmax between the online view-0 and target view-1 maps at that
      level, Sec. 3.3); the target's projection there is the positive key, a per-level
      dense queue of pooled target projections the negatives: ``L_r``, eq. 2
      (:func:`dense_infonce_loss`).
    - Loss (eq. 3): ``(1 − λ) L_q + λ L_r`` with λ = ``loss_lambda`` (0.5), logged as
      ``loss_<name>_global`` and ``loss_<name>_dense``; with several levels ``L_r`` is the
      mean over them.

    On C5 (the paper) use ``levels=(-1, )``, with ``from_backbone=True`` under an FPN; on FPN
    levels (ours: the paper has no FPN recipe) e.g. ``levels=(1, 2, 3)`` (P3-P5, global
    branch on P5) — every level then shares the dense projector (equal FPN widths) and has
    its own dense queue, so negatives come from the same scale. Queues are buffers.

    Args:
        projector: the global branch's vector ``ProjectionMLP`` (pooled, ``norm_cfg=None``).
        dense_projector: dense ``ProjectionMLP`` (``dense=True``, ``norm_cfg=None``).
        queue_size: K of both queues (65536). temperature: τ (0.2).
        levels: encoder levels of the dense branch; the last one is pooled for the global one.
        loss_lambda: λ of eq. 3. grid_size: S (None: the level's own resolution, 7 × 7 on
            C5 of a 224 px view as in the paper).
        from_backbone: read the backbone's levels, not the neck's.
    """

    def __init__(self, projector: dict, dense_projector: dict, queue_size: int = 65536,
                 temperature: float = 0.2, levels: Sequence[int] = (-1, ),
                 loss_lambda: float = 0.5, grid_size: Optional[int] = None,
                 from_backbone: bool = False, init_cfg=None) -> None:
        levels = tuple(levels)
        name = type(self).__name__
        if not levels:
            raise ValueError(f'{name}: levels must name at least one encoder level, e.g. '
                             f'(-1, ) for C5')
        if not 0 <= loss_lambda <= 1:
            raise ValueError(f'{name}: loss_lambda must be in [0, 1] (λ of eq. 3, 0.5), got '
                             f'{loss_lambda}')
        if grid_size is not None and (int(grid_size) != grid_size or grid_size < 1):
            raise ValueError(f'{name}: grid_size must be None or a positive int (S), got '
                             f'{grid_size}')
        if not dense_projector.get('dense', True):
            raise ValueError(f'{name}: dense_projector must project every location '
                             f'(ProjectionMLP with dense=True), got dense=False')
        super().__init__(projector, queue_size, temperature, levels[-1], from_backbone,
                         init_cfg)
        self.levels = levels
        self.loss_lambda = loss_lambda
        self.grid_size = grid_size
        self.dense_projector = MODELS.build(dense_projector)
        self.add_queue('dense_queue', dense_projector['out_channels'], len(levels))

    def target_modules(self) -> Dict[str, nn.Module]:
        return dict(projector=self.projector, dense_projector=self.dense_projector)

    def loss_suffixes(self) -> Tuple[str, ...]:
        return ('global', 'dense')

    def _grid(self, x: Tensor) -> Tensor:
        return x if self.grid_size is None else F.adaptive_avg_pool2d(x, self.grid_size)

    def dense_loss(self, i: int, batch: PretextBatch, target: Dict[str, nn.Module]) -> Tensor:
        """``L_r`` (eq. 2) on ``levels[i]``, updating that level's dense queue."""
        level = self.levels[i]
        # The S×S grid pools the encoder map before the dense projector (DenseCL's neck).
        feat_q = self._grid(self.features(batch)[0][level])
        r = self.dense_projector(feat_q)
        with torch.no_grad():
            feat_k = self._grid(self.features(batch, target=True)[1][level])
            t = target['dense_projector'](feat_k)
            matches = argmax_correspondence(feat_q, feat_k)
            keys = F.normalize(t.flatten(2).mean(2), dim=1)  # one negative per key image
        queue, ptr = self.dense_queue[i], self.dense_queue_ptr[i]  # views of the buffers
        loss = dense_infonce_loss(r, t, matches, queue.clone().detach(), tau=self.temperature)
        self.enqueue(queue, ptr, keys)
        return loss

    def loss(self, batch: PretextBatch, target: Dict[str, nn.Module]) -> Dict[str, Tensor]:
        dense = torch.stack([self.dense_loss(i, batch, target)
                             for i in range(len(self.levels))]).mean()
        return {'global': (1 - self.loss_lambda) * self.global_loss(batch, target),
                'dense': self.loss_lambda * dense}
