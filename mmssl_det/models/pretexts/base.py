"""What every pretext task of :class:`~mmssl_det.models.pretrainer.SelfSupervisedPretrainer`
declares and receives."""
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.model import BaseModule
from mmengine.structures import InstanceData
from torch import Tensor, nn


@dataclass
class PretextBatch:
    """One training step's views and features, shared by the pretexts of a pretrainer.

    Attributes:
        inputs: V views ``(N, 3, H_v, W_v)`` (normalised by the data preprocessor).
        data_samples: the N :class:`~mmssl_det.structures.MultiViewDataSample` of a
            :class:`~mmssl_det.structures.MultiViewSampleList`; their fields (``coords``,
            ``pseudo_instances``, ``shared_boxes``) are what a pretext lists in
            :attr:`BasePretext.fields`.
        online: per view, the online encoder's maps ``(N, C_l, H_l, W_l)`` (backbone
            [+ neck] outputs, level ``l``); None for a view no active pretext reads.
        target: per view, the EMA target encoder's maps (None likewise); empty when no
            active pretext needs the target.
        parts: the pretrainer's online detector parts a pretext may run (``rpn_head``,
            ``roi_head``), by name.
        backbone_online / backbone_target: the backbone's own maps (e.g. C2-C5 before the
            FPN), for pretexts built with ``from_backbone=True``; None when no active
            pretext reads them (or equal to online / target without a neck).
    """
    inputs: List[Tensor]
    data_samples: Sequence
    online: List[tuple]
    target: List[tuple]
    parts: Dict[str, nn.Module]
    backbone_online: Optional[List[tuple]] = None
    backbone_target: Optional[List[tuple]] = None

    def coords(self) -> Tensor:
        """``(N, V, 4)`` float32 view boxes in normalised original-image coordinates, as
        ``MultiViewDataPreprocessor`` stacked them (stacked here for samples that did not
        pass through it, e.g. a direct ``model.loss`` call)."""
        coords = getattr(self.data_samples, 'coords', None)
        if coords is None:
            coords = torch.stack([s.coords for s in self.data_samples])
        return coords.to(device=self.inputs[0].device, dtype=torch.float32)

    def instances(self, v: int) -> List[InstanceData]:
        """View ``v``'s pseudo boxes of every image (mmdet's ``batch_gt_instances``)."""
        return [s.pseudo_instances[v] for s in self.data_samples]

    def img_metas(self, v: int) -> List[dict]:
        """View ``v``'s image metas of every image (mmdet's ``batch_img_metas``)."""
        return [s.view_meta(v) for s in self.data_samples]


class BasePretext(BaseModule):
    """A pretext task: owns its projector / predictor / queue and computes its loss.

    A subclass declares what it reads, so the pretrainer can check a config before training:

    - ``num_views``: the number of views it compares;
    - ``fields``: data-sample fields it reads (``coords``, ``pseudo_instances``,
      ``shared_boxes``);
    - ``parts``: detector parts of the pretrainer it runs (``rpn_head``, ``roi_head``) —
      they stay the pretrainer's, so the export finds them under mmdet's names;
    - ``needs_target`` / ``target_parts`` / :meth:`target_modules`: whether it reads the
      EMA target, which of its ``parts`` and which of its own modules the target mirrors;
    - ``levels``: encoder feature levels it reads (None: all of them); with
      ``from_backbone`` they index the backbone's outputs instead of the neck's (e.g. MoCo on
      the pooled C5 of a backbone whose FPN the RPN pretext trains);
    - :meth:`check_views` refuses views it cannot compare; :meth:`encoder_inputs` may swap
      the images the encoder runs on (RotNet's rotations);
    - :meth:`loss_suffixes`: its losses are logged as ``loss_<name>[_<suffix>]``, ``name``
      being its key in the pretrainer's ``pretexts``.

    Args:
        levels: indices into the encoder's feature tuple, or None.
        from_backbone: read the backbone's maps rather than the neck's.
    """

    num_views: int = 2
    # Views whose online / target maps the pretext reads (None: all); the pretrainer encodes
    # only the views some active pretext reads (MoCo: online view 0, target view 1).
    online_views: Optional[Tuple[int, ...]] = None
    target_views: Optional[Tuple[int, ...]] = None
    fields: Tuple[str, ...] = ()
    parts: Tuple[str, ...] = ()
    target_parts: Tuple[str, ...] = ()
    needs_target: bool = False

    def __init__(self, levels: Optional[Sequence[int]] = None, from_backbone: bool = False,
                 init_cfg=None) -> None:
        super().__init__(init_cfg)
        self.levels = tuple(levels) if levels is not None else None
        self.from_backbone = from_backbone
        self.name = type(self).__name__  # the pretrainer sets its key in ``pretexts``

    def features(self, batch: PretextBatch, target: bool = False) -> List[tuple]:
        """Per view, the maps :attr:`levels` index: the neck's, or the backbone's."""
        if self.from_backbone:
            return batch.backbone_target if target else batch.backbone_online
        return batch.target if target else batch.online

    def target_modules(self) -> Dict[str, nn.Module]:
        """Own modules the EMA target mirrors (e.g. the projector); they reach :meth:`loss`
        through ``target`` under the same names."""
        return {}

    def loss_suffixes(self) -> Tuple[str, ...]:
        """Suffixes of the losses :meth:`loss` returns (``''``: the pretext's name alone)."""
        return ('', )

    def check_views(self, inputs: List[Tensor]) -> None:
        """Refuse a batch whose views this pretext cannot compare (before the encoder runs);
        a pretext with its own view layout (SwAV's crops) words its own error."""
        if len(inputs) != self.num_views:
            raise ValueError(f'pretext {self.name!r} (num_views) compares {self.num_views} '
                             f'views, got {len(inputs)}; set the MultiView pipeline\'s '
                             f'num_views')

    def encoder_inputs(self, inputs: List[Tensor]) -> List[Tensor]:
        """The images the encoder runs on, given the batch's views (default: the views; RotNet:
        their four rotations). Every active pretext then reads the features of these."""
        return inputs

    def before_step(self, parts: Dict[str, nn.Module]) -> None:
        """Called before the encoder runs, every step (e.g. to re-normalise weights)."""

    def loss(self, batch: PretextBatch,
             target: Optional[Dict[str, nn.Module]]) -> Dict[str, Tensor]:
        """Losses by suffix. ``target``: the EMA copies of ``target_parts`` and of
        :meth:`target_modules`, by name (None when the pretext does not need them)."""
        raise NotImplementedError
