"""The two-class few-shot demo on the tree-crown demo data (no new data needed).

    python tools/prepare_demo_data.py          # once: data/demo/annotations/{train,val,test}.json
    python tools/prepare_fewshot_demo.py       # -> data/demo/fewshot/

The demo set has one class, 'tree'. Its boxes are split by area into 'large crown' (w x h >=
the median area of the train boxes, 1293.5 px² on the demo train set; the base class) and
'small crown' (below it; the novel class) — the ``'demo'`` split of
:mod:`mmssl_det.datasets.fewshot_splits`. Area rather than the NEON site in the file names:
the val and test tiles all come from one site (YELL) and train holds a single OSBS and a single
SOAP tile, so a site class would have no test instances; the median puts half of the train
boxes in each class and both classes occur in every split (small/large instances: train
287/287, val 73/80, test 64/159).

Writes, under ``--out`` (default ``data/demo/fewshot``):

- ``{train,val,test}.json``: the demo annotations with the two classes (same images and
  ``file_name``s: use ``data_root='data/demo/'``, ``data_prefix=dict(img='images/<set>/')``);
- ``base_train.json``, ``seed{S}/{K}shot.json``, ``manifest.json``: the few-shot split of
  ``train.json`` (``tools/make_fewshot_split.py`` with ``--split demo``), K 2 and 5, seeds 0-2;
- ``crowns.json``: the area threshold and the instances per class of each set.
"""
import argparse
import json
from pathlib import Path
from typing import Optional, Sequence

from mmssl_det.cli import run_tool
from mmssl_det.datasets.fewshot_sampling import FewShotSplitError, countable_per_image, \
    crowns_by_area, load_coco_json, median_box_area, resolve_classes, write_split

SETS = ('train', 'val', 'test')


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--src', default='data/demo/annotations',
                        help='folder with the demo {train,val,test}.json')
    parser.add_argument('--out', default='data/demo/fewshot', help='output folder')
    parser.add_argument('--shots', type=int, nargs='+', default=[2, 5])
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--threshold', type=float,
                        help='box area (px²) from which a crown is large (default: the median '
                        'area of the train boxes)')
    args = parser.parse_args(argv)
    src, out = Path(args.src), Path(args.out)
    if not (src / 'train.json').is_file():
        raise FileNotFoundError(f'{src / "train.json"} not found; run '
                                'tools/prepare_demo_data.py first (or set --src)')
    train = load_coco_json(src / 'train.json')
    threshold = args.threshold if args.threshold is not None else median_box_area(train)
    if threshold <= 0:
        raise FewShotSplitError(f'--threshold {threshold}: must be a positive area')
    out.mkdir(parents=True, exist_ok=True)
    info = dict(threshold=threshold, rule='area = bbox w * h; large crown if area >= '
                'threshold, else small crown', threshold_from='--threshold'
                if args.threshold is not None else 'median area of train.json boxes',
                instances={})
    for name in SETS:
        if not (src / f'{name}.json').is_file():
            continue
        two = crowns_by_area(load_coco_json(src / f'{name}.json'), threshold)
        (out / f'{name}.json').write_text(json.dumps(two, separators=(',', ':')) + '\n')
        counts = countable_per_image(two, ['large crown', 'small crown'])
        info['instances'][name] = {c: sum(v.values()) for c, v in counts.items()}
        if name == 'train':
            classes = resolve_classes(two, str(out / 'train.json'), split='demo')
            write_split(two, classes, out, args.shots, args.seeds, str(out / 'train.json'),
                        'coco', split='demo')
    (out / 'crowns.json').write_text(json.dumps(info, indent=1, sort_keys=True) + '\n')
    print(f'threshold {threshold:g} px²; instances {info["instances"]} -> {out}')


if __name__ == '__main__':
    run_tool(main)
