from typing import Dict, List, Optional

import torch
from torch import Tensor, nn

from mmssl_det.registry import MODELS
from .base import BasePretext, PretextBatch


@MODELS.register_module()
class RoIPretext(BasePretext):
    """Object-level consistency of the RoI head: RoIAlign features of the *same* pseudo box in
    two views pass through the pretrainer's ``roi_head`` (:class:`RoIPretextHead`: the
    detector's shared convs/fcs) and ``projector``; ``head`` (``InstanceBYOLHead``) predicts the
    other view's EMA-target projection — BYOL's loss (arXiv 2006.07733, eq. 2), symmetrised,
    as SoCo's object-level consistency (arXiv 2106.02637, Sec. 3.3); ADePT pretrains the
    detector head this way (arXiv 2211.09022). Which box of view 0 is which of view 1 comes
    from the packing (``shared_boxes``, paired by the pipeline's box ids).

    Args:
        projector: vector ``ProjectionMLP`` (shared-fc width → 256). head: ``InstanceBYOLHead``.
        boxes_per_image: pseudo boxes present in both views drawn at random per image; SoCo
            uses 4. None uses every shared box (cost grows with it).
    """

    fields = ('pseudo_instances', 'shared_boxes')
    parts = ('roi_head', )
    target_parts = ('roi_head', )
    needs_target = True

    def __init__(self, projector: dict, head: dict, boxes_per_image: Optional[int] = None,
                 init_cfg=None) -> None:
        super().__init__(None, init_cfg=init_cfg)
        if boxes_per_image is not None and boxes_per_image < 1:
            raise ValueError(f'roi_boxes_per_image={boxes_per_image} must be >= 1 '
                             f'(or None for every shared box)')
        self.boxes_per_image = boxes_per_image
        self.projector = MODELS.build(projector)
        self.head = MODELS.build(head)

    def target_modules(self) -> Dict[str, nn.Module]:
        return dict(projector=self.projector)

    def before_step(self, parts: Dict[str, nn.Module]) -> None:
        roi_head = parts['roi_head']
        if any(p.requires_grad for p in roi_head.parameters()):  # not frozen
            roi_head.fix_scale_()  # undo last step's growth along the scale-blind axis

    def _shared_boxes(self, batch: PretextBatch) -> List[List[Tensor]]:
        """Per view (0, 1), per image: the ``(M_i, 4)`` boxes present in both views, in the
        same order (the pairs the packing found from the pipeline's box ids)."""
        boxes = [[], []]
        for s in batch.data_samples:
            pairs = s.shared_boxes[(0, 1)]
            k = self.boxes_per_image
            if k is not None and len(pairs) > k:
                pairs = pairs[torch.randperm(len(pairs), device=pairs.device)[:k]]
            for v in (0, 1):
                boxes[v].append(s.pseudo_instances[v].bboxes.tensor[pairs[:, v]].float())
        return boxes

    def loss(self, batch: PretextBatch, target: Dict[str, nn.Module]) -> Dict[str, Tensor]:
        boxes = self._shared_boxes(batch)
        # Fewer than 2 boxes survived both crops: nothing to compare, and the projector's
        # BatchNorm1d cannot normalise a single sample.
        if sum(len(b) for b in boxes[0]) < 2:
            return {'': batch.online[0][0].new_zeros(())}
        roi_head = batch.parts['roi_head']
        online = [self.projector(roi_head(batch.online[v], boxes[v])) for v in (0, 1)]
        with torch.no_grad():
            key = [target['projector'](target['roi_head'](batch.target[v], boxes[v]))
                   for v in (0, 1)]
        return {'': self.head.loss(online, key)}
