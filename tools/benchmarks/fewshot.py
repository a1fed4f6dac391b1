"""Few-shot detection from pretrained whole detectors: K shots x seeds x starting points.

    python tools/benchmarks/fewshot.py [--setting demo] [--methods tfa [defrcn]]
        [--starts random pixpro whole whole-direct whole-direct-rpn] [--shots 2 5]
        [--seeds 0 1 2] [--base-iters N] [--ft-iters N] [--report-only]
    # VOC split 1 / COCO (GPUs; exports of your R50 pretrainings for the R50-FPN detector):
    python tools/benchmarks/fewshot.py --setting voc1 --export pixpro=P.pth --export whole=W.pth

One run = (method, starting point, K, seed), the protocol of docs/fewshot.md:
  1. the starting point: ``random`` (no pretraining), ``pixpro`` (PixPro-FPN: backbone + FPN)
     or ``whole`` (whole-detector pretraining: backbone, FPN, RPN, RoI shared fcs); on the
     demo pretrained here with seed ``s`` (configs/pixpro_fpn_demo.py; for ``whole`` then
     configs/rpn_pretext_demo.py on its checkpoint; their own schedules) and exported whole
     to the demo detector, elsewhere given by ``--export``;
  2. base training on the base classes from it (configs/fewshot/<setting>/...base-training.py,
     the method's; one per method x start x seed serves every K) — except ``whole-direct``
     (and ``whole-direct-rpn``, TFA only, RPN fine-tuned), which start fine-tuning from the
     export itself: pretrained RPN and RoI shared fcs, no base training, no labels before the
     K shots;
  3. tools/fewshot_surgery.py (TFA's randinit predictor, seed ``s``) with the fine-tuning
     config, then fine-tuning on ``seed{s}/{K}shot.json``;
  4. tools/test.py on the setting's test set; the table's number is novel AP50 for VOC-style
     settings and novel AP for COCO-style ones (base and all AP kept in the result files).

Resumable: each finished run writes ``docs/results/fewshot/<setting>/{method}_{start}_
{K}shot_seed{s}_{key}.json`` (metrics, options, wall times, code version), ``key`` hashing the
options and the resolved configs of the run; later invocations skip runs whose file exists.
Checkpoints stay in ``--work-dir``. ``--report-only`` prints the tables from the files alone.
"""
import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.config import Config

from _common import (REPO, code_version, config_text, digest, divergence, ensure_proposals,
                     last_checkpoint, mean_std, pretrain_and_export, run)


@dataclass(frozen=True)
class Setting:
    base: Dict[str, str]  # method -> base-training config
    finetune: Dict[str, str]  # method (or 'tfa-rpn') -> fine-tuning config, '{k}' for K
    shots: Tuple[int, ...]
    ann_file: str  # the K-shot file, relative to the config's data_root
    metric: Tuple[str, str]  # (key in the metrics, table title); result files keep them all
    # export -> pretraining stages (demo only), each from the previous one's checkpoint
    pretrain: Optional[Dict[str, Tuple[str, ...]]] = None


DEMO = 'configs/fewshot/demo/'
SETTINGS = {
    'demo': Setting(
        base=dict(tfa=DEMO + 'faster-rcnn_r18_fpn_demo_base-training.py',
                  defrcn=DEMO + 'defrcn_r18_fpn_demo_base-training.py'),
        finetune={'tfa': DEMO + 'tfa_r18_fpn_demo_{k}shot-ft.py',
                  'tfa-rpn': DEMO + 'tfa_r18_fpn_demo_{k}shot-ft_rpn-ft.py',
                  'defrcn': DEMO + 'defrcn_r18_fpn_demo_{k}shot-ft.py'},
        shots=(2, 5), ann_file='fewshot/seed{seed}/{k}shot.json',
        metric=('coco/bbox_novel_AP', 'novel AP'),
        # the whole detector as in the README's comparison: PixPro-FPN, then the RPN + RoI
        # pretexts on its checkpoint (the separate strategy), exported whole
        pretrain=dict(pixpro=('configs/pixpro_fpn_demo.py', ),
                      whole=('configs/pixpro_fpn_demo.py', 'configs/rpn_pretext_demo.py'))),
    'voc1': Setting(
        base=dict(tfa='configs/fewshot/voc/faster-rcnn_r50_fpn_voc-split1_base-training.py',
                  defrcn='configs/fewshot/voc/defrcn_r50_fpn_voc-split1_base-training.py'),
        finetune={'tfa': 'configs/fewshot/voc/tfa_r50_fpn_voc-split1_{k}shot-ft.py',
                  'defrcn': 'configs/fewshot/voc/defrcn_r50_fpn_voc-split1_{k}shot-ft.py'},
        shots=(1, 2, 3, 5, 10), ann_file='fewshot/voc1/seed{seed}/{k}shot.json',
        metric=('pascal_voc/novel_AP50', 'novel AP50')),
    'coco': Setting(
        base=dict(tfa='configs/fewshot/coco/faster-rcnn_r50_fpn_coco_base-training.py',
                  defrcn='configs/fewshot/coco/defrcn_r50_fpn_coco_base-training.py'),
        finetune={'tfa': 'configs/fewshot/coco/tfa_r50_fpn_coco_{k}shot-ft.py',
                  'defrcn': 'configs/fewshot/coco/defrcn_r50_fpn_coco_{k}shot-ft.py'},
        shots=(10, 30), ann_file='fewshot/coco/seed{seed}/{k}shot.json',
        metric=('coco/bbox_novel_AP', 'novel AP')),
}
# start -> (the export it needs, base training first?, fine-tuning config variant)
STARTS = {
    'random': (None, True, ''),
    'pixpro': ('pixpro', True, ''),
    'whole': ('whole', True, ''),
    'whole-direct': ('whole', False, ''),
    'whole-direct-rpn': ('whole', False, '-rpn'),
}
METHODS = ('tfa', 'defrcn')
RESULTS = 'docs/results/fewshot'


class BenchmarkError(ValueError):
    """A combination the settings do not provide (named, with what to choose instead)."""


def finetune_config(setting: Setting, method: str, start: str, k: int) -> str:
    variant = method + STARTS[start][2]
    if variant not in setting.finetune:
        raise BenchmarkError(f'start {start!r} has no {method} fine-tuning config in this '
                             f'setting (choose among {sorted(setting.finetune)})')
    if k not in setting.shots:
        raise BenchmarkError(f'{k}-shot: this setting has shots {list(setting.shots)}')
    return setting.finetune[variant].format(k=k)


def schedule_options(config: str, iters: Optional[int]) -> List[str]:
    """``--cfg-options`` shortening ``config``'s warm-up + one-or-more-step schedule to
    ``iters`` (milestones scaled; none when ``iters`` is None), no validation pass: runs are
    scored by tools/test.py afterwards."""
    options = ['val_cfg=None', 'val_dataloader=None', 'val_evaluator=None']
    if iters is None:
        return options
    cfg = Config.fromfile(str(REPO / config))
    warmup, steps = cfg.param_scheduler
    if (warmup.type, steps.type) != ('LinearLR', 'MultiStepLR'):
        raise BenchmarkError(f'{config}: param_scheduler {[warmup.type, steps.type]}, '
                             'expected LinearLR + MultiStepLR')
    scale = iters / cfg.train_cfg.max_iters
    milestones = [max(1, int(m * scale)) for m in steps.milestones]
    return options + [f'train_cfg.max_iters={iters}', f'train_cfg.val_interval={iters}',
                      f'param_scheduler.0.end={min(warmup.end, iters)}',
                      f'param_scheduler.1.end={iters}',
                      f'param_scheduler.1.milestones={milestones}'.replace(' ', ''),
                      f'default_hooks.checkpoint.interval={iters}']


@lru_cache(maxsize=None)
def _resolved(config: str) -> str:  # parsing a config takes a while; plans reuse them
    return config_text([config])


def plan(setting_name: str, methods: Sequence[str], starts: Sequence[str],
         shots: Sequence[int], seeds: Sequence[int], exports: Dict[str, str],
         base_iters: Optional[int], ft_iters: Optional[int],
         skip_missing: bool = False) -> List[Tuple[str, dict]]:
    """(result file stem, options) of every run, small K first within a seed; the stem ends
    in the hash of the options and the resolved configs the run uses. A (method, start) pair
    without a fine-tuning config is an error, or skipped with ``skip_missing``."""
    setting = SETTINGS[setting_name]
    runs = []
    for seed in seeds:
        for k in shots:
            for method in methods:
                for start in starts:
                    if skip_missing and method + STARTS[start][2] not in setting.finetune:
                        continue
                    try:
                        ft = finetune_config(setting, method, start, k)
                    except BenchmarkError as e:
                        raise BenchmarkError(f'{method}/{start}: {e}') from None
                    configs = ([setting.base[method]] if STARTS[start][1] else []) + [ft]
                    need = STARTS[start][0]
                    options = dict(setting=setting_name, method=method, start=start,
                                   shots=k, seed=seed, base_iters=base_iters,
                                   ft_iters=ft_iters, configs=configs,
                                   export=exports.get(need or ''),
                                   pretrain=None if need in exports
                                   else (setting.pretrain or {}).get(need or ''))
                    extra = list(options['pretrain'] or [])
                    key = digest(options, [_resolved(c) for c in configs + extra])
                    runs.append((f'{method}_{start}_{k}shot_seed{seed}_{key}', options))
    return runs


# ------------------------------------------------------------------------------- running
def export_for(setting_name: str, setting: Setting, start: str, seed: int, work: Path,
               exports: Dict[str, str]) -> Optional[str]:
    """The export a start needs: given (``--export``), or pretrained here on the demo."""
    need = STARTS[start][0]
    if need is None:
        return None
    if need in exports:
        return exports[need]
    if setting.pretrain is None:
        raise BenchmarkError(f'start {start!r} on {setting_name} needs --export {need}=PATH '
                             '(tools/export_detector.py of your pretraining for the R50-FPN '
                             'detector)')
    init = None
    for config in setting.pretrain[need]:
        if Config.fromfile(str(REPO / config)).train_dataloader.dataset.get('proposals_file'):
            ensure_proposals()
        init, exported = pretrain_and_export(config, seed, work / 'pretrain', init)
    return str(exported)


def train(config: str, work: Path, seed: int, load_from: Optional[str],
          options: Sequence[str]) -> Path:
    """tools/train.py (skipped when ``work`` holds a finished run); the last checkpoint."""
    if not (work / 'last_checkpoint').exists():
        run([sys.executable, 'tools/train.py', config, '--work-dir', work, '--seed', seed,
             '--cfg-options', f'load_from={load_from}', *options])
    return last_checkpoint(work)


def run_one(setting: Setting, method: str, start: str, k: int, seed: int, work_root: Path,
            export: Optional[str], base_iters: Optional[int], ft_iters: Optional[int],
            stem: str) -> dict:
    """One run's result: metrics of the fine-tuned detector on the test set, wall times."""
    walls = {}  # None: reused from an earlier invocation
    source = export
    if STARTS[start][1]:
        config = setting.base[method]
        base_work = work_root / 'base' / (f'{method}_{start}_seed{seed}' +
                                          (f'_i{base_iters}' if base_iters else ''))
        fresh, t = not (base_work / 'last_checkpoint').exists(), time.time()
        source = str(train(config, base_work, seed, export,
                           schedule_options(config, base_iters)))
        walls['base_training_s'] = round(time.time() - t) if fresh else None
    ft = finetune_config(setting, method, start, k)
    work = work_root / 'finetune' / stem
    work.mkdir(parents=True, exist_ok=True)
    init = work / 'init.pth'
    if not init.exists():
        run([sys.executable, 'tools/fewshot_surgery.py', source, '--config', ft, '--out',
             init, '--seed', seed])
    t = time.time()
    ckpt = train(ft, work, seed, str(init),
                 [f'train_dataloader.dataset.ann_file='
                  f'{setting.ann_file.format(seed=seed, k=k)}',
                  *schedule_options(ft, ft_iters)])
    walls['finetune_s'] = round(time.time() - t)
    out = work / 'test_metrics.json'
    if not out.exists():
        run([sys.executable, 'tools/test.py', ft, ckpt, '--work-dir', work / 'test',
             '--out-json', out])
    return dict(metrics={k: float(v) for k, v in json.loads(out.read_text()).items()},
                wall_s=walls)


# ------------------------------------------------------------------------------ reporting
def cell(runs: Sequence[dict], key: str) -> str:
    """Mean ± std (n) in percent of the runs that finished; diverged runs are counted, never
    averaged in."""
    diverged = sum(bool(r.get('diverged')) for r in runs)
    text = mean_std([r['metrics'][key] for r in runs if key in r['metrics']], scale=100,
                    digits=1)
    return text + (f' [{diverged} diverged]' if diverged else '')


def format_table(results: Sequence[dict], setting: Setting, methods: Sequence[str],
                 starts: Sequence[str], shots: Sequence[int]) -> str:
    """Per method x start: mean ± std over seeds (n) of the setting's number per K."""
    key, title = setting.metric
    lines = [f'{title} (%), mean ± std over seeds (n):', '',
             '| method | start | ' + ' | '.join(f'{k}-shot' for k in shots) + ' |',
             '|---|---|' + '---|' * len(shots)]
    for method in methods:
        for start in starts:
            cells = [cell([r for r in results
                           if (r['method'], r['start'], r['shots']) == (method, start, k)], key)
                     for k in shots]
            if any(c != '–' for c in cells):
                lines.append(f'| {method} | {start} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--setting', choices=sorted(SETTINGS), default='demo')
    parser.add_argument('--methods', nargs='+', choices=METHODS, default=['tfa'])
    parser.add_argument('--starts', nargs='+', choices=sorted(STARTS),
                        help='default: every start the methods have a config for')
    parser.add_argument('--shots', type=int, nargs='+', help='K (default: the setting\'s)')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--export', action='append', default=[], metavar='START=PATH',
                        help='a pretraining export for start pixpro or whole (voc1, coco)')
    parser.add_argument('--base-iters', type=int, help='shorten base training (default: '
                        'the config\'s schedule)')
    parser.add_argument('--ft-iters', type=int, help='shorten fine-tuning')
    parser.add_argument('--report-only', action='store_true')
    parser.add_argument('--results', default=RESULTS)
    parser.add_argument('--work-dir', default='work_dirs/fewshot')
    args = parser.parse_args()
    os.chdir(REPO)
    setting = SETTINGS[args.setting]
    shots = sorted(set(args.shots or setting.shots))
    exports = dict(e.split('=', 1) for e in args.export)
    bad = sorted(set(exports) - {'pixpro', 'whole'})
    if bad:
        sys.exit(f'error: --export {bad}: only pixpro=PATH and whole=PATH')
    every_start = args.starts is None  # then skip pairs without a config (whole-direct-rpn:
    if every_start:                    # TFA only) instead of refusing them
        args.starts = [s for s in STARTS if any(m + STARTS[s][2] in setting.finetune
                                                for m in args.methods)]
    try:
        runs = plan(args.setting, args.methods, args.starts, shots, args.seeds, exports,
                    args.base_iters, args.ft_iters, skip_missing=every_start)
    except BenchmarkError as e:
        sys.exit(f'error: {e}')

    if args.setting == 'demo' and not args.report_only:  # both idempotent
        run([sys.executable, 'tools/prepare_demo_data.py'])
        run([sys.executable, 'tools/prepare_fewshot_demo.py'])
    results_dir = REPO / args.results / args.setting
    work_root = REPO / args.work_dir / args.setting
    results, missing, code = [], 0, None
    for stem, o in runs:
        path = results_dir / f'{stem}.json'
        if path.exists():
            results.append(json.loads(path.read_text()))
            continue
        if args.report_only:
            missing += 1
            continue
        code = code or code_version()
        print(f'\n== {o["method"]} from {o["start"]}, {o["shots"]}-shot, seed {o["seed"]}',
              flush=True)
        start_t = time.time()
        try:
            export = export_for(args.setting, setting, o['start'], o['seed'], work_root,
                                exports)
            outcome = run_one(setting, o['method'], o['start'], o['shots'], o['seed'],
                              work_root, export, args.base_iters, args.ft_iters, stem)
        except subprocess.CalledProcessError as e:
            reason = divergence(e)
            if reason is None:  # not a divergence: a bug, or a user error already printed
                raise
            outcome = dict(metrics={}, diverged=reason)
        result = dict(**{k: o[k] for k in ('setting', 'method', 'start', 'shots', 'seed')},
                      key=stem.rsplit('_', 1)[1], **outcome,
                      total_wall_s=round(time.time() - start_t), options=o, code=code,
                      machine=dict(cpus=os.cpu_count(), torch_threads=torch.get_num_threads(),
                                   cuda=torch.cuda.is_available(),
                                   platform=platform.platform()),
                      date=datetime.date.today().isoformat())
        results_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix('.tmp')
        tmp.write_text(json.dumps(result, indent=1) + '\n')
        tmp.replace(path)
        results.append(result)
        print(f'wrote {path}', flush=True)

    iters = ', '.join(f'{n} {v} iterations' for n, v in (('base training', args.base_iters),
                                                         ('fine-tuning', args.ft_iters)) if v)
    print(f'\n{args.setting}: seeds {args.seeds}' + (f'; {iters}' if iters else '') +
          (f'; {missing} runs without a result file yet' if missing else '') + '\n')
    print(format_table(results, setting, args.methods, args.starts, shots))


if __name__ == '__main__':
    main()
