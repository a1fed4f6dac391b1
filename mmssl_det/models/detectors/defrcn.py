"""DeFRCN: Faster R-CNN with gradient-decoupled RPN and RoI paths (Qiao et al., arXiv
2108.09017, Sec. 3, "Gradient Decoupled Layer"; the optional prototypical calibration block
is not implemented)."""
from typing import Optional, Sequence

from torch import nn

from mmssl_det.registry import MODELS

from .frozen_faster_rcnn import FrozenFasterRCNN
from .gradient_decoupled import GradientDecoupledLayer


@MODELS.register_module()
class DeFRCN(FrozenFasterRCNN):
    """Faster R-CNN (FPN) with one :class:`GradientDecoupledLayer` between the features and
    the RPN (λ ``rpn_scale``) and another between the features and the RoI head (λ
    ``roi_scale``). The paper's values: RPN 0 in both stages (the RPN never changes the
    features), RoI 0.75 in base training and 0.01 in fine-tuning.

    The paper's detector is R101-C4, where the shared extractor is the backbone up to res4.
    With an FPN the shared extractor is backbone + FPN, and both layers act on every pyramid
    level (one affine per path, shared across levels). They sit on the heads' inputs as
    forward pre-hooks of ``rpn_head`` and of the RoI extractor(s), so mmdet's own ``loss``,
    ``predict`` and ``_forward`` run unchanged, and the state-dict keys of the detector are
    Faster R-CNN's plus ``gdl_rpn.*`` and ``gdl_roi.*``.

    Args:
        rpn_scale: λ of the RPN path.
        roi_scale: λ of the RoI path.
        gdl_affine: learn the layers' 1×1 affine transforms (the paper's ``A``).
        frozen_modules: as :class:`FrozenFasterRCNN` (DeFRCN's fine-tuning freezes the RoI
            feature head: ``roi_head.bbox_head.shared_fcs``).
        *args, **kwargs: as ``FasterRCNN``.
    """

    def __init__(self, *args, rpn_scale: float = 0.0, roi_scale: float = 0.75,
                 gdl_affine: bool = True, frozen_modules: Sequence[str] = (),
                 **kwargs) -> None:
        super().__init__(*args, frozen_modules=frozen_modules, **kwargs)
        if not self.with_neck:
            raise ValueError('DeFRCN: the model needs a neck (an FPN); the C4 layout of the '
                             'paper is not implemented')
        channels = self._feature_channels()
        self.gdl_rpn = GradientDecoupledLayer(channels, rpn_scale, affine=gdl_affine)
        self.gdl_roi = GradientDecoupledLayer(channels, roi_scale, affine=gdl_affine)
        # bound methods, so a deep copy of the detector hooks its own layers
        self.rpn_head.register_forward_pre_hook(self._rpn_inputs)
        for name in ('bbox_roi_extractor', 'mask_roi_extractor'):
            extractor: Optional[nn.Module] = getattr(self.roi_head, name, None)
            if extractor is not None:
                extractor.register_forward_pre_hook(self._roi_inputs)

    def _rpn_inputs(self, module: nn.Module, args: tuple) -> tuple:
        """``rpn_head(x)`` gets ``gdl_rpn`` of every level of ``x``."""
        return (tuple(self.gdl_rpn(level) for level in args[0]), *args[1:])

    def _roi_inputs(self, module: nn.Module, args: tuple) -> tuple:
        """``roi_extractor(x, rois)`` gets ``gdl_roi`` of every level of ``x``."""
        return (tuple(self.gdl_roi(level) for level in args[0]), *args[1:])

    def _feature_channels(self) -> int:
        out = getattr(self.neck, 'out_channels', None)
        if not isinstance(out, int):
            raise ValueError(f'DeFRCN: cannot read the number of feature channels from the '
                             f'neck {type(self.neck).__name__} (no int out_channels)')
        return out
