from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.dist import all_gather, get_rank, get_world_size
from torch import Tensor, nn

from mmssl_det.models.utils import enqueue_, sinkhorn_knopp, swapped_prediction_loss
from mmssl_det.registry import MODELS
from .base import BasePretext, PretextBatch


@MODELS.register_module()
class SwAVPretext(BasePretext):
    """SwAV (Caron et al., "Unsupervised Learning of Visual Features by Contrasting Cluster
    Assignments", arXiv 2006.09882): swapped prediction of online cluster codes, multi-crop.

    Every crop's pooled level goes through the projector (one pass over all crops, so its BN
    normalises over the whole multi-crop batch) and is L2-normalised to ``z`` (128-d); its
    scores against the ``K`` prototypes ``C`` (a bias-free linear layer whose rows are
    re-normalised before every step, :meth:`before_step`, Sec. 3.1) are ``zᵀC``. The codes
    ``q`` of the large crops only (Sec. 3.2 "Multi-crop") come from Sinkhorn-Knopp
    (:func:`~mmssl_det.models.utils.sinkhorn_knopp`: ε 0.05, 3 iterations, sums all-reduced
    over ranks, Sec. 3.1 / App. A.1) and every other crop predicts them through
    ``softmax(zᵀC / τ)``, τ 0.1 (eq. 1-3, averaged over the pairs,
    :func:`~mmssl_det.models.utils.swapped_prediction_loss`). The codes are targets: no
    gradient flows through them. No EMA target.

    **Queue** (Sec. 3.1 "Working with small batches", App. A.1): with ``queue_length`` L > 0
    each large crop keeps the last L embeddings ``z`` of the *global* batch (all ranks
    gathered, so the queue is identical on every rank and a checkpoint restores it exactly);
    scored against the current prototypes they join the Sinkhorn input, each rank taking
    rows ``rank::world`` so that every stored embedding enters the all-reduced sums once. It
    fills from when ``SwAVQueueHook`` switches it on (paper: epoch 15) and joins Sinkhorn
    once full. **Prototype freezing**: while ``PrototypeFreezeHook`` sets
    ``prototypes_frozen`` (paper: the first epoch), the prototypes' gradients are dropped
    before the optimizer step. Both switches, the queue and its pointer are buffers, so
    checkpoints and resume carry them.

    The encoder runs per view (the pretrainer's), so its BN sees one crop at a time rather
    than all crops of one resolution together.

    Args:
        projector: vector ``ProjectionMLP`` (2048 → 2048 BN ReLU → 128) with
            ``with_avg_pool=False``: the crops are pooled here, as their sizes differ.
        num_prototypes: K (3000).
        num_crops: (large, small) crops, in this order among the views (2 × 224 + 6 × 96);
            codes are computed on the large ones. The batch must have ``sum(num_crops)``
            views (MultiView's ``num_views=[large, small]``).
        temperature: τ (0.1). epsilon: Sinkhorn's ε (0.05). sinkhorn_iters: 3.
        queue_length: L per large crop over the global batch (3840 at batch 256; 0: none).
        level: the encoder level read. from_backbone: read the backbone's level.
    """

    def __init__(self, projector: dict, num_prototypes: int = 3000,
                 num_crops: Sequence[int] = (2, 6), temperature: float = 0.1,
                 epsilon: float = 0.05, sinkhorn_iters: int = 3, queue_length: int = 0,
                 level: int = -1, from_backbone: bool = False, init_cfg=None) -> None:
        super().__init__((level, ), from_backbone, init_cfg)
        num_crops = tuple(num_crops)
        if (len(num_crops) != 2 or any(not isinstance(n, int) for n in num_crops)
                or num_crops[0] < 1 or num_crops[1] < 0 or sum(num_crops) < 2):
            raise ValueError(f'SwAVPretext: num_crops={num_crops} must be (large, small) ints '
                             f'with at least 1 large crop and 2 crops in all, e.g. (2, 6)')
        if queue_length < 0 or num_prototypes < 1:
            raise ValueError(f'SwAVPretext: queue_length={queue_length} must be >= 0 and '
                             f'num_prototypes={num_prototypes} >= 1')
        if projector.get('with_avg_pool', False):
            raise ValueError('SwAVPretext: projector.with_avg_pool must be False (the crops '
                             'have different sizes; the pretext pools each one)')
        self.projector = MODELS.build(projector)
        dim = projector['out_channels']
        self.prototypes = nn.Linear(dim, num_prototypes, bias=False)
        self.num_crops = num_crops
        self.temperature = temperature
        self.epsilon = epsilon
        self.sinkhorn_iters = sinkhorn_iters
        self.queue_length = queue_length
        self.register_buffer('queue', torch.zeros(num_crops[0], queue_length, dim))
        self.register_buffer('queue_ptr', torch.zeros((), dtype=torch.long))
        self.register_buffer('queue_count', torch.zeros((), dtype=torch.long))
        self.register_buffer('queue_active', torch.zeros((), dtype=torch.bool))
        self.register_buffer('prototypes_frozen', torch.zeros((), dtype=torch.bool))

    @property
    def num_views(self) -> int:  # type: ignore[override]
        return sum(self.num_crops)

    # -- schedule-driven state (set by SwAVQueueHook / PrototypeFreezeHook) ----------------
    def set_queue_active(self, active: bool) -> None:
        if active and self.queue_length == 0:
            raise ValueError(f'pretext {self.name!r}: queue_length=0, so there is no queue to '
                             f'switch on; set the pretext\'s queue_length (3840 in the paper) '
                             f'or drop SwAVQueueHook')
        self.queue_active.fill_(active)

    def set_prototypes_frozen(self, frozen: bool) -> None:
        self.prototypes_frozen.fill_(frozen)

    def before_step(self, parts: Dict[str, nn.Module]) -> None:
        # Sec. 3.1: the prototypes stay on the unit sphere, like z.
        with torch.no_grad():
            weight = self.prototypes.weight
            weight.copy_(F.normalize(weight, dim=1))

    # -- loss -----------------------------------------------------------------------------
    def check_views(self, inputs: List[Tensor]) -> None:
        large, small = self.num_crops
        if len(inputs) != large + small:
            raise ValueError(f'pretext {self.name!r}: num_crops={self.num_crops} needs '
                             f'{large + small} views ({large} large + {small} small), the '
                             f'batch has {len(inputs)}; set MultiView\'s num_views=[{large}, '
                             f'{small}] or the pretext\'s num_crops')
        area = [v.shape[-2] * v.shape[-1] for v in inputs]
        if small and min(area[:large]) < max(area[large:]):
            i = min(range(large), key=area.__getitem__)
            j = max(range(large, large + small), key=area.__getitem__)
            size = [f'{v.shape[-2]}x{v.shape[-1]}' for v in inputs]
            raise ValueError(f'pretext {self.name!r}: num_crops={self.num_crops} takes views '
                             f'0-{large - 1} as the large crops (the codes) and the rest as '
                             f'the small ones, but view {j} ({size[j]}) is larger than view '
                             f'{i} ({size[i]}); list the large-crop pipeline first in '
                             f'MultiView (num_views=[{large}, {small}])')

    @torch.no_grad()
    def _codes(self, crop: int, z: Tensor) -> Tensor:
        """Sinkhorn codes of large crop ``crop``'s ``(N, D)`` embeddings, the stored ones
        joining the input once the queue is full. The scores are float32 even under
        autocast: exp(score / ε) would multiply bf16/fp16 rounding by 1/ε = 20."""
        n = z.shape[0]
        if self.queue_active and int(self.queue_count) == self.queue_length:
            z = torch.cat((self.queue[crop, get_rank()::get_world_size()], z))
        with torch.autocast(z.device.type, enabled=False):
            scores = F.linear(z.float(), self.prototypes.weight.float())
        return sinkhorn_knopp(scores, self.epsilon, self.sinkhorn_iters)[-n:]

    @torch.no_grad()
    def _enqueue(self, z: Tuple[Tensor, ...]) -> None:
        """The large crops' embeddings of every rank replace the oldest stored ones."""
        ptr = int(self.queue_ptr)
        for crop, emb in enumerate(z[:self.num_crops[0]]):
            keys = torch.cat(all_gather(emb.detach().contiguous()))
            new_ptr = enqueue_(self.queue[crop], keys, ptr)
        self.queue_ptr.fill_(new_ptr)
        self.queue_count.fill_(min(int(self.queue_count) + len(keys), self.queue_length))

    def loss(self, batch: PretextBatch,
             target: Optional[Dict[str, nn.Module]]) -> Dict[str, Tensor]:
        level = self.levels[0]
        maps = [f[level] for f in self.features(batch)]
        n = maps[0].shape[0]
        z = F.normalize(self.projector(torch.cat([m.mean(dim=(2, 3)) for m in maps])), dim=1)
        scores = self.prototypes(z).split(n)
        codes = [self._codes(crop, emb)
                 for crop, emb in enumerate(z.split(n)[:self.num_crops[0]])]
        if self.queue_active:
            self._enqueue(z.split(n))
        return {'': swapped_prediction_loss(scores, codes, self.temperature)}
