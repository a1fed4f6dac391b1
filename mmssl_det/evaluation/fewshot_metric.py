"""Few-shot detection metrics: AP averaged separately over the base, the novel and all
classes (TFA, Wang et al., arXiv 2003.06957, Sec. 4: bAP / nAP).

The classes come from the dataset (``dataset_meta['classes']``), the novel ones from the
metric's ``split``; the base classes are the dataset's other classes. A group's AP is the mean
of its classes' APs over the classes with ground truth in the evaluated set (what COCO's and
VOC's own means do for all classes).

- :class:`FewShotCocoMetric`: COCO AP@[.5:.95], AP50 and AP75 per group from pycocotools'
  precision array, logged as ``bbox_{base,novel,all}_{AP,AP50,AP75}`` beside mmdet's
  ``bbox_mAP``... (e.g. ``coco/bbox_novel_AP50``).
- :class:`FewShotVOCMetric`: VOC AP per class from mmdet's ``eval_map`` (11-point for VOC2007,
  as TFA reports), logged as ``{base,novel,all}_AP50`` beside mmdet's ``mAP``/``AP50``
  (e.g. ``pascal_voc/novel_AP50``).

A config builds them by name once ``mmssl_det.evaluation`` is imported, e.g. with
``custom_imports = dict(imports=['mmssl_det', 'mmssl_det.evaluation'])``.
"""
import os.path as osp
import tempfile
from collections import OrderedDict
from typing import Dict, List, Mapping, Optional, Sequence

import numpy as np
from mmdet.datasets.api_wrappers import COCO, COCOeval
from mmdet.evaluation import CocoMetric, VOCMetric, eval_map
from mmengine.fileio import load
from mmengine.logging import MMLogger

from ..datasets.fewshot_splits import SplitLike, fewshot_classes, ordered_cat_ids, split_name
from ..registry import METRICS

GROUPS = ('base', 'novel', 'all')
COCO_STATS = ('mAP', 'mAP_50', 'mAP_75', 'mAP_s', 'mAP_m', 'mAP_l')  # COCOeval.stats[:6]


def class_groups(classes: Sequence[str], split: SplitLike, where: str) -> Dict[str, List[str]]:
    """``base`` / ``novel`` / ``all`` lists over the dataset's ``classes``: novel = the
    split's novel classes, base = the dataset's other classes (both in the dataset's order)."""
    novel = set(fewshot_classes(split)['novel'])
    missing = sorted(novel - set(classes))
    if missing:
        raise ValueError(f'{where}: novel class(es) {missing} of split {split_name(split)!r} '
                         f'are not classes of the evaluated dataset {list(classes)}; evaluate '
                         'a dataset with the split\'s classes (subset="all"), or use the plain '
                         'metric for a base-only model')
    return dict(base=[c for c in classes if c not in novel],
                novel=[c for c in classes if c in novel], all=list(classes))


def group_means(per_class: Mapping[str, float], groups: Mapping[str, Sequence[str]]
                ) -> Dict[str, float]:
    """Mean of the finite per-class values of each group (NaN marks a class without ground
    truth); NaN for a group with none."""
    out = {}
    for group, names in groups.items():
        vals = [per_class[n] for n in names if np.isfinite(per_class[n])]
        out[group] = float(np.mean(vals)) if vals else float('nan')
    return out


def coco_per_class_ap(precision: np.ndarray, iou_index: Optional[int] = None) -> np.ndarray:
    """Per-class AP from pycocotools' ``eval['precision']`` (shape ``(T, R, K, A, M)``: IoU
    thresholds, recall points, classes, area ranges, max detections), at area 'all' and the
    largest max-detections; all IoUs averaged, or the one at ``iou_index``. Entries of -1 (no
    ground truth) are skipped; a class with none is NaN. Returns shape ``(K,)``."""
    p = precision[:, :, :, 0, -1]
    if iou_index is not None:
        p = p[iou_index:iou_index + 1]
    p = np.moveaxis(p, 2, 0).reshape(p.shape[2], -1)
    valid = p > -1
    with np.errstate(invalid='ignore'):
        return np.where(valid.any(1), (p * valid).sum(1) / valid.sum(1), np.nan)


@METRICS.register_module()
class FewShotCocoMetric(CocoMetric):
    """mmdet's ``CocoMetric`` (bbox) plus AP, AP50 and AP75 over base, novel and all classes.

    Args:
        split: the few-shot split whose novel classes to report (a name of
            :data:`~mmssl_det.datasets.fewshot_splits.SPLIT_NAMES` or
            ``dict(base=[...], novel=[...])``).
        **kwargs: ``CocoMetric``'s (``ann_file``, ``outfile_prefix``, ...); only
            ``metric='bbox'``.

    mmdet's ``CocoMetric.compute_metrics`` keeps its ``COCOeval`` local and rounds per-class
    AP to 3 digits (AP only), so the bbox evaluation is run here, once, with the same
    pycocotools calls, and mmdet's keys (``bbox_mAP``, ``bbox_mAP_50``, ...) are kept. The
    category ids follow the dataset's class order (pycocotools would use the file's order).
    """

    def __init__(self, split: SplitLike, metric='bbox', **kwargs) -> None:
        if metric not in ('bbox', ['bbox']):
            raise ValueError(f"FewShotCocoMetric: metric={metric!r}; only 'bbox' is "
                             'supported (use CocoMetric for segm/proposal)')
        if kwargs.get('metric_items') is not None:
            raise ValueError('FewShotCocoMetric: metric_items is not supported; it reports '
                             "mmdet's six bbox_mAP* keys and the base/novel/all AP, AP50, AP75")
        if kwargs.get('format_only'):
            raise ValueError('FewShotCocoMetric: format_only=True computes no AP; use '
                             'CocoMetric to write result files')
        fewshot_classes(split)  # fail at build time on a bad split
        super().__init__(metric='bbox', **kwargs)
        self.split = split

    def compute_metrics(self, results: list) -> Dict[str, float]:
        logger = MMLogger.get_current_instance()
        classes = list(self.dataset_meta['classes'])
        groups = class_groups(classes, self.split, 'FewShotCocoMetric')
        gts, preds = zip(*results)
        with tempfile.TemporaryDirectory() as tmp:
            prefix = self.outfile_prefix or osp.join(tmp, 'results')
            if self._coco_api is None:
                self._coco_api = COCO(self.gt_to_coco_json(gt_dicts=gts,
                                                           outfile_prefix=prefix))
            self.cat_ids = ordered_cat_ids(self._coco_api.dataset['categories'], classes,
                                           'FewShotCocoMetric ground truth')
            if self.img_ids is None:
                self.img_ids = self._coco_api.get_img_ids()
            dets = load(self.results2json(preds, prefix)['bbox'])
        if not dets:
            logger.error('FewShotCocoMetric: no detections on the whole dataset; every AP '
                         'is 0')
            return OrderedDict((k, 0.0) for k in [f'bbox_{i}' for i in COCO_STATS] + [
                f'bbox_{g}_{i}' for i in ('AP', 'AP50', 'AP75') for g in GROUPS])
        eval_results: Dict[str, float] = OrderedDict()
        coco_eval = COCOeval(self._coco_api, self._coco_api.loadRes(dets), 'bbox')
        coco_eval.params.catIds = self.cat_ids
        coco_eval.params.imgIds = self.img_ids
        coco_eval.params.maxDets = list(self.proposal_nums)
        coco_eval.params.iouThrs = self.iou_thrs
        coco_eval.evaluate()
        coco_eval.accumulate()
        coco_eval.summarize()
        for i, item in enumerate(COCO_STATS):
            eval_results[f'bbox_{item}'] = float(coco_eval.stats[i])
        precision = coco_eval.eval['precision']
        ious = np.asarray(coco_eval.params.iouThrs)
        for item, iou in (('AP', None), ('AP50', 0.5), ('AP75', 0.75)):
            if iou is not None and not np.isclose(ious, iou).any():
                continue
            index = None if iou is None else int(np.argmax(np.isclose(ious, iou)))
            per_class = dict(zip(classes, coco_per_class_ap(precision, index)))
            for group, value in group_means(per_class, groups).items():
                eval_results[f'bbox_{group}_{item}'] = value
        logger.info('few-shot bbox AP: ' + ', '.join(
            f'{k[5:]} {v:.3f}' for k, v in eval_results.items() if k.split('_')[1] in GROUPS))
        return eval_results


@METRICS.register_module()
class FewShotVOCMetric(VOCMetric):
    """mmdet's ``VOCMetric`` (mAP) plus AP over base, novel and all classes at each IoU
    threshold (``base_AP50``, ``novel_AP50``, ``all_AP50`` for the default 0.5).

    Args:
        split: the few-shot split whose novel classes to report.
        **kwargs: ``VOCMetric``'s (``iou_thrs``, ``eval_mode``: '11points' as VOC2007 and
            TFA, ...); only ``metric='mAP'``.

    mmdet's ``compute_metrics`` drops ``eval_map``'s per-class results, so ``eval_map`` is
    called here (the same arguments) and both mmdet's keys and the group means are returned.
    """

    def __init__(self, split: SplitLike, metric='mAP', **kwargs) -> None:
        if metric not in ('mAP', ['mAP']):
            raise ValueError(f"FewShotVOCMetric: metric={metric!r}; only 'mAP' is supported "
                             '(use VOCMetric for recall)')
        if kwargs.get('scale_ranges') is not None:
            raise ValueError('FewShotVOCMetric: scale_ranges is not supported (the groups '
                             'average one AP per class); use VOCMetric for AP by scale')
        fewshot_classes(split)
        super().__init__(metric='mAP', **kwargs)
        self.split = split

    def compute_metrics(self, results: list) -> dict:
        logger = MMLogger.get_current_instance()
        classes = list(self.dataset_meta['classes'])
        groups = class_groups(classes, self.split, 'FewShotVOCMetric')
        gts, preds = zip(*results)
        eval_results = OrderedDict()
        mean_aps = []
        for iou_thr in self.iou_thrs:
            # The class names (not 'voc') label the table: the split reorders VOC's classes.
            mean_ap, per_class = eval_map(preds, gts, iou_thr=iou_thr, dataset=classes,
                                          logger=logger, eval_mode=self.eval_mode,
                                          use_legacy_coordinate=True)
            mean_aps.append(mean_ap)
            tag = f'AP{int(iou_thr * 100):02d}'
            eval_results[tag] = float(mean_ap)
            aps = {c: float(r['ap']) if r['num_gts'] > 0 else float('nan')
                   for c, r in zip(classes, per_class)}
            for group, value in group_means(aps, groups).items():
                eval_results[f'{group}_{tag}'] = value
        eval_results['mAP'] = float(sum(mean_aps) / len(mean_aps))
        eval_results.move_to_end('mAP', last=False)
        return eval_results
