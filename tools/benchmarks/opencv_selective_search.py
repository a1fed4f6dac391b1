"""OpenCV's selective search (opencv-contrib ``cv2.ximgproc``), run in its own environment.

    /tmp/ocv_venv/bin/python tools/benchmarks/opencv_selective_search.py IMAGES_JSON OUT_JSON \
        [--mode fast|single|quality] [--max-side N]

Needs only ``opencv-contrib-python-headless`` and numpy (not this project), so it runs in an
isolated venv and never touches the project's environment::

    python -m venv /tmp/ocv_venv
    /tmp/ocv_venv/bin/pip install opencv-contrib-python-headless numpy

IMAGES_JSON is a list of image paths; OUT_JSON receives, per image, the ranked boxes
``[x1, y1, x2, y2]`` as OpenCV returns them and the CPU seconds ``process()`` took in one thread
(``cv2.setNumThreads(1)``: one process per core, as a proposal-generation farm runs).
``tools/benchmarks/proposal_speed.py`` calls this through ``subprocess``.
"""
import argparse
import json
import sys
import time

import cv2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('images_json')
    parser.add_argument('out_json')
    parser.add_argument('--mode', default='fast', choices=('fast', 'single', 'quality'))
    parser.add_argument('--max-side', type=int, default=0,
                        help='resize so the longer side is at most this (0: as is)')
    args = parser.parse_args()
    if not hasattr(cv2, 'ximgproc'):
        sys.exit('error: this cv2 has no ximgproc: install opencv-contrib-python-headless')
    cv2.setNumThreads(1)
    results = []
    for path in json.load(open(args.images_json)):
        img = cv2.imread(path)
        if img is None:
            sys.exit(f'error: cannot read image {path}')
        h, w = img.shape[:2]
        factor = 1.0
        if args.max_side and max(h, w) > args.max_side:
            factor = args.max_side / max(h, w)
            img = cv2.resize(img, (round(w * factor), round(h * factor)),
                             interpolation=cv2.INTER_AREA)
        ss = cv2.ximgproc.segmentation.createSelectiveSearchSegmentation()
        ss.setBaseImage(img)
        {'fast': ss.switchToSelectiveSearchFast, 'single': ss.switchToSingleStrategy,
         'quality': ss.switchToSelectiveSearchQuality}[args.mode]()
        start = time.process_time()  # one thread: CPU time = work, whatever else runs
        rects = ss.process()  # (K, 4) x, y, w, h, in OpenCV's rank order
        seconds = time.process_time() - start
        boxes = [[x / factor, y / factor, (x + bw) / factor, (y + bh) / factor]
                 for x, y, bw, bh in rects.tolist()]
        results.append(dict(path=path, height=h, width=w, seconds=seconds, boxes=boxes))
    with open(args.out_json, 'w') as f:
        json.dump(dict(opencv=cv2.__version__, mode=args.mode, results=results), f)


if __name__ == '__main__':
    main()
