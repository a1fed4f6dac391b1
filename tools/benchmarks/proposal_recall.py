"""Recall of labelled boxes by unsupervised proposals, and proposal speed.

    python tools/benchmarks/proposal_recall.py ANN_JSON IMG_DIR [ANN_JSON IMG_DIR ...] \
        [--presets soco demo] [--variant NAME KEY=VALUE ...] [--base demo] [--max-images N]

For every (annotation file, image folder) pair and every variant, prints recall of the
ground-truth boxes (a box counts as found when one of the first N proposals has IoU >= 0.5)
at N = 10, 50, 100 and over all of the variant's boxes (R@all, the ceiling before ranking
matters), the average recall over IoU 0.5:0.95 at 100 (AR@100), the mean number of
proposals per image and images/s of one process (selective search + filters, no I/O).
Variants are the named presets plus ``--variant`` ones (``KEY=VALUE`` overrides of the
``--base`` preset; tuples as ``LO,HI``, ``none`` for None), e.g.
``--variant small rel_size=0.02,0.5 min_side=4``. Variants with the same search parameters
share one search per image, so a sweep over filters costs one search pass.
"""
import argparse
import contextlib
import io
import json
import time
from collections import OrderedDict
from pathlib import Path
from typing import Dict, List, Sequence

import cv2
import mmcv
import numpy as np
from pycocotools.coco import COCO

from mmssl_det.evaluation import proposal_recall
from mmssl_det.proposals import PRESETS, SelectiveSearchProposals, filter_proposals

RECALL_AT = (10, 50, 100)
SEARCH_KEYS = ('mode', 'scale', 'sigma', 'min_size', 'max_side', 'seed')


def parse_value(text: str):
    """'none' -> None, 'a,b' -> (a, b), '3' -> 3, '0.5' -> 0.5, otherwise the string."""
    if text.lower() == 'none':
        return None
    if ',' in text:
        return tuple(float(v) for v in text.split(','))
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def evaluate(ann_file: str, img_dir: str, variants: Dict[str, dict],
             max_images: int = 0) -> List[dict]:
    """One row per variant: recall@N and R@all at IoU 0.5, AR@100 (IoU .5:.95),
    proposals/image, images/s — all recall numbers from mmssl_det.evaluation.proposal_recall
    (pycocotools, one-to-one matching), the same code that scores the RPN."""
    if not Path(ann_file).is_file():
        raise FileNotFoundError(f'annotation file {ann_file} does not exist')
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO(ann_file)
    images = sorted(coco.dataset['images'], key=lambda i: i['file_name'])
    if max_images:
        images = images[:max_images]
        coco.dataset['images'] = images
        keep = {img['id'] for img in images}
        coco.dataset['annotations'] = [a for a in coco.dataset['annotations']
                                       if a['image_id'] in keep]
        with contextlib.redirect_stdout(io.StringIO()):
            coco.createIndex()
    gens = {name: SelectiveSearchProposals(**params) for name, params in variants.items()}
    groups: Dict[tuple, List[str]] = OrderedDict()
    for name, gen in gens.items():
        key = tuple(gen.params[k] for k in SEARCH_KEYS)
        groups.setdefault(key, []).append(name)
    proposals: Dict[str, Dict[int, np.ndarray]] = {name: {} for name in variants}
    seconds = {name: 0.0 for name in variants}
    for info in images:
        path = str(Path(img_dir) / info['file_name'])
        img = mmcv.imread(path)
        if img is None:
            raise FileNotFoundError(f'image {path} (from {ann_file}) is missing or unreadable')
        for names in groups.values():
            start = time.perf_counter()
            raw_boxes, raw_scores = gens[names[0]].search(img)
            search_s = time.perf_counter() - start
            for name in names:
                gen = gens[name]
                start = time.perf_counter()
                boxes, _ = filter_proposals(raw_boxes, raw_scores, img.shape[:2], gen.aspect,
                                            gen.rel_size, gen.min_side, gen.nms_iou, gen.topk)
                seconds[name] += search_s + time.perf_counter() - start
                proposals[name][info['id']] = boxes
    rows = []
    for name in variants:
        props = proposals[name]
        most = max([len(b) for b in props.values()] + [max(RECALL_AT)])
        at50 = proposal_recall(coco, props, max_dets=RECALL_AT + (most + 1, ),
                               iou_thrs=(0.5, ))
        row = dict(variant=name, images=len(images), gt=len(coco.getAnnIds(iscrowd=False)))
        row.update({f'R@{n}': at50[n] for n in RECALL_AT})
        row['R@all'] = at50[most + 1]
        row['AR@100'] = proposal_recall(coco, props, max_dets=(100, ))[100]
        row['props/img'] = sum(len(b) for b in props.values()) / max(len(images), 1)
        row['img/s'] = len(images) / max(seconds[name], 1e-9)
        rows.append(row)
    return rows


def gt_size_summary(ann_file: str) -> str:
    """Quartiles of the GT boxes' sqrt(area / image area): where the rel_size range must reach."""
    coco = json.loads(Path(ann_file).read_text())
    area = {img['id']: img['width'] * img['height'] for img in coco['images']}
    rel = np.array([np.sqrt(a['bbox'][2] * a['bbox'][3] / area[a['image_id']])
                    for a in coco['annotations'] if not a.get('iscrowd', 0)])
    if not len(rel):
        return 'no ground-truth boxes'
    q = np.percentile(rel, [0, 25, 50, 75, 100])
    return ('GT sqrt(box/image area): min {:.3f}  q1 {:.3f}  median {:.3f}  q3 {:.3f}  '
            'max {:.3f}'.format(*q))


def format_table(title: str, rows: Sequence[dict]) -> str:
    cols = ['variant', 'images', 'gt'] + [f'R@{n}' for n in RECALL_AT] + [
        'R@all', 'AR@100', 'props/img', 'img/s']
    lines = [f'### {title}', '| ' + ' | '.join(cols) + ' |', '|' + '---|' * len(cols)]
    for r in rows:
        cells = [r['variant'], str(r['images']), str(r['gt'])] + [
            f'{r[c]:.3f}' for c in cols[3:-2]] + [f'{r["props/img"]:.1f}', f'{r["img/s"]:.2f}']
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def build_variants(presets: Sequence[str], extra: Sequence[Sequence[str]],
                   base: str) -> Dict[str, dict]:
    variants: Dict[str, dict] = OrderedDict()
    for name in presets:
        if name not in PRESETS:
            raise ValueError(f'--presets {name}: unknown preset; use one of {sorted(PRESETS)}')
        variants[name] = dict(PRESETS[name])
    for spec in extra:
        name, overrides = spec[0], spec[1:]
        params = dict(PRESETS[base])
        for item in overrides:
            if '=' not in item:
                raise ValueError(f'--variant {name}: {item!r} is not KEY=VALUE')
            key, value = item.split('=', 1)
            params[key] = parse_value(value)
        variants[name] = params
    if not variants:
        raise ValueError('no variant to measure; pass --presets and/or --variant')
    return variants


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('data', nargs='+', help='ANN_JSON IMG_DIR pairs')
    p.add_argument('--presets', nargs='*', default=['soco', 'demo'])
    p.add_argument('--variant', nargs='+', action='append', default=[],
                   metavar='NAME KEY=VALUE', help='a preset (--base) with overrides')
    p.add_argument('--base', default='demo', choices=sorted(PRESETS))
    p.add_argument('--max-images', type=int, default=0, help='first N images only (0: all)')
    args = p.parse_args()
    if len(args.data) % 2:
        p.error('data must be ANN_JSON IMG_DIR pairs')
    cv2.setNumThreads(1)  # images/s of one process, comparable with --workers scaling
    variants = build_variants(args.presets, args.variant, args.base)
    for ann_file, img_dir in zip(args.data[::2], args.data[1::2]):
        rows = evaluate(ann_file, img_dir, variants, args.max_images)
        print(format_table(ann_file, rows))
        print(gt_size_summary(ann_file))
        print()


if __name__ == '__main__':
    main()
