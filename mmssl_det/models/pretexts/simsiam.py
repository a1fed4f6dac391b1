from typing import Dict

from torch import Tensor

from mmssl_det.models.utils import negative_cosine
from mmssl_det.registry import MODELS
from .base import BasePretext, PretextBatch


@MODELS.register_module()
class SimSiamPretext(BasePretext):
    """SimSiam (Chen & He, "Exploring Simple Siamese Representation Learning",
    arXiv 2011.10566): no target network, no negatives. Both views go through the online
    encoder and ``projector`` f (3 fc layers, BN on each incl. the output, Sec. 4.2) to
    ``z``, the ``predictor`` h (bottleneck 2048 → 512 → 2048) gives ``p``, and

        L = ½ D(p₁, stopgrad(z₂)) + ½ D(p₂, stopgrad(z₁)),  D(p, z) = −cos(p, z)

    (eq. 1-3; the stop-gradient is what keeps it from collapsing). Use it in a pretrainer
    with ``with_target=False`` (and no ``CosineMomentumHook``).

    Args:
        projector: ``ProjectionMLP(num_layers=3, out_norm=True, with_avg_pool=True,
            dense=False)``. predictor: ``ProjectionMLP(dense=False)``. level: encoder level.
        from_backbone: read the backbone's level, not the neck's (C5 under an FPN).
    """

    def __init__(self, projector: dict, predictor: dict, level: int = -1,
                 from_backbone: bool = False, init_cfg=None) -> None:
        super().__init__((level, ), from_backbone, init_cfg)
        self.projector = MODELS.build(projector)
        self.predictor = MODELS.build(predictor)

    def loss(self, batch: PretextBatch, target=None) -> Dict[str, Tensor]:
        level = self.levels[0]
        z = [self.projector(f[level]) for f in self.features(batch)]
        p = [self.predictor(x) for x in z]
        loss = 0.5 * negative_cosine(p[0], z[1].detach()) + \
            0.5 * negative_cosine(p[1], z[0].detach())
        return {'': loss}
