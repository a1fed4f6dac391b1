"""Faster R-CNN with named parts frozen: TFA's fine-tuning stage (Wang et al., arXiv
2003.06957, Sec. 3.1: backbone, neck, RPN and the RoI feature extractor frozen, only the last
box classifier and regressor trained)."""
from typing import Sequence

from mmdet.models.detectors import FasterRCNN
from torch import nn

from mmssl_det.registry import MODELS


@MODELS.register_module()
class FrozenFasterRCNN(FasterRCNN):
    """mmdet's ``FasterRCNN``; the modules named in ``frozen_modules`` get
    ``requires_grad=False`` when built and stay in eval mode (BN statistics fixed).

    Freezing at build time, not in a hook, so a distributed wrapper built afterwards never
    waits for their gradients, and the optimizer (mmengine's default constructor takes every
    parameter) leaves them unchanged: no gradient, no update, no weight decay.

    Args:
        frozen_modules: dotted paths of sub-modules, e.g. ``('backbone', 'neck', 'rpn_head',
            'roi_head.bbox_head.shared_fcs')``.
        *args, **kwargs: as ``FasterRCNN``.
    """

    def __init__(self, *args, frozen_modules: Sequence[str] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.frozen_modules = tuple(frozen_modules)
        for path in self.frozen_modules:
            self._frozen(path).requires_grad_(False)

    def _frozen(self, path: str) -> nn.Module:
        try:
            return self.get_submodule(path)
        except AttributeError:
            top = ', '.join(name for name, _ in self.named_children())
            raise ValueError(f'{type(self).__name__}: frozen_modules names {path!r}, which '
                             f'the detector does not have (its parts: {top}); give a dotted '
                             f'module path such as roi_head.bbox_head.shared_fcs') from None

    def train(self, mode: bool = True) -> 'FrozenFasterRCNN':
        super().train(mode)
        for path in self.frozen_modules:
            self._frozen(path).eval()
        return self
