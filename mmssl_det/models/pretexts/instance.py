from typing import Dict

import torch
from torch import Tensor, nn

from mmssl_det.registry import MODELS
from .base import BasePretext, PretextBatch


@MODELS.register_module()
class InstancePretext(BasePretext):
    """BYOL's image-level consistency (Grill et al., arXiv 2006.07733, Sec. 3.1, eq. 2) on one
    encoder level: the level, pooled by ``projector`` (``with_avg_pool=True``), is projected by
    the online network and its EMA target; ``head`` (``InstanceBYOLHead``) predicts the other
    view's target projection, symmetrised. Also PixPro's optional instance branch
    (arXiv 2011.10043, Sec. 3.4).

    Args:
        projector: vector ``ProjectionMLP`` with ``with_avg_pool=True``.
        head: ``InstanceBYOLHead`` (predictor + loss weight). level: the encoder level read.
        from_backbone: read the backbone's level, not the neck's.
    """

    needs_target = True

    def __init__(self, projector: dict, head: dict, level: int = -1,
                 from_backbone: bool = False, init_cfg=None) -> None:
        super().__init__((level, ), from_backbone, init_cfg)
        self.projector = MODELS.build(projector)
        self.head = MODELS.build(head)

    def target_modules(self) -> Dict[str, nn.Module]:
        return dict(projector=self.projector)

    def loss(self, batch: PretextBatch, target: Dict[str, nn.Module]) -> Dict[str, Tensor]:
        level = self.levels[0]
        online = [self.projector(f[level]) for f in self.features(batch)]
        with torch.no_grad():
            key = [target['projector'](f[level]) for f in self.features(batch, target=True)]
        return {'': self.head.loss(online, key)}
