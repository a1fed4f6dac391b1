"""Pure filters that turn raw selective-search boxes into pseudo objects.

The filter set follows SoCo's object proposal generation (Wei et al., "Aligning Pretraining
for Detection via Object-Level Contrastive Learning", NeurIPS 2021): keep boxes whose aspect
ratio ``w / h`` lies in ``[1/3, 3]`` and whose relative size ``sqrt(w h / (W H))`` lies in
``[0.3, 0.8]``, drop tiny boxes, suppress near duplicates (NMS) and keep the best ``k``. Every function takes ``(K, 4)``
xyxy boxes in pixels and returns a boolean mask or indices, so they compose and test alone.
"""
from typing import Optional, Tuple

import numpy as np


def _wh(boxes: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    return boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]


def aspect_ratio_mask(boxes: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """``(K,)`` bool: ``lo <= w / h <= hi`` (degenerate boxes with ``h = 0`` are dropped)."""
    w, h = _wh(boxes)
    with np.errstate(divide='ignore', invalid='ignore'):
        ratio = w / h
    return (h > 0) & (ratio >= lo) & (ratio <= hi)


def relative_size_mask(boxes: np.ndarray, img_hw: Tuple[int, int], lo: float,
                       hi: float) -> np.ndarray:
    """``(K,)`` bool: ``lo <= sqrt(w h / (H W)) <= hi`` for an image of ``img_hw = (H, W)``."""
    w, h = _wh(boxes)
    rel = np.sqrt(np.clip(w * h, 0, None) / float(img_hw[0] * img_hw[1]))
    return (rel >= lo) & (rel <= hi)


def min_side_mask(boxes: np.ndarray, min_side: float) -> np.ndarray:
    """``(K,)`` bool: both sides are at least ``min_side`` pixels."""
    w, h = _wh(boxes)
    return (w >= min_side) & (h >= min_side)


def nms_indices(boxes: np.ndarray, scores: np.ndarray, iou_thr: float) -> np.ndarray:
    """Greedy NMS (mmcv.ops.nms); returns kept indices ``(K',)`` int64, best score first."""
    if len(boxes) == 0:
        return np.zeros(0, dtype=np.int64)
    from mmcv.ops import nms  # compiled op; imported here so the filters load without mmcv
    _, keep = nms(np.ascontiguousarray(boxes, dtype=np.float32),
                  np.ascontiguousarray(scores, dtype=np.float32), float(iou_thr))
    return np.asarray(keep, dtype=np.int64)


def topk_indices(scores: np.ndarray, k: Optional[int]) -> np.ndarray:
    """Indices of the ``k`` highest scores, best first (stable on ties); all if ``k`` is None."""
    order = np.argsort(-np.asarray(scores), kind='stable')
    return order if k is None else order[:k]


def filter_proposals(boxes: np.ndarray, scores: np.ndarray, img_hw: Tuple[int, int],
                     aspect: Tuple[float, float] = (1 / 3, 3.0),
                     rel_size: Tuple[float, float] = (0.3, 0.8), min_side: float = 32.0,
                     nms_iou: Optional[float] = 0.7,
                     topk: Optional[int] = None) -> Tuple[np.ndarray, np.ndarray]:
    """Aspect-ratio, relative-size and min-side masks, then NMS, then top-k.

    Args:
        boxes: ``(K, 4)`` xyxy pixels; scores: ``(K,)`` (higher is better).
        img_hw: ``(H, W)`` of the image the boxes live in.
        aspect: allowed ``w / h`` range; rel_size: allowed ``sqrt(w h / (W H))`` range.
        min_side: minimum box width and height in pixels.
        nms_iou: IoU above which the lower-scored box is dropped; None skips NMS.
        topk: keep at most this many; None keeps all.

    Returns:
        boxes ``(K', 4)`` float32 and scores ``(K',)`` float32, best first.
    """
    boxes = np.asarray(boxes, dtype=np.float32).reshape(-1, 4)
    scores = np.asarray(scores, dtype=np.float32).reshape(-1)
    keep = (aspect_ratio_mask(boxes, *aspect) & relative_size_mask(boxes, img_hw, *rel_size)
            & min_side_mask(boxes, min_side))
    boxes, scores = boxes[keep], scores[keep]
    order = (nms_indices(boxes, scores, nms_iou) if nms_iou is not None
             else topk_indices(scores, None))
    order = order[topk_indices(scores[order], topk)]
    return boxes[order], scores[order]
