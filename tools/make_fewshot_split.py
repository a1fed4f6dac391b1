"""Few-shot detection splits: base-training set and seeded K-shot sets as COCO-format jsons.

    # VOC split 1 (VOC07+12 trainval), K = 1, 2, 3, 5, 10, seeds 0-9
    python tools/make_fewshot_split.py data/VOCdevkit --split voc1 --out data/fewshot/voc1
    # COCO 60/20, K = 10, 30
    python tools/make_fewshot_split.py data/coco/annotations/instances_train2017.json \\
        --split coco --shots 10 30 --out data/fewshot/coco
    # any COCO json, the named classes novel, the others base
    python tools/make_fewshot_split.py train.json --novel-classes cat dog --shots 5 --out out/
    # TFA's published VOC seed 1 instead of sampling (box_{K}shot_{CLASS}_train.txt files)
    python tools/make_fewshot_split.py data/VOCdevkit --split voc1 --seeds 1 \\
        --import-split TFA/datasets/vocsplit --out data/fewshot/voc1-tfa

Writes ``<out>/base_train.json`` (every image, novel annotations removed), one
``<out>/seed{S}/{K}shot.json`` per seed and K (K instances of every class, base and novel, as
TFA fine-tunes on) and ``<out>/manifest.json`` (options, rule, per seed/K/class the image ids
and instance counts). The rule, the counting of crowd/difficult objects and the import formats
are described in :mod:`mmssl_det.datasets.fewshot_sampling`. Same inputs, same bytes.

Input: a COCO-format json, or a VOCdevkit folder (``--voc-sets``, default VOC2007 and VOC2012
``ImageSets/Main/trainval.txt``; read with mmdet's VOCDataset and written with ``file_name``
relative to the devkit, so a config uses ``data_root='data/VOCdevkit/'`` and
``data_prefix=dict(img='')``). Train on the outputs with ``FewShotCocoDataset(split=...)``.
"""
import argparse
from pathlib import Path
from typing import Optional, Sequence

from mmssl_det.cli import run_tool
from mmssl_det.datasets.fewshot_sampling import FewShotSplitError, load_source, \
    resolve_classes, write_split
from mmssl_det.datasets.fewshot_splits import SPLIT_NAMES

DEFAULT_SHOTS = dict(voc1=(1, 2, 3, 5, 10), voc2=(1, 2, 3, 5, 10), voc3=(1, 2, 3, 5, 10),
                     coco=(10, 30), demo=(2, 5))


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('source', help='COCO-format json, or a VOCdevkit folder')
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument('--split', choices=SPLIT_NAMES, help='a standard split')
    which.add_argument('--novel-classes', nargs='+', metavar='CLASS',
                       help='custom split: these classes novel, the others base')
    parser.add_argument('--shots', type=int, nargs='+',
                        help='K values (default: 1 2 3 5 10 for VOC, 10 30 for COCO, 2 5 for '
                        'the demo; required with --novel-classes)')
    parser.add_argument('--seeds', type=int, nargs='+', default=list(range(10)),
                        help='seeds (default 0-9)')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument('--voc-sets', nargs='+', metavar='LIST',
                        help='VOC image-set lists relative to the devkit (default: '
                        'VOC2007 and VOC2012 ImageSets/Main/trainval.txt)')
    parser.add_argument('--import-split', metavar='DIR',
                        help='take the shots from published split files under DIR '
                        '(seed{S}/ subfolders, or the files themselves for one seed)')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> None:
    args = parse_args(argv)
    shots = args.shots or DEFAULT_SHOTS.get(args.split)
    if not shots:
        raise FewShotSplitError('--shots is required with --novel-classes')
    data, kind = load_source(Path(args.source), args.voc_sets)
    classes = resolve_classes(data, args.source, split=args.split, novel=args.novel_classes)
    manifest = write_split(data, classes, Path(args.out), shots, args.seeds, args.source, kind,
                           split=args.split,
                           import_dir=Path(args.import_split) if args.import_split else None)
    print(f'{manifest["mode"]} {len(args.seeds)} seed(s) x K {manifest["shots"]} over '
          f'{len(classes["base"])} base + {len(classes["novel"])} novel classes '
          f'-> {args.out} (base_train.json: {manifest["base_train"]["images"]} images, '
          f'{manifest["base_train"]["annotations"]} annotations; manifest.json)')


if __name__ == '__main__':
    run_tool(main)
