"""Our selective search against OpenCV's (opencv-contrib, fast mode: SoCo's and AlignDet's
choice) on the same images, with the same filters and the same recall measure.

    OMP_NUM_THREADS=1 python tools/benchmarks/proposal_speed.py \
        [ANN_JSON IMG_DIR] [--presets soco demo] [--ocv-python /tmp/ocv_venv/bin/python] \
        [--coco-sized 10] [--cores 8] [--out results.json]

Recall (``mmssl_det.evaluation.proposal_recall``, as tools/benchmarks/proposal_recall.py):
R@10/50/100 and R@all at IoU 0.5 and AR@100, on ANN_JSON / IMG_DIR (default: the demo's
labelled val tiles, ~320 px). Each preset's filters (aspect, relative size, min side, NMS,
top-k; ``mmssl_det.proposals.PRESETS``) are applied to both searches' ranked raw boxes, so
only the search differs; ours also uses the preset's search parameters, OpenCV its fast-mode
defaults. Speed is CPU seconds per image (median) of the search in one thread, on the tiles and on
``--coco-sized`` 640×480 mosaics of the demo photos, with the cost of COCO train2017
(118,287 images) on ``--cores`` processes.

OpenCV's contrib build runs in its own venv (tools/benchmarks/opencv_selective_search.py
says how to make it) through ``subprocess``; the project's environment is not touched.
"""
import argparse
import contextlib
import io
import json
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Dict, List

import cv2
import numpy as np
from pycocotools.coco import COCO

from mmssl_det.cli import UserError, run_tool
from mmssl_det.evaluation import proposal_recall
from mmssl_det.proposals import PRESETS, SelectiveSearchProposals, filter_proposals

HERE = Path(__file__).resolve().parent
COCO_TRAIN2017 = 118287
RECALL_AT = (10, 50, 100)
FILTER_KEYS = ('aspect', 'rel_size', 'min_side', 'nms_iou', 'topk')


def opencv_search(python: str, paths: List[str]) -> List[dict]:
    """Ranked raw boxes and seconds per image from OpenCV, in the isolated venv."""
    if not Path(python).is_file():
        raise UserError(f'--ocv-python {python} does not exist; make the venv: python -m venv '
                        f'/tmp/ocv_venv && /tmp/ocv_venv/bin/pip install '
                        f'opencv-contrib-python-headless numpy')
    with tempfile.TemporaryDirectory() as tmp:
        images, out = Path(tmp) / 'images.json', Path(tmp) / 'out.json'
        images.write_text(json.dumps(paths))
        proc = subprocess.run([python, str(HERE / 'opencv_selective_search.py'), str(images),
                               str(out), '--mode', 'fast'], capture_output=True, text=True)
        if proc.returncode != 0:
            raise UserError(f'OpenCV selective search failed: {proc.stderr.strip()[-500:]}')
        return json.loads(out.read_text())['results']


def our_search(preset: str, paths: List[str]) -> List[dict]:
    search = {k: v for k, v in PRESETS[preset].items() if k not in FILTER_KEYS}
    gen = SelectiveSearchProposals(**search)
    results = []
    for path in paths:
        img = cv2.imread(path)
        if img is None:
            raise FileNotFoundError(f'cannot read image {path}')
        start = time.process_time()  # one thread: CPU time = work, whatever else runs
        boxes, scores = gen.search(img)
        results.append(dict(path=path, height=img.shape[0], width=img.shape[1],
                            seconds=time.process_time() - start, boxes=boxes,
                            scores=scores))
    return results


def recall_row(coco: COCO, ids: Dict[str, int], results: List[dict], preset: str) -> dict:
    filters = {k: PRESETS[preset][k] for k in FILTER_KEYS}
    props = {}
    for r in results:
        boxes = np.asarray(r['boxes'], np.float32).reshape(-1, 4)
        # OpenCV returns boxes best first without scores: the rank is the score.
        scores = r.get('scores', -np.arange(len(boxes), dtype=np.float32))
        props[ids[r['path']]], _ = filter_proposals(boxes, scores, (r['height'], r['width']),
                                                    **filters)
    most = max([len(b) for b in props.values()] + [max(RECALL_AT)])
    at50 = proposal_recall(coco, props, max_dets=RECALL_AT + (most + 1, ), iou_thrs=(0.5, ))
    row = {f'R@{n}': at50[n] for n in RECALL_AT}
    row.update({'R@all': at50[most + 1],
                'AR@100': proposal_recall(coco, props, max_dets=(100, ))[100],
                'props/img': float(np.mean([len(b) for b in props.values()])),
                'raw/img': float(np.mean([len(r['boxes']) for r in results]))})
    return row


def seconds_per_image(results: List[dict]) -> float:
    return float(np.median([r['seconds'] for r in results]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('ann_json', nargs='?', default='data/demo/annotations/val.json')
    parser.add_argument('img_dir', nargs='?', default='data/demo/images/val')
    parser.add_argument('--presets', nargs='+', default=['soco', 'demo'])
    parser.add_argument('--ocv-python', default='/tmp/ocv_venv/bin/python')
    parser.add_argument('--coco-sized', type=int, default=10,
                        help='also time both on this many 640x480 mosaics (0: skip)')
    parser.add_argument('--cores', type=int, default=8)
    parser.add_argument('--max-images', type=int, default=0)
    parser.add_argument('--out', help='write the rows to this json file')
    args = parser.parse_args()
    unknown = [p for p in args.presets if p not in PRESETS]
    if unknown:
        raise UserError(f'--presets {unknown}: unknown; use some of {sorted(PRESETS)}')
    if not Path(args.ann_json).is_file():
        raise UserError(f'annotation file {args.ann_json} does not exist')
    cv2.setNumThreads(1)
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO(args.ann_json)
    images = sorted(coco.dataset['images'], key=lambda i: i['file_name'])
    if args.max_images:
        images = images[:args.max_images]
        keep = {i['id'] for i in images}
        coco.dataset['images'] = images
        coco.dataset['annotations'] = [a for a in coco.dataset['annotations']
                                       if a['image_id'] in keep]
        with contextlib.redirect_stdout(io.StringIO()):
            coco.createIndex()
    ids = {str(Path(args.img_dir) / i['file_name']): i['id'] for i in images}
    paths = list(ids)

    mosaics: List[str] = []
    tmp = tempfile.TemporaryDirectory()
    if args.coco_sized:
        from pipeline_speed import make_coco_sized_jpegs  # sibling benchmark script
        mosaics = [str(p) for p in make_coco_sized_jpegs(Path(tmp.name), args.coco_sized)]
    ocv_tiles = opencv_search(args.ocv_python, paths)
    ocv_coco = opencv_search(args.ocv_python, mosaics) if mosaics else []
    rows = []
    for preset in args.presets:
        ours_tiles = our_search(preset, paths)
        ours_coco = our_search(preset, mosaics) if mosaics else []
        for name, tiles, big in ((f'ours ({preset} search)', ours_tiles, ours_coco),
                                 ('OpenCV fast', ocv_tiles, ocv_coco)):
            row = dict(search=name, filters=preset, images=len(paths),
                       **recall_row(coco, ids, tiles, preset),
                       s_per_tile=seconds_per_image(tiles))
            if big:
                row['s_per_640x480'] = seconds_per_image(big)
                row['train2017_hours'] = COCO_TRAIN2017 * row['s_per_640x480'] / args.cores / 3600
            rows.append(row)
    tmp.cleanup()
    print(f'{args.ann_json}: {len(paths)} images; one thread per process; COCO train2017 '
          f'({COCO_TRAIN2017} images) on {args.cores} cores')
    cols = ['R@10', 'R@50', 'R@100', 'R@all', 'AR@100', 'props/img', 'raw/img', 's_per_tile',
            's_per_640x480', 'train2017_hours']
    print('| search | filters | ' + ' | '.join(cols) + ' |')
    print('|---|---|' + '---|' * len(cols))
    for r in rows:
        print(f'| {r["search"]} | {r["filters"]} | ' + ' | '.join(
            f'{r[c]:.3f}' if c in r else '-' for c in cols) + ' |')
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(dict(
            ann_json=args.ann_json, img_dir=args.img_dir, cores=args.cores,
            coco_sized=args.coco_sized, date=time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime()),
            rows=rows), indent=1) + '\n')
        print(f'wrote {args.out}')


if __name__ == '__main__':
    run_tool(main)
