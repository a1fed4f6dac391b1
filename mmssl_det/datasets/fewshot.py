"""Base / novel / all class subsets of a detection dataset for few-shot detection (TFA,
Wang et al., arXiv 2003.06957, Sec. 3: base training on the base classes, fine-tuning on
K shots of all classes, testing on all classes).

``FewShotCocoDataset(split='voc1', subset='base', ann_file=...)`` is mmdet's ``CocoDataset``
whose classes are the split's subset (see :mod:`.fewshot_splits` for the order); annotations
of other classes are dropped, so on a full train set ``subset='base'`` is TFA's base-training
set. ``FewShotVOCDataset`` does the same on VOC XML (e.g. VOC2007 test for evaluation).
"""
from typing import Optional

from mmdet.datasets import CocoDataset, VOCDataset
from mmdet.datasets.api_wrappers import COCO

from ..registry import DATASETS
from .fewshot_splits import SplitLike, fewshot_classes, ordered_cat_ids, split_name, \
    subset_classes


class ClassOrderCOCO(COCO):
    """mmdet's COCO API whose ``get_cat_ids(cat_names=...)`` follows the order of the names
    and fails on a name the file lacks (pycocotools keeps the file's order and skips it)."""

    def __init__(self, annotation_file: Optional[str] = None):
        super().__init__(annotation_file)
        self.annotation_file = annotation_file

    def get_cat_ids(self, cat_names=[], sup_names=[], cat_ids=[]):  # noqa: B006 (mmdet's API)
        if cat_names and not sup_names and not cat_ids:
            return ordered_cat_ids(self.dataset['categories'], cat_names, self.annotation_file)
        return super().get_cat_ids(cat_names, sup_names, cat_ids)


class _FewShotClasses:
    """Sets ``metainfo`` from a split and a subset; also records the split's base and novel
    classes there (``base_classes``, ``novel_classes``) for metrics and tools."""

    def _fewshot_metainfo(self, split: SplitLike, subset: str,
                          metainfo: Optional[dict]) -> dict:
        classes = tuple(subset_classes(split, subset))
        lists = fewshot_classes(split)
        meta = dict(metainfo or {})
        name = type(self).__name__
        if 'classes' in meta and tuple(meta['classes']) != classes:
            raise ValueError(f'{name}: metainfo.classes {tuple(meta["classes"])} contradicts '
                             f'split {split_name(split)!r} subset {subset!r} {classes}; drop '
                             'metainfo.classes (the split sets them)')
        self.split, self.subset = split, subset
        meta.update(classes=classes, base_classes=tuple(lists['base']),
                    novel_classes=tuple(lists['novel']))
        return meta


@DATASETS.register_module()
class FewShotCocoDataset(_FewShotClasses, CocoDataset):
    """A COCO-format dataset restricted to the base, novel or all classes of a few-shot split.

    Args:
        split: ``'voc1'``, ``'voc2'``, ``'voc3'``, ``'coco'``, ``'demo'`` or
            ``dict(base=[...], novel=[...])``.
        subset: ``'base'``, ``'novel'`` or ``'all'``.
        **kwargs: ``CocoDataset``'s (``ann_file``, ``data_root``, ``data_prefix``,
            ``pipeline``, ``filter_cfg`` ...).
    """
    METAINFO = dict(classes=())  # no palette: COCO's 80 colours do not fit a subset
    COCOAPI = ClassOrderCOCO

    def __init__(self, split: SplitLike, subset: str = 'all', metainfo: Optional[dict] = None,
                 **kwargs) -> None:
        meta = self._fewshot_metainfo(split, subset, metainfo)
        super().__init__(metainfo=meta, **kwargs)

    def load_data_list(self):
        try:
            return super().load_data_list()
        except ValueError as e:
            raise ValueError(f'{type(self).__name__}(split={split_name(self.split)!r}, '
                             f'subset={self.subset!r}): {e}; set ann_file to a file with '
                             'these classes, or choose the split that fits it') from None


@DATASETS.register_module()
class FewShotVOCDataset(_FewShotClasses, VOCDataset):
    """PASCAL VOC (XML) restricted to the base, novel or all classes of a VOC split, in the
    split's class order (objects of other classes are skipped by mmdet's XML reader)."""
    METAINFO = dict(classes=())

    def __init__(self, split: SplitLike, subset: str = 'all', metainfo: Optional[dict] = None,
                 **kwargs) -> None:
        meta = self._fewshot_metainfo(split, subset, metainfo)
        unknown = [c for c in meta['classes'] if c not in VOCDataset.METAINFO['classes']]
        if unknown:
            raise ValueError(f'FewShotVOCDataset: split {split_name(split)!r} has classes '
                             f'{unknown} that are not VOC classes; use a VOC split (voc1, '
                             'voc2, voc3) or FewShotCocoDataset')
        super().__init__(metainfo=meta, **kwargs)
