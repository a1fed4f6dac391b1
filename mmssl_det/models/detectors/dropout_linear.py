"""A box classifier with dropout on its input: DeFRCN's fine-tuning classifier (Qiao et al.,
arXiv 2108.09017, implementation details: dropout 0.8 before the classifier, against
over-fitting the K shots; the box regressor sees the features without dropout)."""
import torch.nn.functional as F
from torch import Tensor, nn

from mmssl_det.registry import MODELS


@MODELS.register_module()
class DropoutLinear(nn.Linear):
    """``nn.Linear`` applied to ``dropout(x)`` in training; same parameters and key names as
    ``nn.Linear``, so it replaces a bbox head's ``fc_cls`` through ``cls_predictor_cfg``
    (``dict(type='mmssl_det.DropoutLinear', dropout=0.8)``) and base-trained weights load.

    Args:
        in_features, out_features, bias: as ``nn.Linear``.
        dropout: probability of zeroing an input feature in training, in [0, 1).
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 dropout: float = 0.0) -> None:
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f'DropoutLinear: dropout={dropout} must be in [0, 1)')
        super().__init__(in_features, out_features, bias=bias)
        self.dropout = float(dropout)

    def forward(self, x: Tensor) -> Tensor:
        """``(N, in_features)`` → ``(N, out_features)``."""
        return super().forward(F.dropout(x, self.dropout, training=self.training))

    def extra_repr(self) -> str:
        return f'{super().extra_repr()}, dropout={self.dropout}'
