from typing import Optional

from mmcv.cnn import build_norm_layer
from mmdet.models.backbones import ResNet
from mmdet.models.roi_heads.shared_heads import ResLayer
from torch import Tensor

from mmssl_det.registry import MODELS


@MODELS.register_module()
class ResLayerExtraNorm(ResLayer):
    """mmdet's C4 shared head (the backbone's res5 run per RoI) with one more norm layer on
    its output.

    The self-supervised C4 transfer protocol of MoCo (He et al., arXiv 1911.05722, Sec. 4.2;
    its detectron2 ``Res5ROIHeadsExtraNorm``), reused by PixPro and DenseCL for VOC and COCO:
    res5 ends in a residual sum that no BN normalises, and the new box predictor on top of it
    is fine-tuned with SyncBN everywhere else, so one (Sync)BN is added after res5. The res5
    weights keep mmdet's key names (``layer4.*``), so exports and ImageNet checkpoints load as
    into ``ResLayer``; ``extra_norm`` starts at γ = 1, β = 0.

    Args: as mmdet's ``ResLayer``; ``norm_cfg`` also builds the extra norm.
    """

    def __init__(self, depth: int, stage: int = 3,
                 norm_cfg: dict = dict(type='BN', requires_grad=True),
                 init_cfg: Optional[dict] = None, **kwargs) -> None:
        super().__init__(depth, stage=stage, norm_cfg=norm_cfg, init_cfg=init_cfg, **kwargs)
        block = ResNet.arch_settings[depth][0]
        self.extra_norm = build_norm_layer(norm_cfg, 64 * 2**stage * block.expansion)[1]

    def forward(self, x: Tensor) -> Tensor:
        """``(K, C_in, h, w)`` RoI features → ``(K, 2048, h/2, w/2)`` for R50's res5."""
        return self.extra_norm(super().forward(x))
