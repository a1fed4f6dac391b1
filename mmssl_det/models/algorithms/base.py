from typing import Dict, FrozenSet, List, Optional, Sequence, Set, Tuple, Union

import torch
from mmengine.dist import get_world_size
from mmengine.model import BaseModel, ExponentialMovingAverage
from torch import Tensor, nn

from mmssl_det.registry import MODELS


class TargetEMA(ExponentialMovingAverage):
    """mmengine's EMA whose averaged tensors follow the module through ``.to()``.

    mmengine keeps ``avg_parameters`` as views of ``module.state_dict()`` taken when it is
    built. The Runner builds the model on the CPU and then moves it (``model.to('cuda')``),
    which gives every parameter new storage: the EMA would keep averaging into the orphaned
    CPU tensors while the target actually used stayed at its initial weights, silently.
    Re-taking the views after every ``_apply`` (``to``, ``cuda``, ``double`` …) keeps them
    attached.
    """

    def _apply(self, fn, *args, **kwargs):
        super()._apply(fn, *args, **kwargs)
        self.avg_parameters = (self.module.state_dict() if self.update_buffers
                               else dict(self.module.named_parameters()))
        return self


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
        # Online modules kept fixed (no gradient, norms in eval mode, EMA copy = online),
        # e.g. a pretrained backbone under the RPN pretext; set by stage schedules.
        self.frozen: FrozenSet[str] = frozenset()
        # requires_grad of each frozen module's parameters before freezing (a module may
        # freeze some itself, e.g. ResNet's frozen_stages), restored when it thaws.
        self._trainable: Dict[str, Dict[str, bool]] = {}

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
        self.target = TargetEMA(
            nn.ModuleDict(self.online_modules()), momentum=1 - self.base_momentum,
            update_buffers=True)
        self.target.requires_grad_(False)

    def set_target_decay(self, tau: float) -> None:
        if self.target is None:
            raise TypeError(f'{type(self).__name__} was built without an EMA target '
                            f'(with_target=False): drop CosineMomentumHook from custom_hooks')
        self.target.momentum = 1.0 - tau

    def init_weights(self) -> None:
        super().init_weights()
        self.reset_target()

    @torch.no_grad()
    def reset_target(self) -> None:
        """Make the target an exact copy of the online network (at start and after
        ``load_from``; ``CosineMomentumHook.before_train`` calls it on fresh runs)."""
        if self.target is None:
            return
        self.target.steps.zero_()
        self.target.update_parameters(nn.ModuleDict(self.online_modules()))

    @torch.no_grad()
    def update_target(self) -> None:
        self.target.update_parameters(nn.ModuleDict(self.online_modules()))

    # -- features ------------------------------------------------------------------------
    @staticmethod
    def encode(modules, img: Tensor, with_backbone: bool = False) -> tuple:
        """``(N, 3, H, W)`` → backbone (+ neck) feature maps of ``modules`` (the target's);
        with ``with_backbone`` the pair (backbone maps, encoder maps)."""
        backbone = tuple(modules['backbone'](img))
        feats = tuple(modules['neck'](backbone)) if 'neck' in modules else backbone
        return (backbone, feats) if with_backbone else feats

    def _frozen_module(self, path: str) -> Optional[nn.Module]:
        """The sub-module at dotted ``path`` (``backbone``, ``pretexts.roi.projector`` …),
        or None where there is none or it is the EMA target."""
        if not path or path.split('.')[0] == 'target':
            return None
        try:
            return self.get_submodule(path)
        except AttributeError:
            return None

    def _target_copy(self, path: str) -> Optional[nn.Module]:
        """The EMA target's module at ``path`` (the target mirrors the online paths)."""
        if self.target is None:
            return None
        try:
            return self.target.module.get_submodule(path)
        except AttributeError:
            return None

    def check_frozen(self, names: Sequence[str], where: str = 'frozen') -> None:
        unknown = [n for n in names if self._frozen_module(n) is None]
        if unknown:
            children = {n for n, m in self.named_children() if m is not None} - {'target'}
            raise ValueError(f'{where}: cannot freeze {sorted(unknown)}: '
                             f'{type(self).__name__} has modules {sorted(children)} (a dotted '
                             f'path names a module inside one, e.g. pretexts.<name>.projector)')

    def set_frozen(self, names: Sequence[str]) -> None:
        """Freeze exactly the modules ``names`` (dotted paths from the model, e.g.
        ``backbone``, ``rpn_head``, ``pretexts.roi``) and thaw the others, for real: their
        parameters stop requiring gradients (the gradient still flows *through* them to
        trainable modules before them), their norms run in eval mode, and their EMA copy is
        made equal to them, so both branches see the same fixed module."""
        self.check_frozen(names)
        names = frozenset(names)
        thaw, freeze = self.frozen - names, names - self.frozen
        if thaw and get_world_size() > 1:
            raise RuntimeError(
                f'cannot unfreeze {sorted(thaw)} during distributed training: DDP only '
                f'synchronises the parameters that required gradients when it wrapped the '
                f'model; order the stages so a module, once frozen, stays frozen')
        for name in thaw:
            for pname, p in self.get_submodule(name).named_parameters():
                p.requires_grad_(self._trainable[name][pname])
            del self._trainable[name]
        for name in freeze:
            module = self.get_submodule(name)
            self._trainable[name] = {n: p.requires_grad for n, p in module.named_parameters()}
            module.requires_grad_(False)
            copy = self._target_copy(name)
            if copy is not None:  # the target may mirror only part of it (a pretext's)
                online = module.state_dict()
                with torch.no_grad():
                    for key, t in copy.state_dict().items():
                        t.copy_(online[key])
        self.frozen = names
        self.train(self.training)

    def train(self, mode: bool = True) -> 'BaseSelfSupervisor':
        super().train(mode)
        for name in self.frozen:
            self.get_submodule(name).eval()
            # The target's copy must normalise like the online one (running statistics),
            # or the two branches compare differently normalised features.
            copy = self._target_copy(name)
            if copy is not None:
                copy.eval()
        return self

    def extract_feat(self, img: Tensor, with_backbone: bool = False) -> tuple:
        """Online backbone (+ neck) features; frozen modules run without gradient. With
        ``with_backbone`` the pair (backbone maps, encoder maps)."""
        grad = torch.is_grad_enabled()
        with torch.set_grad_enabled(grad and 'backbone' not in self.frozen):
            backbone = tuple(self.backbone(img))
        feats = backbone
        if self.neck is not None:
            with torch.set_grad_enabled(grad and 'neck' not in self.frozen):
                feats = tuple(self.neck(backbone))
        return (backbone, feats) if with_backbone else feats

    def encode_views(self, inputs: Sequence[Tensor], with_target: bool = True,
                     with_backbone: bool = False, online_views: Optional[Set[int]] = None,
                     target_views: Optional[Set[int]] = None
                     ) -> Tuple[List[Optional[tuple]], List[Optional[tuple]]]:
        """Online and target features of the views in ``online_views`` / ``target_views``
        (None: all; the others get None), pairs with ``with_backbone``; also advances the EMA
        target."""
        online = [self.extract_feat(v, with_backbone)
                  if online_views is None or i in online_views else None
                  for i, v in enumerate(inputs)]
        if not with_target:
            return online, []
        with torch.no_grad():
            self.update_target()
            target = [self.encode(self.target.module, v, with_backbone)
                      if target_views is None or i in target_views else None
                      for i, v in enumerate(inputs)]
        return online, target

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
