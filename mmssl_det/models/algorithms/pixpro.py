from typing import Dict, List, Optional, Sequence

import torch
from torch import Tensor, nn

from mmssl_det.registry import MODELS
from .base import BaseSelfSupervisor


@MODELS.register_module()
class PixPro(BaseSelfSupervisor):
    """Pixel-level pretraining of a backbone and, optionally, its FPN.

    Xie et al., "Propagate Yourself: Exploring Pixel-Level Consistency for Unsupervised
    Visual Representation Learning", arXiv 2011.10043 (CVPR 2021). Two views of an image go
    through the online network (backbone → [FPN] → 1×1-conv projector) and its EMA target;
    ``pixel_head`` scores online pixels of view a against target pixels of view b at the
    positions both views saw (eq. 1), with PPM + cosine (PixPro, eq. 3-5) or pixel InfoNCE
    (PixContrast, eq. 2). An optional BYOL instance branch (Sec. 3.4) adds α·L_inst.

    FPN design (ours — the paper publishes no FPN recipe): the pixel loss is applied on each
    level in ``levels`` (default P3-P5 = FPN outputs 1-3). Positives are found per level from
    that level's own bin size, i.e. its stride, so the threshold T = 0.7 keeps the paper's
    meaning (less than 0.7 of a bin apart) at every scale. P2 is left out by default because
    its 56×56 maps make the all-pairs PPM/mask ~16× the cost of P3; P6 (4×4 at 224 px) has
    too few bins to match. Consequence: P2's own convs (``lateral_convs.0``, ``fpn_convs.0``)
    get no gradient here (DDP runs with ``find_unused_parameters``); the RPN and RoI pretexts
    of :class:`DetectorPretrainer`, which read P2, train them. The projector is
    shared across levels by default (like FPN's shared RPN/RoI heads, it makes every level
    speak the same embedding); ``share_projector=False`` gives one per level.

    Args:
        backbone, neck: mmdet configs (e.g. ``ResNet``, ``FPN``); without a neck the loss
            uses backbone outputs (``levels=(-1,)`` = C5 as in the paper).
        projector: dense ``ProjectionMLP`` config. pixel_head: ``PixProHead`` or
            ``PixContrastHead`` config, or None (instance branch only, i.e. BYOL).
        levels: indices into the feature tuple; level_weights: per-level loss weights.
        instance_projector / instance_head: optional BYOL branch on ``levels[-1]``.
    """

    needs_own_branch = True  # subclasses with further pretext branches may drop both

    def __init__(self,
                 backbone: dict,
                 neck: Optional[dict] = None,
                 projector: Optional[dict] = None,
                 pixel_head: Optional[dict] = None,
                 levels: Sequence[int] = (-1, ),
                 level_weights: Optional[Sequence[float]] = None,
                 share_projector: bool = True,
                 instance_projector: Optional[dict] = None,
                 instance_head: Optional[dict] = None,
                 base_momentum: float = 0.99,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg=None) -> None:
        super().__init__(backbone, neck, base_momentum, data_preprocessor, init_cfg)
        self.levels = tuple(levels)
        self.level_weights = tuple(level_weights) if level_weights is not None \
            else (1.0, ) * len(self.levels)
        if len(self.level_weights) != len(self.levels):
            raise ValueError(f'level_weights {self.level_weights} must have one weight per '
                             f'level in levels={self.levels}')
        self._check_levels(self._num_feature_levels())
        if pixel_head is None and instance_head is None and self.needs_own_branch:
            raise ValueError(f'{type(self).__name__} needs a pixel_head and/or an '
                             f'instance_head')
        if (pixel_head is None) != (projector is None):
            raise ValueError('pixel_head and projector must be given together')
        self.pixel_head = MODELS.build(pixel_head) if pixel_head else None
        self.projectors = nn.ModuleList(
            [MODELS.build(projector) for _ in range(1 if share_projector else len(self.levels))]
        ) if projector else None
        if (instance_head is None) != (instance_projector is None):
            raise ValueError('instance_head and instance_projector must be given together')
        self.instance_projector = MODELS.build(instance_projector) if instance_projector else None
        self.instance_head = MODELS.build(instance_head) if instance_head else None
        self.build_target()

    def online_modules(self) -> Dict[str, nn.Module]:
        mods = super().online_modules()
        if self.projectors is not None:
            mods['projectors'] = self.projectors
        if self.instance_projector is not None:
            mods['instance_projector'] = self.instance_projector
        return mods

    def _num_feature_levels(self) -> Optional[int]:
        if self.neck is not None:
            return getattr(self.neck, 'num_outs', None)
        out_indices = getattr(self.backbone, 'out_indices', None)
        return len(out_indices) if out_indices is not None else None

    def _check_levels(self, num_levels: Optional[int]) -> None:
        if num_levels is None:
            return
        bad = [lvl for lvl in self.levels if not -num_levels <= lvl < num_levels]
        if bad:
            source = (f'neck {type(self.neck).__name__} (num_outs={num_levels})'
                      if self.neck is not None else
                      f'backbone {type(self.backbone).__name__} ({num_levels} out_indices)')
            raise ValueError(f'levels={self.levels} asks for level(s) {bad}, but {source} '
                             f'produces levels 0..{num_levels - 1}; change `levels` or the '
                             f'neck/backbone outputs')

    @staticmethod
    def _level_projector(projectors: nn.ModuleList, i: int) -> nn.Module:
        return projectors[i if len(projectors) > 1 else 0]

    def loss(self, inputs: List[Tensor], data_samples: Sequence) -> Dict[str, Tensor]:
        """inputs: two views ``(N, 3, H, W)``; data_samples carry ``coords (2, 4)``."""
        if len(inputs) != 2:
            raise ValueError(f'{type(self).__name__} takes exactly 2 views, got {len(inputs)}')
        online, target = self.encode_views(inputs)
        coords = self.view_coords(data_samples, inputs[0].device)
        return {**self.pixel_losses(online, target, coords),
                **self.instance_losses(online, target)}

    def pixel_losses(self, online_feats: List[tuple], target_feats: List[tuple],
                     coords: Tensor) -> Dict[str, Tensor]:
        if self.pixel_head is None:
            return {}
        self._check_levels(len(online_feats[0]))
        target_mods = self.target.module
        losses = {}
        for i, (level, weight) in enumerate(zip(self.levels, self.level_weights)):
            online = [self._level_projector(self.projectors, i)(f[level]) for f in online_feats]
            with torch.no_grad():
                target = [self._level_projector(target_mods['projectors'], i)(f[level]) for f in target_feats]
            name = 'loss_pixel' if len(self.levels) == 1 else f'loss_pixel_l{level}'
            losses[name] = weight * self.pixel_head.loss(online, target, coords)
        return losses

    def instance_losses(self, online_feats: List[tuple],
                        target_feats: List[tuple]) -> Dict[str, Tensor]:
        if self.instance_head is None:
            return {}
        level = self.levels[-1]
        online = [self.instance_projector(f[level]) for f in online_feats]
        with torch.no_grad():
            target = [self.target.module['instance_projector'](f[level]) for f in target_feats]
        return dict(loss_instance=self.instance_head.loss(online, target))


@MODELS.register_module()
class PixContrast(PixPro):
    """PixContrast (arXiv 2011.10043, Sec. 3.1, eq. 2): the same two-branch network as
    :class:`PixPro` with a ``PixContrastHead`` (no PPM; pixel InfoNCE, τ = 0.3)."""

    def __init__(self, pixel_head: dict = dict(type='PixContrastHead'), **kwargs) -> None:
        super().__init__(pixel_head=pixel_head, **kwargs)


@MODELS.register_module()
class BYOL(PixPro):
    """BYOL (Grill et al., arXiv 2006.07733): the instance branch alone, on the pooled last
    level. Shares PixPro's network so the two are compared on equal terms."""

    def __init__(self, instance_projector: dict, instance_head: dict,
                 pixel_head: Optional[dict] = None, projector: Optional[dict] = None,
                 **kwargs) -> None:
        if pixel_head is not None or projector is not None:
            raise ValueError('BYOL has no pixel branch: set pixel_head=None and projector=None '
                             '(or use type="PixPro" with an instance branch)')
        super().__init__(instance_projector=instance_projector, instance_head=instance_head,
                         **kwargs)
