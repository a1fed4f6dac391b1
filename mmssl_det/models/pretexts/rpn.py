from typing import Dict, Tuple

from torch import Tensor, nn

from mmssl_det.registry import MODELS
from .base import BasePretext, PretextBatch


@MODELS.register_module()
class RPNPretext(BasePretext):
    """RPN pretraining on pseudo boxes (ADePT, Dong et al., arXiv 2211.09022): the pretrainer's
    ``rpn_head`` — mmdet's own ``RPNHead``, same anchors/layout as the downstream detector —
    is trained on every view's pseudo boxes with its standard objectness (sigmoid CE) and
    box-regression losses, AlignDet's recipe (arXiv 2307.11077, Sec. 3.2), averaged over the
    views. Each view's pseudo boxes and image metas come packed (``PackMultiViewInputs``,
    ``MultiViewDataPreprocessor``) in the form ``RPNHead.loss_by_feat`` takes. It reads every
    encoder level the RPN head is given (the FPN's P2-P6) and needs no target. Logged as
    ``loss_<name>_cls`` / ``loss_<name>_bbox``.

    Args:
        loss_weight: factor on both losses.
    """

    fields = ('pseudo_instances', )
    parts = ('rpn_head', )

    def __init__(self, loss_weight: float = 1.0, init_cfg=None) -> None:
        super().__init__(None, init_cfg=init_cfg)
        self.loss_weight = loss_weight

    def loss_suffixes(self) -> Tuple[str, ...]:
        return ('cls', 'bbox')

    def loss(self, batch: PretextBatch, target=None) -> Dict[str, Tensor]:
        rpn_head: nn.Module = batch.parts['rpn_head']
        totals: Dict[str, Tensor] = {}
        for v, feats in enumerate(batch.online):
            losses = rpn_head.loss_by_feat(*rpn_head(feats), batch.instances(v),
                                           batch.img_metas(v))
            for name, value in losses.items():
                value = sum(value) if isinstance(value, (list, tuple)) else value
                suffix = name[len('loss_rpn_'):] if name.startswith('loss_rpn_') else name
                totals[suffix] = totals.get(suffix, 0) + \
                    value * self.loss_weight / len(batch.online)
        return totals
