"""Train (pretrain or fine-tune) from a config with mmengine's Runner.

    python tools/train.py configs/pixpro_fpn.py [--work-dir DIR] [--resume [CKPT]]
        [--cfg-options key=value ...] [--launcher pytorch] [--seed 0]

Works for mmssl_det pretraining configs and for plain mmdet configs (``default_scope``
decides which registry scope builds the modules). User errors (missing config, data root,
annotation file or image folder; a ``load_from`` that does not fit, see ``LoadReportHook``)
print one ``error:`` line and exit 2.
"""
import argparse
import os
import os.path as osp

import torch
import torch.distributed as dist
from mmengine.config import Config, DictAction
from mmengine.runner import Runner

import mmssl_det  # noqa: F401  (compat workarounds + registries)
from mmssl_det.cli import check_data_paths, run_tool


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('config', help='config file path')
    parser.add_argument('--work-dir', help='where logs and checkpoints go')
    parser.add_argument('--resume', nargs='?', const='auto',
                        help='resume from CKPT, or from the latest checkpoint in work-dir')
    parser.add_argument('--amp', action='store_true', help='mixed precision (GPU)')
    parser.add_argument('--seed', type=int, help='random seed (overrides the config)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='override config keys, e.g. train_dataloader.batch_size=4')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def build_config(args: argparse.Namespace) -> Config:
    if not osp.isfile(args.config):
        raise FileNotFoundError(f'config file not found: {args.config}')
    cfg = Config.fromfile(args.config)
    cfg.merge_from_dict(args.cfg_options)
    cfg.launcher = args.launcher
    cfg.work_dir = args.work_dir or cfg.get('work_dir') or osp.join(
        'work_dirs', osp.splitext(osp.basename(args.config))[0])
    if args.seed is not None:
        cfg.randomness = dict(cfg.get('randomness', {}), seed=args.seed)
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume:
        cfg.resume, cfg.load_from = True, args.resume
    if args.amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if args.launcher != 'none' and not torch.cuda.is_available():
        # NCCL needs CUDA; gloo runs distributed on CPU, where DDP takes no device_ids and
        # SyncBN cannot run (BN stays plain; the config's `sync_bn` applies on GPUs).
        cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})['backend'] = 'gloo'
        wrapper = cfg.get('model_wrapper_cfg') or dict(
            type='MMDistributedDataParallel',
            find_unused_parameters=cfg.get('find_unused_parameters', False))
        wrapper.setdefault('broadcast_buffers', False)  # mmengine's own default
        cfg.model_wrapper_cfg = dict(wrapper, device_ids=None)
        cfg.pop('sync_bn', None)
    return cfg


def main() -> None:
    cfg = build_config(parse_args())
    check_data_paths(cfg, ('train_dataloader', 'val_dataloader') if cfg.get('val_cfg')
                     else ('train_dataloader', ))
    runner = Runner.from_cfg(cfg)
    runner.train()
    if dist.is_initialized():
        # Leave together: a rank that reaches interpreter exit while another still holds the
        # process group (or rank 0's TCP store) can abort in gloo's teardown after training.
        dist.barrier()
        dist.destroy_process_group()


if __name__ == '__main__':
    run_tool(main)
