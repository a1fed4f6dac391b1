from typing import Dict, Optional

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

    Subclasses reuse the branch (:meth:`global_loss`) and the queues (:meth:`add_queue`,
    :meth:`contrast`, :meth:`enqueue`), e.g. :class:`DenseCLPretext`.

    Args:
        projector: vector ``ProjectionMLP`` with ``with_avg_pool=True`` and ``norm_cfg=None``.
        queue_size: K (65536). temperature: τ (0.2). level: the encoder level read.
        from_backbone: read the backbone's level, not the neck's (C5 under an FPN).
    """

    needs_target = True
    online_views = (0, )  # the query's view: the other view's online maps are never read
    target_views = (1, )  # the key's view

    def __init__(self, projector: dict, queue_size: int = 65536, temperature: float = 0.2,
                 level: int = -1, from_backbone: bool = False, init_cfg=None) -> None:
        super().__init__((level, ), from_backbone, init_cfg)
        if int(queue_size) != queue_size or queue_size < 1:
            raise ValueError(f'{type(self).__name__}: queue_size must be a positive int (K, '
                             f'65536 in MoCo v2), got {queue_size}')
        if not temperature > 0:
            raise ValueError(f'{type(self).__name__}: temperature must be > 0 (τ, 0.2 in '
                             f'MoCo v2), got {temperature}')
        self.global_level = level
        self.queue_size = int(queue_size)
        self.projector = MODELS.build(projector)
        self.temperature = temperature
        self.add_queue('queue', projector['out_channels'])

    def add_queue(self, name: str, dim: int, num: Optional[int] = None) -> None:
        """Buffers ``name`` (``(K, dim)``, or ``num`` queues ``(num, K, dim)``) and
        ``name_ptr``; MoCo initialises a queue with random unit keys."""
        shape = (self.queue_size, dim) if num is None else (num, self.queue_size, dim)
        self.register_buffer(name, F.normalize(torch.randn(shape), dim=-1))
        self.register_buffer(f'{name}_ptr', torch.zeros(() if num is None else (num, ),
                                                        dtype=torch.long))

    def contrast(self, q: Tensor, k: Tensor, queue: Tensor, ptr: Tensor) -> Tensor:
        """InfoNCE of the queries ``q`` against their keys ``k`` and ``queue`` (eq. 1), then
        :meth:`enqueue` of ``k``."""
        loss = infonce_loss(q, k, queue.clone().detach(), tau=self.temperature)
        self.enqueue(queue, ptr, k)
        return loss

    @staticmethod
    @torch.no_grad()
    def enqueue(queue: Tensor, ptr: Tensor, keys: Tensor) -> None:
        """The ``keys`` of every rank replace the oldest rows of ``queue``; ``ptr`` advances.
        Both are written in place, so they may be views of a stacked buffer (one queue per
        level)."""
        ptr.fill_(enqueue_(queue, torch.cat(all_gather(keys)), int(ptr)))

    def global_loss(self, batch: PretextBatch, target: Dict[str, nn.Module]) -> Tensor:
        """MoCo v2's loss on the pooled :attr:`global_level`, updating :attr:`queue`."""
        level = self.global_level
        q = self.projector(self.features(batch)[0][level])
        with torch.no_grad():
            k = F.normalize(target['projector'](self.features(batch, target=True)[1][level]),
                            dim=1)
        return self.contrast(q, k, self.queue, self.queue_ptr)

    def target_modules(self) -> Dict[str, nn.Module]:
        return dict(projector=self.projector)

    def loss(self, batch: PretextBatch, target: Dict[str, nn.Module]) -> Dict[str, Tensor]:
        return {'': self.global_loss(batch, target)}
