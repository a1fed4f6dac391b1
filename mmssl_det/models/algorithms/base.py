from typing import Dict, List, Optional, Sequence, Union

import torch
from mmengine.model import BaseModel, ExponentialMovingAverage
from torch import Tensor, nn

from mmssl_det.registry import MODELS


class BaseSelfSupervisor(BaseModel):
    """Backbone (+ optional neck) with an EMA target copy; the base of every pretrainer.

    Module names match mmdet's two-stage detectors (``backbone``, ``neck``, later
    ``rpn_head`` and ``roi_head``) so ``tools/export_detector.py`` maps weights by prefix.

    ``self.target`` is an mmengine :class:`ExponentialMovingAverage` of the modules listed by
    :meth:`online_modules`. The EMA decay τ follows BYOL's cosine schedule
    (arXiv 2006.07733, Sec. 3.2), set every iteration by ``CosineMomentumHook`` through
    :meth:`set_target_decay`.
    """

    def __init__(self,
                 backbone: dict,
                 neck: Optional[dict] = None,
                 base_momentum: float = 0.99,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None) -> None:
        if data_preprocessor is None:
            data_preprocessor = dict(type='MultiViewDataPreprocessor')
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck) if neck is not None else None
        self.base_momentum = base_momentum
        self.target: Optional[ExponentialMovingAverage] = None

    # -- the EMA target ------------------------------------------------------------------
    def online_modules(self) -> Dict[str, nn.Module]:
        """The online modules the target network mirrors (subclasses add projectors)."""
        mods = {'backbone': self.backbone}
        if self.neck is not None:
            mods['neck'] = self.neck
        return mods

    def build_target(self) -> None:
        """Create the EMA copy; call at the end of a subclass ``__init__``.

        mmengine's momentum is the weight of the *new* value, i.e. 1 − τ.
        """
        self.target = ExponentialMovingAverage(
            nn.ModuleDict(self.online_modules()), momentum=1 - self.base_momentum,
            update_buffers=True)
        self.target.requires_grad_(False)

    def set_target_decay(self, tau: float) -> None:
        self.target.momentum = 1.0 - tau

    def init_weights(self) -> None:
        super().init_weights()
        # The target starts as an exact copy of the (initialised) online network.
        self.target.steps.zero_()
        self.target.update_parameters(nn.ModuleDict(self.online_modules()))

    @torch.no_grad()
    def update_target(self) -> None:
        self.target.update_parameters(nn.ModuleDict(self.online_modules()))

    # -- features ------------------------------------------------------------------------
    @staticmethod
    def encode(modules, img: Tensor) -> tuple:
        """``(N, 3, H, W)`` → backbone (+ neck) feature maps, for the online modules or
        ``self.target.module``."""
        feats = modules['backbone'](img)
        if 'neck' in modules:
            feats = modules['neck'](feats)
        return tuple(feats)

    def extract_feat(self, img: Tensor) -> tuple:
        return self.encode(self.online_modules(), img)

    def forward(self, inputs: Union[Tensor, List[Tensor]],
                data_samples: Optional[list] = None, mode: str = 'tensor'):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'tensor':
            img = inputs[0] if isinstance(inputs, (list, tuple)) else inputs
            return self.extract_feat(img)
        raise RuntimeError(
            f'{type(self).__name__} is a pretrainer and has no mode {mode!r}; export it with '
            f'tools/export_detector.py and evaluate the mmdet detector instead')

    def loss(self, inputs: List[Tensor], data_samples: Sequence) -> Dict[str, Tensor]:
        raise NotImplementedError

    @staticmethod
    def view_coords(data_samples: Sequence, device: torch.device) -> Tensor:
        """``(N, V, 4)`` view boxes in normalised original-image coordinates."""
        return torch.stack([s.coords for s in data_samples]).to(device=device,
                                                                  dtype=torch.float32)
