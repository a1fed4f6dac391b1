from typing import Optional, Sequence

from mmssl_det.registry import MODELS
from .pixpro import PixPro


@MODELS.register_module()
class DetectorPretrainer(PixPro):
    """Whole-detector pretraining: backbone + FPN, RPN and RoI head, without labels.

    Dong, Ericsson, Yang, Leonardis & McDonagh, "Label-Efficient Object Detection via Region
    Proposal Network Pre-Training", arXiv 2211.09022 (ADePT): besides the feature extractor,
    pretrain the RPN and the detector head on unsupervised region proposals. A configuration
    of :class:`SelfSupervisedPretrainer` with the pretexts ``pixel`` / ``instance``
    (:class:`PixPro`'s), ``rpn`` (:class:`RPNPretext` on ``rpn_head``) and ``roi``
    (:class:`RoIPretext` on ``roi_head``).

    ``stages`` schedules them: *joint* = one stage with every pretext; *separate* = the
    pixel stage first, then ``rpn``/``roi`` with ``frozen=('backbone', 'neck')``
    (``PretextStageHook`` switches stages by epoch).

    Args:
        rpn_head: mmdet ``RPNHead`` config incl. ``train_cfg`` (assigner/sampler).
        roi_head: :class:`RoIPretextHead` config. roi_projector: vector ``ProjectionMLP``.
        roi_byol_head: ``InstanceBYOLHead`` config (predictor + weight); the three together.
        rpn_loss_weight: :class:`RPNPretext`'s ``loss_weight``.
        roi_boxes_per_image: :class:`RoIPretext`'s ``boxes_per_image``.
        stages: list of ``dict(begin=epoch, losses=(...), frozen=(...))``; default: one
            stage with every configured pretext.
    """

    def __init__(self,
                 rpn_head: Optional[dict] = None,
                 roi_head: Optional[dict] = None,
                 roi_projector: Optional[dict] = None,
                 roi_byol_head: Optional[dict] = None,
                 rpn_loss_weight: float = 1.0,
                 roi_boxes_per_image: Optional[int] = None,
                 stages: Optional[Sequence[dict]] = None,
                 **kwargs) -> None:
        if (roi_head is None) != (roi_projector is None) or \
                (roi_head is None) != (roi_byol_head is None):
            raise ValueError('roi_head, roi_projector and roi_byol_head go together')
        pretexts = {}
        if rpn_head:
            pretexts['rpn'] = dict(type='RPNPretext', loss_weight=rpn_loss_weight)
        if roi_head:
            pretexts['roi'] = dict(type='RoIPretext', projector=roi_projector,
                                   head=roi_byol_head, boxes_per_image=roi_boxes_per_image)
        super().__init__(rpn_head=rpn_head, roi_head=roi_head, pretexts=pretexts,
                         stages=stages, **kwargs)
