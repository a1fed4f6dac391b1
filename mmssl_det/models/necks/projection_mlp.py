from typing import Optional

import torch
from mmcv.cnn import build_norm_layer
from mmengine.model import BaseModule
from torch import nn

from mmssl_det.registry import MODELS


@MODELS.register_module()
class ProjectionMLP(BaseModule):
    """Projector / predictor: ``(Linear → Norm → ReLU) × (num_layers − 1) → Linear [→ Norm]``.

    ``dense=True`` uses 1×1 convolutions so every pixel of a ``(N, C, H, W)`` map is
    projected (PixPro's pixel projector, Sec. 3.3 of arXiv 2011.10043); ``dense=False``
    acts on ``(N, C)`` vectors (BYOL's projector/predictor, arXiv 2006.07733 Sec. 3.3).

    Args:
        in_channels: C_in. hid_channels: hidden width (4096 in PixPro/BYOL).
        out_channels: output width (256).
        norm_cfg: norm after the hidden layer; ``BN`` is converted to SyncBN by the
            runner when training distributed on GPU.
        with_avg_pool: global-average-pool a ``(N, C, H, W)`` input first (instance branch).
        num_layers: linear layers (2; SimSiam's projector has 3, arXiv 2011.10566 Sec. 4.2).
        out_norm: a norm after the last layer too (SimSiam's projector: "BN is applied to
            each fc layer, including its output fc").
    """

    def __init__(self,
                 in_channels: int,
                 hid_channels: int,
                 out_channels: int,
                 dense: bool = True,
                 norm_cfg: Optional[dict] = dict(type='BN'),
                 with_avg_pool: bool = False,
                 num_layers: int = 2,
                 out_norm: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg)
        if dense and with_avg_pool:
            raise ValueError('ProjectionMLP: with_avg_pool=True produces vectors; '
                             'set dense=False with it')
        layer = nn.Conv2d if dense else nn.Linear
        kwargs = dict(kernel_size=1) if dense else {}
        norm_cfg = dict(norm_cfg) if norm_cfg else None
        if norm_cfg is not None and not dense and norm_cfg['type'] == 'BN':
            norm_cfg['type'] = 'BN1d'
        if num_layers < 2 or (out_norm and norm_cfg is None):
            raise ValueError(f'ProjectionMLP: num_layers={num_layers} must be >= 2 and '
                             f'out_norm={out_norm} needs a norm_cfg')
        self.with_avg_pool = with_avg_pool

        def norm(channels):
            return build_norm_layer(norm_cfg, channels)[1] if norm_cfg else nn.Identity()

        layers = []
        for i in range(num_layers - 1):
            layers += [layer(in_channels if i == 0 else hid_channels, hid_channels,
                             bias=norm_cfg is None, **kwargs), norm(hid_channels),
                       nn.ReLU(inplace=True)]
        layers.append(layer(hid_channels, out_channels, bias=not out_norm, **kwargs))
        if out_norm:
            layers.append(norm(out_channels))
        self.mlp = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.with_avg_pool:
            x = x.mean(dim=(2, 3))
        return self.mlp(x)
