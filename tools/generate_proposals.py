"""Unsupervised region proposals for every image of a folder -> class-agnostic COCO json.

    python tools/generate_proposals.py IMG_DIR OUT.json [--preset soco|demo] [--workers 2] \
        [--rel-size LO HI] [--aspect LO HI] [--min-side PX] [--nms-iou T] [--topk K] \
        [--mode fast|single] [--scale K] [--sigma S] [--min-size PX] [--max-side PX] \
        [--seed 0] [--work-dir OUT.parts]

Selective search + SoCo filters (:class:`mmssl_det.proposals.SelectiveSearchProposals`);
explicit flags override the preset. Images are found recursively (jpg, jpeg, png, bmp: the
dataset's list) and sorted by relative path. Each image's result is cached in the work dir
(default ``OUT.json.parts/``) as ``<relative path>.npz``; a re-run skips cached images, so an
interrupted run resumes, and the json is assembled from the cache at the end with ids in path
order: same output for any ``--workers``. The work dir remembers the parameters and refuses to
mix results of different ones.

Output format (the dataset's contract; written and read by :mod:`mmssl_det.proposals.io`):
{"images": [{id, file_name (relative to IMG_DIR), width, height}], "annotations": [{id,
image_id, bbox: [x, y, w, h], score, category_id: 1}], "categories": [{"id": 1, "name":
"object"}], "info": {"generator", "params"}}.
"""
import argparse
import json
import os
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

import cv2
import mmcv
import numpy as np
from mmengine.utils import track_parallel_progress, track_progress

import mmssl_det
from mmssl_det.cli import UserError, run_tool
from mmssl_det.datasets import IMG_EXTENSIONS, list_image_files
from mmssl_det.proposals import PRESETS, SelectiveSearchProposals
from mmssl_det.proposals.io import write_proposals

GENERATOR = 'SelectiveSearchProposals'


class ProposalsError(UserError, ValueError):
    """A bad input to proposal generation (stale cache, undecodable image, bad option)."""


def list_images(img_dir: str) -> List[str]:
    """Image paths under ``img_dir`` (recursive), relative, '/'-separated, sorted — the same
    list ``ImageFolderDataset`` makes, so the json always matches the folder."""
    if not Path(img_dir).is_dir():
        raise FileNotFoundError(f'image folder {img_dir} does not exist')
    rels = list_image_files(img_dir)
    if not rels:
        raise FileNotFoundError(f'no images ({", ".join(IMG_EXTENSIONS)}) under {img_dir}')
    return rels


def part_path(work_dir: str, rel: str) -> Path:
    return Path(work_dir) / f'{rel}.npz'


def prepare_work_dir(work_dir: str, params: dict) -> None:
    """Create ``work_dir``; raise if it caches results of other parameters."""
    meta = Path(work_dir) / 'params.json'
    record = json.loads(json.dumps(dict(generator=GENERATOR, params=params)))
    if meta.exists():
        old = json.loads(meta.read_text())
        if old != record:
            raise ProposalsError(f'{work_dir} caches proposals made with {old["params"]}, not '
                             f'{record["params"]}; delete {work_dir} or pass another --work-dir')
        return
    meta.parent.mkdir(parents=True, exist_ok=True)
    meta.write_text(json.dumps(record, indent=1, sort_keys=True))


_WORKER: Dict[str, object] = {}


def _init_worker(params: dict, img_dir: str, work_dir: str, in_pool: bool = True) -> None:
    if in_pool:
        cv2.setNumThreads(1)  # one OpenCV thread per process: the pool already uses the cores
    _WORKER.update(generator=SelectiveSearchProposals(**params), img_dir=img_dir,
                   work_dir=work_dir)


def _process(rel: str) -> int:
    """Proposals of one image, written atomically to its cache file; returns the box count."""
    path = os.path.join(_WORKER['img_dir'], rel)
    img = mmcv.imread(path)
    if img is None:
        raise ProposalsError(f'cannot decode image {path}; remove or re-encode it')
    boxes, scores = _WORKER['generator'](img)
    out = part_path(_WORKER['work_dir'], rel)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + f'.tmp{os.getpid()}')
    with open(tmp, 'wb') as f:
        np.savez(f, boxes=boxes, scores=scores, hw=np.array(img.shape[:2], dtype=np.int64))
    os.replace(tmp, out)
    return len(boxes)


def load_part(work_dir: str, rel: str) -> Tuple[np.ndarray, np.ndarray, Tuple[int, int]]:
    with np.load(part_path(work_dir, rel)) as z:
        return z['boxes'], z['scores'], (int(z['hw'][0]), int(z['hw'][1]))


def cached_images(rels: List[str], work_dir: str) -> Iterator[tuple]:
    """``(file_name, width, height, boxes, scores)`` of every image, from the cache, in
    path order: what :func:`write_proposals` writes."""
    for rel in rels:
        boxes, scores, (h, w) = load_part(work_dir, rel)
        yield rel, w, h, boxes, scores


def generate_proposals(img_dir: str, out_file: str, params: dict,
                       work_dir: Optional[str] = None, workers: int = 1) -> dict:
    """Run the generator on every image not yet cached, then write ``out_file``.

    Returns:
        dict(images=..., computed=<images searched in this run>, boxes=...).
    """
    if workers < 1:
        raise ProposalsError(f'--workers {workers} must be >= 1')
    try:
        params = SelectiveSearchProposals(**params).params  # validates and normalises
    except ValueError as e:
        raise ProposalsError(f'selective search options: {e}') from e
    work_dir = work_dir or f'{out_file}.parts'
    rels = list_images(img_dir)
    prepare_work_dir(work_dir, params)
    todo = [r for r in rels if not part_path(work_dir, r).exists()]
    if todo:
        init_args = (params, img_dir, work_dir)
        if workers == 1 or len(todo) == 1:
            _init_worker(*init_args, in_pool=False)
            track_progress(_process, todo)
        else:
            track_parallel_progress(_process, todo, min(workers, len(todo)),
                                    initializer=_init_worker, initargs=init_args)
    boxes = write_proposals(out_file, cached_images(rels, work_dir),
                            info=dict(generator=GENERATOR, params=params,
                                      mmssl_det_version=mmssl_det.__version__))
    return dict(images=len(rels), computed=len(todo), boxes=boxes)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('img_dir', help='folder of images (searched recursively)')
    p.add_argument('out', help='output proposals json')
    p.add_argument('--preset', choices=sorted(PRESETS), default='soco',
                   help='parameter set; the flags below override single values')
    p.add_argument('--mode', choices=['fast', 'single'])
    p.add_argument('--scale', type=float, help='Felzenszwalb k (fast mode also uses 2k)')
    p.add_argument('--sigma', type=float, help='Felzenszwalb smoothing')
    p.add_argument('--min-size', type=int, help='minimum initial segment size (pixels)')
    p.add_argument('--rel-size', type=float, nargs=2, metavar=('LO', 'HI'),
                   help='range of sqrt(box area / image area)')
    p.add_argument('--aspect', type=float, nargs=2, metavar=('LO', 'HI'),
                   help='range of box width / height')
    p.add_argument('--min-side', type=float, help='minimum box side (pixels)')
    p.add_argument('--nms-iou', type=float, help='NMS IoU threshold (<= 0 disables NMS)')
    p.add_argument('--topk', type=int, help='boxes kept per image (<= 0 keeps all)')
    p.add_argument('--max-side', type=int, help='search on images resized to this longer side')
    p.add_argument('--seed', type=int, help='ranking seed')
    p.add_argument('--work-dir', help='per-image cache (default: OUT.parts)')
    p.add_argument('--workers', type=int, default=1, help='processes')
    return p.parse_args(argv)


def params_from_args(args: argparse.Namespace) -> dict:
    params = dict(PRESETS[args.preset])
    for key in ('mode', 'scale', 'sigma', 'min_size', 'rel_size', 'aspect', 'min_side',
                'nms_iou', 'topk', 'max_side', 'seed'):
        value = getattr(args, key)
        if value is not None:
            params[key] = value
    if params['nms_iou'] is not None and params['nms_iou'] <= 0:
        params['nms_iou'] = None
    if params['topk'] is not None and params['topk'] <= 0:
        params['topk'] = None
    return params


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    summary = generate_proposals(args.img_dir, args.out, params_from_args(args), args.work_dir,
                                 args.workers)
    print(f'{args.out}: {summary["boxes"]} proposals on {summary["images"]} images '
          f'({summary["computed"]} searched now, the rest from the cache)')


if __name__ == '__main__':
    run_tool(main)
