"""TFA's cosine-similarity box classifier (Wang et al., "Frustratingly Simple Few-Shot Object
Detection", arXiv 2003.06957, Sec. 3.1, "Cosine similarity for box classifier").

The fine-tuning stage replaces the last fc classifier by ``s_ij = α · x_iᵀ w_j / (‖x_i‖ ‖w_j‖)``
for RoI feature ``x_i`` and class weight ``w_j`` (background included as a class row), with a
fixed scale α = 20: base and novel rows then live on one scale, which the paper credits for
the smaller gap between base and novel AP than with the fc classifier. The box regressor is
unchanged.
"""
from typing import Optional

import torch
import torch.nn.functional as F
from mmdet.models.roi_heads.bbox_heads import Shared2FCBBoxHead
from torch import Tensor, nn

from mmssl_det.registry import MODELS


def cosine_similarity_logits(x: Tensor, weight: Tensor, scale: float,
                             eps: float = 1e-12) -> Tensor:
    """``scale · cos(x_i, w_j)`` for every pair.

    Args:
        x: ``(N, D)`` RoI features.
        weight: ``(C, D)`` one row per class (background included).
        scale: α of the paper.
        eps: floor of each norm (a zero feature scores 0 for every class).

    Returns:
        ``(N, C)`` logits.
    """
    return scale * F.normalize(x, dim=1, eps=eps) @ F.normalize(weight, dim=1, eps=eps).t()


@MODELS.register_module()
class CosineSimLinear(nn.Module):
    """A bias-free linear layer whose outputs are :func:`cosine_similarity_logits`.

    Built by mmdet's bbox heads from ``cls_predictor_cfg`` (they pass ``in_features`` and
    ``out_features``); the parameter is ``weight`` ``(out_features, in_features)``, as
    ``nn.Linear``'s, so a base-trained fc classifier's rows copy into it
    (tools/fewshot_surgery.py) and mmdet's ``Normal`` init of ``fc_cls`` applies.

    The weight is normalised inside the forward (gradients flow through the normalisation);
    TFA's detectron2 code instead renormalises the stored weight in place each forward.

    Args:
        in_features: ``D``.
        out_features: classes + 1 (background).
        scale: α (TFA: 20).
        dropout: dropout probability on the input features, training only (0: none).
    """

    def __init__(self, in_features: int, out_features: int, scale: float = 20.0,
                 dropout: float = 0.0) -> None:
        super().__init__()
        if scale <= 0:
            raise ValueError(f'CosineSimLinear: scale={scale} must be > 0 (TFA uses 20)')
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f'CosineSimLinear: dropout={dropout} must be in [0, 1)')
        self.in_features, self.out_features = in_features, out_features
        self.scale, self.dropout = float(scale), float(dropout)
        self.weight = nn.Parameter(torch.empty(out_features, in_features))
        nn.init.normal_(self.weight, std=0.01)
        self.bias = None  # mmengine's Normal init checks for it

    def forward(self, x: Tensor) -> Tensor:
        """``(N, D)`` → ``(N, out_features)``."""
        x = F.dropout(x, self.dropout, training=self.training)
        return cosine_similarity_logits(x, self.weight, self.scale)

    def extra_repr(self) -> str:
        return f'in_features={self.in_features}, out_features={self.out_features}, ' \
               f'scale={self.scale}, dropout={self.dropout}'


@MODELS.register_module()
class CosineSimBBoxHead(Shared2FCBBoxHead):
    """mmdet's ``Shared2FCBBoxHead`` with TFA's cosine classifier (:class:`CosineSimLinear`,
    ``fc_cls.weight`` only); shared fcs and box regression unchanged, so a base-trained
    detector's keys load into it.

    Args:
        scale: α of the cosine classifier (TFA: 20).
        cls_dropout: dropout on the classifier's input in training (DeFRCN's 0.8; TFA: 0).
        **kwargs: as ``Shared2FCBBoxHead`` (``cls_predictor_cfg`` is set here).
    """

    def __init__(self, scale: float = 20.0, cls_dropout: float = 0.0,
                 cls_predictor_cfg: Optional[dict] = None, **kwargs) -> None:
        if cls_predictor_cfg is not None:
            raise ValueError('CosineSimBBoxHead: cls_predictor_cfg is fixed to '
                             'CosineSimLinear; set scale / cls_dropout instead, or use '
                             'Shared2FCBBoxHead for another classifier')
        super().__init__(cls_predictor_cfg=dict(type=CosineSimLinear, scale=scale,
                                                dropout=cls_dropout), **kwargs)
