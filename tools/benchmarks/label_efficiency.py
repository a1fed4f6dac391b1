"""Label efficiency on the demo: does pretraining the whole detector pay off with few labels?

    python tools/benchmarks/label_efficiency.py [--arms a b c d e] [--budgets 2 5 10 43]
        [--seeds 0 1 2] [--iters 200] [--split test] [--report-only]

The same Faster R-CNN R18-FPN (configs/benchmarks/faster-rcnn_r18_fpn_demo.py, its stock recipe:
SGD lr 0.02, batch 2, 50-iteration warm-up, no gradient clipping; ``--iters`` iterations, the
lr step at 3/4) is fine-tuned on ``n`` labelled train tiles of the demo
(tools/prepare_demo_data.py: 43 train / 10 val / 17 test tiles, spatially disjoint) from
  (a) random init (mmdet's),
  (b) BYOL-FPN: configs/benchmarks/label_efficiency/byol_fpn_demo.py,
  (c) PixPro-FPN: configs/pixpro_fpn_demo.py,
  (d) whole detector, joint: configs/pixpro_fpn_rpn_demo.py,
  (e) whole detector, separate: configs/pixpro_fpn_demo.py, then configs/rpn_pretext_demo.py
      on its checkpoint (as setting (c) of rpn_pretraining_ar.py),
and scored on the test tiles (``--split val``: the val tiles, for choosing variants without
looking at test): COCO AP / AP50 / AP75 and the fine-tuned RPN's class-agnostic AR@100.

Compute: every pretraining sees the same 53 unlabelled tiles for the same 96 optimizer steps of
batch 8 (16 epochs of 6 steps; 768 images, two views each); (e)'s stages take 48 + 48 steps.
Each config keeps its own optimiser, views and warm-up; only the cosine schedule's length is
set here (``--cfg-options``, checked against the config). Steps are equal, FLOPs are not: (e)'s
second stage uses 256 px views and (d) adds the pretext heads; each result file records the
steps × batch and the wall time of its pretraining. Each pretraining is exported whole to the
detector (no ``--exclude``: backbone, FPN and, for (d)/(e), RPN and the RoI shared fcs).

Seeds: seed ``s`` seeds the pretraining, the label subset and the fine-tuning. The subset of
``n`` tiles is the first ``n`` of a permutation of the train tiles drawn with ``s`` (tiles with
trees first; the 4 empty tiles, which mmdet's ``filter_empty_gt`` drops anyway, last), so it is
the same in every arm (paired comparisons) and nested across budgets. One pretraining per
arm × seed serves every budget.

Resumable: each finished fine-tune writes ``docs/results/label_efficiency/
{a..e}-{arm}_n{NN}_seed{s}_i{iters}_{split}_{key}.json`` (metrics, options, label subset,
compute, wall times, code version), ``key`` hashing the options and the resolved configs; a
later invocation, on any machine, skips runs whose file exists, and ``--arms``, ``--budgets``,
``--seeds`` select a part of the table. Keys hash configs, not code: after a code change that
alters training, remove the files and the checkpoints, which stay in ``--work-dir`` (or pass
another ``--results`` and ``--work-dir``). A run whose pretraining or fine-tuning diverged
(NaN/inf loss, non-finite export, no detections) is recorded as diverged: shown in the table,
never averaged in (a diverged pretraining is remembered in ``WORK_DIR/pretrain/*/seed{s}.json``;
delete it to retry).
``--report-only`` prints the table, the paired differences and the plot
(docs/img/label_efficiency.png; ``_val`` for the val split) from the result files alone.
"""
import argparse
import datetime
import json
import math
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.config import Config
from pycocotools.coco import COCO

from mmssl_det.evaluation import proposal_recall
from mmssl_det.proposals import PRESETS

from _common import (DETECTOR, REPO, SPLITS, code_version, coco_metrics, config_text,
                     demo_detector, digest, divergence, ensure_proposals, finetune, mean_std,
                     pretrain_and_export, pretrain_work_dir, rpn_proposals, run)

TRAIN_ANN = 'data/demo/annotations/train.json'
UNLABELLED = 'data/demo/unlabeled'
RESULTS = 'docs/results/label_efficiency'
PLOT = 'docs/img/label_efficiency.png'
PRETRAIN_EPOCHS = 16  # × 6 steps of batch 8 = 96 steps for every pretrained arm
METRICS = (('AP', 'AP'), ('AP50', 'AP50'), ('rpn_AR100', 'RPN AR@100'))
COCO_KEYS = {'AP': 'coco/bbox_mAP', 'AP50': 'coco/bbox_mAP_50', 'AP75': 'coco/bbox_mAP_75'}


@dataclass(frozen=True)
class Arm:
    slug: str
    name: str
    # (config, epochs) per pretraining stage; a later stage starts from the previous one's
    # checkpoint (backbone + FPN, via their init_cfg)
    stages: Tuple[Tuple[str, int], ...] = ()


ARMS = {
    'a': Arm('random', 'random init'),
    'b': Arm('byol', 'BYOL-FPN',
             (('configs/benchmarks/label_efficiency/byol_fpn_demo.py', PRETRAIN_EPOCHS), )),
    'c': Arm('pixpro', 'PixPro-FPN', (('configs/pixpro_fpn_demo.py', PRETRAIN_EPOCHS), )),
    'd': Arm('joint', 'whole detector, joint',
             (('configs/pixpro_fpn_rpn_demo.py', PRETRAIN_EPOCHS), )),
    'e': Arm('separate', 'whole detector, separate',
             (('configs/pixpro_fpn_demo.py', PRETRAIN_EPOCHS // 2),
              ('configs/rpn_pretext_demo.py', PRETRAIN_EPOCHS - PRETRAIN_EPOCHS // 2))),
}
# paired comparisons printed per budget: (arm, reference)
COMPARISONS = (('b', 'a'), ('c', 'a'), ('d', 'a'), ('e', 'a'), ('d', 'c'), ('e', 'c'))


# ---------------------------------------------------------------------------- label subsets
def train_tiles(ann_file: str = TRAIN_ANN) -> List[dict]:
    """The train tiles as ``dict(id, file_name, boxes)``, in image-id order."""
    coco = json.loads((REPO / ann_file).read_text())
    boxes: Dict[int, int] = {}
    for a in coco['annotations']:
        boxes[a['image_id']] = boxes.get(a['image_id'], 0) + 1
    return [dict(id=im['id'], file_name=im['file_name'], boxes=boxes.get(im['id'], 0))
            for im in sorted(coco['images'], key=lambda im: im['id'])]


def label_subset(tiles: Sequence[dict], budget: int, seed: int) -> List[int]:
    """Image ids of the ``budget`` labelled tiles of ``seed``: the first ``budget`` of a
    permutation drawn with ``seed``, tiles with trees before empty ones (which mmdet drops), so
    the subset depends on (budget, seed) only and grows by adding tiles as ``budget`` grows."""
    if not 1 <= budget <= len(tiles):
        raise ValueError(f'label budget {budget}: expected 1..{len(tiles)} (train tiles in '
                         f'{TRAIN_ANN})')
    rng = np.random.default_rng(seed)
    ids = sorted(t['id'] for t in tiles)
    order = [ids[i] for i in rng.permutation(len(ids))]
    with_trees = {t['id'] for t in tiles if t['boxes'] > 0}
    order = [i for i in order if i in with_trees] + [i for i in order if i not in with_trees]
    return sorted(order[:budget])


def write_subset(ids: Sequence[int], path: Path, ann_file: str = TRAIN_ANN) -> Path:
    """A COCO file with only the tiles ``ids`` of ``ann_file`` (the fine-tune's train set)."""
    coco = json.loads((REPO / ann_file).read_text())
    keep = set(ids)
    coco['images'] = [im for im in coco['images'] if im['id'] in keep]
    coco['annotations'] = [a for a in coco['annotations'] if a['image_id'] in keep]
    text = json.dumps(coco)
    if not path.exists() or path.read_text() != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return path


# ------------------------------------------------------------------------------ schedules
@lru_cache(maxsize=None)
def schedule_options(config: str, epochs: int) -> Tuple[str, ...]:
    """``--cfg-options`` giving ``config``'s schedule (linear warm-up over epoch 1, then
    cosine to the end, as every demo pretraining config has) ``epochs`` epochs."""
    cfg = Config.fromfile(str(REPO / config))
    sched = cfg.get('param_scheduler')
    shape = [(s.get('type'), s.get('begin'), s.get('end')) for s in sched or []]
    if shape != [('LinearLR', 0, 1), ('CosineAnnealingLR', 1, cfg.train_cfg.max_epochs)]:
        raise ValueError(f'{config}: param_scheduler {shape} is not warm-up epoch 0-1 + cosine '
                         f'to max_epochs; set its length in the config instead of here')
    return (f'train_cfg.max_epochs={epochs}', f'param_scheduler.1.T_max={epochs - 1}',
            f'param_scheduler.1.end={epochs}', f'default_hooks.checkpoint.interval={epochs}')


@lru_cache(maxsize=None)
def finetune_options(iters: int) -> Tuple[str, ...]:
    """The fine-tuning recipe at ``iters`` iterations: the config's warm-up (50 iterations)
    and lr step at 3/4, one checkpoint at the end, no validation pass (the score comes from
    the test, or ``--split val``, evaluation afterwards)."""
    cfg = Config.fromfile(str(REPO / DETECTOR))
    shape = [s.get('type') for s in cfg.param_scheduler]
    if shape != ['LinearLR', 'MultiStepLR']:
        raise ValueError(f'{DETECTOR}: param_scheduler {shape}, expected LinearLR + '
                         f'MultiStepLR; update finetune_options()')
    return (f'train_cfg.max_iters={iters}', f'train_cfg.val_interval={iters}',
            f'param_scheduler.0.end={min(cfg.param_scheduler[0].end, iters)}',
            f'param_scheduler.1.end={iters}',
            f'param_scheduler.1.milestones=[{int(0.75 * iters)}]',
            f'default_hooks.checkpoint.interval={iters}',
            'val_cfg=None', 'val_dataloader=None', 'val_evaluator=None')


def stage_compute(config: str, epochs: int, images: int) -> dict:
    """Planned optimizer steps and batch of ``epochs`` epochs of ``config`` over ``images``
    unlabelled tiles (one GPU/process: the batch is the config's per-process batch)."""
    loader = Config.fromfile(str(REPO / config)).train_dataloader
    if not loader.get('drop_last', False):
        raise ValueError(f'{config}: the compute count assumes drop_last=True')
    batch = int(loader.batch_size)
    return dict(epochs=epochs, batch=batch, steps=epochs * (images // batch))


@lru_cache(maxsize=None)
def uses_proposals(config: str) -> bool:
    return bool(Config.fromfile(str(REPO / config)).train_dataloader.dataset.get(
        'proposals_file'))


@lru_cache(maxsize=None)
def _resolved(config: str) -> str:
    return config_text([config])


def pretrain_plan(arm: Arm) -> dict:
    """What an arm's pretraining is, for its fingerprint: stages with their schedule options,
    and the pseudo-box preset where a stage reads proposals."""
    stages = [dict(config=c, epochs=e, options=list(schedule_options(c, e)))
              for c, e in arm.stages]
    proposals = any(uses_proposals(c) for c, _ in arm.stages)
    return dict(stages=stages,
                proposals=json.loads(json.dumps(PRESETS['demo'])) if proposals else None)


# ------------------------------------------------------------------------------- running
def _repo_relative(path: Path) -> str:
    path = Path(path).resolve()
    return str(path.relative_to(REPO)) if path.is_relative_to(REPO) else str(path)


def _checkpoint_iter(ckpt: Path) -> Optional[int]:
    meta = torch.load(str(ckpt), map_location='cpu').get('meta', {})
    return meta.get('iter')


def pretrain(key: str, arm: Arm, seed: int, work_root: Path) -> dict:
    """Run (or reuse) ``arm``'s pretraining of ``seed`` and its export; a dict with the
    export's path, per-stage compute and wall time, or ``diverged`` (the reason)."""
    texts = [_resolved(c) for c, _ in arm.stages]
    root = work_root / 'pretrain' / f'{arm.slug}_{digest(pretrain_plan(arm), texts)}'
    info_path = root / f'seed{seed}.json'
    if info_path.exists():
        return json.loads(info_path.read_text())
    if any(uses_proposals(c) for c, _ in arm.stages):
        ensure_proposals()
    images = sum(1 for p in (REPO / UNLABELLED).iterdir() if p.is_file())
    info: dict = dict(arm=key, seed=seed, stages=[], diverged=False, code=code_version())
    init = None
    for config, epochs in arm.stages:
        options = schedule_options(config, epochs)
        fresh = not (pretrain_work_dir(config, seed, root, options) / 'last_checkpoint').exists()
        start = time.time()
        try:
            ckpt, exported = pretrain_and_export(config, seed, root, init, options)
        except subprocess.CalledProcessError as e:
            reason = divergence(e)
            if reason is None:
                raise
            info['diverged'] = f'pretraining {Path(config).stem}: {reason}'
            break
        info['stages'].append(dict(
            config=config, **stage_compute(config, epochs, images),
            steps_run=_checkpoint_iter(ckpt),
            wall_s=round(time.time() - start) if fresh else None))
        init = ckpt
    else:
        info['exported'] = _repo_relative(exported)
    info['steps'] = sum(s['steps'] for s in info['stages'])
    batches = sorted({s['batch'] for s in info['stages']})
    info['batch'] = batches[0] if len(batches) == 1 else batches
    walls = [s['wall_s'] for s in info['stages']]
    info['wall_s'] = None if None in walls else sum(walls)
    root.mkdir(parents=True, exist_ok=True)
    info_path.write_text(json.dumps(info, indent=1) + '\n')
    return info


def _finetune_diverged(work: Path, metrics: Dict[str, float]) -> Optional[str]:
    """Why a finished fine-tune counts as diverged (a logged non-finite loss; no detections),
    or None."""
    for scalars in sorted(work.glob('*/vis_data/scalars.json')):
        for line in scalars.read_text().splitlines():
            row = json.loads(line)  # Python's json reads NaN / Infinity
            bad = {k: v for k, v in row.items() if k.startswith('loss')
                   and isinstance(v, float) and not math.isfinite(v)}
            if bad:
                return f'non-finite fine-tuning loss at iteration {row.get("step")}: {bad}'
    if not metrics:
        return 'no detections on the evaluation tiles'
    return None


def run_one(key: str, budget: int, seed: int, iters: int, split: str, stem: str,
            subset: List[int], pre: Optional[dict], work_root: Path) -> dict:
    """Fine-tune and evaluate one (arm, budget, seed); the result file's content."""
    result = dict(metrics=None, diverged=False)
    if pre is not None and pre['diverged']:
        result['diverged'] = pre['diverged']
        return result
    work = work_root / 'finetune' / stem
    subset_file = write_subset(subset, work_root / 'subsets' / f'train_n{budget}_seed{seed}.json')
    start = time.time()
    fresh = not (work / 'last_checkpoint').exists()
    weights = None if pre is None else REPO / pre['exported']
    try:
        ckpt = finetune(work, weights, seed,
                        [f'train_dataloader.dataset.ann_file={subset_file}',
                         *finetune_options(iters)])
    except subprocess.CalledProcessError as e:
        reason = divergence(e)
        if reason is None:
            raise
        result['diverged'] = f'fine-tuning: {reason}'
        return result
    result['finetune_wall_s'] = round(time.time() - start) if fresh else None
    start = time.time()
    metrics = coco_metrics(work, ckpt, split)
    result['diverged'] = _finetune_diverged(work, metrics) or False
    if metrics:
        coco = COCO(str(REPO / f'data/demo/annotations/{split}.json'))
        props = rpn_proposals(demo_detector(seed, checkpoint=ckpt), split=split)
        result['metrics'] = dict(
            {k: float(metrics[v]) for k, v in COCO_KEYS.items()},
            rpn_AR100=float(proposal_recall(coco, props, max_dets=(100, ))[100]))
    result['eval_wall_s'] = round(time.time() - start)
    return result


def plan_run(key: str, budget: int, seed: int, iters: int, split: str,
             tiles: Sequence[dict]) -> Tuple[str, dict]:
    """(file stem, options) of one run; the stem ends in the hash of the options and of every
    resolved config the run uses."""
    arm = ARMS[key]
    subset = label_subset(tiles, budget, seed)
    options = dict(arm=key, budget=budget, seed=seed, iters=iters, split=split, subset=subset,
                   pretrain=pretrain_plan(arm) if arm.stages else None, export='full',
                   finetune=dict(config=DETECTOR, options=list(finetune_options(iters))))
    texts = [_resolved(c) for c, _ in arm.stages] + [_resolved(DETECTOR)]
    return run_stem(key, budget, seed, iters, split, digest(options, texts)), options


def run_stem(key: str, budget: int, seed: int, iters: int, split: str,
             fingerprint: str = '*') -> str:
    return f'{key}-{ARMS[key].slug}_n{budget:02d}_seed{seed}_i{iters}_{split}_{fingerprint}'


# ------------------------------------------------------------------------------ reporting
def aggregate(results: Sequence[dict]) -> Dict[Tuple[str, int], dict]:
    """Per (arm, budget): the finished seeds, the diverged seeds, and per metric the values
    of the runs that did not diverge (diverged runs are never averaged in)."""
    cells: Dict[Tuple[str, int], dict] = {}
    for r in sorted(results, key=lambda r: r['seed']):
        cell = cells.setdefault((r['arm'], r['budget']), dict(
            seeds=[], diverged=[], values={m: [] for m, _ in METRICS}))
        cell['seeds'].append(r['seed'])
        if r['diverged']:
            cell['diverged'].append(r['seed'])
            continue
        for m, _ in METRICS:
            cell['values'][m].append(r['metrics'][m])
    return cells


def paired(results: Sequence[dict], arm: str, ref: str, budget: int,
           metric: str) -> Tuple[List[float], List[int], List[int]]:
    """Per-seed differences ``arm − ref`` at ``budget`` (same label subset in both), the seeds
    they come from, and the seeds left out because either run diverged."""
    by = {(r['arm'], r['seed']): r for r in results if r['budget'] == budget}
    diffs, seeds, excluded = [], [], []
    for seed in sorted({s for (a, s) in by if a == arm} & {s for (a, s) in by if a == ref}):
        x, y = by[arm, seed], by[ref, seed]
        if x['diverged'] or y['diverged']:
            excluded.append(seed)
            continue
        diffs.append(x['metrics'][metric] - y['metrics'][metric])
        seeds.append(seed)
    return diffs, seeds, excluded


def format_report(results: Sequence[dict], arms: Sequence[str], budgets: Sequence[int],
                  seeds: Sequence[int]) -> str:
    """The markdown tables: per arm × budget, the paired differences per budget, and the
    per-seed AP."""
    cells = aggregate(results)
    lines = ['| arm | labelled tiles | AP | AP50 | RPN AR@100 | runs | diverged (seeds) |',
             '|---|---|---|---|---|---|---|']
    for key in arms:
        for budget in budgets:
            cell = cells.get((key, budget), dict(seeds=[], diverged=[], values={}))
            vals = [mean_std(cell['values'].get(m, [])) for m, _ in METRICS]
            div = ', '.join(map(str, cell['diverged'])) or '–'
            lines.append(f'| ({key}) {ARMS[key].name} | {budget} | ' + ' | '.join(vals) +
                         f' | {len(cell["seeds"])}/{len(seeds)} | {div} |')
    pairs = [(a, r) for a, r in COMPARISONS if a in arms and r in arms]
    if pairs:
        lines += ['', 'Paired differences (same label subset and seed; mean ± std of the '
                  'per-seed differences (n); pairs with a diverged run left out):', '',
                  '| labelled tiles | comparison | ΔAP | ΔAP50 | ΔRPN AR@100 | ΔAP per seed '
                  '| left out (diverged) |', '|---|---|---|---|---|---|---|']
        for budget in budgets:
            for arm, ref in pairs:
                cols = [paired(results, arm, ref, budget, m) for m, _ in METRICS]
                per_seed = ', '.join(f's{s} {d:+.3f}' for d, s in zip(cols[0][0], cols[0][1]))
                out = ', '.join(map(str, cols[0][2])) or '–'
                lines.append(f'| {budget} | ({arm}) − ({ref}) | ' +
                             ' | '.join(mean_std(c[0], signed=True) for c in cols) +
                             f' | {per_seed or "–"} | {out} |')
    lines += ['', 'AP per seed:', '']
    for key in arms:
        for budget in budgets:
            runs = sorted((r for r in results if r['arm'] == key and r['budget'] == budget),
                          key=lambda r: r['seed'])
            if runs:
                lines.append(f'- ({key}) {budget} tiles: ' + ', '.join(
                    f's{r["seed"]} ' + ('diverged' if r['diverged']
                                        else f'{r["metrics"]["AP"]:.3f}') for r in runs))
    return '\n'.join(lines)


def plot(results: Sequence[dict], arms: Sequence[str], budgets: Sequence[int], path: Path,
         title: str) -> bool:
    """AP vs labelled tiles per arm (mean ± std; seeds as dots, diverged runs as × at 0)."""
    if not results:
        return False
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    cells = aggregate(results)
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    for i, key in enumerate(arms):
        shift = 1 + 0.035 * (i - (len(arms) - 1) / 2)  # side by side on the log axis
        xs, means, stds = [], [], []
        color = f'C{i}'
        for budget in budgets:
            cell = cells.get((key, budget))
            if cell is None:
                continue
            ap = cell['values']['AP']
            if ap:
                xs.append(budget * shift)
                means.append(np.mean(ap))
                stds.append(np.std(ap, ddof=1) if len(ap) > 1 else 0.0)
                ax.scatter([budget * shift] * len(ap), ap, s=10, color=color, alpha=0.35)
            if cell['diverged']:
                ax.scatter([budget * shift] * len(cell['diverged']),
                           [0] * len(cell['diverged']), marker='x', color=color, s=30)
        if xs:
            ax.errorbar(xs, means, yerr=stds, color=color, marker='o', capsize=3,
                        label=f'({key}) {ARMS[key].name}')
        elif any(cells.get((key, b), {}).get('diverged') for b in budgets):
            ax.scatter([], [], marker='x', color=color, label=f'({key}) {ARMS[key].name}: '
                       f'diverged')
    ax.set_xscale('log')
    ax.set_xticks(list(budgets))
    ax.set_xticklabels([str(b) for b in budgets])
    ax.minorticks_off()
    ax.set_xlabel('labelled train tiles')
    ax.set_ylabel('COCO AP')
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True


# ----------------------------------------------------------------------------------- main
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--arms', nargs='+', choices=sorted(ARMS), default=sorted(ARMS))
    parser.add_argument('--budgets', type=int, nargs='+', default=[2, 5, 10, 43],
                        help='labelled train tiles (43 = all)')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--iters', type=int, default=200, help='fine-tuning iterations')
    parser.add_argument('--split', choices=SPLITS, default='test',
                        help='tiles to evaluate on: choose variants on val')
    parser.add_argument('--report-only', action='store_true',
                        help='no training: table and plot from the existing result files')
    parser.add_argument('--results', default=RESULTS, help='folder of the result files')
    parser.add_argument('--work-dir', default='work_dirs/label_efficiency')
    parser.add_argument('--plot', default=None,
                        help=f'figure (default: {PLOT}, with _val before .png for val)')
    args = parser.parse_args()
    os.chdir(REPO)  # configs and data paths are repo-relative
    arms, budgets, seeds = list(args.arms), sorted(set(args.budgets)), list(args.seeds)
    results_dir, work_root = REPO / args.results, REPO / args.work_dir

    if not args.report_only:
        run([sys.executable, 'tools/prepare_demo_data.py'])
    if not (REPO / TRAIN_ANN).exists():
        sys.exit(f'error: {TRAIN_ANN} not found: run python tools/prepare_demo_data.py')
    tiles = train_tiles()
    for budget in budgets:
        label_subset(tiles, budget, 0)  # a budget out of range fails before any training

    results: List[dict] = []
    missing, stale = 0, 0
    code = None
    for seed in seeds:
        for budget in budgets:  # small budgets first: paired comparisons come early
            for key in arms:
                stem, options = plan_run(key, budget, seed, args.iters, args.split, tiles)
                path = results_dir / f'{stem}.json'
                pattern = run_stem(key, budget, seed, args.iters, args.split) + '.json'
                stale += sum(p != path for p in results_dir.glob(pattern))
                if path.exists():
                    results.append(json.loads(path.read_text()))
                    continue
                if args.report_only:
                    missing += 1
                    continue
                code = code or code_version()
                print(f'\n== ({key}) {ARMS[key].name}, {budget} labelled tiles, seed {seed}',
                      flush=True)
                pre = pretrain(key, ARMS[key], seed, work_root) if ARMS[key].stages else None
                start = time.time()
                outcome = run_one(key, budget, seed, args.iters, args.split, stem,
                                  options['subset'], pre, work_root)
                by_id = {t['id']: t for t in tiles}
                result = dict(
                    arm=key, arm_name=ARMS[key].name, budget=budget, seed=seed,
                    iters=args.iters, split=args.split, key=stem.rsplit('_', 1)[1],
                    **outcome,
                    subset=dict(image_ids=options['subset'],
                                file_names=[by_id[i]['file_name'] for i in options['subset']],
                                boxes=sum(by_id[i]['boxes'] for i in options['subset'])),
                    pretrain=None if pre is None else {
                        k: pre.get(k) for k in ('steps', 'batch', 'wall_s', 'stages')},
                    finetune=dict(config=DETECTOR, iters=args.iters,
                                  batch=int(Config.fromfile(str(REPO / DETECTOR))
                                            .train_dataloader.batch_size)),
                    wall_s=round(time.time() - start),
                    machine=dict(cpus=os.cpu_count(), torch_threads=torch.get_num_threads(),
                                 platform=platform.platform()),
                    code=code, date=datetime.date.today().isoformat(), options=options)
                results_dir.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix('.tmp')
                tmp.write_text(json.dumps(result, indent=1) + '\n')
                tmp.replace(path)
                results.append(result)
                print(f'wrote {_repo_relative(path)}', flush=True)

    print(f'\nFaster R-CNN R18-FPN fine-tuned {args.iters} iterations on n of {len(tiles)} '
          f'labelled train tiles; {args.split} tiles; seeds {seeds}' +
          (f'; {missing} runs without a result file yet' if missing else '') + '\n')
    if stale:
        print(f'note: {stale} result files of these runs were made with other configs or '
              f'options (another key) and are not used\n')
    versions = {json.dumps(r.get('code'), sort_keys=True) for r in results}
    if len(versions) > 1:
        print(f'note: the results come from {len(versions)} code versions (see "code" in '
              f'the files); keys hash configs, not code\n')
    print(format_report(results, arms, budgets, seeds))
    plot_path = Path(args.plot) if args.plot else REPO / (
        PLOT if args.split == 'test' else PLOT.replace('.png', f'_{args.split}.png'))
    title = (f'Faster R-CNN R18-FPN, {args.iters} it fine-tuning, {args.split} tiles '
             f'(mean ± std over seeds)')
    if plot(results, arms, budgets, plot_path, title):
        print(f'\nwrote {plot_path}')


if __name__ == '__main__':
    main()
