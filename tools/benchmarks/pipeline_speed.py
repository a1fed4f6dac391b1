"""Samples/s of one data worker on the two-view pretraining pipeline, and what decoding JPEGs
at reduced size would save.

    python tools/benchmarks/pipeline_speed.py [--config configs/pixpro_fpn.py] \
        [--images 20] [--samples 200] [--step-rate 294] [--out results.json]

Makes ``--images`` COCO-sized JPEGs (640×480, quality 90) by tiling and resizing the demo
photos of ``data/demo/images`` into a temporary folder, then runs the config's
``train_pipeline`` (decode + both views + packing) over them in this process, as one
dataloader worker would: samples/s per worker, the time per transform, and how many workers
feed ``--step-rate`` images/s (default: PixPro-FPN's 294 img/s measured on an H100,
docs/benchmarks.md), from the process CPU time (a worker with a core of its own).

Reduced-size decoding (``cv2.IMREAD_REDUCED_COLOR_2``: libjpeg scales the DCT by ½) is
only lossless for a view when its crop is still ≥ the output size after halving, i.e. when
both crops of the sample are shrunk ≥ 2× by the resize. The script measures both decode
times and, from the config's RandomResizedCrop parameters, the fraction of samples where
both views allow it, and prints the expected saving.
"""
import argparse
import json
import random
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Dict, List

import cv2
import numpy as np
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import DefaultScope

import mmssl_det  # noqa: F401
from mmssl_det.cli import UserError, run_tool
from mmssl_det.datasets.transforms.geometric import sample_crop_box

DEMO_IMAGES = Path('data/demo/images')
COCO_SIZE = (640, 480)  # (w, h): COCO's most common image size


def make_coco_sized_jpegs(out_dir: Path, count: int, seed: int = 0) -> List[Path]:
    """``count`` 640×480 JPEGs, each a 2×2 tiling of random demo photos, resized."""
    sources = sorted(p for p in DEMO_IMAGES.rglob('*.jpg'))
    if not sources:
        raise UserError(f'no demo photos under {DEMO_IMAGES}: run tools/prepare_demo_data.py')
    rng = random.Random(seed)
    paths = []
    for k in range(count):
        tiles = [cv2.imread(str(rng.choice(sources))) for _ in range(4)]
        side = min(min(t.shape[:2]) for t in tiles)
        tiles = [t[:side, :side] for t in tiles]
        mosaic = np.vstack([np.hstack(tiles[:2]), np.hstack(tiles[2:])])
        path = out_dir / f'coco_sized_{k:03d}.jpg'
        cv2.imwrite(str(path), cv2.resize(mosaic, COCO_SIZE, interpolation=cv2.INTER_AREA),
                    [cv2.IMWRITE_JPEG_QUALITY, 90])
        paths.append(path)
    return paths


class Timed:
    """A transform wrapper that adds its wall time to a shared table."""

    def __init__(self, transform, name: str, table: Dict[str, float]) -> None:
        self.transform, self.name, self.table = transform, name, table

    def __call__(self, results):
        start = time.perf_counter()
        out = self.transform(results)
        self.table[self.name] += time.perf_counter() - start
        return out


def instrument(pipeline: Compose, table: Dict[str, float], prefix: str = '') -> None:
    """Wrap every transform (and those inside MultiView's view pipelines) with :class:`Timed`."""
    for i, t in enumerate(pipeline.transforms):
        name = f'{prefix}{type(t).__name__}'
        for v, view in enumerate(getattr(t, 'pipelines', []) or []):
            instrument(view, table, f'{name}[view {v}] ')
        pipeline.transforms[i] = Timed(t, name, table)


def pipeline_rate(cfg: Config, paths: List[Path], samples: int) -> dict:
    table: Dict[str, float] = defaultdict(float)
    with DefaultScope.overwrite_default_scope('mmssl_det'):
        pipeline = Compose(cfg.train_pipeline)
    instrument(pipeline, table)
    for i in range(3):  # warm-up (imports, first allocations)
        pipeline(dict(img_path=str(paths[i % len(paths)]), sample_idx=i))
    table.clear()
    np.random.seed(0)
    random.seed(0)
    start, start_cpu = time.perf_counter(), time.process_time()
    for i in range(samples):
        pipeline(dict(img_path=str(paths[i % len(paths)]), sample_idx=i))
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - start_cpu
    top = {k: v for k, v in table.items() if '[view' not in k}
    return dict(samples_per_s=samples / elapsed, ms_per_sample=1000 * elapsed / samples,
                samples_per_cpu_s=samples / cpu, cpu_ms_per_sample=1000 * cpu / samples,
                ms_per_transform={k: 1000 * v / samples for k, v in table.items()},
                ms_top_level_sum=1000 * sum(top.values()) / samples)


def decode_times(paths: List[Path], repeats: int) -> dict:
    """Median ms per decode, full and ½-size, alternating on the same bytes."""
    data = [np.frombuffer(p.read_bytes(), np.uint8) for p in paths]
    flags = dict(full=cv2.IMREAD_COLOR, reduced_2=cv2.IMREAD_REDUCED_COLOR_2)
    times = defaultdict(list)
    for _ in range(repeats):
        for d in data:
            for name, flag in flags.items():
                start = time.perf_counter()
                cv2.imdecode(d, flag)
                times[name].append(1000 * (time.perf_counter() - start))
    return {name: float(np.median(t)) for name, t in times.items()}


def view_crop_params(cfg: Config) -> List[dict]:
    """``RandomResizedCropWithCoord`` settings of each view pipeline of the config."""
    params = []
    for name in ('view_pipeline1', 'view_pipeline2'):
        crop = [t for t in cfg.get(name, []) if t['type'] == 'RandomResizedCropWithCoord']
        if len(crop) != 1:
            raise UserError(f'{cfg.filename}: {name} needs exactly one RandomResizedCropWithCoord')
        c = crop[0]
        size = c.get('size', 224)
        params.append(dict(size=size if isinstance(size, int) else min(size),
                           scale=tuple(c.get('scale', (0.08, 1.0))),
                           ratio=tuple(c.get('ratio', (3 / 4, 4 / 3)))))
    return params


def reducible_fraction(params: List[dict], draws: int = 20000, seed: int = 0) -> float:
    """Fraction of samples whose every view crop keeps ≥ its output size after a ½ decode."""
    np.random.seed(seed)
    w, h = COCO_SIZE
    ok = 0
    for _ in range(draws):
        fits = True
        for p in params:
            x1, y1, x2, y2 = sample_crop_box(h, w, p['scale'], p['ratio'])
            fits &= min(x2 - x1, y2 - y1) >= 2 * p['size']
        ok += fits
    return ok / draws


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--config', default='configs/pixpro_fpn.py')
    parser.add_argument('--images', type=int, default=20)
    parser.add_argument('--samples', type=int, default=200)
    parser.add_argument('--step-rate', type=float, default=294.0,
                        help='images/s the trainer consumes (per GPU)')
    parser.add_argument('--out', help='write the numbers to this json file')
    args = parser.parse_args()
    if not Path(args.config).is_file():
        raise UserError(f'config {args.config} does not exist')
    if args.images < 1 or args.samples < 1:
        raise UserError('--images and --samples must be >= 1')
    cfg = Config.fromfile(args.config)
    cv2.setNumThreads(0)  # as mmengine's runtime sets it (env_cfg.mp_cfg.opencv_num_threads)
    with tempfile.TemporaryDirectory() as tmp:
        paths = make_coco_sized_jpegs(Path(tmp), args.images)
        rate = pipeline_rate(cfg, paths, args.samples)
        decode = decode_times(paths, repeats=max(1, args.samples // len(paths)))
    frac = reducible_fraction(view_crop_params(cfg))
    saving_ms = frac * (decode['full'] - decode['reduced_2'])
    # a worker with a core of its own runs at the CPU-time rate
    workers = int(np.ceil(args.step_rate / rate['samples_per_cpu_s']))
    print(f'{args.config}: {args.images} JPEGs {COCO_SIZE[0]}×{COCO_SIZE[1]}, '
          f'{args.samples} samples, one process (cv2 threads: {cv2.getNumThreads()})')
    print(f'  {rate["samples_per_cpu_s"]:.1f} samples per CPU-second per worker '
          f'({rate["cpu_ms_per_sample"]:.1f} ms CPU/sample, 2 views; wall on this shared '
          f'machine {rate["ms_per_sample"]:.1f} ms)')
    print('  wall time per transform (shared machine: compare them with each other):')
    for name, ms in sorted(rate['ms_per_transform'].items(), key=lambda kv: -kv[1]):
        print(f'    {ms:7.2f} ms  {name}')
    print(f'  workers to feed {args.step_rate:.0f} img/s: {workers}')
    print(f'  decode 640×480: full {decode["full"]:.2f} ms, ½-size {decode["reduced_2"]:.2f} ms;'
          f' samples where both views allow ½: {100 * frac:.1f} % → expected saving '
          f'{saving_ms:.2f} ms/sample ({100 * saving_ms / rate["ms_per_sample"]:.1f} %)')
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(dict(
            config=args.config, images=args.images, image_size=COCO_SIZE,
            samples=args.samples, cv2_threads=cv2.getNumThreads(), **rate,
            step_rate=args.step_rate, workers_needed=workers, decode_ms=decode,
            reducible_fraction=frac, expected_saving_ms=saving_ms,
            date=time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())), indent=1) + '\n')
        print(f'wrote {args.out}')


if __name__ == '__main__':
    run_tool(main)
