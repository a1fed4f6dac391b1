"""Registered proposal generator: selective search + SoCo-style filtering, one image per call."""
from typing import Dict, Optional, Sequence, Tuple

import cv2
import numpy as np

from mmssl_det.registry import TASK_UTILS
from .box_filters import filter_proposals
from .selective_search import MODES, selective_search

# Named parameter sets for tools/generate_proposals.py (``--preset``).
# 'soco': SoCo's selective search and filters, for COCO-sized objects in natural images.
# 'demo': data/demo's ~320 px aerial tiles, whose tree crowns have sqrt(box / tile area)
#         0.03-0.34 (median 0.11-0.13): SoCo's [0.3, 0.8] keeps almost none of them. Picked on
#         val.json with tools/benchmarks/proposal_recall.py: a single fine hierarchy (HSV,
#         C+T+S+F, k = 30) beat 'fast' with any k on these dense, textured canopies (R@100 on
#         train+val+test 0.29 vs 0.22-0.24) and runs ~2.5x faster. Box sides 24-64 px: smaller
#         boxes overlap no 32 px anchor at IoU 0.5 and are mostly crown fragments (raising
#         min_side 8 -> 24 also raised val R@100 0.327 -> 0.359); larger ones (tree clusters)
#         taught the RPN pretext to fire 64 px boxes on clusters (pretrained RPN's val AR@100
#         0.023 with boxes up to 96 px, 0.041 up to 64 px; tools/benchmarks/rpn_pretraining_ar.py
#         --split val). Both bounds are an object-scale prior, like a detector's anchor sizes.
PRESETS: Dict[str, dict] = {
    'soco': dict(mode='fast', scale=300.0, sigma=0.9, min_size=100, rel_size=(0.3, 0.8),
                 aspect=(1 / 3, 3.0), min_side=32.0, nms_iou=0.7, topk=100),
    'demo': dict(mode='single', scale=30.0, sigma=1.5, min_size=10, rel_size=(0.05, 0.2),
                 aspect=(1 / 3, 3.0), min_side=24.0, nms_iou=0.5, topk=100),
}


def _range(name: str, value: Sequence[float], lo_bound: float,
           hi_bound: Optional[float]) -> Tuple[float, float]:
    if len(value) != 2 or not (lo_bound <= value[0] <= value[1]) or (
            hi_bound is not None and value[1] > hi_bound):
        bound = f'<= {hi_bound}' if hi_bound is not None else ''
        raise ValueError(f'{name}={tuple(value)} must be (lo, hi) with {lo_bound} <= lo <= hi '
                         f'{bound}'.rstrip())
    return float(value[0]), float(value[1])


@TASK_UTILS.register_module()
class SelectiveSearchProposals:
    """Unsupervised, class-agnostic object proposals for one BGR image.

    Selective search (Uijlings et al., IJCV 2013; see
    :mod:`mmssl_det.proposals.selective_search`) followed by the SoCo filters (Wei et al.,
    NeurIPS 2021): aspect ratio, relative size ``sqrt(box area / image area)``, minimum side,
    then NMS and top-k by selective-search rank. Defaults are SoCo's; see :data:`PRESETS`.

    Args:
        mode: 'fast' (8 hierarchies, the paper's "Selective Search Fast") or 'single'.
        scale: Felzenszwalb ``k`` (base value; 'fast' also uses ``2 * scale``).
        sigma: Felzenszwalb pre-smoothing.
        min_size: minimum initial segment size in (search-resolution) pixels.
        topk: boxes kept per image after NMS; None keeps all.
        min_side: minimum box width and height in original-image pixels.
        rel_size: ``(lo, hi)`` range of ``sqrt(w h / (W H))``.
        aspect: ``(lo, hi)`` range of ``w / h``.
        nms_iou: NMS IoU threshold; None disables NMS.
        max_side: if the image's longer side exceeds it, search runs on a copy resized to
            it (boxes are mapped back); None searches at full resolution.
        seed: seed of the ranking randomness (fixed so output is reproducible).
    """

    def __init__(self, mode: str = 'fast', scale: float = 300.0, sigma: float = 0.9,
                 min_size: int = 100, topk: Optional[int] = 100, min_side: float = 32.0,
                 rel_size: Sequence[float] = (0.3, 0.8),
                 aspect: Sequence[float] = (1 / 3, 3.0), nms_iou: Optional[float] = 0.7,
                 max_side: Optional[int] = None, seed: int = 0) -> None:
        if mode not in MODES:
            raise ValueError(f'mode={mode!r} is not a selective search mode; '
                             f'use one of {sorted(MODES)}')
        if scale <= 0 or sigma < 0 or min_size < 1:
            raise ValueError(f'need scale > 0, sigma >= 0, min_size >= 1; got scale={scale}, '
                             f'sigma={sigma}, min_size={min_size}')
        if topk is not None and topk < 1:
            raise ValueError(f'topk={topk} must be >= 1 (or None to keep every box)')
        if nms_iou is not None and not 0 < nms_iou <= 1:
            raise ValueError(f'nms_iou={nms_iou} must be in (0, 1] (or None to skip NMS)')
        if max_side is not None and max_side < 16:
            raise ValueError(f'max_side={max_side} must be >= 16 (or None for full size)')
        if min_side < 0:
            raise ValueError(f'min_side={min_side} must be >= 0')
        self.mode = mode
        self.scale = float(scale)
        self.sigma = float(sigma)
        self.min_size = int(min_size)
        self.topk = None if topk is None else int(topk)
        self.min_side = float(min_side)
        self.rel_size = _range('rel_size', rel_size, 0.0, 1.0)
        self.aspect = _range('aspect', aspect, 1e-6, None)
        self.nms_iou = None if nms_iou is None else float(nms_iou)
        self.max_side = None if max_side is None else int(max_side)
        self.seed = int(seed)

    @property
    def params(self) -> dict:
        """JSON-serialisable parameters (recorded in the proposals file and the cache)."""
        return dict(mode=self.mode, scale=self.scale, sigma=self.sigma, min_size=self.min_size,
                    topk=self.topk, min_side=self.min_side, rel_size=list(self.rel_size),
                    aspect=list(self.aspect), nms_iou=self.nms_iou, max_side=self.max_side,
                    seed=self.seed)

    def search(self, img_bgr: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Unfiltered ranked boxes ``(K, 4)`` float32 xyxy in original pixels, scores ``(K,)``."""
        h, w = img_bgr.shape[:2]
        factor = 1.0
        if self.max_side is not None and max(h, w) > self.max_side:
            factor = self.max_side / max(h, w)
            img_bgr = cv2.resize(img_bgr, (max(1, round(w * factor)), max(1, round(h * factor))),
                                 interpolation=cv2.INTER_AREA)
        boxes, scores = selective_search(img_bgr, self.mode, self.scale, self.sigma,
                                         self.min_size, self.seed)
        if factor != 1.0:
            boxes = np.clip(boxes / factor, 0, [w, h, w, h]).astype(np.float32)
        return boxes, scores

    def __call__(self, img_bgr: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Proposals of one image.

        Args:
            img_bgr: ``(H, W, 3)`` uint8 BGR image.

        Returns:
            boxes ``(K, 4)`` float32 xyxy pixels, best first, and scores ``(K,)`` float32
            (``1 / (1 + selective-search rank)``), ``K <= topk``.
        """
        if not isinstance(img_bgr, np.ndarray) or img_bgr.ndim != 3 or img_bgr.shape[2] != 3 \
                or img_bgr.dtype != np.uint8:
            raise ValueError('SelectiveSearchProposals needs an (H, W, 3) uint8 BGR image, got '
                             f'{getattr(img_bgr, "shape", type(img_bgr))} '
                             f'{getattr(img_bgr, "dtype", "")}')
        boxes, scores = self.search(img_bgr)
        return filter_proposals(boxes, scores, img_bgr.shape[:2], aspect=self.aspect,
                                rel_size=self.rel_size, min_side=self.min_side,
                                nms_iou=self.nms_iou, topk=self.topk)
