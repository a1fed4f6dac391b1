from typing import Dict, List, Optional, Sequence, Set

from torch import Tensor, nn

from mmssl_det.registry import MODELS
from .algorithms.base import BaseSelfSupervisor
from .pretexts import BasePretext, PretextBatch

# Detector parts a pretrainer may hold besides backbone/neck, under mmdet's names (so the
# export maps them by prefix); pretexts run them (``BasePretext.parts``).
DETECTOR_PARTS = ('rpn_head', 'roi_head')
# What to do when a batch lacks a field a pretext reads.
FIELD_HINTS = {
    'coords': 'the pipeline must record each view\'s box (MultiView with *WithCoord crops, '
              'then PackMultiViewInputs)',
    'pseudo_instances': 'give the dataset a proposals_file (tools/generate_proposals.py)',
    'shared_boxes': 'give the dataset a proposals_file (tools/generate_proposals.py)',
}


def _item(features: List[Optional[tuple]], i: int) -> List[Optional[tuple]]:
    """Per view, item ``i`` of a (backbone maps, neck maps) pair; None stays None."""
    return [None if f is None else f[i] for f in features]


@MODELS.register_module()
class SelfSupervisedPretrainer(BaseSelfSupervisor):
    """One encoder, one EMA target, a list of pretext tasks that compose in a config.

    The encoder (``backbone`` [+ ``neck``]) runs once per view, its EMA target once per view
    (when an active pretext needs it), then every pretext of the current stage computes its
    losses from the features it declares (:class:`~mmssl_det.models.pretexts.BasePretext`).
    Detector parts that a pretext trains (``rpn_head``, ``roi_head``) are held here, under
    mmdet's names, so ``tools/export_detector.py`` finds ``backbone.`` / ``neck.`` /
    ``rpn_head.`` / ``roi_head.bbox_head.shared_fcs.`` as in the detector; everything under
    ``pretexts.`` (projectors, predictors, queues) and ``target.`` is pretraining-only.

    The target (:class:`TargetEMA`, built once) mirrors backbone, neck, the parts listed in
    some pretext's ``target_parts`` and each pretext's :meth:`target_modules`, with the same
    paths (``target.module.pretexts.<name>.projector`` mirrors ``pretexts.<name>.projector``).
    Its decay follows BYOL's cosine schedule (``CosineMomentumHook``, arXiv 2006.07733 Sec. 3.2).

    Config::

        model = dict(type='SelfSupervisedPretrainer', backbone=..., neck=..., rpn_head=...,
                     pretexts=dict(moco=dict(type='MoCoV2Pretext', ...),
                                   rpn=dict(type='RPNPretext')))

    ``pretexts`` is a dict (name → config, in loss order) so a child config can override or
    drop (``None``) one pretext by name; losses are logged as ``loss_<name>[_<suffix>]``.

    Args:
        backbone, neck: mmdet configs (``ResNet``, ``FPN``).
        pretexts: name → pretext config (None entries are dropped).
        rpn_head, roi_head: detector parts the RPN / RoI pretexts train (mmdet ``RPNHead``,
            :class:`RoIPretextHead`).
        with_target: build the EMA target (False for target-free methods, e.g. SimSiam).
        base_momentum: the target's decay τ at the start.
        stages: ``dict(begin=epoch, losses=(pretext names), frozen=(module paths))``, switched
            by ``PretextStageHook``; default: one stage with every pretext, nothing frozen.
            ``frozen`` names modules by their dotted path (``backbone``, ``neck``,
            ``rpn_head``, ``pretexts.roi``, ``pretexts.pixel.projectors`` …).
    """

    def __init__(self,
                 backbone: dict,
                 pretexts: Dict[str, Optional[dict]],
                 neck: Optional[dict] = None,
                 rpn_head: Optional[dict] = None,
                 roi_head: Optional[dict] = None,
                 with_target: bool = True,
                 base_momentum: float = 0.99,
                 stages: Optional[Sequence[dict]] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg=None) -> None:
        super().__init__(backbone, neck, base_momentum, data_preprocessor, init_cfg)
        parts = dict(rpn_head=rpn_head, roi_head=roi_head)
        built = {}
        for name, cfg in (pretexts or {}).items():
            if cfg is None:
                continue
            # Detector parts are built just before the first pretext that runs them: the
            # construction order, so a seed's initial weights, of the configs' former classes.
            for part in self._declared_parts(cfg):
                if parts.get(part) is not None and getattr(self, part, None) is None:
                    setattr(self, part, MODELS.build(parts[part]))
            pretext = MODELS.build(cfg)
            if not isinstance(pretext, BasePretext):
                raise ValueError(f'pretexts.{name}: {type(pretext).__name__} is not a pretext '
                                 f'(a BasePretext subclass)')
            pretext.name = name
            built[name] = pretext
        for part, cfg in parts.items():
            if getattr(self, part, None) is None:
                setattr(self, part, MODELS.build(cfg) if cfg else None)
        if not built:
            raise ValueError(f'{type(self).__name__} has no pretext: give pretexts=dict('
                             f'name=dict(type=...), ...)')
        self.pretexts = nn.ModuleDict(built)
        self._check_pretexts(with_target)
        if with_target:
            self.build_target()
        if stages is None:
            stages = [dict(begin=0, losses=tuple(self.pretexts), frozen=())]
        self.stages = [dict(begin=s.get('begin', 0), losses=tuple(s['losses']),
                            frozen=tuple(s.get('frozen', ()))) for s in stages]
        self._check_stages()
        self.stage = 0
        self.set_stage(0)

    # -- configuration checks -------------------------------------------------------------
    @staticmethod
    def _declared_parts(cfg: dict) -> tuple:
        cls = cfg.get('type')
        cls = cls if isinstance(cls, type) else MODELS.get(cls)
        return tuple(getattr(cls, 'parts', ())) if cls is not None else ()

    def _num_levels(self, pretext: BasePretext) -> Optional[int]:
        """How many maps the encoder gives the pretext (its neck's or its backbone's)."""
        if self.neck is not None and not pretext.from_backbone:
            return getattr(self.neck, 'num_outs', None)
        out_indices = getattr(self.backbone, 'out_indices', None)
        return len(out_indices) if out_indices is not None else None

    def _check_levels(self, pretext: BasePretext, num_levels: Optional[int]) -> None:
        if num_levels is None or pretext.levels is None:
            return
        bad = [lvl for lvl in pretext.levels if not -num_levels <= lvl < num_levels]
        if bad:
            source = (f'neck {type(self.neck).__name__} (num_outs={num_levels})'
                      if self.neck is not None and not pretext.from_backbone else
                      f'backbone {type(self.backbone).__name__} ({num_levels} out_indices)')
            raise ValueError(f'pretext {pretext.name!r}: levels={pretext.levels} asks for '
                             f'level(s) {bad}, but {source} produces levels '
                             f'0..{num_levels - 1}; change the pretext\'s `levels` or the '
                             f'neck/backbone outputs')

    def _check_pretexts(self, with_target: bool) -> None:
        loss_names: Dict[str, str] = {}
        for name, p in self.pretexts.items():
            self._check_levels(p, self._num_levels(p))
            for part in p.parts:
                if part not in DETECTOR_PARTS or getattr(self, part) is None:
                    raise ValueError(f'pretext {name!r} (parts) runs the detector\'s {part}, '
                                     f'but the pretrainer has none: set model.{part}')
            if p.needs_target and not with_target:
                raise ValueError(f'pretext {name!r} (needs_target) reads the EMA target, but '
                                 f'the pretrainer has with_target=False')
            clash = set(p.target_modules()) & set(DETECTOR_PARTS)
            if clash:
                raise ValueError(f'pretext {name!r} (target_modules) names its own modules '
                                 f'{sorted(clash)} like detector parts; rename them')
            for suffix in p.loss_suffixes():
                loss = self.loss_name(name, suffix)
                if loss in loss_names:
                    raise ValueError(f'pretexts {loss_names[loss]!r} and {name!r} both log '
                                     f'{loss!r} (loss_suffixes); rename one of the pretexts')
                loss_names[loss] = name

    def _check_stages(self) -> None:
        begins = [s['begin'] for s in self.stages]
        if begins[0] != 0 or any(b <= a for a, b in zip(begins, begins[1:])):
            raise ValueError(f'stages begin at epochs {begins}: the first must begin at 0 and '
                             f'the rest strictly later')
        for i, stage in enumerate(self.stages):
            self.check_frozen(stage['frozen'], where=f'stages[{i}].frozen')
            missing = [n for n in stage['losses'] if n not in self.pretexts]
            if missing:
                raise ValueError(f'stages[{i}].losses={stage["losses"]}: not configured '
                                 f'{missing}; the pretexts are {list(self.pretexts)}')

    @staticmethod
    def _views(pretexts: List[BasePretext], attr: str, num_views: int) -> Optional[Set[int]]:
        """The views some of ``pretexts`` read (``online_views`` / ``target_views``); None
        when one reads them all."""
        views: Set[int] = set()
        for p in pretexts:
            if getattr(p, attr) is None:
                return None
            views.update(v % num_views for v in getattr(p, attr))
        return views

    @staticmethod
    def loss_name(pretext: str, suffix: str) -> str:
        return f'loss_{pretext}_{suffix}' if suffix else f'loss_{pretext}'

    # -- the EMA target -------------------------------------------------------------------
    def online_modules(self) -> Dict[str, nn.Module]:
        mods = super().online_modules()
        for part in DETECTOR_PARTS:
            if any(part in p.target_parts for p in self.pretexts.values()):
                mods[part] = getattr(self, part)
        own = {name: nn.ModuleDict(p.target_modules()) for name, p in self.pretexts.items()
               if p.target_modules()}
        if own:
            mods['pretexts'] = nn.ModuleDict(own)
        return mods

    def _target_of(self, pretext: BasePretext) -> Optional[Dict[str, nn.Module]]:
        if not pretext.needs_target:
            return None
        mods = self.target.module
        target = {part: mods[part] for part in pretext.target_parts}
        if pretext.target_modules():
            target.update(mods['pretexts'][pretext.name].items())
        return target

    def set_stage(self, index: int) -> None:
        self.stage = index
        self.set_frozen(self.stages[index]['frozen'])

    # -- losses ---------------------------------------------------------------------------
    def _check_batch(self, active: List[BasePretext], inputs: List[Tensor],
                     data_samples: Sequence) -> None:
        for p in active:
            p.check_views(inputs)
            for field in p.fields:
                if not data_samples or field not in data_samples[0]:
                    raise ValueError(f'pretext {p.name!r} reads the data-sample field '
                                     f'{field!r}, which the batch lacks: '
                                     f'{FIELD_HINTS.get(field, "add it in the pipeline")}')

    def loss(self, inputs: List[Tensor], data_samples: Sequence) -> Dict[str, Tensor]:
        """inputs: V views ``(N, 3, H, W)``; data_samples: the fields the pretexts read."""
        active = [self.pretexts[n] for n in self.pretexts
                  if n in self.stages[self.stage]['losses']]
        self._check_batch(active, inputs, data_samples)
        parts = {part: getattr(self, part) for part in DETECTOR_PARTS
                 if getattr(self, part) is not None}
        for p in self.pretexts.values():
            p.before_step(parts)
        for p in active:  # a pretext may encode other images, e.g. RotNet its view's rotations
            inputs = p.encoder_inputs(inputs)
        with_backbone = self.neck is not None and any(p.from_backbone for p in active)
        readers = [p for p in active if p.needs_target]
        online, target = self.encode_views(
            inputs, with_target=bool(readers), with_backbone=with_backbone,
            online_views=self._views(active, 'online_views', len(inputs)),
            target_views=self._views(readers, 'target_views', len(inputs)))
        if with_backbone:  # (backbone maps, neck maps) per view
            batch = PretextBatch(inputs, data_samples, _item(online, 1), _item(target, 1),
                                 parts, _item(online, 0), _item(target, 0))
        else:  # the backbone's maps are the encoder's when there is no neck
            own = (online, target) if self.neck is None else (None, None)
            batch = PretextBatch(inputs, data_samples, online, target, parts, *own)
        for p in active:
            self._check_levels(p, len(next(f for f in p.features(batch) if f is not None)))
        losses: Dict[str, Tensor] = {}
        for p in active:
            for suffix, value in p.loss(batch, self._target_of(p)).items():
                name = self.loss_name(p.name, suffix)
                if name in losses:
                    raise ValueError(f'pretext {p.name!r} returned {name!r}, which another '
                                     f'pretext already logged; rename one of them')
                losses[name] = value
        return losses
