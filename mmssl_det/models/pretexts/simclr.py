from typing import Dict

import torch
from torch import Tensor

from mmssl_det.models.utils import nt_xent_loss
from mmssl_det.registry import MODELS
from .base import BasePretext, PretextBatch


@MODELS.register_module()
class SimCLRPretext(BasePretext):
    """SimCLR (Chen, Kornblith, Norouzi & Hinton, "A Simple Framework for Contrastive
    Learning of Visual Representations", arXiv 2002.05709): no target network, no queue.

    Both views go through the online encoder; ``projector`` g pools the level (h, Sec. 2.1)
    and maps it to ``z`` (2048 → 2048 → ReLU → 128, BN on the hidden layer); the loss is
    NT-Xent (eq. 1) over the ``2N`` embeddings, the negatives of an image being the other
    ``2N − 2`` embeddings of the *global* batch (every rank's, gathered with gradient:
    :func:`nt_xent_loss`, Sec. 2 "Training with large batch size"). The two views are
    projected as one ``2N`` batch, so the projector's BN normalises over both, as in the
    paper (the encoder runs view by view, so its BN sees one view at a time; positives stay
    in different BN batches, so nothing leaks). Use it in a pretrainer with ``with_target=False``.

    Args:
        projector: vector ``ProjectionMLP`` with ``with_avg_pool=True``.
        temperature: τ (0.1, the paper's ImageNet setting with LARS at batch 4096; Table 5,
            Appendix B.9 — 0.5 suits small batches).
        level: encoder level. from_backbone: read the backbone's level, not the neck's.
        gather: negatives from every rank (False: each rank's own batch).
    """

    def __init__(self, projector: dict, temperature: float = 0.1, level: int = -1,
                 from_backbone: bool = False, gather: bool = True, init_cfg=None) -> None:
        super().__init__((level, ), from_backbone, init_cfg)
        if not temperature > 0:
            raise ValueError(f'{type(self).__name__}: temperature must be > 0 (τ, 0.1 in '
                             f'SimCLR), got {temperature}')
        self.projector = MODELS.build(projector)
        self.temperature = temperature
        self.gather = gather

    def loss(self, batch: PretextBatch, target=None) -> Dict[str, Tensor]:
        level = self.levels[0]
        z = self.projector(torch.cat([f[level] for f in self.features(batch)]))
        z_a, z_b = z.chunk(2)
        return {'': nt_xent_loss(z_a, z_b, tau=self.temperature, gather=self.gather)}
