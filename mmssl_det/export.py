"""Map a pretraining checkpoint onto an mmdet detector's key names, and prove it fits.

Pretrainers name their online modules like mmdet's two-stage detectors (``backbone``,
``neck``, ``rpn_head``, ``roi_head.bbox_head.shared_*``), so the mapping is a prefix filter;
what this module adds is the check users of mmselfsup asked for: every tensor of a part the
pretraining claims to provide must land in the detector with the right shape, or export fails.
"""
from dataclasses import dataclass
from typing import Dict, List, Mapping, Optional, Sequence

import torch
from mmengine.config import Config
from torch import nn

# Detector parts, in mmdet's naming, and — per part — the keys a pretrainer may provide.
# The RoI head only ever gets its shared convs/fcs: the class/box predictors are task-specific.
PART_SCOPES: Dict[str, Sequence[str]] = {
    'backbone': ('backbone.', ),
    'neck': ('neck.', ),
    'rpn_head': ('rpn_head.', ),
    'roi_head': ('roi_head.bbox_head.shared_convs.', 'roi_head.bbox_head.shared_fcs.'),
}


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
    cfg = get_config(config) if '::' in config else Config.fromfile(config)
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


class ExportError(RuntimeError):
    """A part the pretraining provides does not fit the detector."""


@dataclass
class PartReport:
    part: str
    provided: bool
    loaded_tensors: int
    total_tensors: int
    loaded_params: int
    total_params: int
    missing: List[str]
    unexpected: List[str]
    mismatched: List[str]

    @property
    def percent(self) -> float:
        return 100.0 * self.loaded_params / max(self.total_params, 1)


def _in_scope(key: str, scopes: Sequence[str]) -> bool:
    return key.startswith(tuple(scopes))


def online_state_dict(checkpoint: Mapping) -> Dict[str, torch.Tensor]:
    """The online-branch tensors of a pretraining checkpoint, in detector naming.

    Drops the EMA target (``target.``), projectors/predictors and pretext heads; keeps only
    keys under :data:`PART_SCOPES`.
    """
    state = checkpoint.get('state_dict', checkpoint)
    state = {k[len('module.'):] if k.startswith('module.') else k: v for k, v in state.items()}
    weights = {k: v for k, v in state.items()
               if any(_in_scope(k, s) for s in PART_SCOPES.values())}
    bad = [k for k, v in weights.items() if v.is_floating_point() and not torch.isfinite(v).all()]
    if bad:
        raise ExportError(f'{len(bad)} tensors hold NaN/inf, first {bad[0]}: the pretraining '
                          f'diverged; lower its lr or clip gradients and train again')
    return weights


def check_against_detector(weights: Mapping[str, torch.Tensor],
                           detector: nn.Module) -> List[PartReport]:
    """Compare ``weights`` with ``detector.state_dict()`` part by part.

    A part is *provided* when ``weights`` has any key for it. For a provided part, every
    detector key in the part's scope must be present with an equal shape (missing), and every
    provided key must exist in the detector (unexpected). Params count trainable-parameter
    elements; tensors count everything in the state dict (incl. BN buffers).
    """
    det_state = detector.state_dict()
    param_names = {n for n, _ in detector.named_parameters()}
    reports = []
    for part, scopes in PART_SCOPES.items():
        part_prefix = part + '.'
        det_part = {k: v for k, v in det_state.items() if k.startswith(part_prefix)}
        det_scope = {k: v for k, v in det_part.items() if _in_scope(k, scopes)}
        given = {k: v for k, v in weights.items() if _in_scope(k, scopes)}
        mismatched = [f'{k}: checkpoint {tuple(given[k].shape)} vs detector {tuple(v.shape)}'
                      for k, v in det_scope.items() if k in given and given[k].shape != v.shape]
        loaded = {k for k, v in det_scope.items() if k in given and given[k].shape == v.shape}
        reports.append(PartReport(
            part=part, provided=bool(given),
            loaded_tensors=len(loaded), total_tensors=len(det_part),
            loaded_params=sum(det_part[k].numel() for k in loaded if k in param_names),
            total_params=sum(v.numel() for k, v in det_part.items() if k in param_names),
            missing=sorted(k for k in det_scope if k not in given) if given else [],
            unexpected=sorted(k for k in given if k not in det_state),
            mismatched=mismatched))
    return reports


def format_table(reports: Sequence[PartReport]) -> str:
    rows = [f'{"part":<10} {"provided":<9} {"tensors":>15} {"params":>25} {"loaded":>8}']
    for r in reports:
        rows.append(f'{r.part:<10} {"yes" if r.provided else "no":<9} '
                    f'{f"{r.loaded_tensors}/{r.total_tensors}":>15} '
                    f'{f"{r.loaded_params:,}/{r.total_params:,}":>25} {r.percent:>7.1f}%')
    return '\n'.join(rows)


def raise_on_mismatch(reports: Sequence[PartReport], source: str) -> None:
    problems = []
    for r in reports:
        if not r.provided:
            continue
        for label, keys in (('missing in checkpoint', r.missing),
                            ('not in detector', r.unexpected),
                            ('shape mismatch', r.mismatched)):
            if keys:
                shown = ', '.join(keys[:5]) + (f' … (+{len(keys) - 5})' if len(keys) > 5 else '')
                problems.append(f'{r.part}: {len(keys)} {label}: {shown}')
    if problems:
        raise ExportError(
            f'{source} does not fit the detector:\n  ' + '\n  '.join(problems) +
            '\nThe pretraining architecture (depth, channels, num_outs, anchors) must match '
            'the detector config; fix one of them and export again.')
