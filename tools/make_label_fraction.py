"""Seeded labelled subsets of a detection train set: a fraction of the images, or enough
images for K instances per class, with a json report of what was kept.

    python tools/make_label_fraction.py data/coco/annotations/instances_train2017.json \\
        --fraction 1% --seed 1
    python tools/make_label_fraction.py data/VOCdevkit/VOC2007/ImageSets/Main/trainval.txt \\
        --per-class 10 --seed 1 --out data/VOCdevkit/VOC2007/ImageSets/Main/trainval_10pc_s1.txt

Input: a COCO-format json (writes a COCO json holding the kept images and all of their
annotations) or a VOC image-set list ``ImageSets/Main/*.txt`` (writes a list; the XMLs are read
from the ``Annotations`` folder beside ``ImageSets``). A report ``<out stem>.report.json``
records the source, mode, seed, counts per class and the kept image ids.

Selection: the images are shuffled with ``random.Random(seed)`` (from their sorted ids, so the
result depends on the seed and the set, not on file order), then
- ``--fraction F`` (0 < F <= 1, or a percentage like ``5%``) keeps the first F x N images
  (rounded half up); for one seed the subsets are nested (1% of seed 1 is inside its 5% and
  10%); folds are seeds (STAC / Unbiased Teacher report seeds 1-5);
- ``--per-class K`` walks the shuffled images and keeps each one that holds an instance of a
  class that still has fewer than K, until every class has K. Images are never cut: a kept
  image keeps all of its boxes (dropping boxes would turn objects into background), so a
  class may end above K; classes with fewer than K instances in the whole set are listed in
  the report as ``short``. Crowd (COCO ``iscrowd``) and VOC ``difficult`` objects are ignored
  in training and are not counted.

Use a subset with a transfer config by overriding the train annotation file, e.g.
``--cfg-options train_dataloader.dataset.ann_file=annotations/instances_train2017.1pct-seed1.json``
(COCO), ``train_dataloader.dataset.datasets.0.ann_file=...`` (VOC07 list of the VOC07+12 concat).
"""
import argparse
import json
import math
import random
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple


class LabelFractionError(ValueError):
    """A problem with the inputs that the user can fix; the message says which and how."""


def parse_fraction(text: str) -> float:
    """``'0.05'`` or ``'5%'`` -> 0.05; must lie in (0, 1]."""
    raw = str(text).strip()
    try:
        value = float(raw[:-1]) / 100 if raw.endswith('%') else float(raw)
    except ValueError:
        raise LabelFractionError(f'--fraction {text!r} is not a number; give e.g. 0.05 or 5%')
    if not 0 < value <= 1:
        hint = f' (did you mean {raw}%?)' if 1 < value <= 100 and not raw.endswith('%') else ''
        raise LabelFractionError(
            f'--fraction {text!r} is out of range: it must be in (0, 1] or (0%, 100%]{hint}')
    return value


# ----------------------------------------------------------------------------- the sources
class Source:
    """Images with their countable instances: ``ids`` (sorted) and ``labels[id]`` (a list of
    class names, one per instance that training uses)."""
    kind = ''

    def __init__(self, path: Path):
        self.path = path
        self.ids: List = []
        self.labels: Dict = {}
        self.classes: List[str] = []  # every class the set defines, with or without instances

    def write(self, keep: Sequence, out: Path) -> None:
        raise NotImplementedError


class CocoSource(Source):
    kind = 'coco'

    def __init__(self, path: Path):
        super().__init__(path)
        try:
            self.data = json.loads(path.read_text())
        except json.JSONDecodeError as e:
            raise LabelFractionError(f'{path} is not valid json ({e}); give a COCO-format '
                                     'annotation file or a VOC ImageSets/Main/*.txt list')
        missing = [k for k in ('images', 'annotations', 'categories')
                   if not isinstance(self.data, dict) or k not in self.data]
        if missing:
            raise LabelFractionError(f'{path} is not a COCO-format annotation file: key(s) '
                                     f'{missing} missing')
        names = {c['id']: c['name'] for c in self.data['categories']}
        self.ids = sorted(img['id'] for img in self.data['images'])
        self.labels = {i: [] for i in self.ids}
        for ann in self.data['annotations']:
            if ann['image_id'] not in self.labels:
                raise LabelFractionError(f'{path}: annotation {ann.get("id")} refers to image '
                                         f'{ann["image_id"]}, which is not in "images"')
            if not ann.get('iscrowd', 0):
                self.labels[ann['image_id']].append(names[ann['category_id']])
        self.file_names = {img['id']: img['file_name'] for img in self.data['images']}
        self.classes = sorted(names.values())

    def write(self, keep: Sequence, out: Path) -> None:
        kept = set(keep)
        subset = dict(self.data)
        subset['images'] = [img for img in self.data['images'] if img['id'] in kept]
        subset['annotations'] = [a for a in self.data['annotations'] if a['image_id'] in kept]
        out.write_text(json.dumps(subset))


class VocSource(Source):
    kind = 'voc'

    def __init__(self, path: Path, need_labels: bool):
        super().__init__(path)
        ids = [line.strip() for line in path.read_text().splitlines() if line.strip()]
        if not ids:
            raise LabelFractionError(f'{path} lists no image ids')
        self.ids = sorted(set(ids))
        # VOCdevkit/VOC2007/ImageSets/Main/trainval.txt -> VOCdevkit/VOC2007/Annotations
        root = path.parent.parent.parent
        self.ann_dir = root / 'Annotations'
        self.img_dir = root / 'JPEGImages'
        for img_id in self.ids:
            if not (self.img_dir / f'{img_id}.jpg').is_file():
                raise LabelFractionError(f'{path} names image {img_id!r}, but '
                                         f'{self.img_dir / (img_id + ".jpg")} does not exist')
        self.labels = {i: [] for i in self.ids}
        if need_labels:
            for img_id in self.ids:
                xml = self.ann_dir / f'{img_id}.xml'
                if not xml.is_file():
                    raise LabelFractionError(f'{path} names image {img_id!r}, but its '
                                             f'annotation {xml} does not exist')
                for obj in ET.parse(xml).getroot().iter('object'):
                    difficult = obj.find('difficult')
                    if difficult is None or int(difficult.text) == 0:
                        self.labels[img_id].append(obj.find('name').text)
        self.classes = sorted({c for names in self.labels.values() for c in names})

    def write(self, keep: Sequence, out: Path) -> None:
        out.write_text(''.join(f'{i}\n' for i in sorted(keep)))


def load_source(path: Path, need_labels: bool) -> Source:
    if not path.is_file():
        raise LabelFractionError(f'annotation file not found: {path}')
    if path.suffix == '.json':
        return CocoSource(path)
    if path.suffix == '.txt':
        return VocSource(path, need_labels)
    raise LabelFractionError(f'{path}: expected a COCO .json or a VOC ImageSets/Main .txt list')


# -------------------------------------------------------------------------------- selection
def shuffled(ids: Sequence, seed: int) -> List:
    order = sorted(ids)
    random.Random(seed).shuffle(order)
    return order


def by_fraction(ids: Sequence, fraction: float, seed: int) -> List:
    n = math.floor(fraction * len(ids) + 0.5)  # half up (round() would round 0.5 to 0)
    if n == 0:
        raise LabelFractionError(
            f'--fraction {fraction:g} of {len(ids)} images keeps none; use a fraction of at '
            f'least {0.5 / len(ids):.3g}' if ids else 'the annotation file has no images')
    return shuffled(ids, seed)[:n]


def by_instances_per_class(labels: Dict, k: int, seed: int,
                           classes: Sequence[str] = ()) -> Tuple[List, List[str]]:
    """Greedy K-instances-per-class selection over the seeded shuffle; returns the kept ids
    and the classes (of ``classes`` and those seen) with fewer than K instances overall."""
    if k < 1:
        raise LabelFractionError(f'--per-class {k}: must be at least 1')
    available = Counter(c for names in labels.values() for c in names)
    if not available:
        raise LabelFractionError('no instances to count (every annotation is crowd/difficult '
                                 'or there are none); use --fraction instead')
    need = {c: min(k, n) for c, n in available.items()}
    have: Counter = Counter()
    keep = []
    for img in shuffled(labels, seed):
        if all(have[c] >= need[c] for c in need):
            break
        if any(have[c] < need[c] for c in labels[img]):
            keep.append(img)
            have.update(labels[img])
    short = sorted(c for c in set(classes) | set(available) if available[c] < k)
    return keep, short


# ----------------------------------------------------------------------------------- main
def default_out(path: Path, tag: str, seed: int) -> Path:
    return path.with_name(f'{path.stem}.{tag}-seed{seed}{path.suffix}')


def make(path: Path, fraction: Optional[float] = None, per_class: Optional[int] = None,
         seed: int = 1, out: Optional[Path] = None) -> dict:
    """Write the subset and its report; returns the report."""
    if (fraction is None) == (per_class is None):
        raise LabelFractionError('give exactly one of --fraction and --per-class')
    src = load_source(Path(path), need_labels=per_class is not None)
    short: List[str] = []
    if fraction is not None:
        keep = by_fraction(src.ids, fraction, seed)
        tag = f'{fraction * 100:g}pct'
    else:
        keep, short = by_instances_per_class(src.labels, per_class, seed, src.classes)
        tag = f'{per_class}perclass'
    out = Path(out) if out else default_out(src.path, tag, seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    src.write(keep, out)
    kept_counts = Counter(c for i in keep for c in src.labels[i])
    total_counts = Counter(c for names in src.labels.values() for c in names)
    report = dict(
        source=str(src.path), format=src.kind, out=str(out), seed=seed,
        mode='fraction' if fraction is not None else 'per_class',
        fraction=fraction, per_class=per_class,
        images_total=len(src.ids), images_kept=len(keep),
        instances_total=sum(total_counts.values()), instances_kept=sum(kept_counts.values()),
        instances_per_class_kept=dict(sorted(kept_counts.items())),
        instances_per_class_total=dict(sorted(total_counts.items())),
        short=short, kept_image_ids=sorted(keep))
    if src.kind == 'coco':
        report['kept_file_names'] = [src.file_names[i] for i in sorted(keep)]
    report_path = out.with_name(f'{out.stem}.report.json')
    report['report'] = str(report_path)
    report_path.write_text(json.dumps(report, indent=1))
    return report


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('ann_file', help='COCO json or VOC ImageSets/Main/*.txt list')
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument('--fraction', help='fraction of the images: 0.01, 1%%, 0.1, ...')
    mode.add_argument('--per-class', type=int, help='instances per class (K)')
    parser.add_argument('--seed', type=int, default=1, help='fold seed (default 1)')
    parser.add_argument('--out', help='output file (default: next to the input, named by '
                        'mode and seed)')
    args = parser.parse_args(argv)
    try:
        fraction = parse_fraction(args.fraction) if args.fraction is not None else None
        report = make(Path(args.ann_file), fraction, args.per_class, args.seed, args.out)
    except LabelFractionError as e:
        print(f'make_label_fraction: error: {e}', file=sys.stderr)
        return 2
    print(f'kept {report["images_kept"]} of {report["images_total"]} images, '
          f'{report["instances_kept"]} of {report["instances_total"]} instances '
          f'-> {report["out"]} (report: {report["report"]})')
    if report['short']:
        print(f'classes with fewer than {args.per_class} instances in the whole set: '
              f'{", ".join(report["short"])}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
