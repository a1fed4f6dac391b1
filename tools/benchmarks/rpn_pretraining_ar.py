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
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner import load_checkpoint
from pycocotools.coco import COCO

import mmssl_det  # noqa: F401
from mmssl_det.evaluation import predict_rpn_proposals, proposal_recall
from mmssl_det.export import build_detector, load_exported
from mmssl_det.proposals import PRESETS, SelectiveSearchProposals
from mmssl_det.registry import DATASETS

REPO = Path(__file__).resolve().parents[2]
DETECTOR = 'configs/benchmarks/faster-rcnn_r18_fpn_demo.py'
PROPOSALS = 'data/demo/proposals/unlabeled_demo.json'
# key: (name, pretraining config, setting whose checkpoint initialises backbone + FPN)
SETTINGS = {
    'a': ('random init', None, None),
    'b': ('PixPro-FPN (backbone+FPN)', 'configs/pixpro_fpn_demo.py', None),
    'c': ('(b) + RPN/RoI pretexts', 'configs/rpn_pretext_demo.py', 'b'),
}
RANDOM_RPN = ('a', 'b')


def run(cmd) -> None:
    print('$', ' '.join(map(str, cmd)), flush=True)
    subprocess.run([str(c) for c in cmd], cwd=REPO, check=True)


def options_tag(options: Sequence[str], limit: int = 80) -> str:
    """A work-dir suffix naming ``--cfg-options`` overrides ('' for none); long ones end in
    a hash of the whole (file names have a length limit)."""
    tag = '_'.join(re.sub(r'[^\w.,-]+', '-', o.replace('=', '-')) for o in options)
    if len(tag) > limit:
        tag = tag[:limit - 9] + '_' + hashlib.sha1(tag.encode()).hexdigest()[:8]
    return tag


def ensure_proposals() -> None:
    """Selective-search boxes of the unlabelled tiles with the current 'demo' preset; a file
    made with other parameters (an older preset) is regenerated, not silently reused."""
    path = REPO / PROPOSALS
    want = json.loads(json.dumps(SelectiveSearchProposals(**PRESETS['demo']).params))
    if path.exists():
        have = json.loads(path.read_text()).get('info', {}).get('params')
        if have == want:
            return
        print(f'{PROPOSALS} was made with {have}, not the current demo preset {want}: '
              f'regenerating it', flush=True)
        path.unlink()
        shutil.rmtree(f'{path}.parts', ignore_errors=True)
    run([sys.executable, 'tools/generate_proposals.py', 'data/demo/unlabeled', PROPOSALS,
         '--preset', 'demo', '--workers', '2'])


def pretrain_and_export(config: str, seed: int, work_root: Path,
                        init: Optional[Path] = None,
                        options: Sequence[str] = ()) -> Tuple[Path, Path]:
    """Train ``config`` (backbone + FPN from ``init`` if given, ``options`` as
    ``--cfg-options``); (checkpoint, exported)."""
    work = work_root / '_'.join(filter(None, [f'{Path(config).stem}_seed{seed}',
                                              options_tag(options)]))
    exported = work / 'exported.pth'
    if not (work / 'last_checkpoint').exists():
        cmd = [sys.executable, 'tools/train.py', config, '--work-dir', work, '--seed', seed]
        if init is not None:
            options = [f'model.backbone.init_cfg.checkpoint={init}',
                       f'model.neck.init_cfg.checkpoint={init}', *options]
        if options:
            cmd += ['--cfg-options', *options]
        run(cmd)
    ckpt = Path((work / 'last_checkpoint').read_text().strip())
    if not exported.exists():
        run([sys.executable, 'tools/export_detector.py', ckpt, '--config', DETECTOR,
             '--out', exported])
    return ckpt, exported


def demo_detector(seed: int, exported: Optional[Path] = None,
                  checkpoint: Optional[Path] = None) -> torch.nn.Module:
    """The demo Faster R-CNN: random init (seeded), then an export and/or a full checkpoint."""
    torch.manual_seed(seed)
    detector = build_detector(DETECTOR)
    detector.init_weights()  # (a); an export then overwrites what its pretraining provides
    if exported is not None:
        load_exported(detector, str(exported))
    if checkpoint is not None:
        load_checkpoint(detector, str(checkpoint), map_location='cpu', strict=True)
    return detector.eval()


def rpn_proposals(detector: torch.nn.Module, top: int = 100,
                  split: str = 'test') -> Dict[int, np.ndarray]:
    """Top-``top`` RPN proposals (original-image xyxy + score, best first) per image of the
    demo's ``split`` ('test' or 'val')."""
    cfg = Config.fromfile(str(REPO / DETECTOR))
    dataset_cfg = cfg[f'{split}_dataloader'].dataset
    with DefaultScope.overwrite_default_scope('mmssl_det'):
        dataset = DATASETS.build(dataset_cfg)
    samples = (dataset[i] for i in range(len(dataset)))
    return {s['data_samples'].img_id: predict_rpn_proposals(detector, s, top) for s in samples}


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
