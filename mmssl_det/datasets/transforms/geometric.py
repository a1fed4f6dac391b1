"""Crops and flips that record where every view lies in the original image.

PixPro (Xie et al., "Propagate Yourself", arXiv 2011.10043, Sec. 3.1, eq. 1) matches the
feature bins of two views through their position in the original image, so each view
carries ``results['view_coord']``: its box ``[x1, y1, x2, y2]`` in normalised
original-image coordinates (0..1). A horizontal flip swaps ``x1`` and ``x2``, so ``x1 > x2``
marks a mirrored view and ``x1 + t·(x2 − x1)`` is always the original-image position of the
fraction ``t`` across the view, left to right.

Pseudo boxes (unsupervised proposals, used by the RPN / RoI pretexts of ADePT, arXiv
2211.09022, and SoCo) ride along: ``results['pseudo_boxes']`` ``(K, 4)`` xyxy pixels of the
current image and ``results['pseudo_box_ids']`` ``(K,)`` that keep a box's identity across
views.

Pixel convention: a crop box with integer corners ``(x1, y1, x2, y2)`` holds the columns
``x1 .. x2 − 1`` and rows ``y1 .. y2 − 1`` (pseudo boxes use continuous coordinates, pixel
``(r, c)`` covering ``[c, c + 1) × [r, r + 1)``). Two conventions map a crop to its view box
(:data:`COORD_MODES`): ``'centers'``, the authors' (zdaxie/PixPro ``RandomResizedCropCoord``:
``x1 / (W − 1)`` .. ``(x2 − 1) / (W − 1)``, the centres of the first and last pixel, with 0
and 1 the centres of the image's first and last pixel) and ``'edges'`` (``x1 / W`` ..
``x2 / W``, the outer edges). The default is the authors'.
"""
import math
from typing import Sequence, Tuple, Union

import mmcv
import numpy as np
from mmcv.image.geometric import cv2_interp_codes, pillow_interp_codes
from mmcv.transforms import BaseTransform

from mmssl_det.registry import TRANSFORMS

FULL_VIEW = (0., 0., 1., 1.)
COORD_MODES = ('centers', 'edges')
CropBox = Tuple[int, int, int, int]


def sample_crop_box(img_h: int, img_w: int, scale: Sequence[float] = (0.08, 1.0),
                    ratio: Sequence[float] = (3 / 4, 4 / 3),
                    max_attempts: int = 10) -> CropBox:
    """Random area/aspect crop ("Inception" crop; Szegedy et al., "Going deeper with
    convolutions", CVPR 2015, Sec. 6), as used for the views of BYOL and PixPro.

    Each attempt draws an area fraction ``s ~ U(scale)`` and a log-uniform aspect ratio
    ``a = w / h`` in ``ratio``; the first attempt whose ``w = round(sqrt(s·A·a))``,
    ``h = round(sqrt(s·A / a))`` fits in the image is placed uniformly at random. When
    every attempt fails, the largest central crop with the aspect ratio clamped into
    ``ratio`` is returned. Draws from numpy's global RNG, which mmengine seeds.

    Args:
        img_h, img_w: image size in pixels.
        scale: range of the crop's area as a fraction of the image area.
        ratio: range of the crop's aspect ratio ``w / h``.
        max_attempts: random attempts before the central-crop fallback.

    Returns:
        ``(x1, y1, x2, y2)`` integer crop box in pixels, ``0 ≤ x1 < x2 ≤ img_w``.
    """
    area = img_h * img_w
    log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
    for _ in range(max_attempts):
        target_area = area * np.random.uniform(scale[0], scale[1])
        aspect = math.exp(np.random.uniform(*log_ratio))
        w = int(round(math.sqrt(target_area * aspect)))
        h = int(round(math.sqrt(target_area / aspect)))
        if 0 < w <= img_w and 0 < h <= img_h:
            x1 = int(np.random.randint(0, img_w - w + 1))
            y1 = int(np.random.randint(0, img_h - h + 1))
            return x1, y1, x1 + w, y1 + h
    w, h = img_w, img_h
    if img_w / img_h < ratio[0]:
        h = max(1, min(img_h, int(round(img_w / ratio[0]))))
    elif img_w / img_h > ratio[1]:
        w = max(1, min(img_w, int(round(img_h * ratio[1]))))
    x1, y1 = (img_w - w) // 2, (img_h - h) // 2
    return x1, y1, x1 + w, y1 + h


def crop_to_coord(crop_box: Sequence[float], img_w: int, img_h: int,
                  parent_coord: Sequence[float] = FULL_VIEW,
                  coord_mode: str = 'centers') -> np.ndarray:
    """Normalised original-image box of a crop taken from an image that is itself a view.

    The current image spans ``parent_coord`` of the original (possibly flipped,
    ``x1 > x2``). With ``coord_mode='centers'`` (the authors' convention) the centre of its
    pixel column ``x`` lies at ``px1 + x / (img_w − 1) · (px2 − px1)`` and the crop's box runs
    from its first to its last pixel centre (``x1`` .. ``x2 − 1``); with ``'edges'`` pixel
    edge ``x`` lies at ``px1 + x / img_w · (px2 − px1)`` and the box runs from edge ``x1`` to
    edge ``x2``. Either way crops compose and keep the flip orientation.

    Args:
        crop_box: ``(x1, y1, x2, y2)`` in pixels of the current ``img_h × img_w`` image,
            ``x2``/``y2`` exclusive.
        img_w, img_h: size of the current image.
        parent_coord: ``(4,)`` the current image's own ``view_coord``.
        coord_mode: ``'centers'`` or ``'edges'`` (:data:`COORD_MODES`).

    Returns:
        ``(4,)`` float32 ``[x1, y1, x2, y2]`` of the crop in normalised original coordinates.
    """
    if coord_mode not in COORD_MODES:
        raise ValueError(f'crop_to_coord: coord_mode must be one of {COORD_MODES}, '
                         f'got {coord_mode!r}')
    px1, py1, px2, py2 = (float(c) for c in parent_coord)
    x1, y1, x2, y2 = (float(c) for c in crop_box)
    if coord_mode == 'centers':
        # A one-pixel-wide image has a single centre: any divisor maps it to px1.
        x2, y2 = x2 - 1, y2 - 1
        img_w, img_h = max(img_w - 1, 1), max(img_h - 1, 1)
    sx, sy = (px2 - px1) / img_w, (py2 - py1) / img_h
    return np.array([px1 + x1 * sx, py1 + y1 * sy, px1 + x2 * sx, py1 + y2 * sy],
                    dtype=np.float32)


def flip_coord(coord: Sequence[float]) -> np.ndarray:
    """``(4,)`` view box of the horizontally mirrored view: ``[x2, y1, x1, y2]``."""
    x1, y1, x2, y2 = coord
    return np.array([x2, y1, x1, y2], dtype=np.float32)


def flip_boxes(boxes: np.ndarray, img_w: int) -> np.ndarray:
    """Mirror ``(K, 4)`` xyxy pixel boxes in an image of width ``img_w``:
    ``x1' = W − x2``, ``x2' = W − x1``."""
    flipped = boxes.copy()
    flipped[:, 0] = img_w - boxes[:, 2]
    flipped[:, 2] = img_w - boxes[:, 0]
    return flipped


def box_areas(boxes: np.ndarray) -> np.ndarray:
    """``(K,)`` areas of ``(K, 4)`` xyxy boxes; inverted boxes count as empty."""
    return (np.clip(boxes[:, 2] - boxes[:, 0], 0, None)
            * np.clip(boxes[:, 3] - boxes[:, 1], 0, None))


def get_view_coord(results: dict) -> np.ndarray:
    """The current view's ``(4,)`` float32 box; the whole image when none was recorded."""
    coord = np.asarray(results.get('view_coord', FULL_VIEW), dtype=np.float32)
    if coord.shape != (4,):
        raise ValueError(f"results['view_coord'] must be 4 numbers [x1, y1, x2, y2] in "
                         f"normalised original-image coordinates, got shape {coord.shape} "
                         f"for {results.get('img_path', 'an in-memory image')}")
    return coord


def get_pseudo_boxes(results: dict) -> Tuple[np.ndarray, np.ndarray]:
    """Validated ``(K, 4)`` float32 pseudo boxes and their ``(K,)`` int64 ids.

    Missing ids default to ``arange(K)``: every view is cut from the same loaded boxes, so
    the index in that list already is a consistent identity.
    """
    where = results.get('img_path', 'an in-memory image')
    boxes = np.asarray(results['pseudo_boxes'], dtype=np.float32)
    if boxes.size == 0:
        boxes = boxes.reshape(0, 4)
    if boxes.ndim != 2 or boxes.shape[1] != 4:
        raise ValueError(f"results['pseudo_boxes'] must be (K, 4) xyxy pixels, got shape "
                         f'{boxes.shape} for {where}; check the proposals file')
    if 'pseudo_box_ids' not in results:
        return boxes, np.arange(len(boxes), dtype=np.int64)
    ids = np.asarray(results['pseudo_box_ids'], dtype=np.int64).reshape(-1)
    if len(ids) != len(boxes):
        raise ValueError(f"results['pseudo_box_ids'] has {len(ids)} ids for {len(boxes)} "
                         f'pseudo boxes of {where}; give one id per box')
    return boxes, ids


def _pixel_area(coord: np.ndarray, img_w: int, img_h: int) -> float:
    """Area of one pixel of the current image as a fraction of the original image."""
    return abs(float(coord[2] - coord[0]) * float(coord[3] - coord[1])) / (img_w * img_h)


@TRANSFORMS.register_module()
class RandomResizedCropWithCoord(BaseTransform):
    """Random resized crop that records the view's box and carries the pseudo boxes.

    The crop is drawn by :func:`sample_crop_box` and resized to ``size`` with
    :func:`mmcv.imresize`. Pseudo boxes are shifted into the crop, clipped, scaled to
    ``size``; a box is dropped when the part of it inside the view covers less than
    ``min_box_visibility`` of its area in the loaded image (tracked in
    ``pseudo_box_areas`` so that crops of crops are measured against the whole object).

    Required keys: ``img``. Modified: ``img``, ``img_shape``, ``view_coord`` (added as the
    whole image when absent), ``pseudo_boxes``, ``pseudo_box_ids``, ``pseudo_box_areas``
    (the three only when ``pseudo_boxes`` is present).

    Args:
        size: output size, an int for a square or ``(h, w)``.
        scale: crop area range as a fraction of the current image's area.
        ratio: crop aspect-ratio range ``w / h``.
        min_box_visibility: smallest visible fraction of a pseudo box's area to keep it.
        interpolation: :func:`mmcv.imresize` interpolation.
        max_attempts: random attempts before the central-crop fallback.
        backend: :func:`mmcv.imresize` backend. ``'pillow'`` (default) is the authors' PIL
            resize, which widens its filter when shrinking (antialiasing) — most crops are
            shrunk, up to ~3× on COCO; ``'cv2'`` is faster and samples without smoothing.
        coord_mode: how the crop maps to ``view_coord``: ``'centers'`` (the authors',
            default) or ``'edges'``; see :func:`crop_to_coord`.
    """

    def __init__(self, size: Union[int, Sequence[int]] = 224,
                 scale: Sequence[float] = (0.08, 1.0),
                 ratio: Sequence[float] = (3 / 4, 4 / 3),
                 min_box_visibility: float = 0.5,
                 interpolation: str = 'bilinear',
                 max_attempts: int = 10,
                 backend: str = 'pillow',
                 coord_mode: str = 'centers') -> None:
        size = (size, size) if isinstance(size, int) else tuple(size)
        if len(size) != 2 or not all(isinstance(s, int) and s > 0 for s in size):
            raise ValueError(f'RandomResizedCropWithCoord: size must be a positive int or '
                             f'(h, w) of positive ints, got {size}')
        for name, (lo, hi) in (('scale', scale), ('ratio', ratio)):
            if not 0 < lo <= hi:
                raise ValueError(f'RandomResizedCropWithCoord: {name} must be (low, high) '
                                 f'with 0 < low <= high, got {(lo, hi)}')
        if not 0 <= min_box_visibility <= 1:
            raise ValueError(f'RandomResizedCropWithCoord: min_box_visibility must be in '
                             f'[0, 1], got {min_box_visibility}')
        if backend not in ('pillow', 'cv2'):
            raise ValueError(f"RandomResizedCropWithCoord: backend must be 'pillow' or "
                             f"'cv2', got {backend!r}")
        codes = pillow_interp_codes if backend == 'pillow' else cv2_interp_codes
        if interpolation not in codes:
            raise ValueError(f'RandomResizedCropWithCoord: interpolation {interpolation!r} '
                             f'is not one of {sorted(codes)} (backend {backend!r})')
        if max_attempts < 0:
            raise ValueError(f'RandomResizedCropWithCoord: max_attempts must be >= 0, '
                             f'got {max_attempts}')
        if coord_mode not in COORD_MODES:
            raise ValueError(f'RandomResizedCropWithCoord: coord_mode must be one of '
                             f'{COORD_MODES}, got {coord_mode!r}')
        self.size = size
        self.coord_mode = coord_mode
        self.backend = backend
        self.scale = tuple(scale)
        self.ratio = tuple(ratio)
        self.min_box_visibility = min_box_visibility
        self.interpolation = interpolation
        self.max_attempts = max_attempts

    def transform(self, results: dict) -> dict:
        img = results['img']
        img_h, img_w = img.shape[:2]
        coord = get_view_coord(results)
        crop = sample_crop_box(img_h, img_w, self.scale, self.ratio, self.max_attempts)
        x1, y1, x2, y2 = crop
        out_h, out_w = self.size
        results['img'] = mmcv.imresize(img[y1:y2, x1:x2], (out_w, out_h),
                                       interpolation=self.interpolation,
                                       backend=self.backend)
        results['img_shape'] = (out_h, out_w)
        results['view_coord'] = crop_to_coord(crop, img_w, img_h, coord, self.coord_mode)
        if 'pseudo_boxes' in results:
            self._crop_boxes(results, crop, coord, img_w, img_h)
        return results

    def _crop_boxes(self, results: dict, crop: CropBox, coord: np.ndarray,
                    img_w: int, img_h: int) -> None:
        boxes, ids = get_pseudo_boxes(results)
        pixel_area = _pixel_area(coord, img_w, img_h)
        areas = results.get('pseudo_box_areas')
        if areas is None:  # first crop of this view: the boxes are the loaded ones
            areas = box_areas(boxes) * pixel_area
        areas = np.asarray(areas, dtype=np.float32)
        x1, y1, x2, y2 = crop
        w, h = x2 - x1, y2 - y1
        inside = np.clip(boxes - np.array([x1, y1, x1, y1], dtype=np.float32), 0,
                         np.array([w, h, w, h], dtype=np.float32))
        # Visible area and loaded-image area are both fractions of the original image.
        keep = (areas > 0) & (box_areas(inside) * pixel_area
                              >= self.min_box_visibility * areas)
        out_h, out_w = self.size
        scale = np.array([out_w / w, out_h / h, out_w / w, out_h / h], dtype=np.float32)
        results['pseudo_boxes'] = np.clip(inside[keep] * scale, 0,
                                          np.array([out_w, out_h, out_w, out_h],
                                                   dtype=np.float32))
        results['pseudo_box_ids'] = ids[keep]
        results['pseudo_box_areas'] = areas[keep]

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(size={self.size}, scale={self.scale}, '
                f'ratio={self.ratio}, min_box_visibility={self.min_box_visibility}, '
                f'interpolation={self.interpolation!r}, max_attempts={self.max_attempts}, '
                f'backend={self.backend!r}, coord_mode={self.coord_mode!r})')


@TRANSFORMS.register_module()
class RandomFlipWithCoord(BaseTransform):
    """Horizontal flip with probability ``prob`` that mirrors the view box and pseudo boxes.

    Required keys: ``img``. Modified: ``img``, ``view_coord`` (``x1`` ↔ ``x2``; added as
    the whole image when absent), ``pseudo_boxes`` (when present).

    Args:
        prob: flip probability.
    """

    def __init__(self, prob: float = 0.5) -> None:
        if not 0 <= prob <= 1:
            raise ValueError(f'RandomFlipWithCoord: prob must be in [0, 1], got {prob}')
        self.prob = prob

    def transform(self, results: dict) -> dict:
        coord = get_view_coord(results)
        if np.random.rand() >= self.prob:
            results['view_coord'] = coord
            return results
        img = results['img']
        results['img'] = mmcv.imflip(img, direction='horizontal')
        results['view_coord'] = flip_coord(coord)
        if 'pseudo_boxes' in results:
            boxes, ids = get_pseudo_boxes(results)
            results['pseudo_boxes'] = flip_boxes(boxes, img.shape[1])
            results['pseudo_box_ids'] = ids
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(prob={self.prob})'
