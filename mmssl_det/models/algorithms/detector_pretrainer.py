from typing import Dict, List, Optional, Sequence

import torch
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData
from torch import Tensor, nn

from mmssl_det.registry import MODELS
from .pixpro import PixPro

BRANCHES = ('pixel', 'instance', 'rpn', 'roi')


@MODELS.register_module()
class DetectorPretrainer(PixPro):
    """Whole-detector pretraining: backbone + FPN, RPN and RoI head, without labels.

    Dong, Ericsson, Yang, Leonardis & McDonagh, "Label-Efficient Object Detection via Region
    Proposal Network Pre-Training", arXiv 2211.09022 (ADePT): besides the feature extractor,
    pretrain the RPN and the detector head on unsupervised region proposals. Branches:

    - ``pixel`` / ``instance``: PixPro-FPN's losses (:class:`PixPro`, arXiv 2011.10043).
    - ``rpn``: mmdet's own ``RPNHead`` (same anchors/layout as the downstream detector)
      trained on each view's pseudo boxes with its standard objectness (sigmoid CE) and
      box-regression losses — AlignDet's recipe (arXiv 2307.11077, Sec. 3.2).
    - ``roi``: RoIAlign features of the *same* pseudo box in two views pass through the
      detector's shared fcs (:class:`RoIPretextHead`) and a projector; BYOL loss
      (arXiv 2006.07733, eq. 2) of the online predictor against the EMA target, symmetrised
      — SoCo's object-level consistency (arXiv 2106.02637, Sec. 3.3).

    ``stages`` schedules them: *joint* = one stage with every branch; *separate* = the
    pixel stage first, then ``rpn``/``roi`` with ``frozen=('backbone', 'neck')``
    (``PretextStageHook`` switches stages by epoch).

    Args:
        rpn_head: mmdet ``RPNHead`` config incl. ``train_cfg`` (assigner/sampler).
        roi_head: :class:`RoIPretextHead` config. roi_projector: vector ``ProjectionMLP``.
        roi_byol_head: ``InstanceBYOLHead`` config (predictor + weight).
        roi_boxes_per_image: pseudo boxes (present in both views) drawn at random per image
            for the RoI pretext; SoCo uses 4. None uses every shared box (cost grows with it).
        stages: list of ``dict(begin=epoch, losses=(...), frozen=(...))``.
    """

    needs_own_branch = False

    def __init__(self,
                 rpn_head: Optional[dict] = None,
                 roi_head: Optional[dict] = None,
                 roi_projector: Optional[dict] = None,
                 roi_byol_head: Optional[dict] = None,
                 rpn_loss_weight: float = 1.0,
                 roi_boxes_per_image: Optional[int] = None,
                 stages: Sequence[dict] = (dict(begin=0, losses=BRANCHES, frozen=()), ),
                 **kwargs) -> None:
        super().__init__(**kwargs)
        if (roi_head is None) != (roi_projector is None) or \
                (roi_head is None) != (roi_byol_head is None):
            raise ValueError('roi_head, roi_projector and roi_byol_head go together')
        self.rpn_head = MODELS.build(rpn_head) if rpn_head else None
        self.roi_head = MODELS.build(roi_head) if roi_head else None
        self.roi_projector = MODELS.build(roi_projector) if roi_head else None
        self.roi_byol_head = MODELS.build(roi_byol_head) if roi_head else None
        self.build_target()  # again: the EMA target now also mirrors the RoI layers
        self.rpn_loss_weight = rpn_loss_weight
        if roi_boxes_per_image is not None and roi_boxes_per_image < 1:
            raise ValueError(f'roi_boxes_per_image={roi_boxes_per_image} must be >= 1 '
                             f'(or None for every shared box)')
        self.roi_boxes_per_image = roi_boxes_per_image
        self.stages = [dict(begin=s.get('begin', 0), losses=tuple(s['losses']),
                            frozen=tuple(s.get('frozen', ()))) for s in stages]
        available = {'pixel': self.pixel_head, 'instance': self.instance_head,
                     'rpn': self.rpn_head, 'roi': self.roi_head}
        begins = [s['begin'] for s in self.stages]
        if begins[0] != 0 or any(b <= a for a, b in zip(begins, begins[1:])):
            raise ValueError(f'stages begin at epochs {begins}: the first must begin at 0 and '
                             f'the rest strictly later')
        for i, stage in enumerate(self.stages):
            self.check_frozen(stage['frozen'], where=f'stages[{i}].frozen')
            unknown = [b for b in stage['losses'] if b not in BRANCHES]
            missing = [b for b in stage['losses'] if b in available and available[b] is None]
            if unknown or missing:
                raise ValueError(f'stages[{i}].losses={stage["losses"]}: unknown {unknown}, '
                                 f'not configured {missing}; branches are {BRANCHES}, each '
                                 f'needs its head in the model config')
        self.stage = 0
        self.set_stage(0)

    def online_modules(self) -> Dict[str, nn.Module]:
        mods = super().online_modules()
        if getattr(self, 'roi_head', None) is not None:
            mods.update(roi_head=self.roi_head, roi_projector=self.roi_projector)
        return mods

    def set_stage(self, index: int) -> None:
        self.stage = index
        self.set_frozen(self.stages[index]['frozen'])

    # -- losses ----------------------------------------------------------------------------
    def loss(self, inputs: List[Tensor], data_samples: Sequence) -> Dict[str, Tensor]:
        if len(inputs) != 2:
            raise ValueError(f'{type(self).__name__} takes exactly 2 views, got {len(inputs)}')
        active = self.stages[self.stage]['losses']
        if self.roi_head is not None and 'roi_head' not in self.frozen:
            self.roi_head.fix_scale_()  # undo last step's growth along the scale-blind axis
        online, target = self.encode_views(
            inputs, with_target=any(b in active for b in ('pixel', 'instance', 'roi')))
        losses = {}
        if 'pixel' in active:
            losses.update(self.pixel_losses(online, target,
                                            self.view_coords(data_samples, inputs[0].device)))
        if 'instance' in active:
            losses.update(self.instance_losses(online, target))
        if 'rpn' in active or 'roi' in active:
            self._check_boxes(data_samples)
        if 'rpn' in active:
            losses.update(self.rpn_losses(online, inputs, data_samples))
        if 'roi' in active:
            losses.update(self.roi_losses(online, target, data_samples))
        return losses

    @staticmethod
    def _check_boxes(data_samples: Sequence) -> None:
        if not data_samples or 'boxes' not in data_samples[0]:
            raise ValueError('the rpn/roi pretext needs pseudo boxes: give the dataset a '
                             'proposals_file (tools/generate_proposals.py)')

    def rpn_losses(self, online: List[tuple], inputs: List[Tensor],
                   data_samples: Sequence) -> Dict[str, Tensor]:
        """mmdet RPN losses on every view's pseudo boxes, averaged over views."""
        totals: Dict[str, Tensor] = {}
        for v, (feats, img) in enumerate(zip(online, inputs)):
            shape = tuple(img.shape[-2:])
            samples = []
            for s in data_samples:
                sample = DetDataSample(metainfo=dict(img_shape=shape, pad_shape=shape,
                                                     batch_input_shape=shape))
                boxes = s.boxes[v].to(img.device, torch.float32)
                sample.gt_instances = InstanceData(
                    bboxes=boxes, labels=boxes.new_zeros(len(boxes), dtype=torch.long))
                samples.append(sample)
            for name, value in self.rpn_head.loss(feats, samples).items():
                value = sum(value) if isinstance(value, (list, tuple)) else value
                totals[name] = totals.get(name, 0) + value * self.rpn_loss_weight / len(online)
        return totals

    def roi_losses(self, online: List[tuple], target: List[tuple],
                   data_samples: Sequence) -> Dict[str, Tensor]:
        """BYOL between the two views' RoI representations of the same pseudo boxes."""
        boxes = [[], []]
        for s in data_samples:
            i0, i1 = (s.box_ids[0][:, None] == s.box_ids[1][None, :]).nonzero(as_tuple=True)
            k = self.roi_boxes_per_image
            if k is not None and len(i0) > k:
                pick = torch.randperm(len(i0), device=i0.device)[:k]
                i0, i1 = i0[pick], i1[pick]
            boxes[0].append(s.boxes[0][i0].float())
            boxes[1].append(s.boxes[1][i1].float())
        # Fewer than 2 boxes survived both crops: nothing to compare, and the projector's
        # BatchNorm1d cannot normalise a single sample.
        if sum(len(b) for b in boxes[0]) < 2:
            return dict(loss_roi=online[0][0].new_zeros(()))
        device = online[0][0].device
        boxes = [[b.to(device) for b in view] for view in boxes]
        online_z = [self.roi_projector(self.roi_head(online[v], boxes[v])) for v in (0, 1)]
        with torch.no_grad():
            mods = self.target.module
            target_z = [mods['roi_projector'](mods['roi_head'](target[v], boxes[v]))
                        for v in (0, 1)]
        return dict(loss_roi=self.roi_byol_head.loss(online_z, target_z))
