"""Forward + backward time of PixPro's pixel head alone (PPM + eq. 5 loss, both directions),
dense against sparse, on the feature-map sizes of a 224 px R50-FPN step.

    python tools/benchmarks/pixel_head_speed.py [--batch 8] [--size 224] [--channels 256] \
        [--levels 1 2 3] [--iters 10] [--out results.json]

Random projections ``(batch, channels, size/stride, size/stride)`` per level and the view
boxes of tools/benchmarks/pretrain_speed.py's synthetic batch; the two heads share weights
and run in turn (median of ``--iters``; on CPU in process CPU time, on CUDA in wall time). Also prints the number of positive pairs and of
rows the sparse path computes, against the dense ``La × Lb``.
"""
import argparse
import copy
import json
import statistics
import time
from pathlib import Path

import torch

import mmssl_det  # noqa: F401
from mmssl_det.cli import UserError, run_tool
from mmssl_det.models.utils import positive_pixel_pairs
from mmssl_det.registry import MODELS
from pretrain_speed import synthetic_batch  # sibling benchmark script


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--batch', type=int, default=8)
    parser.add_argument('--size', type=int, default=224)
    parser.add_argument('--channels', type=int, default=256)
    parser.add_argument('--levels', type=int, nargs='+', default=[1, 2, 3],
                        help='FPN outputs (0 = P2, stride 4)')
    parser.add_argument('--iters', type=int, default=10)
    parser.add_argument('--device', default='cuda' if torch.cuda.is_available() else 'cpu')
    parser.add_argument('--out')
    args = parser.parse_args()
    if args.iters < 1 or any(lvl < 0 for lvl in args.levels):
        raise UserError('--iters must be >= 1 and --levels >= 0')
    device = torch.device(args.device)
    # CPU: this process's CPU time (the work, robust to other jobs on a shared machine)
    clock = time.perf_counter if device.type == 'cuda' else time.process_time
    g = torch.Generator().manual_seed(0)
    coords = torch.stack([s.coords for s in synthetic_batch(
        args.batch, 8, g)['data_samples']]).to(device)
    sparse = MODELS.build(dict(type='PixProHead', ppm=dict(
        type='PixelPropagationModule', channels=args.channels))).to(device)
    dense = copy.deepcopy(sparse)
    dense.sparse = False
    rows = {}
    for lvl in args.levels:
        side = args.size // 2**(lvl + 2)
        maps = [torch.randn(args.batch, args.channels, side, side, generator=g).to(device)
                for _ in range(4)]
        times = {'dense': [], 'sparse': []}
        for _ in range(args.iters + 1):
            for name, head in (('dense', dense), ('sparse', sparse)):
                online = [m.clone().requires_grad_() for m in maps[:2]]
                if device.type == 'cuda':
                    torch.cuda.synchronize(device)
                start = clock()
                head.loss(online, maps[2:], coords).backward()
                if device.type == 'cuda':
                    torch.cuda.synchronize(device)
                times[name].append(clock() - start)
        mask = sparse.positive_mask(maps[:2], maps[2:], coords)
        rows_a, pairs = positive_pixel_pairs(mask)
        rows[f'P{lvl + 2}'] = dict(
            side=side, dense_ms=1000 * statistics.median(times['dense'][1:]),
            sparse_ms=1000 * statistics.median(times['sparse'][1:]),
            pairs_per_image=pairs.shape[0] / args.batch, rows_padded=rows_a.shape[1],
            all_pairs=side**4)
        r = rows[f'P{lvl + 2}']
        print(f'P{lvl + 2} ({side}×{side}): dense {r["dense_ms"]:.1f} ms, sparse '
              f'{r["sparse_ms"]:.1f} ms (×{r["dense_ms"] / r["sparse_ms"]:.1f}); '
              f'{r["pairs_per_image"]:.0f} positive pairs/image of {side**4}, '
              f'{r["rows_padded"]} of {side * side} PPM rows (one direction)')
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(dict(
            batch=args.batch, size=args.size, channels=args.channels, device=str(device),
            threads=torch.get_num_threads(), iters=args.iters, levels=rows,
            date=time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())), indent=1) + '\n')
        print(f'wrote {args.out}')


if __name__ == '__main__':
    run_tool(main)
