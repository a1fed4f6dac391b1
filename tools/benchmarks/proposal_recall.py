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
import json
import time
from collections import OrderedDict
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import cv2
import mmcv
import numpy as np
from mmdet.evaluation.functional import bbox_overlaps

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


def load_ground_truth(ann_file: str) -> List[Tuple[str, np.ndarray]]:
    """``[(file_name, (G, 4) float32 xyxy)]`` of a COCO json (crowd boxes left out)."""
    path = Path(ann_file)
    if not path.is_file():
        raise FileNotFoundError(f'annotation file {ann_file} does not exist')
    coco = json.loads(path.read_text())
    boxes: Dict[int, list] = {img['id']: [] for img in coco['images']}
    for ann in coco['annotations']:
        if not ann.get('iscrowd', 0):
            x, y, w, h = ann['bbox']
            boxes[ann['image_id']].append([x, y, x + w, y + h])
    return [(img['file_name'], np.array(boxes[img['id']], dtype=np.float32).reshape(-1, 4))
            for img in sorted(coco['images'], key=lambda i: i['file_name'])]


def recall_stats(gt: np.ndarray, proposals: np.ndarray) -> np.ndarray:
    """Per-GT ``(G, len(RECALL_AT) + 2)``: found (IoU >= 0.5) among the first N for each N in
    RECALL_AT, found among all, and the best IoU among the first ``max(RECALL_AT)``.

    Args:
        gt: ``(G, 4)`` xyxy; proposals: ``(P, 4)`` xyxy, best first.
    """
    out = np.zeros((len(gt), len(RECALL_AT) + 2))
    if len(gt) == 0 or len(proposals) == 0:
        return out
    iou = bbox_overlaps(gt, proposals)
    for c, n in enumerate(RECALL_AT):
        out[:, c] = iou[:, :n].max(axis=1) >= 0.5
    out[:, -2] = iou.max(axis=1) >= 0.5
    out[:, -1] = iou[:, :max(RECALL_AT)].max(axis=1)
    return out


def average_recall(best_iou: np.ndarray) -> float:
    """Mean over IoU thresholds 0.5:0.05:0.95 of the fraction of GT with best IoU >= t."""
    thrs = np.arange(0.5, 0.951, 0.05)
    return float(np.mean([(best_iou >= t).mean() for t in thrs])) if len(best_iou) else 0.0


def evaluate(ann_file: str, img_dir: str, variants: Dict[str, dict],
             max_images: int = 0) -> List[dict]:
    """One row per variant: recall@N, R@all, AR@100, proposals/image, images/s."""
    items = load_ground_truth(ann_file)
    if max_images:
        items = items[:max_images]
    gens = {name: SelectiveSearchProposals(**params) for name, params in variants.items()}
    groups: Dict[tuple, List[str]] = OrderedDict()
    for name, gen in gens.items():
        key = tuple(gen.params[k] for k in SEARCH_KEYS)
        groups.setdefault(key, []).append(name)
    stats = {name: [] for name in variants}
    counts = {name: 0 for name in variants}
    seconds = {name: 0.0 for name in variants}
    for file_name, gt in items:
        path = str(Path(img_dir) / file_name)
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
                counts[name] += len(boxes)
                stats[name].append(recall_stats(gt, boxes))
    rows = []
    for name in variants:
        per_gt = (np.concatenate(stats[name]) if stats[name] else
                  np.zeros((0, len(RECALL_AT) + 2)))
        num_gt = len(per_gt)
        row = dict(variant=name, images=len(items), gt=num_gt)
        for c, n in enumerate(RECALL_AT):
            row[f'R@{n}'] = float(per_gt[:, c].mean()) if num_gt else 0.0
        row['R@all'] = float(per_gt[:, -2].mean()) if num_gt else 0.0
        row['AR@100'] = average_recall(per_gt[:, -1])
        row['props/img'] = counts[name] / max(len(items), 1)
        row['img/s'] = len(items) / max(seconds[name], 1e-9)
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
