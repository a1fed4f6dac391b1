"""The demo's PixPro-FPN loss over its first iterations with the sparse and the dense pixel
head (``PixProHead(sparse=...)``), same seed: the two curves must agree within noise.

    python tools/benchmarks/sparse_vs_dense_curve.py [--config configs/pixpro_fpn_demo.py] \
        [--iters 50] [--seed 0] [--out docs/results/pretrain_speed/sparse_vs_dense_curve.json]

Each run is the real training loop (tools/train.py's Runner: data pipeline, schedules, EMA
hook) stopped after ``--iters`` iterations; the losses of every iteration are recorded.
Prints both curves, their max abs difference and the wall seconds per iteration of each
(start-up included, on a shared machine: not a speed comparison; see pretrain_speed.py).
Resumable: a finished run's curve is read back from ``--out``.
"""
import argparse
import json
import time
from pathlib import Path
from typing import Dict, List

from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

import mmssl_det  # noqa: F401
from mmssl_det.cli import UserError, run_tool
from mmssl_det.registry import HOOKS


class EnoughIterations(Exception):
    """Ends the run from a hook (the epoch loop checks stop_training only between epochs)."""


@HOOKS.register_module(force=True)
class LossCurveHook(Hook):
    """Records the loss dict of every training iteration; stops after ``max_iters``."""

    priority = 'VERY_LOW'

    def __init__(self, max_iters: int) -> None:
        self.max_iters = max_iters
        self.curve: List[Dict[str, float]] = []
        self.start = time.perf_counter()

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        if len(self.curve) < self.max_iters:
            self.curve.append({k: float(v) for k, v in outputs.items()})
        if len(self.curve) == self.max_iters:
            self.seconds = time.perf_counter() - self.start
            raise EnoughIterations


def run(config: str, sparse: bool, iters: int, seed: int, work_dir: Path) -> dict:
    cfg = Config.fromfile(config)
    cfg.model.pixel_head.sparse = sparse
    cfg.randomness = dict(seed=seed)
    cfg.work_dir = str(work_dir / ('sparse' if sparse else 'dense'))
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=10**6)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=10)
    runner = Runner.from_cfg(cfg)
    hook = LossCurveHook(iters)
    runner.register_hook(hook)
    try:
        runner.train()
    except EnoughIterations:
        pass
    if len(hook.curve) < iters:
        raise UserError(f'{config}: training stopped after {len(hook.curve)} of {iters} '
                        f'iterations; lower --iters')
    return dict(curve=hook.curve, s_per_iter=hook.seconds / iters)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--config', default='configs/pixpro_fpn_demo.py')
    parser.add_argument('--iters', type=int, default=50)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--work-dir', default='work_dirs/sparse_vs_dense_curve')
    parser.add_argument('--out', default='docs/results/pretrain_speed/sparse_vs_dense_curve.json')
    args = parser.parse_args()
    if not Path(args.config).is_file():
        raise UserError(f'config {args.config} does not exist')
    out = Path(args.out)
    done = json.loads(out.read_text()) if out.is_file() else {}
    if done.get('config') != args.config or done.get('iters') != args.iters or \
            done.get('seed') != args.seed:
        done = dict(config=args.config, iters=args.iters, seed=args.seed)
    for name, sparse in (('sparse', True), ('dense', False)):
        if name not in done:
            done[name] = run(args.config, sparse, args.iters, args.seed, Path(args.work_dir))
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(done, indent=1) + '\n')
    keys = list(done['sparse']['curve'][0])
    diffs = {k: max(abs(a[k] - b[k]) for a, b in zip(done['sparse']['curve'],
                                                     done['dense']['curve'])) for k in keys}
    done['max_abs_diff'] = diffs
    done['date'] = time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())
    out.write_text(json.dumps(done, indent=1) + '\n')
    def total(losses: Dict[str, float]) -> float:  # the logged sum, or the sum of the parts
        return losses['loss'] if 'loss' in losses else sum(
            v for k, v in losses.items() if k.startswith('loss'))

    total = [(total(a), total(b)) for a, b in zip(done['sparse']['curve'],
                                                   done['dense']['curve'])]
    print(f'{"iter":>4} {"sparse":>10} {"dense":>10}')
    for i, (s, d) in enumerate(total):
        print(f'{i + 1:>4} {s:>10.5f} {d:>10.5f}')
    print('max abs difference per logged value: ' +
          ', '.join(f'{k} {v:.2e}' for k, v in diffs.items()))
    print(f's/iter: sparse {done["sparse"]["s_per_iter"]:.2f}, '
          f'dense {done["dense"]["s_per_iter"]:.2f}; wrote {out}')


if __name__ == '__main__':
    run_tool(main)
