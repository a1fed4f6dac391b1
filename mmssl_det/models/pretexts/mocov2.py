from typing import Dict

import torch
import torch.nn.functional as F
from mmengine.dist import all_gather
from torch import Tensor, nn

from mmssl_det.models.utils import enqueue_, infonce_loss
from mmssl_det.registry import MODELS
from .base import BasePretext, PretextBatch


@MODELS.register_module()
class MoCoV2Pretext(BasePretext):
    """MoCo v2 (Chen, Fan, Girshick & He, arXiv 2003.04297): MoCo's contrastive loss
    (He et al., arXiv 1911.05722) with an MLP head.

    The query ``q`` is the online projection of view 0, the key ``k`` the EMA target's
    projection of view 1 (the momentum encoder, Sec. 3.2 "Momentum update": set the
    pretrainer's ``base_momentum=0.999`` and a constant schedule); the loss is InfoNCE with
    the queue of past keys as negatives (eq. 1, τ = 0.2 in v2), after which the batch's keys
    (of every rank) replace the oldest ones ("Dictionary as a queue"). The projector pools
    the level and maps it through MoCo v2's MLP head (2048 → 2048 → ReLU → 128, no BN).
    The queue and its pointer are buffers: checkpoints and resume carry them. Shuffling BN
    (Sec. 3.3) is replaced by SyncBN (``sync_bn`` in the runtime config); on one process the
    target's BN sees only view 1.

    Args:
        projector: vector ``ProjectionMLP`` with ``with_avg_pool=True`` and ``norm_cfg=None``.
        queue_size: K (65536). temperature: τ (0.2). level: the encoder level read.
        from_backbone: read the backbone's level, not the neck's (C5 under an FPN).
    """

    needs_target = True

    def __init__(self, projector: dict, queue_size: int = 65536, temperature: float = 0.2,
                 level: int = -1, from_backbone: bool = False, init_cfg=None) -> None:
        super().__init__((level, ), from_backbone, init_cfg)
        self.projector = MODELS.build(projector)
        self.temperature = temperature
        dim = projector['out_channels']
        # MoCo initialises the queue with random unit keys.
        self.register_buffer('queue', F.normalize(torch.randn(queue_size, dim), dim=1))
        self.register_buffer('queue_ptr', torch.zeros((), dtype=torch.long))

    def target_modules(self) -> Dict[str, nn.Module]:
        return dict(projector=self.projector)

    def loss(self, batch: PretextBatch, target: Dict[str, nn.Module]) -> Dict[str, Tensor]:
        level = self.levels[0]
        q = self.projector(self.features(batch)[0][level])
        with torch.no_grad():
            k = F.normalize(target['projector'](self.features(batch, target=True)[1][level]),
                            dim=1)
        loss = infonce_loss(q, k, self.queue.clone().detach(), tau=self.temperature)
        keys = torch.cat(all_gather(k))  # every rank enqueues the global batch
        self.queue_ptr.fill_(enqueue_(self.queue, keys, int(self.queue_ptr)))
        return {'': loss}
