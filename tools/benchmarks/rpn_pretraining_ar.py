"""Does pretraining the RPN on unsupervised proposals give a better RPN? (arXiv 2211.09022)

    python tools/benchmarks/rpn_pretraining_ar.py [--seeds 0 1] [--rpn-inits 5] [--split test]

On the demo's held-out test tiles (``--split val`` for choosing variants of (c) with
``--c-options``, so that the test tiles stay unseen), class-agnostic AR of the top-100 RPN
proposals of the Faster R-CNN R18-FPN demo detector when its weights come from
  (a) random initialisation,
  (b) PixPro-FPN pretraining (backbone + FPN; the RPN stays random),
  (c) the *separate* strategy: (b)'s checkpoint, then the RPN + RoI pretexts on selective-search
      boxes (configs/rpn_pretext_demo.py),
no labels used anywhere. Each pretraining runs once per seed (tools/train.py), is exported
with tools/export_detector.py, and evaluated with pycocotools (mmssl_det.evaluation).
Steps whose outputs exist are skipped, so an interrupted run continues.
"""
import argparse
import os
import sys
from pathlib import Path
from typing import Dict

import numpy as np
from pycocotools.coco import COCO

from mmssl_det.evaluation import proposal_recall

from _common import (DETECTOR, REPO, demo_detector, ensure_proposals, options_tag,
                     pretrain_and_export, rpn_proposals, run)

# key: (name, pretraining config, setting whose checkpoint initialises backbone + FPN)
SETTINGS = {
    'a': ('random init', None, None),
    'b': ('PixPro-FPN (backbone+FPN)', 'configs/pixpro_fpn_demo.py', None),
    'c': ('(b) + RPN/RoI pretexts', 'configs/rpn_pretext_demo.py', 'b'),
}
RANDOM_RPN = ('a', 'b')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1])
    parser.add_argument('--rpn-inits', type=int, default=5,
                        help='random RPN initialisations evaluated per seed for (a) and (b)')
    parser.add_argument('--split', choices=('test', 'val'), default='test',
                        help='labelled tiles to evaluate on: choose variants on val')
    parser.add_argument('--settings', nargs='+', choices=sorted(SETTINGS),
                        default=sorted(SETTINGS), help='settings to evaluate')
    parser.add_argument('--c-options', nargs='+', default=[],
                        help="--cfg-options for (c)'s pretraining (a variant; own work dir)")
    parser.add_argument('--work-dir', default='work_dirs/rpn_pretraining_ar')
    parser.add_argument('--out', default=None,
                        help='table file (default: WORK_DIR/table_SPLIT[_C-OPTIONS].md)')
    args = parser.parse_args()
    os.chdir(REPO)  # configs and data paths are repo-relative
    work_root = REPO / args.work_dir

    run([sys.executable, 'tools/prepare_demo_data.py'])
    ensure_proposals()
    coco = COCO(str(REPO / f'data/demo/annotations/{args.split}.json'))

    # rows[key][seed] = one (AR@100, AR50@100, AR@10) per evaluated RPN initialisation
    rows: Dict[str, Dict[int, list]] = {k: {} for k in SETTINGS}
    for seed in args.seeds:
        ckpts: Dict[str, Path] = {}
        for key, (_, config, init) in SETTINGS.items():
            needed = key in args.settings or any(
                SETTINGS[k][2] == key and k in args.settings for k in SETTINGS)
            if not needed:
                continue
            weights = None
            if config:
                ckpts[key], weights = pretrain_and_export(
                    config, seed, work_root, ckpts[init] if init else None,
                    args.c_options if key == 'c' else ())
            if key not in args.settings:
                continue
            # A random RPN's top-100 is a lottery over anchor levels (see the doc): average
            # several initialisations. A pretrained RPN is loaded, so one evaluation suffices.
            draws = args.rpn_inits if key in RANDOM_RPN else 1
            for draw in range(draws):
                props = rpn_proposals(demo_detector(seed * 1000 + draw, weights),
                                      split=args.split)
                ar = proposal_recall(coco, props, max_dets=(10, 100))
                ar50 = proposal_recall(coco, props, max_dets=(100, ), iou_thrs=(0.5, ))
                rows[key].setdefault(seed, []).append((ar[100], ar50[100], ar[10]))
                print(f'seed {seed} ({key}) draw {draw}: AR@100={ar[100]:.3f} '
                      f'AR50@100={ar50[100]:.3f} AR@10={ar[10]:.3f}', flush=True)

    lines = ['| setting | AR@100 (IoU .5:.95) | AR@100 (IoU .5) | AR@10 (IoU .5:.95) |',
             '|---|---|---|---|']
    for key, (name, _, _) in SETTINGS.items():
        if key not in args.settings:
            continue
        vals = np.array([r for per_seed in rows[key].values() for r in per_seed])
        cells = [f'{m:.3f} ± {s:.3f} [{lo:.3f}, {hi:.3f}]' for m, s, lo, hi in
                 zip(vals.mean(0), vals.std(0), vals.min(0), vals.max(0))]
        lines.append(f'| ({key}) {name} | ' + ' | '.join(cells) + ' |')
    per_seed = '\n'.join(
        f'- ({k}) ' + '; '.join(f'seed {s}: ' + ', '.join(f'{r[0]:.3f}/{r[1]:.3f}/{r[2]:.3f}'
                                                        for r in v) for s, v in per.items())
        for k, per in rows.items() if per)
    table = '\n'.join(lines)
    print('\n' + table + '\n\n' + per_seed)
    tag = '_'.join(filter(None, [args.split, options_tag(args.c_options)]))
    doc = Path(args.out) if args.out else work_root / f'table_{tag}.md'
    doc.parent.mkdir(parents=True, exist_ok=True)
    command = ' '.join(['python tools/benchmarks/rpn_pretraining_ar.py', *sys.argv[1:]])
    doc.write_text(
        f'`{command}` (CPU). `{DETECTOR}`, top-100 RPN proposals on the {args.split} tiles '
        f'({len(coco.getImgIds())} images, {len(coco.getAnnIds())} trees); no '
        f'labels used. Mean ± std [min, max] over pretraining seeds × random RPN '
        f'initialisations ((a), (b): {args.rpn_inits} per seed).\n\n' + table +
        '\n\nPer seed (AR@100 / AR50@100 / AR@10 per RPN initialisation):\n\n' +
        per_seed + '\n')
    print(f'\nwrote {doc}')


if __name__ == '__main__':
    main()
