"""The README's demo over several seeds, mean ± std: PixPro-FPN demo pretraining → export →
Faster R-CNN R18-FPN fine-tuning (200 iterations, the 43 labelled train tiles) → COCO mAP on
the 17 held-out test tiles; the ``scratch`` arm fine-tunes the same detector from random init.

    python tools/benchmarks/demo_seeds.py --seeds 0 1 2 [--arms pixpro scratch]

Seed ``s`` seeds the pretraining and the fine-tuning. Each finished (arm, seed) writes
``docs/results/demo_seeds/{arm}_seed{s}.json`` (metrics, the recipe's fingerprint, wall time);
a later invocation (on any machine) reuses the files whose fingerprint matches the current
configs and runs the rest, so the table can be completed piecewise. Checkpoints stay in
``--work-dir``.
"""
import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Dict

from _common import REPO, config_fingerprint, last_checkpoint, mean_std, run

PRETRAIN = 'configs/pixpro_fpn_demo.py'
FINETUNE = 'configs/benchmarks/faster-rcnn_r18_fpn_demo.py'
RESULTS = REPO / 'docs/results/demo_seeds'
METRICS = ('coco/bbox_mAP', 'coco/bbox_mAP_50', 'coco/bbox_mAP_75')


def fingerprint(arm: str) -> str:
    """Hash of the resolved configs the arm runs: a changed default invalidates old results."""
    return config_fingerprint([FINETUNE] + ([PRETRAIN] if arm == 'pixpro' else []))


def run_arm(arm: str, seed: int, work_root: Path) -> Dict[str, float]:
    py = sys.executable
    weights = 'None'
    if arm == 'pixpro':
        pre = work_root / f'pretrain_seed{seed}'
        if not (pre / 'last_checkpoint').exists():
            run([py, 'tools/train.py', PRETRAIN, '--work-dir', pre, '--seed', seed])
        weights = work_root / f'pixpro_seed{seed}_frcnn.pth'
        run([py, 'tools/export_detector.py', last_checkpoint(pre), '--config', FINETUNE,
             '--out', weights])
    ft = work_root / f'finetune_{arm}_seed{seed}'
    if not (ft / 'last_checkpoint').exists():
        run([py, 'tools/train.py', FINETUNE, '--work-dir', ft, '--seed', seed,
             '--cfg-options', f'load_from={weights}'])
    out = ft / 'test_metrics.json'
    run([py, 'tools/test.py', FINETUNE, last_checkpoint(ft), '--work-dir', ft / 'test',
         '--out-json', out])
    metrics = json.loads(out.read_text())
    return {k: float(metrics.get(k, float('nan'))) for k in METRICS}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--arms', nargs='+', choices=['pixpro', 'scratch'],
                        default=['pixpro', 'scratch'])
    parser.add_argument('--work-dir', type=Path, default=Path('work_dirs/demo_seeds'))
    args = parser.parse_args()
    os.chdir(REPO)
    run([sys.executable, 'tools/prepare_demo_data.py'])
    RESULTS.mkdir(parents=True, exist_ok=True)
    table = {}
    for arm in args.arms:
        recipe = fingerprint(arm)
        for seed in args.seeds:
            path = RESULTS / f'{arm}_seed{seed}.json'
            if path.exists() and json.loads(path.read_text())['recipe'] == recipe:
                table[arm, seed] = json.loads(path.read_text())['metrics']
                continue
            start = time.time()
            metrics = run_arm(arm, seed, args.work_dir / recipe)
            path.write_text(json.dumps(dict(
                arm=arm, seed=seed, recipe=recipe, metrics=metrics,
                wall_s=round(time.time() - start), pretrain=PRETRAIN if arm == 'pixpro' else None,
                finetune=FINETUNE, cpu_threads=os.cpu_count()), indent=1) + '\n')
            table[arm, seed] = metrics
    print(f'\nseeds {args.seeds}; {FINETUNE}, 200 iterations, 43 labelled tiles; '
          f'17 test tiles (mean ± std over seeds, n = {len(args.seeds)})\n')
    print('| arm | bbox mAP | AP50 | AP75 | mAP per seed |\n|---|---|---|---|---|')
    for arm in args.arms:
        rows = [table[arm, s] for s in args.seeds]
        cells = [mean_std([r[k] for r in rows]) for k in METRICS]
        per_seed = ', '.join(f'{r[METRICS[0]]:.3f}' for r in rows)
        print(f'| {arm} | ' + ' | '.join(cells) + f' | {per_seed} |')
    if set(args.arms) == {'pixpro', 'scratch'}:
        diff = [table['pixpro', s][METRICS[0]] - table['scratch', s][METRICS[0]]
                for s in args.seeds]
        print(f'\npaired mAP difference pixpro − scratch: {mean_std(diff)} '
              f'(per seed: {", ".join(f"{d:+.3f}" for d in diff)})')


if __name__ == '__main__':
    main()
