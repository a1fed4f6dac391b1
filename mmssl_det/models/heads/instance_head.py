from typing import Optional, Sequence

from mmengine.model import BaseModule
from torch import Tensor

from mmssl_det.models.utils import byol_loss
from mmssl_det.registry import MODELS


@MODELS.register_module()
class InstanceBYOLHead(BaseModule):
    """BYOL instance branch (Grill et al. arXiv 2006.07733, eq. 2), used by PixPro's
    optional instance term (arXiv 2011.10043, Sec. 3.4): a predictor on the online branch,
    ``2 − 2·cos`` against the other view's target projection, symmetrised.
    """

    def __init__(self, predictor: dict, loss_weight: float = 1.0,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg)
        self.predictor = MODELS.build(predictor)
        self.loss_weight = loss_weight

    def loss(self, online: Sequence[Tensor], target: Sequence[Tensor]) -> Tensor:
        """online/target: two ``(N, C)`` projections per branch."""
        total = byol_loss(self.predictor(online[0]), target[1]) + \
            byol_loss(self.predictor(online[1]), target[0])
        return self.loss_weight * total
