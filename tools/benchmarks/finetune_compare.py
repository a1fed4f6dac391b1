"""Fine-tune the demo detector from several initialisations with few labels; test-tile mAP.

    python tools/benchmarks/finetune_compare.py random=none \\
        pixpro=work_dirs/rpn_pretraining_ar/pixpro_fpn_demo_seed0/exported.pth \\
        rpn=work_dirs/rpn_pretraining_ar/rpn_pretext_demo_seed0/exported.pth \\
        [--labelled 10] [--iters 200] [--seed 0]

Each NAME=WEIGHTS (tools/export_detector.py output, or ``none`` for mmdet's random init) is
fine-tuned with ``configs/benchmarks/faster-rcnn_r18_fpn_demo.py`` on the first ``--labelled``
train tiles (the label-scarce setting of arXiv 2211.09022) and evaluated with pycocotools on the
held-out test tiles; also reports the fine-tuned RPN's class-agnostic AR@100 there.
Runs whose outputs exist are skipped.
"""
import argparse
import os
from pathlib import Path

import numpy as np
from pycocotools.coco import COCO

from mmssl_det.evaluation import proposal_recall

from _common import (DETECTOR, REPO, coco_metrics, demo_detector, finetune, options_tag,
                     rpn_proposals)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('inits', nargs='+', help='NAME=EXPORTED.pth or NAME=none')
    parser.add_argument('--labelled', type=int, default=10, help='train tiles with labels')
    parser.add_argument('--iters', type=int, default=200)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--work-dir', default='work_dirs/finetune_compare')
    parser.add_argument('--cfg-options', nargs='+', default=[],
                        help='extra fine-tuning overrides for every init, e.g. '
                             'optim_wrapper.clip_grad.max_norm=35')
    args = parser.parse_args()
    os.chdir(REPO)
    coco = COCO('data/demo/annotations/test.json')
    rows = []
    for spec in args.inits:
        name, _, weights = spec.partition('=')
        if not weights:
            parser.error(f'{spec!r}: expected NAME=EXPORTED.pth or NAME=none')
        if weights != 'none' and not Path(weights).is_file():
            parser.error(f'{spec!r}: {weights} does not exist (tools/export_detector.py)')
        tag = options_tag(args.cfg_options)
        work = Path(args.work_dir) / '_'.join(
            filter(None, [name, f'l{args.labelled}_i{args.iters}_s{args.seed}', tag]))
        ckpt = finetune(work, None if weights == 'none' else weights, args.seed, [
            f'train_dataloader.dataset.indices={args.labelled}',
            f'train_cfg.max_iters={args.iters}', f'train_cfg.val_interval={args.iters}',
            f'default_hooks.checkpoint.interval={args.iters}', *args.cfg_options])
        m = coco_metrics(work, ckpt)
        if not m:  # mmdet's CocoMetric returns nothing when there are no detections
            print(f'{name}: no detections on the test tiles (did training diverge? see '
                  f'{work}/*/*.log)', flush=True)
            rows.append((name, float('nan'), float('nan'), float('nan')))
            continue
        props = rpn_proposals(demo_detector(args.seed, checkpoint=ckpt))
        ar = proposal_recall(coco, props, max_dets=(100, ))[100]
        rows.append((name, m['coco/bbox_mAP'], m['coco/bbox_mAP_50'], ar))
        print(f'{name}: mAP {rows[-1][1]:.3f} AP50 {rows[-1][2]:.3f} RPN AR@100 {ar:.3f}',
              flush=True)
    print(f'\n{args.labelled} labelled train tiles, {args.iters} iterations, seed {args.seed}, '
          f'{DETECTOR}; held-out test tiles:\n')
    print('| init | bbox mAP | AP50 | RPN AR@100 |\n|---|---|---|---|')
    for name, *vals in rows:
        print(f'| {name} | ' + ' | '.join(f'{v:.3f}' for v in np.asarray(vals)) + ' |')


if __name__ == '__main__':
    main()
