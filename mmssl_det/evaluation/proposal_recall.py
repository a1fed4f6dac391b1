"""Class-agnostic average recall of box proposals, computed by pycocotools' COCOeval."""
import contextlib
import io
from typing import Dict, Mapping, Sequence

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval


def proposal_recall(coco_gt: COCO,
                    proposals: Mapping[int, np.ndarray],
                    max_dets: Sequence[int] = (10, 50, 100),
                    iou_thrs: Sequence[float] = tuple(np.linspace(0.5, 0.95, 10))
                    ) -> Dict[int, float]:
    """AR@k for each k in ``max_dets``: recall averaged over ``iou_thrs`` (COCO's AR).

    Args:
        coco_gt: ground truth; categories are ignored (``useCats=0``).
        proposals: image id → ``(K, 4)`` xyxy boxes (optionally ``(K, 5)`` with a score),
            best first. Every ground-truth image must have an entry (possibly empty).
        max_dets: numbers of proposals per image to evaluate.
        iou_thrs: IoU thresholds; ``(0.5,)`` gives recall at IoU 0.5.
    """
    missing = set(coco_gt.getImgIds()) - set(proposals)
    if missing:
        raise ValueError(f'no proposals for {len(missing)} ground-truth image(s), e.g. id '
                         f'{min(missing)}; pass an (0, 4) array for images without any')
    unknown = set(proposals) - set(coco_gt.getImgIds())
    if unknown:
        raise ValueError(f'proposals for {len(unknown)} image id(s) not in the ground truth, '
                         f'e.g. {min(unknown)}')
    top = max(max_dets)
    results = []
    for img_id, boxes in proposals.items():
        boxes = np.asarray(boxes, dtype=np.float64)
        if boxes.size == 0:
            continue
        boxes = boxes.reshape(len(boxes), -1)
        if boxes.shape[1] > 4:  # best first by score; without scores, the given order
            boxes = boxes[np.argsort(-boxes[:, 4], kind='stable')]
        boxes = boxes[:top]
        scores = boxes[:, 4] if boxes.shape[1] > 4 else -np.arange(len(boxes), dtype=float)
        for (x1, y1, x2, y2), s in zip(boxes[:, :4], scores):
            results.append(dict(image_id=int(img_id), category_id=1, score=float(s),
                                bbox=[x1, y1, x2 - x1, y2 - y1]))
    if not results:
        return {k: 0.0 for k in max_dets}
    with contextlib.redirect_stdout(io.StringIO()):  # COCOeval prints its tables
        evaluator = COCOeval(coco_gt, coco_gt.loadRes(results), 'bbox')
        evaluator.params.imgIds = sorted(coco_gt.getImgIds())
        evaluator.params.useCats = 0
        evaluator.params.iouThrs = np.asarray(iou_thrs, dtype=float)
        evaluator.params.maxDets = sorted(max_dets)
        evaluator.params.areaRng = [evaluator.params.areaRng[0]]  # 'all' only
        evaluator.params.areaRngLbl = ['all']
        evaluator.evaluate()
        evaluator.accumulate()
    recall = evaluator.eval['recall']  # (T, K=1, A=1, M)
    recalls = {}
    for m, k in enumerate(sorted(max_dets)):
        r = recall[:, 0, 0, m]
        recalls[k] = float(np.mean(r[r > -1])) if np.any(r > -1) else 0.0
    return recalls
