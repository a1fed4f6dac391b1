from typing import List, Optional

import torch
from mmdet.structures.bbox import bbox2roi
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmssl_det.models.utils import layer_norm, renormalize_relu_chain_
from mmssl_det.registry import MODELS


@MODELS.register_module()
class RoIPretextHead(BaseModule):
    """The detector's RoI feature path without its predictors, for RoI-level pretext tasks.

    ``bbox_roi_extractor`` (mmdet ``SingleRoIExtractor`` + RoIAlign) pools each box from the
    FPN level its size maps to; ``bbox_head`` is an mmdet ``ConvFCBBoxHead`` (e.g.
    ``Shared2FCBBoxHead``) whose class/box predictors are removed, so its ``shared_convs`` /
    ``shared_fcs`` carry exactly the downstream detector's key names
    (``roi_head.bbox_head.shared_fcs.0.weight`` …) while the predictors, which are
    task-specific, never get pretrained (SoCo, arXiv 2106.02637 Sec. 3.2; ADePT, arXiv 2211.09022).

    ``fix_fc_scale`` (default): the pretext loss cannot see the scale of the shared fcs (their
    output feeds a projector that starts with BatchNorm), so SGD inflates them (measured:
    output norm 156 vs 59 at init after the demo's 96 steps) and the detector's new
    fc_cls / fc_reg, fine-tuned on top, diverged. :meth:`fix_scale_` rescales the fcs back to
    their norms at the first training step — the function the pretext learned is unchanged
    up to a positive factor its loss ignores (:func:`renormalize_relu_chain_`) — so the export
    hands fine-tuning features at random init's scale.
    """

    def __init__(self, bbox_roi_extractor: dict, bbox_head: dict, fix_fc_scale: bool = True,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg)
        # mmdet asserts with_cls or with_reg: build without the regressor and make fc_cls the
        # identity, so mmdet's own forward returns the shared representation as "cls_score".
        bbox_head = dict(bbox_head, with_cls=True, with_reg=False)
        if bbox_head.get('num_cls_convs', 0) or bbox_head.get('num_cls_fcs', 0) or \
                bbox_head.get('num_reg_convs', 0) or bbox_head.get('num_reg_fcs', 0):
            raise ValueError('RoIPretextHead pretrains shared layers only; set the bbox_head '
                             'num_cls_*/num_reg_* to 0 (e.g. use Shared2FCBBoxHead)')
        self.bbox_roi_extractor = MODELS.build(bbox_roi_extractor)
        self.bbox_head = MODELS.build(bbox_head)
        self.bbox_head.fc_cls = nn.Identity()
        self.bbox_head.init_cfg = [c for c in self.bbox_head.init_cfg
                                   if c.get('override') != dict(name='fc_cls')]
        self.fix_fc_scale = fix_fc_scale
        # Norms the shared fcs are pinned to, taken at the first fix_scale_() (after
        # init_weights / loading); a buffer, so a resumed run keeps them.
        self.register_buffer('fc_norms', torch.zeros(len(self.bbox_head.shared_fcs)))

    @torch.no_grad()
    def fix_scale_(self) -> None:
        """Pin the shared fcs to their reference norms (no-op without fcs or when off)."""
        fcs = list(self.bbox_head.shared_fcs)
        if not self.fix_fc_scale or not fcs:
            return
        if not self.fc_norms.any():
            self.fc_norms.copy_(torch.stack([layer_norm(fc) for fc in fcs]))
        renormalize_relu_chain_(fcs, self.fc_norms.tolist())

    def forward(self, feats: tuple, boxes: List[Tensor]) -> Tensor:
        """Args:
            feats: FPN maps ``(N, C, H_l, W_l)`` (the extractor uses its first
                ``num_inputs`` levels).
            boxes: N tensors ``(K_i, 4)`` xyxy in input pixels.

        Returns:
            ``(ΣK_i, D)`` shared representations (the input of fc_cls / fc_reg downstream).
        """
        rois = bbox2roi(boxes)
        x = self.bbox_roi_extractor(feats[:self.bbox_roi_extractor.num_inputs], rois)
        shared, _ = self.bbox_head(x)
        return shared
