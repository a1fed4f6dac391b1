"""The proposals json: its one reader and one writer.

Used by ``ImageFolderDataset`` (``proposals_file``), ``tools/generate_proposals.py`` and
``tools/analysis/show_proposals.py``. The format is a class-agnostic COCO dict::

    {"images": [{"id", "file_name" (relative to the image folder), "width", "height"}],
     "annotations": [{"id", "image_id", "bbox": [x, y, w, h], "score", "category_id": 1}],
     "categories": [{"id": 1, "name": "object"}], "info": {"generator", "params", ...}}

Every error names the file and the offending key (``images[3]``, ``annotations[12]``) and
says what to do.
"""
import math
import os
import os.path as osp
from dataclasses import dataclass
from numbers import Real
from typing import Dict, Iterable, Optional, Tuple

import numpy as np
from mmengine import fileio

from mmssl_det.cli import UserError

CATEGORIES = [dict(id=1, name='object')]
REGENERATE = 'fix or regenerate the proposals (tools/generate_proposals.py)'


class ProposalsFileError(UserError, ValueError):
    """A proposals json that is not the format above (the message names file and key)."""


@dataclass
class ProposalImage:
    """One image of a proposals json.

    Attributes:
        index: position in the json's ``images`` list (for error messages).
        id, file_name, width, height: the json entry.
        boxes: ``(K, 4)`` float32 xyxy pixels, in file order, clipped to the image.
        scores: ``(K,)`` float32 (NaN where an annotation has none).
    """
    index: int
    id: int
    file_name: str
    width: int
    height: int
    boxes: np.ndarray
    scores: np.ndarray


def xywh_to_xyxy(boxes: np.ndarray) -> np.ndarray:
    """``(K, 4)`` COCO ``[x, y, w, h]`` → ``[x1, y1, x2, y2]``."""
    return np.concatenate([boxes[:, :2], boxes[:, :2] + boxes[:, 2:]], axis=1)


def xyxy_to_xywh(boxes: np.ndarray) -> np.ndarray:
    """``(K, 4)`` ``[x1, y1, x2, y2]`` → COCO ``[x, y, w, h]``."""
    return np.concatenate([boxes[:, :2], boxes[:, 2:] - boxes[:, :2]], axis=1)


def read_proposals(path: str, box_tolerance: float = 1.0,
                   backend_args: Optional[dict] = None) -> Dict[str, ProposalImage]:
    """Validated proposals of ``path``, by ``file_name`` in the order of ``images``.

    Boxes may exceed their image by at most ``box_tolerance`` px and are then clipped.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ProposalsFileError: the first malformed key (``images[i]``, ``annotations[j]``).
    """
    if not fileio.exists(path, backend_args=backend_args):
        raise FileNotFoundError(f'proposals file {path} does not exist; run '
                                'tools/generate_proposals.py on the image folder or fix the path')
    data = fileio.load(path, file_format='json', backend_args=backend_args)
    for key in ('images', 'annotations'):
        if not isinstance(data, dict) or not isinstance(data.get(key), list):
            raise ProposalsFileError(
                f'{path}: key {key!r} is missing or not a list; expected a COCO dict with '
                f"'images' and 'annotations' lists (the format of tools/generate_proposals.py)")
    images = _read_images(path, data['images'])
    sizes = np.array([(im.width, im.height) for im in images], np.float64).reshape(-1, 2)
    rows, boxes, scores = _read_boxes(path, data['annotations'], {im.id: i for i, im in
                                                                   enumerate(images)},
                                      sizes, float(box_tolerance))
    order = np.argsort(rows, kind='stable')
    splits = np.cumsum(np.bincount(rows, minlength=len(images)))[:-1]
    for im, b, s in zip(images, np.split(boxes[order], splits), np.split(scores[order], splits)):
        im.boxes, im.scores = b, s
    return {im.file_name: im for im in images}


def find_image(proposals: Dict[str, ProposalImage], path: str, image: str) -> ProposalImage:
    """The entry of ``image`` (a file path) whose ``file_name`` is the longest trailing part
    of it (``a/b.jpg`` matches ``.../a/b.jpg``); ``path`` names the json in the error."""
    parts = osp.normpath(image).replace(os.sep, '/').split('/')
    for start in range(len(parts)):
        hit = proposals.get('/'.join(parts[start:]))
        if hit is not None:
            return hit
    raise ProposalsFileError(
        f'{image}: no entry with file name {parts[-1]!r} (or a path ending in it) under '
        f"'images' in {path}; generate proposals for its folder (tools/generate_proposals.py)")


def write_proposals(path: str, images: Iterable[Tuple[str, int, int, np.ndarray, np.ndarray]],
                    info: dict) -> int:
    """Write ``(file_name, width, height, boxes (K, 4) xyxy, scores (K,))`` per image
    atomically (a reader never sees half a file); ids follow the given order. Returns the
    number of boxes written."""
    out_images, annotations = [], []
    for img_id, (file_name, width, height, boxes, scores) in enumerate(images, start=1):
        out_images.append(dict(id=img_id, file_name=file_name, width=int(width),
                               height=int(height)))
        xywh = xyxy_to_xywh(np.asarray(boxes, np.float64).reshape(-1, 4))
        for box, score in zip(xywh.tolist(), np.asarray(scores).tolist()):
            annotations.append(dict(id=len(annotations) + 1, image_id=img_id,
                                    bbox=[round(v, 2) for v in box], score=round(score, 6),
                                    category_id=1))
    data = dict(images=out_images, annotations=annotations, categories=CATEGORIES, info=info)
    parent = osp.dirname(osp.abspath(path))
    os.makedirs(parent, exist_ok=True)
    tmp = f'{path}.tmp{os.getpid()}'
    fileio.dump(data, tmp, file_format='json', separators=(',', ':'))
    os.replace(tmp, path)
    return len(annotations)


def _read_images(path: str, entries: list) -> list:
    images, ids, names = [], set(), set()
    for i, img in enumerate(entries):
        ok = (isinstance(img, dict) and isinstance(img.get('id'), int)
              and isinstance(img.get('file_name'), str)
              and all(isinstance(img.get(k), int) and img[k] > 0 for k in ('width', 'height')))
        if not ok:
            raise ProposalsFileError(f'{path}: images[{i}] = {img!r} is malformed: needs int '
                                     f'"id", str "file_name", int "width" and "height" > 0')
        if img['id'] in ids:
            raise ProposalsFileError(f'{path}: images[{i}] repeats image id {img["id"]}')
        if img['file_name'] in names:
            raise ProposalsFileError(f'{path}: images[{i}] repeats file_name '
                                     f'{img["file_name"]!r}')
        ids.add(img['id'])
        names.add(img['file_name'])
        images.append(ProposalImage(i, img['id'], img['file_name'], img['width'],
                                    img['height'], np.zeros((0, 4), np.float32),
                                    np.zeros(0, np.float32)))
    return images


def _box_problem(ann, rows: Dict[int, int], sizes: np.ndarray, tol: float) -> Optional[str]:
    """Why one annotation is invalid, or None (``rows`` maps image id → images row)."""
    if not isinstance(ann, dict):
        return 'is not a dict'
    if ann.get('image_id') not in rows:
        return f'has unknown image_id {ann.get("image_id")!r}'
    bbox = ann.get('bbox')
    if not (isinstance(bbox, (list, tuple)) and len(bbox) == 4
            and all(isinstance(v, Real) and not isinstance(v, bool) and math.isfinite(v)
                    for v in bbox)):
        return f'has bbox {bbox!r}, not 4 finite numbers [x, y, w, h]'
    x, y, w, h = bbox
    if w <= 0 or h <= 0:
        return f'has bbox {bbox!r} with width/height <= 0'
    width, height = sizes[rows[ann['image_id']]]
    if x < -tol or y < -tol or x + w > width + tol or y + h > height + tol:
        return (f'has bbox {bbox!r} outside its {int(width)}x{int(height)} image '
                f'(tolerance {tol} px)')
    score = ann.get('score', math.nan)
    if not isinstance(score, Real) or isinstance(score, bool):
        return f'has score {score!r}, not a number'
    return None


def _read_boxes(path: str, anns: list, rows: Dict[int, int], sizes: np.ndarray,
                tol: float) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(M,) images row, (M, 4) float32 xyxy boxes clipped to their image, (M,) scores."""
    if not anns:
        return np.zeros(0, np.int64), np.zeros((0, 4), np.float32), np.zeros(0, np.float32)
    try:
        row = np.array([rows[a['image_id']] for a in anns], np.int64)
        xywh = np.array([a['bbox'] for a in anns]).reshape(len(anns), -1)
        scores = np.array([a.get('score', math.nan) for a in anns], np.float64)
    except (TypeError, KeyError, ValueError, OverflowError, AttributeError):
        xywh = None
    # Vectorised check first; the per-entry loop below only runs to name the culprit.
    bad = (xywh is None or xywh.dtype.kind not in 'iuf' or xywh.shape[1] != 4
           or any(type(a['bbox']) not in (list, tuple) for a in anns))
    if not bad:
        xywh = xywh.astype(np.float64)
        wh = sizes[row]
        x2, y2 = xywh[:, 0] + xywh[:, 2], xywh[:, 1] + xywh[:, 3]
        bad = bool((~np.isfinite(xywh).all(1) | (xywh[:, 2] <= 0) | (xywh[:, 3] <= 0)
                    | (xywh[:, 0] < -tol) | (xywh[:, 1] < -tol) | (x2 > wh[:, 0] + tol)
                    | (y2 > wh[:, 1] + tol)).any())
    if bad:
        for i, ann in enumerate(anns):
            problem = _box_problem(ann, rows, sizes, tol)
            if problem is not None:
                raise ProposalsFileError(f'{path}: annotations[{i}] {problem}; {REGENERATE}')
        raise ProposalsFileError(f'{path}: annotations are not COCO dicts with image_id and '
                                 f'bbox; {REGENERATE}')
    boxes = xywh_to_xyxy(xywh)
    boxes[:, 0::2] = boxes[:, 0::2].clip(0, sizes[row, :1])
    boxes[:, 1::2] = boxes[:, 1::2].clip(0, sizes[row, 1:])
    return row, boxes.astype(np.float32), scores.astype(np.float32)
