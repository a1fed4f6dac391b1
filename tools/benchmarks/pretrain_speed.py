"""Step time and peak memory of pretraining configs against the encoder-only bound.

    python tools/benchmarks/pretrain_speed.py CONFIG[+KEY=VALUE...] [CONFIG ...] \
        [--batch 8] [--size 224] [--iters 10] [--warmup 2] [--device cpu|cuda] \
        [--no-head] [--amp] [--channels-last] [--compile] [--out results.json] [--profile K]

One training step = forward + backward + optimizer step (+ EMA update) on a fixed synthetic
batch of two views (or as many as the model's pretexts compare, all at ``--size``; random
images, overlapping RandomResizedCrop-like boxes; no data loading).

The reference ``encoder-only`` is the bound a pretext cannot beat: the first config's model
with the same views through the online backbone + neck (forward and backward) and the EMA
target (forward), and a trivial loss: the mean of the encoder maps the first config's
pretexts read (all of them if any pretext reads all), so that, as in the real step, maps no
loss reads get no backward (e.g. P2's FPN convs under PixPro on P3-P5). ``--no-head`` adds, for
every config file with a ``pixel`` pretext (once, without the ``+`` overrides), the same
step with the pixel head's loss replaced by a trivial one (encoder + dense projectors: the
floor of the exact PixPro math).

All entries are timed in the same process, ``--iters`` rounds after ``--warmup``; a round
runs bound, A, bound, B, bound … and each step's ratio is its time over the mean of the two
bound steps around it; an entry's ratio is the median (and min–max) of those, so load from
other processes hits both sides of a ratio alike. The same ratios of this process's CPU time
(``time.process_time``) are printed beside them: on a CPU shared with other jobs and one
thread they measure the work and barely see the others' load (on a GPU they are meaningless).
``KEY=VALUE`` after a ``+`` overrides that config alone (mmengine ``--cfg-options``
syntax), e.g. ``configs/pixpro_fpn.py+model.pixel_head.sparse=False``.

Configs the synthetic batch cannot feed (e.g. multi-crop or rotation pretexts that need
other views or fields) are reported as skipped with the model's error.

Peak memory is measured on one extra step per entry: on CUDA ``max_memory_allocated`` above
what was allocated before the step; on CPU the peak resident-set growth during the step
(sampled every 1 ms from /proc/self/statm) after glibc's ``malloc_trim(0)`` has handed the
free heap pages back, so the growth counts the memory the step touches.
"""
import argparse
import copy
import ctypes
import json
import logging
import os
import platform
import statistics
import threading
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.config import Config, DictAction
from mmengine.logging import MMLogger
from mmengine.optim import OptimWrapper, build_optim_wrapper
from mmengine.registry import DefaultScope
from mmengine.structures import BaseDataElement

import mmssl_det  # noqa: F401
from mmssl_det.cli import UserError, run_tool
from mmssl_det.registry import MODELS

REFERENCE = 'encoder-only'


def synthetic_batch(batch: int, size: int, generator: torch.Generator,
                    num_views: int = 2) -> dict:
    """``num_views`` uint8 views per image and view boxes that overlap, like
    RandomResizedCrop's."""
    views = [[torch.randint(0, 256, (3, size, size), dtype=torch.uint8, generator=generator)
              for _ in range(batch)] for _ in range(num_views)]
    samples = []
    for _ in range(batch):
        lo = torch.rand(num_views, 2, generator=generator) * 0.4
        hi = lo + 0.4 + torch.rand(num_views, 2, generator=generator) * 0.2
        # (V views, [x1, y1, x2, y2]) — all the pixel heads read from a data sample
        samples.append(BaseDataElement(coords=torch.cat([lo, hi], dim=1)))
    return dict(inputs=views, data_samples=samples)


def model_views(model) -> int:
    """Views per image the model's pretexts compare (2 where they do not say)."""
    views = {getattr(p, 'num_views', 2) for p in getattr(model, 'pretexts', {}).values()}
    return max(views) if views else 2


def parse_spec(spec: str) -> Config:
    """``CONFIG+KEY=VALUE+...`` → the config with those overrides."""
    path, *overrides = spec.split('+')
    if not Path(path).is_file():
        raise UserError(f'config {path} (from {spec!r}) does not exist')
    cfg = Config.fromfile(path)
    if overrides:
        options = argparse.Namespace()
        action = DictAction(option_strings=[], dest='options')
        action(None, options, overrides)
        cfg.merge_from_dict(options.options)
    return cfg


def trivial_loss(feats, levels: Optional[Sequence[int]] = None) -> torch.Tensor:
    """The mean of the maps ``levels`` (None: all) of every view: backward reaches exactly
    the encoder parts those maps depend on."""
    return sum(f.float().mean() for view in feats for i, f in enumerate(view)
               if levels is None or i in levels or i - len(view) in levels)


def used_levels(model) -> Optional[Tuple[int, ...]]:
    """The encoder levels the model's pretexts read; None if one reads them all."""
    levels = set()
    for pretext in getattr(model, 'pretexts', {}).values():
        if pretext.levels is None:
            return None
        levels.update(pretext.levels)
    return tuple(sorted(levels)) or None


def encoder_only_step(model, data: dict, optim_wrapper: OptimWrapper) -> None:
    """Online backbone + neck forward/backward and target forward (EMA update included)."""
    with optim_wrapper.optim_context(model):
        data = model.data_preprocessor(data, True)
        online, _ = model.encode_views(data['inputs'])
        loss = trivial_loss(online, used_levels(model))
    optim_wrapper.update_params(loss)


def without_pixel_head(model) -> bool:
    """Replace the pixel pretext head's loss by a trivial one (projectors still run)."""
    pretexts = getattr(model, 'pretexts', None)
    if pretexts is None or 'pixel' not in pretexts:
        return False
    pretexts['pixel'].head.loss = lambda online, target, coords: trivial_loss([online])
    return True


class Entry:
    """One timed row: a model, its optimizer wrapper and its step function."""

    def __init__(self, label: str, cfg: Config, device: torch.device, args,
                 step: Optional[Callable] = None, no_head: bool = False) -> None:
        self.label = label
        self.model = MODELS.build(copy.deepcopy(cfg.model)).to(device)
        self.model.init_weights()
        self.model.train()
        if no_head and not without_pixel_head(self.model):
            raise UserError(f'{label}: --no-head needs a model with a pixel pretext')
        if args.channels_last:
            self.model.to(memory_format=torch.channels_last)
        optim_cfg = copy.deepcopy(cfg.optim_wrapper)
        if args.amp:  # bf16 autocast; the losses compute in float32 (similarity_losses.py)
            optim_cfg.update(type='AmpOptimWrapper', dtype='bfloat16')
        self.optim_wrapper = build_optim_wrapper(self.model, optim_cfg)
        if args.compile:
            self.model.forward = torch.compile(self.model.forward)
        self.step = step or (lambda m, d, o: m.train_step(d, o))
        self.num_views = model_views(self.model) if step is None else 2
        self.times: List[float] = []
        self.ratios: List[float] = []  # to the mean of the two bound steps around each step
        self.cpu_times: List[float] = []  # process CPU time: robust to other processes' load
        self.cpu_ratios: List[float] = []
        self.mem_mb = float('nan')
        self.gflops = float('nan')

    def run(self, batches: Dict[int, dict]) -> None:
        """One step on the synthetic batch with this model's number of views."""
        self.step(self.model, batches[self.num_views], self.optim_wrapper)


def sync(device: torch.device) -> None:
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def release_free_memory() -> bool:
    """glibc ``malloc_trim(0)``: hand every free page of the heap back to the system, so the
    resident set is the live memory and a step's growth is what it touches anew. False where
    that is not available (then the CPU figure undercounts reused heap memory)."""
    if platform.system() != 'Linux':
        return False
    try:
        return bool(ctypes.CDLL('libc.so.6').malloc_trim(0)) or True
    except (OSError, AttributeError):
        return False


def rss_bytes() -> int:
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')


def step_memory_mb(entry: Entry, data: dict, device: torch.device) -> float:
    """Peak memory a step adds over what was held before it (see the module docstring)."""
    if device.type == 'cuda':
        sync(device)
        before = torch.cuda.memory_allocated(device)
        torch.cuda.reset_peak_memory_stats(device)
        entry.run(data)
        sync(device)
        return (torch.cuda.max_memory_allocated(device) - before) / 2**20
    release_free_memory()
    before = peak = rss_bytes()
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, rss_bytes())
            time.sleep(0.001)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    entry.run(data)
    done.set()
    sampler.join()
    return (max(peak, rss_bytes()) - before) / 2**20


def profile(entry: Entry, data: dict, device: torch.device, top: int) -> None:
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as torch_profile
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA]
                                           if device.type == 'cuda' else [])
    with torch_profile(activities=activities) as prof:
        entry.run(data)
        sync(device)
    key = 'cuda_time_total' if device.type == 'cuda' else 'self_cpu_time_total'
    print(f'\n== {entry.label}')
    print(prof.key_averages().table(sort_by=key, row_limit=top))


def summarise(entries: List[Entry]) -> List[Dict]:
    rows = []
    for e in entries:
        ratios, cpu_ratios = e.ratios or [1.0], e.cpu_ratios or [1.0]
        rows.append(dict(
            label=e.label, views=e.num_views, ms_median=1000 * statistics.median(e.times),
            ms_min=1000 * min(e.times), ms_max=1000 * max(e.times),
            ratio_median=statistics.median(ratios), ratio_min=min(ratios),
            ratio_max=max(ratios), cpu_ms_median=1000 * statistics.median(e.cpu_times),
            cpu_ratio_median=statistics.median(cpu_ratios), cpu_ratio_min=min(cpu_ratios),
            cpu_ratio_max=max(cpu_ratios), step_mem_mb=e.mem_mb, gflops=e.gflops,
            gflops_ratio=e.gflops / entries[0].gflops))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('configs', nargs='+', help='CONFIG[+KEY=VALUE...]')
    parser.add_argument('--batch', type=int, default=8)
    parser.add_argument('--size', type=int, default=224)
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--iters', type=int, default=10, help='timed rounds')
    parser.add_argument('--warmup', type=int, default=2, help='untimed rounds first')
    parser.add_argument('--no-head', action='store_true',
                        help='add each pixel config with a trivial pixel-head loss')
    parser.add_argument('--amp', action='store_true', help='bf16 autocast (GPU)')
    parser.add_argument('--channels-last', action='store_true',
                        help='model in channels-last memory format (GPU)')
    parser.add_argument('--compile', action='store_true',
                        help='torch.compile the models\' forward')
    parser.add_argument('--flops', action='store_true',
                        help='also count the matmul/conv FLOPs of one step per entry '
                             '(torch.utils.flop_counter; deterministic, unlike the times)')
    parser.add_argument('--profile', type=int, default=0, metavar='K',
                        help='also print the K most expensive ops of one step per entry')
    parser.add_argument('--out', help='write the rows and the setup to this json file')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='overrides for every config')
    args = parser.parse_args()
    if args.iters < 1 or args.warmup < 0 or args.batch < 1:
        raise UserError('--iters and --batch must be >= 1 and --warmup >= 0')

    device = torch.device(args.device)
    if device.type == 'cuda' and not torch.cuda.is_available():
        raise UserError('--device cuda: no CUDA device is available')
    if args.amp and device.type != 'cuda':
        raise UserError('--amp needs --device cuda (mmengine\'s AmpOptimWrapper is GPU-only)')
    torch.backends.cudnn.benchmark = True
    # init_weights' per-key log, the optimizer's note on every frozen target parameter
    MMLogger.get_current_instance().setLevel(logging.ERROR)
    data = {v: synthetic_batch(args.batch, args.size, torch.Generator().manual_seed(0), v)
            for v in range(1, 9)}  # by number of views; all at --size
    with DefaultScope.overwrite_default_scope('mmssl_det'):
        cfgs = []
        for spec in args.configs:
            cfg = parse_spec(spec)
            cfg.merge_from_dict(args.cfg_options)
            cfgs.append((spec, cfg))
        entries = [Entry(REFERENCE, cfgs[0][1], device, args, step=encoder_only_step)]
        skipped: Dict[str, str] = {}  # configs this synthetic two-view batch cannot feed
        no_head_done = set()  # one floor per config file: overrides of the head don't move it
        for spec, cfg in cfgs:
            try:
                entry = Entry(spec, cfg, device, args)
                entry.run(data)  # also a warm-up step
            except (ValueError, KeyError, TypeError) as e:
                skipped[spec] = f'{type(e).__name__}: {e}'
                print(f'skipped {spec}: {skipped[spec]}', flush=True)
                continue
            entries.append(entry)
            path = spec.split('+')[0]
            if args.no_head and path not in no_head_done and \
                    'pixel' in getattr(entry.model, 'pretexts', {}):
                no_head_done.add(path)
                base = Config.fromfile(path)
                base.merge_from_dict(args.cfg_options)
                entries.append(Entry(f'{path} [no head]', base, device, args, no_head=True))
        ref = entries[0]
        for i in range(args.warmup + args.iters):
            # bound, A, bound, B, bound …: each step sits between two bound steps
            order = [ref] + [x for e in entries[1:] for x in (e, ref)]
            times, cpu = [], []
            for e in order:
                sync(device)
                start, start_cpu = time.perf_counter(), time.process_time()
                e.run(data)
                sync(device)
                times.append(time.perf_counter() - start)
                cpu.append(time.process_time() - start_cpu)
            if i < args.warmup:
                continue
            ref.times.extend(times[0::2])
            ref.cpu_times.extend(cpu[0::2])
            for k, e in enumerate(entries[1:]):
                e.times.append(times[2 * k + 1])
                e.cpu_times.append(cpu[2 * k + 1])
                e.ratios.append(times[2 * k + 1] / (0.5 * (times[2 * k] + times[2 * k + 2])))
                e.cpu_ratios.append(cpu[2 * k + 1] / (0.5 * (cpu[2 * k] + cpu[2 * k + 2])))
            print(f'round {i + 1 - args.warmup}/{args.iters}: ' + ' | '.join(
                f'{1000 * t:.0f}' for t in times), flush=True)
        trimmed = device.type == 'cpu' and release_free_memory()
        for e in entries:
            e.mem_mb = step_memory_mb(e, data, device)
        if args.flops:
            from torch.utils.flop_counter import FlopCounterMode
            for e in entries:
                with FlopCounterMode(display=False) as counter:
                    e.run(data)
                e.gflops = counter.get_total_flops() / 1e9
        if args.profile:
            for e in entries:
                profile(e, data, device, args.profile)

    name = torch.cuda.get_device_name(device) if device.type == 'cuda' else \
        f'CPU ({torch.get_num_threads()} threads)'
    rows = summarise(entries)
    bound_levels = used_levels(entries[0].model)
    mem = 'step MB' if device.type == 'cuda' else 'step RSS MB'
    print(f'\ndevice: {name} | batch {args.batch} × 2 views | {args.size}px | '
          f'{args.iters} rounds after {args.warmup} | amp={args.amp} '
          f'channels_last={args.channels_last} compile={args.compile} | bound: loss on '
          f'levels {bound_levels or "all"}')
    print(f'{"entry":<60} {"ms median":>9} {"(min-max)":>13} {"× bound":>7} '
          f'{"(min-max)":>11} {"cpu ms":>7} {"cpu × bound":>11} {"(min-max)":>11} {mem:>11}')
    for r in rows:
        print(f'{r["label"]:<60} {r["ms_median"]:>9.0f} '
              f'{r["ms_min"]:>6.0f}-{r["ms_max"]:<6.0f} {r["ratio_median"]:>7.3f} '
              f'{r["ratio_min"]:>5.2f}-{r["ratio_max"]:<5.2f} {r["cpu_ms_median"]:>7.0f} '
              f'{r["cpu_ratio_median"]:>11.3f} {r["cpu_ratio_min"]:>5.2f}-'
              f'{r["cpu_ratio_max"]:<5.2f} {r["step_mem_mb"]:>11.0f}' +
              (f' {r["gflops"]:>8.1f} GFLOP ×{r["gflops_ratio"]:.3f}' if args.flops else ''))
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        setup = dict(device=name, batch=args.batch, size=args.size, iters=args.iters,
                     warmup=args.warmup, amp=args.amp, channels_last=args.channels_last,
                     compile=args.compile, torch=torch.__version__,
                     bound_levels=bound_levels, skipped=skipped,
                     cfg_options=args.cfg_options,
                     memory=('cuda max_memory_allocated above the step start'
                             if device.type == 'cuda' else
                             f'peak RSS growth during the step after malloc_trim(0) '
                             f'(available: {trimmed})'),
                     date=time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime()))
        Path(args.out).write_text(json.dumps(dict(setup=setup, rows=rows), indent=1) + '\n')
        print(f'wrote {args.out}')


if __name__ == '__main__':
    run_tool(main)
