"""Map a pretraining checkpoint onto any mmdet detector's key names, and prove it fits.

Pretrainers name their online modules like mmdet's two-stage FPN detectors (``backbone``,
``neck``, ``rpn_head``, ``roi_head.bbox_head.shared_*``). Other detector families hold the
same layers under other names, so each pretrained part is *routed* (:func:`plan_export`):

- C4 detectors (3-stage backbone + ``roi_head.shared_head`` = mmdet's ``ResLayer``): the
  pretrained ``backbone.layer4.*`` goes to ``roi_head.shared_head.layer4.*``;
- multi-stage RoI heads (Cascade R-CNN, HTC): the shared convs/fcs go to every stage
  ``roi_head.bbox_head.{i}.*`` (or the chosen ones);
- an FPN that starts at a later backbone level (RetinaNet, FCOS: ``start_level=1``): its
  lateral/fpn convs ``j`` are ours ``j + offset``, same top level, so the same features; its
  extra P6/P7 convs have no pretrained counterpart and keep the detector's initialisation;
- a part the detector family does not have, or cannot use (no ``rpn_head``, no neck, a bbox
  head without shared layers), is *not exported*, with the reason in the table.

What stays an error (:class:`ExportError`): a routed part whose tensors do not fit — missing,
unexpected or mis-shaped keys (another depth, width, anchors) — and a part the user
``require``-d that is not exported. :func:`check_against_detector` and :func:`format_table`
are shared with :class:`~mmssl_det.engine.hooks.LoadReportHook`, which re-checks at
fine-tune time what ``load_from`` actually loaded.
"""
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Optional, Sequence, Set, Tuple, Union

import torch
from mmengine.config import Config
from torch import nn

from mmssl_det.cli import UserError

# Pretrained parts, in mmdet's naming, and — per part — the keys a pretrainer may provide.
# The RoI head only ever gets its shared convs/fcs: the class/box predictors are task-specific.
PART_SCOPES: Dict[str, Sequence[str]] = {
    'backbone': ('backbone.', ),
    'neck': ('neck.', ),
    'rpn_head': ('rpn_head.', ),
    'roi_head': ('roi_head.bbox_head.shared_convs.', 'roi_head.bbox_head.shared_fcs.'),
}
RoIStages = Union[str, Sequence[int]]
NOT_IN_CHECKPOINT = 'not in the checkpoint'
EXCLUDED = 'excluded (--exclude)'


class ExportError(UserError):
    """A part the pretraining provides does not fit the detector, or nothing fits."""


def build_detector(config: str, cfg_options: Optional[dict] = None) -> nn.Module:
    """Build an mmdet detector from a config path or ``mmdet::<path in mmdet's configs>``.

    Building never downloads: init_cfg (e.g. ``torchvision://`` weights) acts only in
    ``init_weights()``, which is not called.
    """
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    from mmengine.hub import get_config
    from mmengine.registry import DefaultScope

    register_all_modules(init_default_scope=False)
    try:
        cfg = get_config(config) if '::' in config else Config.fromfile(config)
    except (FileNotFoundError, AssertionError) as e:  # get_config asserts on the package
        raise UserError(f'detector config not found: {config} ({e}); give a path or '
                        f"'mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py'") from e
    cfg.merge_from_dict(cfg_options or {})
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'mmdet')):
        return MODELS.build(cfg.model)


def load_exported(detector: nn.Module, path: str) -> None:
    """Load a file written by ``tools/export_detector.py`` (non-strict: heads the pretraining
    does not provide keep their initialisation); keys the detector lacks are an error."""
    state = torch.load(path, map_location='cpu')['state_dict']
    unexpected = sorted(set(state) - set(detector.state_dict()))
    if unexpected:
        raise ExportError(f'{path}: {len(unexpected)} keys not in the detector, e.g. '
                          f'{unexpected[:3]}; export it again with this detector config')
    detector.load_state_dict(state, strict=False)


def _in_scope(key: str, scopes: Sequence[str]) -> bool:
    return key.startswith(tuple(scopes))


def _part(key: str) -> str:
    return key.split('.', 1)[0]


def strip_module(state: Mapping[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """Drop DDP's ``module.`` prefix, as mmengine's ``load_checkpoint`` does."""
    return {k[len('module.'):] if k.startswith('module.') else k: v for k, v in state.items()}


def check_finite(state: Mapping[str, torch.Tensor], source: str) -> None:
    """Raise naming the first NaN/inf tensor: a diverged pretraining must not be used."""
    bad = [k for k, v in state.items()
           if torch.is_tensor(v) and v.is_floating_point() and not torch.isfinite(v).all()]
    if bad:
        raise ExportError(f'{source}: {len(bad)} tensors hold NaN/inf, first {bad[0]}: the '
                          f'pretraining diverged; lower its lr or clip gradients and train again')


def online_state_dict(checkpoint: Mapping) -> Dict[str, torch.Tensor]:
    """The online-branch tensors of a pretraining checkpoint, in detector naming.

    Drops the EMA target (``target.``), projectors/predictors and pretext heads; keeps only
    keys under :data:`PART_SCOPES`.
    """
    state = strip_module(checkpoint.get('state_dict', checkpoint))
    weights = {k: v for k, v in state.items()
               if any(_in_scope(k, s) for s in PART_SCOPES.values())}
    check_finite(weights, 'checkpoint')
    return weights


# -- routing: which detector key gets which pretrained tensor ---------------------------------
@dataclass
class Route:
    """How one pretrained part goes into the detector."""
    part: str
    mapping: Dict[str, str] = field(default_factory=dict)  # detector key -> checkpoint key
    expected: Set[str] = field(default_factory=set)  # detector keys the part must fill
    skipped: str = ''  # why nothing of the part is exported
    notes: Dict[str, List[str]] = field(default_factory=lambda: defaultdict(list))


def _indices(keys, prefix: str) -> List[int]:
    pat = re.compile(re.escape(prefix) + r'(\d+)\.')
    return sorted({int(m.group(1)) for k in keys if (m := pat.match(k))})


def _route_backbone(src: Dict[str, torch.Tensor], det: Dict[str, torch.Tensor],
                    detector: nn.Module, meta: Mapping) -> Route:
    route = Route('backbone', mapping={k: k for k in src})
    route.expected = {k for k in det if k.startswith('backbone.')}
    shared = next((m for name, m in detector.named_modules()
                   if name == 'roi_head.shared_head'), None)
    stage = getattr(shared, 'stage', None)
    if stage is not None:  # C4: the backbone's last stage runs per RoI in the shared head
        layer = f'layer{stage + 1}.'
        moved = {k for k in src if k.startswith('backbone.' + layer)}
        if moved and not any(k.startswith('backbone.' + layer) for k in det):
            for k in moved:
                del route.mapping[k]
                route.mapping['roi_head.shared_head.' + k[len('backbone.'):]] = k
            # only res5 itself: extra layers of the head (e.g. ResLayerExtraNorm's norm) are new
            route.expected |= {k for k in det if k.startswith('roi_head.shared_head.' + layer)}
            route.notes['roi_head'].append(f'shared_head.{layer[:-1]} <- backbone.'
                                           f'{layer[:-1]} (C4)')
    det_styles = {getattr(m, 'style', None) for name, m in detector.named_modules()
                  if name in ('backbone', 'roi_head.shared_head')}
    src_style = 'caffe' if re.search(r"style\s*=\s*['\"]caffe", str(meta.get('cfg', ''))) \
        else 'pytorch'  # every mmssl_det pretraining config is pytorch-style
    if det_styles & {'caffe', 'pytorch'} - {src_style}:
        route.notes['backbone'].append(f'detector ResNet style differs from the pretraining '
                                       f'({src_style}): set style={src_style!r}')
    if not route.expected:
        route.skipped = 'the detector has no backbone tensors'
    return route


def _route_neck(src: Dict[str, torch.Tensor], det: Dict[str, torch.Tensor],
                detector: nn.Module) -> Route:
    route = Route('neck')
    det_keys = {k for k in det if k.startswith('neck.')}
    if not det_keys:
        route.skipped = 'the detector has no neck'
        return route
    n_src = len(_indices(src, 'neck.lateral_convs.'))
    n_det = len(_indices(det_keys, 'neck.lateral_convs.'))
    offset = n_src - n_det if n_src and n_det else 0
    from mmdet.models.necks import FPN
    fpn = detector.neck
    is_fpn = isinstance(fpn, FPN)  # PAFPN & co. add layers after the FPN's own
    top_level = getattr(fpn, 'backbone_end_level', None) == getattr(fpn, 'num_ins', None)
    if offset and (not is_fpn or offset < 0 or not top_level):
        route.skipped = (f'the detector neck ({type(fpn).__name__}, {n_det} input levels) '
                         f'is not an FPN over the top {n_det} of the pretrained {n_src} levels')
        return route
    # mmdet's FPN builds lateral/fpn convs for levels start_level..end, index 0 first, and its
    # top-down path makes each level from that level and those above: with the same top
    # level, detector level j is pretrained level j + offset (offset 0: same names).
    for k in src:
        m = re.match(r'neck\.(lateral_convs|fpn_convs)\.(\d+)\.(.*)', k)
        if not m:
            route.mapping[k] = k
        elif offset == 0 or int(m.group(2)) - offset in range(n_det):
            route.mapping[f'neck.{m.group(1)}.{int(m.group(2)) - offset}.{m.group(3)}'] = k
    if not set(route.mapping) & det_keys:
        route.skipped = (f'the detector neck ({type(fpn).__name__}) shares no tensor name '
                         f'with the pretrained one')
        return route
    # Extra convs (P6/P7 by conv; ours pools) and layers an FPN subclass adds (PAFPN's
    # bottom-up path) exist only in the detector: its own init.
    extra = [i for i in _indices(det_keys, 'neck.fpn_convs.') if i >= n_det and not any(
        k.startswith(f'neck.fpn_convs.{i}.') for k in route.mapping)]
    route.expected = {k for k in det_keys
                      if not any(k.startswith(f'neck.fpn_convs.{i}.') for i in extra)
                      and (not is_fpn or k.startswith(('neck.lateral_convs.', 'neck.fpn_convs.')))}
    if offset:
        route.notes['neck'].append(f'FPN starts {offset} level(s) higher: lateral/fpn_convs'
                                   f'.j <- .j+{offset}')
    return route


def _neck_problem(det: Dict[str, torch.Tensor], neck: Route) -> str:
    """Why the heads pretrained on our FPN's outputs cannot work in this detector ('' if
    they can: its neck is ours, or an FPN the checkpoint simply does not carry)."""
    if not any(k.startswith('neck.') for k in det):
        return 'the detector has no neck'
    return '' if neck.skipped in ('', NOT_IN_CHECKPOINT, EXCLUDED) else f'neck: {neck.skipped}'


def _route_rpn(src: Dict[str, torch.Tensor], det: Dict[str, torch.Tensor],
               neck: Route) -> Route:
    route = Route('rpn_head')
    det_keys = {k for k in det if k.startswith('rpn_head.')}
    if not det_keys:
        route.skipped = 'the detector has no rpn_head (one-stage)'
    elif problem := _neck_problem(det, neck):
        route.skipped = f'pretrained on FPN levels; {problem}'
    else:
        route.mapping, route.expected = {k: k for k in src}, det_keys
    return route


def _route_roi(src: Dict[str, torch.Tensor], det: Dict[str, torch.Tensor],
               detector: nn.Module, neck: Route, roi_stages: RoIStages) -> Route:
    route = Route('roi_head')
    shared = re.compile(r'roi_head\.bbox_head\.(?:(\d+)\.)?shared_(?:convs|fcs)\.')
    det_shared = {k: m.group(1) for k in det if (m := shared.match(k))}
    if not any(k.startswith('roi_head.') for k in det):
        route.skipped = 'the detector has no roi_head (one-stage)'
    elif not det_shared:
        bbox_head = getattr(getattr(detector, 'roi_head', None), 'bbox_head', None)
        route.skipped = f'its bbox head ({type(bbox_head).__name__}) has no shared convs/fcs'
    elif problem := _neck_problem(det, neck):
        route.skipped = f'pretrained on FPN RoI features; {problem}'
    if route.skipped:
        return route
    stages = sorted({int(s) for s in det_shared.values() if s is not None})
    if not stages:  # a single bbox head: same names
        if roi_stages != 'all':
            raise ExportError(f'--roi-stages {list(roi_stages)}: the detector has a '
                              f'single-stage RoI head; leave it at "all"')
        route.mapping, route.expected = {k: k for k in src}, set(det_shared)
        return route
    chosen = stages if roi_stages == 'all' else sorted({int(s) for s in roi_stages})
    if not set(chosen) <= set(stages):
        raise ExportError(f'--roi-stages {chosen}: the detector has RoI stages {stages}')
    for k in src:
        rest = k[len('roi_head.bbox_head.'):]
        for s in chosen:
            route.mapping[f'roi_head.bbox_head.{s}.{rest}'] = k
    route.expected = {k for k, s in det_shared.items() if int(s) in chosen}
    route.notes['roi_head'].append(
        f'shared layers -> RoI stages {",".join(map(str, chosen))} of {len(stages)}')
    return route


def plan_export(weights: Mapping[str, torch.Tensor], detector: nn.Module,
                roi_stages: RoIStages = 'all', meta: Optional[Mapping] = None,
                exclude: Sequence[str] = ()) -> List[Route]:
    """Route each pretrained part in ``weights`` (from :func:`online_state_dict`) into
    ``detector``; ``roi_stages`` picks the stages of a multi-stage RoI head ('all' or ids),
    ``exclude`` names parts left to the detector's own initialisation."""
    det = detector.state_dict()
    src = {part: {k: v for k, v in weights.items() if _in_scope(k, scopes)}
           for part, scopes in PART_SCOPES.items()}
    absent = {part: Route(part, skipped=EXCLUDED if part in exclude else NOT_IN_CHECKPOINT)
              for part, keys in src.items() if not keys or part in exclude}
    backbone = absent.get('backbone') or _route_backbone(src['backbone'], det, detector,
                                                         meta or {})
    neck = absent.get('neck') or _route_neck(src['neck'], det, detector)
    rpn = absent.get('rpn_head') or _route_rpn(src['rpn_head'], det, neck)
    roi = absent.get('roi_head') or _route_roi(src['roi_head'], det, detector, neck,
                                               roi_stages)
    routes = [backbone, neck, rpn, roi]
    for route in routes:
        if route.skipped:
            route.mapping, route.expected = {}, set()
    return routes


# -- checking and reporting ---------------------------------------------------------------------
@dataclass
class PartReport:
    """How much of one detector part the weights fill; tensors count the whole state dict
    (incl. BN buffers), params count trainable-parameter elements."""
    part: str
    provided: bool
    loaded_tensors: int
    total_tensors: int
    loaded_params: int
    total_params: int
    missing: List[str]  # expected detector keys the weights lack
    unexpected: List[str]  # weights keys the detector lacks
    mismatched: List[str]  # same key, other shape
    provided_tensors: int = 0
    not_loaded: List[str] = field(default_factory=list)  # right shape, other values
    note: str = ''

    @property
    def percent(self) -> float:
        return 100.0 * self.loaded_params / max(self.total_params, 1)


def _unfilled(keys: Sequence[str], loaded: Set[str], part: str) -> List[str]:
    """The largest modules of ``part`` none of whose tensors are loaded (for the note)."""
    out: List[str] = []
    for k in keys:
        names = k.split('.')[1:-1]
        for depth in range(1, len(names) + 1):
            prefix = '.'.join([part, *names[:depth]]) + '.'
            if not any(x.startswith(prefix) for x in loaded):
                name = prefix[len(part) + 1:-1]
                if name not in out:
                    out.append(name)
                break
    return sorted(out, key=lambda name: name.count('.'))  # whole modules first


def _shorten(items: Sequence[str], n: int = 4) -> str:
    return ', '.join(items[:n]) + (f' … (+{len(items) - n})' if len(items) > n else '')


def check_against_detector(weights: Mapping[str, torch.Tensor], detector: nn.Module,
                           expected: Optional[Set[str]] = None, verify_values: bool = False,
                           notes: Optional[Mapping[str, Sequence[str]]] = None
                           ) -> List[PartReport]:
    """Compare ``weights`` (detector naming) with ``detector.state_dict()`` part by part.

    A part is a top-level child of the detector (plus any part only ``weights`` has). A
    tensor is loaded when its key exists with an equal shape — and, with ``verify_values``
    (after a real load), equal values. ``expected`` (default: the :data:`PART_SCOPES` keys of
    every part the weights provide) are detector keys whose absence is *missing*.
    """
    det_state = detector.state_dict()
    param_names = {n for n, _ in detector.named_parameters()}
    if expected is None:
        provided = {_part(k) for k in weights}
        expected = {k for k in det_state if _part(k) in provided
                    and _in_scope(k, PART_SCOPES.get(_part(k), ()))}
    parts = list(dict.fromkeys([_part(k) for k in det_state] + [_part(k) for k in weights]))
    reports = []
    for part in parts:
        det_part = {k: v for k, v in det_state.items() if _part(k) == part}
        given = {k: v for k, v in weights.items() if _part(k) == part}
        same_shape = {k for k, v in det_part.items() if k in given and given[k].shape == v.shape}
        not_loaded = sorted(k for k in same_shape if verify_values and not torch.equal(
            det_part[k].detach().cpu(), given[k].detach().cpu().to(det_part[k].dtype)))
        loaded = same_shape - set(not_loaded)
        mismatched = [f'{k}: checkpoint {tuple(given[k].shape)} vs detector {tuple(v.shape)}'
                      for k, v in det_part.items() if k in given and k not in same_shape]
        missing = sorted(k for k in expected if _part(k) == part and k not in given)
        unexpected = sorted(k for k in given if k not in det_state)
        part_notes = list((notes or {}).get(part, ()))
        if missing or unexpected or mismatched:
            part_notes.append('does not fit')
        elif loaded and (unfilled := _unfilled(list(det_part), loaded, part)):
            part_notes.append(f'left to fine-tuning: {_shorten(unfilled)}')
        reports.append(PartReport(
            part=part, provided=bool(given), provided_tensors=len(given),
            loaded_tensors=len(loaded), total_tensors=len(det_part),
            loaded_params=sum(det_part[k].numel() for k in loaded if k in param_names),
            total_params=sum(v.numel() for k, v in det_part.items() if k in param_names),
            missing=missing, unexpected=unexpected, mismatched=mismatched,
            not_loaded=not_loaded, note='; '.join(part_notes)))
    return reports


def format_table(reports: Sequence[PartReport]) -> str:
    """The loaded-vs-total table, one row per part, with the reason for what is not loaded."""
    rows = [f'{"part":<13} {"provided":<9} {"tensors":>9} {"params":>23} {"loaded":>7}  note']
    for r in reports:
        rows.append(f'{r.part:<13} {"yes" if r.provided else "no":<9} '
                    f'{f"{r.loaded_tensors}/{r.total_tensors}":>9} '
                    f'{f"{r.loaded_params:,}/{r.total_params:,}":>23} {r.percent:>6.1f}%  '
                    f'{r.note}'.rstrip())
    return '\n'.join(rows)


def raise_on_mismatch(reports: Sequence[PartReport], source: str) -> None:
    """Fail when a provided part does not fit: missing, unexpected or mis-shaped keys."""
    problems = []
    for r in reports:
        for label, keys in (('missing in checkpoint', r.missing),
                            ('not in detector', r.unexpected),
                            ('shape mismatch', r.mismatched)):
            if keys:
                problems.append(f'{r.part}: {len(keys)} {label}: {_shorten(keys, 5)}')
    if problems:
        raise ExportError(
            f'{source} does not fit the detector:\n  ' + '\n  '.join(problems) +
            '\nThe pretraining architecture (depth, channels, num_outs, anchors) must match '
            'the detector config; fix one of them and export again.')


def export_weights(weights: Mapping[str, torch.Tensor], detector: nn.Module,
                   roi_stages: RoIStages = 'all', meta: Optional[Mapping] = None,
                   exclude: Sequence[str] = ()
                   ) -> Tuple[Dict[str, torch.Tensor], List[PartReport], List[Route]]:
    """Route ``weights`` into ``detector`` (see :func:`plan_export`); returns the
    detector-named state, the per-part report and the routes. Check the result with
    :func:`check_export` (after printing the table)."""
    routes = plan_export(weights, detector, roi_stages, meta, exclude)
    state = {dk: weights[sk] for r in routes for dk, sk in r.mapping.items()}
    notes: Dict[str, List[str]] = defaultdict(list)
    for r in routes:
        for part, lines in r.notes.items():
            notes[part] += lines
        if r.skipped:
            what = 'shared convs/fcs' if r.part == 'roi_head' else r.part
            notes[r.part].append(f'{what} not exported: {r.skipped}')
    det_parts = {_part(k) for k in detector.state_dict()}
    for part in det_parts - set(PART_SCOPES):
        if not any(_part(k) == part for k in state):
            notes[part].append('not pretrained: left to fine-tuning')
    reports = check_against_detector(state, detector, set().union(*(r.expected for r in routes)),
                                     notes=notes)
    reports += [PartReport(r.part, False, 0, 0, 0, 0, [], [], [], note='; '.join(notes[r.part]))
                for r in routes if r.part not in {p.part for p in reports}]
    order = list(PART_SCOPES)  # pretrained parts first, then the detector's others
    reports.sort(key=lambda r: order.index(r.part) if r.part in order else len(order))
    return state, reports, routes


def check_export(state: Mapping, reports: Sequence[PartReport], routes: Sequence[Route],
                 source: str, require: Sequence[str] = ()) -> None:
    """Raise :class:`ExportError` when the export does not fit, loads nothing, or misses a
    required part."""
    raise_on_mismatch(reports, source)
    by_part = {r.part: r for r in routes}
    for part in require:
        if by_part[part].skipped:
            raise ExportError(f'{part} was required (--require) but is not exported: '
                              f'{by_part[part].skipped}')
    if not state:
        raise ExportError(f'nothing of {source} fits the detector: ' + '; '.join(
            f'{r.part}: {r.skipped}' for r in routes))
