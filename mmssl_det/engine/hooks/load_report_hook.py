from typing import Dict, Optional

import torch
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmssl_det.cli import UserError
from mmssl_det.export import (check_against_detector, check_finite, format_table,
                              strip_module)
from mmssl_det.registry import HOOKS


class LoadReportError(UserError):
    """``load_from`` did not load what the checkpoint claims to provide."""


@HOOKS.register_module()
class LoadReportHook(Hook):
    """Says, per detector part, what ``load_from`` loaded, and fails when a claimed part did not.

    mmengine loads ``load_from`` non-strictly and only logs the missing keys, so a checkpoint
    that fits nothing fine-tunes from scratch without a word. mmengine's ``Runner.train()``
    runs ``before_run`` → weight init → ``load_or_resume()`` (``after_load_checkpoint`` gets
    the checkpoint *before* it is copied into the model) → the loop's ``before_train``. So:

    - ``after_load_checkpoint``: a NaN/inf tensor stops here, by name, before it is loaded;
    - ``before_train`` / ``before_val`` / ``before_test``: the model's weights are compared
      with the checkpoint's (key, shape *and* value), the table of
      :func:`mmssl_det.export.format_table` is logged, and every part the checkpoint claims
      (``meta.parts``, written by ``tools/export_detector.py``; otherwise every part it holds
      tensors for) must have loaded at least ``min_loaded`` of the tensors it provides.
    - A run without ``load_from`` logs that every part is randomly initialised (naming any
      ``init_cfg`` of type Pretrained); a resumed run is left to mmengine's resume.

    Args:
        min_loaded: Fraction of a claimed part's checkpoint tensors that must load (0–1).
    """

    priority = 'VERY_LOW'  # report after other hooks' before_train (e.g. weight changes)

    def __init__(self, min_loaded: float = 1.0) -> None:
        if not 0.0 <= min_loaded <= 1.0:
            raise ValueError(f'LoadReportHook: min_loaded={min_loaded} must be in [0, 1]')
        self.min_loaded = min_loaded
        self._checkpoint: Optional[dict] = None

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        state = strip_module(checkpoint.get('state_dict', checkpoint))
        source = runner.cfg.get('load_from') or 'load_from'
        try:
            check_finite(state, source)
        except UserError as e:
            raise LoadReportError(f'{e}; not loading it') from None
        self._checkpoint = dict(state=state, meta=checkpoint.get('meta') or {}, source=source)

    def before_train(self, runner) -> None:
        if self._checkpoint is not None:
            self._report(runner)
        elif runner.cfg.get('resume'):
            runner.logger.info('load report: resumed run (mmengine restores every part)')
        elif runner.cfg.get('load_from') is None:
            pretrained = _pretrained_init_cfgs(_unwrap(runner.model))
            runner.logger.info(
                'load report: no load_from: every part randomly initialised' + (
                    '' if not pretrained else ' except ' + ', '.join(
                        f'{part} (init_cfg Pretrained {ckpt})'
                        for part, ckpt in pretrained.items())))

    def before_val(self, runner) -> None:
        if self._checkpoint is not None:
            self._report(runner)

    def before_test(self, runner) -> None:
        if self._checkpoint is not None:
            self._report(runner)

    def _report(self, runner) -> None:
        ckpt, self._checkpoint = self._checkpoint, None
        model = _unwrap(runner.model)
        reports = check_against_detector(ckpt['state'], model, expected=set(),
                                         verify_values=True)
        for r in reports:
            if not r.provided and r.total_tensors:
                r.note = 'not in the checkpoint: model init'
            elif r.not_loaded or r.unexpected or r.mismatched:
                r.note = f'{r.provided_tensors - r.loaded_tensors} checkpoint tensors did not ' \
                         f'load; {r.note}'.rstrip('; ')
        runner.logger.info(f'load report for {ckpt["source"]}:\n{format_table(reports)}')

        claimed = ckpt['meta'].get('parts') or [r.part for r in reports if r.provided]
        by_part = {r.part: r for r in reports}
        problems = []
        for part in claimed:
            r = by_part.get(part)
            if r is None or not r.provided:
                problems.append(f'{part}: claimed by meta.parts but the checkpoint holds no '
                                f'tensor for it')
                continue
            fraction = r.loaded_tensors / r.provided_tensors
            if fraction < self.min_loaded:
                bad = r.unexpected + r.mismatched + r.not_loaded
                problems.append(f'{part}: {r.loaded_tensors}/{r.provided_tensors} tensors '
                                f'loaded ({fraction:.0%} < min_loaded {self.min_loaded:.0%}), '
                                f'e.g. {", ".join(bad[:3])}')
        if not any(r.loaded_tensors for r in reports):
            problems.append('nothing of the checkpoint loaded into the model')
        if problems:
            raise LoadReportError(
                f'load_from={ckpt["source"]} did not load into this model:\n  ' +
                '\n  '.join(problems) + '\nExport the pretraining for this config '
                '(tools/export_detector.py CKPT --config THIS_CONFIG) or fix load_from.')


def _unwrap(model: torch.nn.Module) -> torch.nn.Module:
    return model.module if is_model_wrapper(model) else model


def _pretrained_init_cfgs(model: torch.nn.Module) -> Dict[str, str]:
    """Top-level parts whose ``init_cfg`` loads a checkpoint (so not random)."""
    found = {}
    for name, module in model.named_children():
        cfgs = getattr(module, 'init_cfg', None) or []
        for cfg in cfgs if isinstance(cfgs, list) else [cfgs]:
            if isinstance(cfg, dict) and cfg.get('type') == 'Pretrained':
                found[name] = cfg.get('checkpoint')
    return found
