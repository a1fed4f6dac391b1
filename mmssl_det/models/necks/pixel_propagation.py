from typing import Optional

import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmssl_det.models.utils import pixel_propagation
from mmssl_det.registry import MODELS


@MODELS.register_module()
class PixelPropagationModule(BaseModule):
    """PixPro's pixel-propagation module (PPM), Xie et al. arXiv 2011.10043, Sec. 3.2, eq. 3-4.

    ``y_i = Σ_j max(cos(x_i, x_j), 0)^γ · g(x_j)`` over the pixels of one view. The
    transform ``g`` has ``num_layers`` = 0 (identity), 1 (1×1 conv, the paper's default)
    or 2 (conv-BN-ReLU-conv). Online branch only.

    ``normalize_value=True`` (default) L2-normalises ``g(x_j)`` over channels before the sum,
    as the authors' code does (zdaxie/PixPro, ``featprop``); the paper's eq. 4 leaves it
    out. It bounds every propagated term by ``s_ij``, so the output scale does not follow
    ``g``'s weights (docs/pixpro_fidelity.md). ``False`` gives eq. 4 as printed.

    Input/Output: ``(N, C, H, W)``; with ``rows`` ``(N, R)`` (pixel indices into the
    flattened map) only those outputs, ``(N, C, R)`` (see :func:`pixel_propagation`).
    """

    def __init__(self, channels: int = 256, num_layers: int = 1, gamma: float = 2.0,
                 normalize_value: bool = True, init_cfg=None) -> None:
        super().__init__(init_cfg)
        if num_layers not in (0, 1, 2):
            raise ValueError(f'PixelPropagationModule: num_layers must be 0, 1 or 2, '
                             f'got {num_layers}')
        self.gamma = gamma
        self.normalize_value = normalize_value
        if num_layers == 0:
            self.transform = nn.Identity()
        elif num_layers == 1:
            self.transform = nn.Conv2d(channels, channels, 1)
        else:
            self.transform = nn.Sequential(
                nn.Conv2d(channels, channels, 1, bias=False), nn.BatchNorm2d(channels),
                nn.ReLU(inplace=True), nn.Conv2d(channels, channels, 1))

    def forward(self, x: Tensor, rows: Optional[Tensor] = None) -> Tensor:
        n, c, h, w = x.shape
        gx = self.transform(x)  # every pixel: each y_i sums over all j
        if self.normalize_value:
            gx = F.normalize(gx, dim=1)
        y = pixel_propagation(x.flatten(2), gx.flatten(2), self.gamma, rows=rows)
        return y if rows is not None else y.view(n, -1, h, w)
