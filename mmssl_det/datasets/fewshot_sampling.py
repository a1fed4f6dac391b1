"""K-shot training sets for few-shot detection, written as COCO-format jsons.

Sampling follows TFA (Wang et al., arXiv 2003.06957, Sec. 4.1 and its released sampling of
the FSRW/TFA seeds): for each class separately, the images holding it are visited in a seeded
random order and an image is taken when its instances of the class do not push the class past
K, until the class has exactly K. The image then carries only that class's annotations (its
other objects are background for this shot, as in TFA); an image drawn for two classes carries
both. For one seed the sets are nested over K (the 1-shot images are among the 2-shot ones
...), as TFA's are: the walk for the next K continues from the smaller set.

Counting: crowd annotations (COCO ``iscrowd``; VOC ``difficult``, converted to ``iscrowd=1``)
do not count towards K and are kept with their flag (mmdet ignores them in training).

Per class the random order comes from ``random.Random(f'{seed}:{class}')``, so a class's shots
depend only on the seed, the class and the set — not on the other classes or the file order.
Outputs (``write_split``)::

    <out>/base_train.json          the whole set with the novel classes' annotations removed
    <out>/seed{S}/{K}shot.json     K shots of every class (base and novel), as TFA fine-tunes
    <out>/manifest.json            the options and, per seed, K and class, the image ids taken
                                   and their instance count

Published seeds (TFA's ``box_{K}shot_{CLASS}_train.txt`` image lists for VOC, TFA's /
mmfewshot's ``full_box_{K}shot_{CLASS}_trainval.json`` for COCO) can be imported instead of
sampled (``import_dir``); they are written the same way.
"""
import json
import os.path as osp
import random
import re
import statistics
from collections import Counter
from pathlib import Path
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from ..cli import UserError
from .fewshot_splits import SplitLike, fewshot_classes, split_name

Selection = Dict[str, List[int]]  # class -> image ids, in the order they were taken
VOC_SETS = ('VOC2007/ImageSets/Main/trainval.txt', 'VOC2012/ImageSets/Main/trainval.txt')
RULE = ('TFA: per class, images in the order of random.Random("<seed>:<class>") over the '
        'sorted image ids; an image is taken if its countable instances of the class keep the '
        'class at or below K; exactly K per class; nested over K; crowd/difficult not counted')


class FewShotSplitError(UserError, ValueError):
    """A split request the data cannot satisfy; the message names the class/file and the fix."""


# ------------------------------------------------------------------------------- sources
def load_coco_json(path: Path) -> dict:
    """A COCO-format annotation file, checked for the keys the split needs."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f'annotation file not found: {path}')
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise FewShotSplitError(f'{path} is not valid json ({e}); give a COCO-format '
                                'annotation file or a VOCdevkit folder')
    missing = [k for k in ('images', 'annotations', 'categories')
               if not isinstance(data, dict) or k not in data]
    if missing:
        raise FewShotSplitError(f'{path} is not a COCO-format annotation file: key(s) '
                                f'{missing} missing')
    return data


def load_voc(devkit: Path, sets: Optional[Sequence[str]] = None) -> dict:
    """VOC image sets (default: VOC2007 and VOC2012 trainval, those present) as one COCO dict,
    read by mmdet's ``VOCDataset`` (same boxes as mmdet trains on: 0-based corners).

    ``file_name`` is relative to ``devkit`` (``VOC2007/JPEGImages/000005.jpg``); image ids
    are 1..N in list order; ``difficult`` objects become ``iscrowd=1``."""
    from mmdet.datasets import VOCDataset
    devkit = Path(devkit)
    if sets is None:
        sets = [s for s in VOC_SETS if (devkit / s).is_file()]
        if not sets:
            raise FewShotSplitError(f'{devkit}: neither of {list(VOC_SETS)} exists; give the '
                                    'VOCdevkit folder or name the image sets with --voc-sets')
    classes = VOCDataset.METAINFO['classes']
    images, annotations = [], []
    for rel in sets:
        if not (devkit / rel).is_file():
            raise FileNotFoundError(f'VOC image set not found: {devkit / rel}')
        year = Path(rel).parts[0]
        ds = VOCDataset(data_root=str(devkit), ann_file=rel, pipeline=[], test_mode=True,
                        data_prefix=dict(sub_data_root=f'{year}/'))
        for i in range(len(ds)):
            info = ds.get_data_info(i)
            img_id = len(images) + 1
            images.append(dict(id=img_id, width=info['width'], height=info['height'],
                               file_name=osp.relpath(info['img_path'], devkit)))
            for inst in info['instances']:
                x1, y1, x2, y2 = inst['bbox']
                annotations.append(dict(id=len(annotations) + 1, image_id=img_id,
                                        category_id=inst['bbox_label'] + 1,
                                        bbox=[x1, y1, x2 - x1, y2 - y1],
                                        area=(x2 - x1) * (y2 - y1),
                                        iscrowd=int(inst['ignore_flag'])))
    return dict(images=images, annotations=annotations,
                categories=[dict(id=i + 1, name=c) for i, c in enumerate(classes)])


def load_source(path: Path, voc_sets: Optional[Sequence[str]] = None) -> Tuple[dict, str]:
    """``(coco_dict, 'coco' | 'voc')`` from a COCO json or a VOCdevkit folder."""
    path = Path(path)
    if path.is_dir():
        return load_voc(path, voc_sets), 'voc'
    if voc_sets:
        raise FewShotSplitError(f'--voc-sets needs a VOCdevkit folder; {path} is a file')
    return load_coco_json(path), 'coco'


# ------------------------------------------------------------------------------- classes
def dataset_classes(data: dict) -> List[str]:
    return [c['name'] for c in data['categories']]


def resolve_classes(data: dict, source: str, split: Optional[SplitLike] = None,
                    novel: Optional[Sequence[str]] = None) -> Dict[str, List[str]]:
    """The split's ``base`` / ``novel`` / ``all`` lists, checked against the dataset's classes.
    With ``novel`` (a custom split) the base classes are the dataset's others, in its order."""
    have = dataset_classes(data)
    if (split is None) == (novel is None):
        raise FewShotSplitError('give exactly one of --split and --novel-classes')
    if novel is not None:
        unknown = [c for c in novel if c not in have]
        if unknown:
            raise FewShotSplitError(f'--novel-classes {unknown} not in {source}; its classes '
                                    f'are {have}')
        base = [c for c in have if c not in novel]
        if not base:
            raise FewShotSplitError(f'--novel-classes names every class of {source}; leave '
                                    'at least one base class')
        return fewshot_classes(dict(base=base, novel=list(novel)))
    try:
        classes = fewshot_classes(split)
    except ValueError as e:
        raise FewShotSplitError(str(e)) from None
    unknown = [c for c in classes['all'] if c not in have]
    if unknown:
        raise FewShotSplitError(f'split {split_name(split)!r}: class(es) {unknown} not in '
                                f'{source}; its classes are {have}')
    return classes


def _cat_ids(data: dict) -> Dict[str, int]:
    return {c['name']: c['id'] for c in data['categories']}


def countable_per_image(data: dict, names: Iterable[str]) -> Dict[str, Dict[int, int]]:
    """``{class: {image id: number of non-crowd instances}}`` over images holding any."""
    by_id = {i: n for n, i in _cat_ids(data).items()}
    counts: Dict[str, Counter] = {n: Counter() for n in names}
    for ann in data['annotations']:
        name = by_id.get(ann['category_id'])
        if name in counts and not ann.get('iscrowd', 0):
            counts[name][ann['image_id']] += 1
    return {n: dict(c) for n, c in counts.items()}


# ------------------------------------------------------------------------------ sampling
def sample_class(counts: Mapping[int, int], shots: Sequence[int], seed: int, name: str,
                 source: str = 'the set') -> Dict[int, List[int]]:
    """TFA's rule for one class: ``{K: image ids}`` (nested over the sorted ``shots``).

    Args:
        counts: image id -> countable instances of the class (images without any omitted).
    """
    total = sum(counts.values())
    if total == 0:
        raise FewShotSplitError(f'class {name!r} has no instances in {source} (not '
                                'crowd/difficult); every class of the split needs K of them: '
                                'choose a split (or --novel-classes) whose classes the set has')
    if max(shots) > total:
        raise FewShotSplitError(f'class {name!r} has {total} instance(s) in {source} '
                                f'(not crowd/difficult); {max(shots)} shots asked: use --shots '
                                f'at most {total}')
    order = sorted(counts)
    random.Random(f'{seed}:{name}').shuffle(order)
    taken: List[int] = []
    have = 0
    out = {}
    for k in sorted(shots):
        for img in order:
            if have == k:
                break
            if img not in taken and have + counts[img] <= k:
                taken.append(img)
                have += counts[img]
        if have != k:
            raise FewShotSplitError(
                f'class {name!r}, seed {seed}: no image left fits exactly {k} shots (reached '
                f'{have}; its images hold {sorted(Counter(counts.values()).items())} '
                '(instances, images)); the rule never splits an image, so use a smaller K or '
                'another seed')
        out[k] = list(taken)
    return out


def sample_split(data: dict, classes: Sequence[str], shots: Sequence[int], seed: int,
                 source: str) -> Dict[int, Selection]:
    """``{K: {class: image ids}}`` for every class, by :func:`sample_class`."""
    per_image = countable_per_image(data, classes)
    per_class = {c: sample_class(per_image[c], shots, seed, c, source) for c in classes}
    return {k: {c: per_class[c][k] for c in classes} for k in sorted(shots)}


# ------------------------------------------------------------------------------- import
_TXT = re.compile(r'^box_(\d+)shot_(.+)_train\.txt$')
_JSON = re.compile(r'^full_box_(\d+)shot_(.+)_trainval\.json$')


def _suffix_index(data: dict) -> Dict[str, List[int]]:
    index: Dict[str, List[int]] = {}
    for img in data['images']:
        parts = Path(img['file_name']).parts
        for n in range(1, min(3, len(parts)) + 1):
            index.setdefault('/'.join(parts[-n:]), []).append(img['id'])
    return index


def _match_path(line: str, index: Mapping[str, List[int]], where: str) -> int:
    parts = Path(line.strip()).parts
    for n in range(min(3, len(parts)), 0, -1):
        ids = index.get('/'.join(parts[-n:]), [])
        if len(ids) == 1:
            return ids[0]
    raise FewShotSplitError(f'{where}: image {line.strip()!r} is not (or not uniquely) in the '
                            'source set; import a split made for this dataset')


def find_import_files(directory: Path, seed: int, shots: Sequence[int],
                      classes: Sequence[str]) -> Dict[Tuple[int, str], Path]:
    """``{(K, class): file}`` under ``directory/seed{seed}`` (or ``directory`` itself when it
    has no such folder: TFA keeps seed 0 at the top, mmfewshot one K per folder)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f'split folder not found: {directory}')
    seed_dir = directory / f'seed{seed}'
    root = seed_dir if seed_dir.is_dir() else directory
    found: Dict[Tuple[int, str], Path] = {}
    for path in sorted(root.rglob('*')):
        folders = path.relative_to(root).parts[:-1]
        if any(re.fullmatch(r'seed\d+', f) for f in folders):
            continue  # another seed's folder below the top one
        m = _TXT.match(path.name) or _JSON.match(path.name)
        if not m:
            continue
        key = (int(m.group(1)), m.group(2))
        if key in found:
            raise FewShotSplitError(f'{found[key]} and {path} are both the {key[0]}-shot list '
                                    f'of {key[1]!r}; keep one')
        found[key] = path
    missing = [f'{k}-shot {c!r}' for k in shots for c in classes if (k, c) not in found]
    if missing:
        raise FewShotSplitError(f'{root} lacks the split file(s) of {", ".join(missing)} '
                                '(box_{K}shot_{CLASS}_train.txt or '
                                'full_box_{K}shot_{CLASS}_trainval.json)')
    return {(k, c): found[(k, c)] for k in shots for c in classes}


def import_split(data: dict, classes: Sequence[str], shots: Sequence[int], directory: Path,
                 seed: int) -> Tuple[Dict[int, Selection], Dict[str, str]]:
    """Image ids per K and class from published split files; also ``{K/class: file}``.

    A txt list names image paths (matched to ``file_name`` by their last path parts); a json
    gives its images' ids (COCO ids are the same in the source set). Images the source lacks
    are an error; instance counts are whatever the file's images hold (TFA's VOC lists are
    not exact K and its loader randomly drops extra instances; we keep them all)."""
    files = find_import_files(directory, seed, shots, classes)
    index = _suffix_index(data)
    known = {img['id'] for img in data['images']}
    out: Dict[int, Selection] = {k: {} for k in sorted(shots)}
    for (k, c), path in files.items():
        if path.suffix == '.txt':
            lines = [ln for ln in path.read_text().splitlines() if ln.strip()]
            ids = [_match_path(ln, index, str(path)) for ln in lines]
        else:
            ids = [img['id'] for img in load_coco_json(path)['images']]
            unknown = [i for i in ids if i not in known]
            if unknown:
                raise FewShotSplitError(f'{path}: image id(s) {unknown[:5]} not in the source '
                                        'set; import a split made for this dataset')
        out[k][c] = list(dict.fromkeys(ids))
    return out, {f'{k}/{c}': str(p) for (k, c), p in files.items()}


# ------------------------------------------------------------------------------- writing
def _header(data: dict) -> dict:
    return {k: v for k, v in data.items() if k not in ('images', 'annotations')}


def kshot_json(data: dict, selection: Selection) -> dict:
    """The images of ``selection``, each with the annotations of the class(es) it was taken
    for (crowd ones included, flagged); images and annotations in id order."""
    ids = _cat_ids(data)
    wanted = {(img, ids[c]) for c, imgs in selection.items() for img in imgs}
    images = {img for img, _ in wanted}
    out = _header(data)  # 'categories' stay the source's: ids mean the same in every file
    out['images'] = sorted((im for im in data['images'] if im['id'] in images),
                           key=lambda im: im['id'])
    out['annotations'] = sorted((a for a in data['annotations']
                                 if (a['image_id'], a['category_id']) in wanted),
                                key=lambda a: (a['image_id'], a['id']))
    return out


def base_train_json(data: dict, novel: Sequence[str]) -> dict:
    """Every image, without the novel classes' annotations (their objects are background in
    base training, as in TFA)."""
    ids = {i for n, i in _cat_ids(data).items() if n in set(novel)}
    out = dict(data)
    out['annotations'] = [a for a in data['annotations'] if a['category_id'] not in ids]
    return out


def _dump(obj: dict, path: Path, indent: Optional[int] = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    seps = (',', ': ') if indent else (',', ':')
    path.write_text(json.dumps(obj, indent=indent, separators=seps) + '\n')


def write_split(data: dict, classes: Mapping[str, Sequence[str]], out: Path,
                shots: Sequence[int], seeds: Sequence[int], source: str, source_kind: str,
                split: Optional[SplitLike] = None, import_dir: Optional[Path] = None) -> dict:
    """Write ``base_train.json``, ``seed{S}/{K}shot.json`` and ``manifest.json`` under ``out``;
    returns the manifest. Same inputs give byte-identical files."""
    if not shots or min(shots) < 1:
        raise FewShotSplitError(f'--shots {list(shots)}: give one or more K >= 1')
    if not seeds:
        raise FewShotSplitError('--seeds: give one or more seeds')
    out = Path(out)
    shots, seeds = sorted(set(shots)), list(dict.fromkeys(seeds))
    per_image = countable_per_image(data, classes['all'])
    names = {im['id']: im['file_name'] for im in data['images']}
    # Sample (or import) every seed before writing anything: a failing class leaves no
    # half-written folder behind.
    chosen = {}
    for seed in seeds:
        if import_dir:
            chosen[seed] = import_split(data, classes['all'], shots, import_dir, seed)
        else:
            chosen[seed] = sample_split(data, classes['all'], shots, seed, source), None
    base = base_train_json(data, classes['novel'])
    _dump(base, out / 'base_train.json')
    manifest = dict(
        source=source, format=source_kind,
        split=split if split is not None else 'custom',
        base_classes=list(classes['base']), novel_classes=list(classes['novel']),
        all_classes=list(classes['all']), shots=shots, seeds=list(seeds),
        mode='imported' if import_dir else 'sampled',
        rule=None if import_dir else RULE, import_dir=str(import_dir) if import_dir else None,
        instances_total={c: sum(per_image[c].values()) for c in classes['all']},
        base_train=dict(file='base_train.json', images=len(base['images']),
                        annotations=len(base['annotations'])),
        seeds_detail={})
    for seed, (selections, files) in chosen.items():
        detail = {}
        for k, sel in selections.items():
            kshot = kshot_json(data, sel)
            rel = f'seed{seed}/{k}shot.json'
            _dump(kshot, out / rel)
            detail[str(k)] = dict(
                file=rel, images=len(kshot['images']), annotations=len(kshot['annotations']),
                classes={c: dict(image_ids=ids, file_names=[names[i] for i in ids],
                                 instances=sum(per_image[c].get(i, 0) for i in ids))
                         for c, ids in sel.items()})
        manifest['seeds_detail'][str(seed)] = dict(shots=detail, imported_files=files)
    _dump(manifest, out / 'manifest.json', indent=1)
    return manifest


# --------------------------------------------------------------------------- demo classes
def crowns_by_area(data: dict, threshold: float) -> dict:
    """A one-class tree-crown COCO dict as the two-class ``'demo'`` split: box area (w x h)
    >= ``threshold`` is 'large crown' (category 1), smaller 'small crown' (category 2)."""
    if len(data['categories']) != 1:
        raise FewShotSplitError(f'expected one tree class, found categories '
                                f'{dataset_classes(data)}')
    base, novel = fewshot_classes('demo')['base'][0], fewshot_classes('demo')['novel'][0]
    out = dict(data)
    out['categories'] = [dict(id=1, name=base, supercategory='tree'),
                         dict(id=2, name=novel, supercategory='tree')]
    out['annotations'] = [dict(a, category_id=1 if a['bbox'][2] * a['bbox'][3] >= threshold
                               else 2) for a in data['annotations']]
    return out


def median_box_area(data: dict) -> float:
    """The median w x h of the set's boxes (the demo's large/small threshold)."""
    areas = [a['bbox'][2] * a['bbox'][3] for a in data['annotations']]
    if not areas:
        raise FewShotSplitError('no boxes to take the median area of')
    return float(statistics.median(areas))
