"""Throughput and peak memory of one pretraining step (forward + backward + optimizer).

    python tools/benchmarks/pretrain_speed.py CONFIG [CONFIG ...] --batch 32 --size 224 \
        [--device cuda] [--iters 20] [--warmup 5] [--amp] [--cfg-options ...]

Several configs in one call are measured in the same process on the same synthetic batch,
so their ratio is a fair comparison (e.g. configs/pixpro_fpn.py vs configs/byol_fpn.py).
Views are random images with random overlapping crop boxes; no data loading is timed.
"""
import argparse
import copy
import resource
import time

import torch
from mmengine.config import Config, DictAction
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from mmengine.structures import BaseDataElement

import mmssl_det  # noqa: F401
from mmssl_det.registry import MODELS


def synthetic_batch(batch: int, size: int, generator: torch.Generator) -> dict:
    """Two uint8 views per image and view boxes that overlap, like RandomResizedCrop's."""
    views = [[torch.randint(0, 256, (3, size, size), dtype=torch.uint8, generator=generator)
              for _ in range(batch)] for _ in range(2)]
    samples = []
    for _ in range(batch):
        lo = torch.rand(2, 2, generator=generator) * 0.4
        hi = lo + 0.4 + torch.rand(2, 2, generator=generator) * 0.2
        # (2 views, [x1, y1, x2, y2]) — all the pixel heads read from a data sample
        samples.append(BaseDataElement(coords=torch.cat([lo, hi], dim=1)))
    return dict(inputs=views, data_samples=samples)


def peak_memory_mb(device: torch.device) -> float:
    if device.type == 'cuda':
        return torch.cuda.max_memory_allocated(device) / 2**20
    # Process-wide peak RSS: it only grows, so with several configs in one call the later
    # rows include the earlier peaks; compare CPU memory across separate calls.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(cfg: Config, data: dict, device: torch.device, iters: int, warmup: int,
            amp: bool) -> dict:
    model = MODELS.build(copy.deepcopy(cfg.model)).to(device)
    model.init_weights()
    model.train()
    optim_cfg = copy.deepcopy(cfg.optim_wrapper)
    if amp:
        optim_cfg.update(type='AmpOptimWrapper', dtype='bfloat16')
    optim_wrapper = build_optim_wrapper(model, optim_cfg)
    if device.type == 'cuda':
        torch.cuda.reset_peak_memory_stats(device)
    for i in range(warmup + iters):
        if i == warmup:
            if device.type == 'cuda':
                torch.cuda.synchronize(device)
            start = time.perf_counter()
        model.train_step(data, optim_wrapper)
    if device.type == 'cuda':
        torch.cuda.synchronize(device)
    elapsed = time.perf_counter() - start
    return dict(ms_per_iter=1000 * elapsed / iters, mem_mb=peak_memory_mb(device))


def profile(cfg: Config, data: dict, device: torch.device, amp: bool, top: int) -> None:
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as torch_profile
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA]
                                           if device.type == 'cuda' else [])
    model = MODELS.build(copy.deepcopy(cfg.model)).to(device)
    model.init_weights()
    optim_cfg = copy.deepcopy(cfg.optim_wrapper)
    if amp:
        optim_cfg.update(type='AmpOptimWrapper', dtype='bfloat16')
    optim_wrapper = build_optim_wrapper(model, optim_cfg)
    model.train_step(data, optim_wrapper)
    with torch_profile(activities=activities) as prof:
        for _ in range(3):
            model.train_step(data, optim_wrapper)
        if device.type == 'cuda':
            torch.cuda.synchronize(device)
    key = 'cuda_time_total' if device.type == 'cuda' else 'cpu_time_total'
    print(prof.key_averages().table(sort_by=key, row_limit=top))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('configs', nargs='+')
    parser.add_argument('--batch', type=int, default=32)
    parser.add_argument('--size', type=int, default=224)
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--iters', type=int, default=20)
    parser.add_argument('--warmup', type=int, default=5)
    parser.add_argument('--amp', action='store_true', help='bf16 autocast (GPU)')
    parser.add_argument('--profile', type=int, default=0, metavar='K',
                        help='also print the K most expensive ops of 3 steps (torch.profiler)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={})
    args = parser.parse_args()

    device = torch.device(args.device)
    torch.backends.cudnn.benchmark = True
    data = synthetic_batch(args.batch, args.size, torch.Generator().manual_seed(0))
    rows = []
    with DefaultScope.overwrite_default_scope('mmssl_det'):
        for path in args.configs:
            cfg = Config.fromfile(path)
            cfg.merge_from_dict(args.cfg_options)
            res = measure(cfg, data, device, args.iters, args.warmup, args.amp)
            rows.append((path, res))
            if args.profile:
                profile(cfg, data, device, args.amp, args.profile)
    name = torch.cuda.get_device_name(device) if device.type == 'cuda' else \
        f'CPU ({torch.get_num_threads()} threads)'
    print(f'\ndevice: {name} | batch {args.batch} | {args.size}px | 2 views | '
          f'{args.iters} iters after {args.warmup} warm-up | amp={args.amp}')
    base = rows[-1][1]['ms_per_iter']
    mem = 'peak MB' if device.type == 'cuda' else 'RSS MB*'
    print(f'{"config":<45} {"ms/iter":>9} {"img/s":>9} {mem:>9} {"vs last":>8}')
    for path, res in rows:
        print(f'{path:<45} {res["ms_per_iter"]:>9.1f} '
              f'{1000 * args.batch / res["ms_per_iter"]:>9.1f} {res["mem_mb"]:>9.0f} '
              f'{100 * (res["ms_per_iter"] / base - 1):>+7.1f}%')
    if device.type != 'cuda':
        print('* process peak RSS so far (cumulative over the rows of one call)')


if __name__ == '__main__':
    main()
