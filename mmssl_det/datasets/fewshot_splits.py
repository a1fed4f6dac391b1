"""Few-shot detection class splits: which classes are base (many labels) and which novel (K).

Named splits (``fewshot_classes(name)``):

- ``'voc1'``, ``'voc2'``, ``'voc3'``: PASCAL VOC splits of Kang et al. (FSRW, arXiv 1812.01866)
  as used by TFA (Wang et al., arXiv 2003.06957, Sec. 4.1): 5 novel classes each, the other 15
  base.
- ``'coco'``: the 20 VOC classes (by their COCO names) novel, the other 60 COCO classes base
  (TFA Sec. 4.1).
- ``'demo'``: the two-class tree-crown demo written by ``tools/prepare_fewshot_demo.py``
  ('large crown' base, 'small crown' novel).

A custom split is a mapping ``dict(base=[...], novel=[...])``.

Class order of ``'all'`` (the label order a detector trained on the split uses): for VOC the
base classes in VOC order and then the novel ones (TFA's per-split ``ALL_CLASSES``); for COCO
COCO's own order, as TFA and mmfewshot keep it (novel classes are interleaved); for the demo
and custom splits base then novel. Base and novel lists keep the order they have in ``'all'``.
Code that maps weights between a base-only and an all-class head must therefore map by class
name, never by position.
"""
from typing import Dict, List, Mapping, Optional, Sequence, Tuple, Union

from mmdet.datasets import CocoDataset, VOCDataset

VOC_CLASSES: Tuple[str, ...] = tuple(VOCDataset.METAINFO['classes'])
COCO_CLASSES: Tuple[str, ...] = tuple(CocoDataset.METAINFO['classes'])

VOC_NOVEL: Dict[str, Tuple[str, ...]] = {
    'voc1': ('bird', 'bus', 'cow', 'motorbike', 'sofa'),
    'voc2': ('aeroplane', 'bottle', 'cow', 'horse', 'sofa'),
    'voc3': ('boat', 'cat', 'motorbike', 'sheep', 'sofa'),
}
COCO_NOVEL: Tuple[str, ...] = (
    'airplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat', 'chair', 'cow',
    'dining table', 'dog', 'horse', 'motorcycle', 'person', 'potted plant', 'sheep', 'couch',
    'train', 'tv')
DEMO_BASE: Tuple[str, ...] = ('large crown', )
DEMO_NOVEL: Tuple[str, ...] = ('small crown', )

SPLIT_NAMES: Tuple[str, ...] = ('voc1', 'voc2', 'voc3', 'coco', 'demo')
SUBSETS: Tuple[str, ...] = ('base', 'novel', 'all')

SplitLike = Union[str, Mapping[str, Sequence[str]]]


def _named(base: Sequence[str], novel: Sequence[str], all_: Sequence[str]) -> Dict[str, List]:
    return dict(base=list(base), novel=list(novel), all=list(all_))


def _custom(split: Mapping[str, Sequence[str]]) -> Dict[str, List[str]]:
    unknown = set(split) - {'base', 'novel'}
    if unknown or 'novel' not in split or 'base' not in split:
        raise ValueError(f'few-shot split {dict(split)!r}: a custom split is '
                         "dict(base=[...], novel=[...]) (both keys, nothing else)")
    base, novel = [list(split[k]) for k in ('base', 'novel')]
    for key, names in (('base', base), ('novel', novel)):
        if isinstance(split[key], str) or not names:
            raise ValueError(f'few-shot split: {key!r} must be a non-empty list of class '
                             f'names, got {split[key]!r}')
        dups = sorted({n for n in names if names.count(n) > 1})
        if dups:
            raise ValueError(f'few-shot split: {key!r} lists {dups} more than once')
    both = sorted(set(base) & set(novel))
    if both:
        raise ValueError(f'few-shot split: {both} are both base and novel; a class is one '
                         'or the other')
    return _named(base, novel, base + novel)


def fewshot_classes(split: SplitLike) -> Dict[str, List[str]]:
    """The ``base``, ``novel`` and ``all`` class lists of a split (see the module docstring
    for the order).

    Args:
        split: one of :data:`SPLIT_NAMES` or ``dict(base=[...], novel=[...])``.
    """
    if isinstance(split, Mapping):
        return _custom(split)
    if split in VOC_NOVEL:
        novel = VOC_NOVEL[split]
        base = [c for c in VOC_CLASSES if c not in novel]
        return _named(base, novel, base + list(novel))
    if split == 'coco':
        return _named([c for c in COCO_CLASSES if c not in COCO_NOVEL],
                      [c for c in COCO_CLASSES if c in COCO_NOVEL], COCO_CLASSES)
    if split == 'demo':
        return _named(DEMO_BASE, DEMO_NOVEL, DEMO_BASE + DEMO_NOVEL)
    raise ValueError(f'unknown few-shot split {split!r}: use one of {list(SPLIT_NAMES)} or '
                     'dict(base=[...], novel=[...])')


def subset_classes(split: SplitLike, subset: str) -> List[str]:
    """``fewshot_classes(split)[subset]`` with a clear error for a bad subset name."""
    if subset not in SUBSETS:
        raise ValueError(f'few-shot subset {subset!r}: use one of {list(SUBSETS)}')
    return fewshot_classes(split)[subset]


def split_name(split: SplitLike) -> str:
    """A short printable name: the split's name, or ``custom(novel=a,b)``."""
    if isinstance(split, Mapping):
        return f'custom(novel={",".join(split.get("novel", ()))})'
    return str(split)


def ordered_cat_ids(categories: Sequence[Mapping], names: Sequence[str],
                    source: Optional[str] = None) -> List[int]:
    """The COCO category ids of ``names``, in the order of ``names``.

    pycocotools' ``getCatIds(catNms=...)`` returns ids in the order of the file's
    ``categories``, so a class list in another order (a split's base-then-novel order) would
    silently pair labels with the wrong categories; this keeps the given order and fails on a
    name the file lacks, listing the names it has.
    """
    where = source or 'the COCO annotations'
    ids: Dict[str, List[int]] = {}
    for cat in categories:
        ids.setdefault(cat['name'], []).append(cat['id'])
    dups = sorted(n for n in names if len(ids.get(n, ())) > 1)
    if dups:
        raise ValueError(f'{where}: categories {dups} appear more than once; give each class '
                         'one category')
    missing = [n for n in names if n not in ids]
    if missing:
        raise ValueError(f'{where} has no categor{"y" if len(missing) == 1 else "ies"} '
                         f'{missing}; its categories are {list(ids)}')
    return [ids[n][0] for n in names]
