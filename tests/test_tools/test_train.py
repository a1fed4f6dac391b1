"""tools/train.py and tools/dist_train.sh on the real fixture images with a tiny model."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import mmssl_det  # noqa: F401  (allow-lists mmengine checkpoints for torch.load)

REPO = Path(__file__).resolve().parents[2]
TINY = [
    'model.backbone.depth=18', 'model.backbone.base_channels=8',
    'model.neck.in_channels=[8,16,32,64]', 'model.neck.out_channels=16',
    'model.projector.in_channels=16', 'model.projector.hid_channels=32',
    'model.projector.out_channels=16', 'model.pixel_head.ppm.channels=16',
]


def _data(crop=64, batch=2):
    views = ','.join(f'train_dataloader.dataset.pipeline.1.transforms.{v}.0.size={crop}'
                     for v in (0, 1)).split(',')
    return [f'train_dataloader.dataset.data_root={REPO}/tests/data/',
            'train_dataloader.dataset.data_prefix.img=images/',
            f'train_dataloader.batch_size={batch}', 'train_dataloader.num_workers=0',
            'train_dataloader.persistent_workers=False', *views]


def _scalars(work_dir: Path):
    logs = sorted(work_dir.glob('*/vis_data/scalars.json'))
    assert logs, f'no training log under {work_dir}'
    return [json.loads(line) for line in logs[-1].read_text().splitlines()]


def test_pixpro_fpn_loss_decreases_over_50_iterations(tmp_path):
    opts = TINY + _data() + [
        'train_cfg.max_epochs=50', 'param_scheduler.0.end=1', 'param_scheduler.1.begin=1',
        'param_scheduler.1.T_max=49', 'param_scheduler.1.end=50',
        'optim_wrapper.optimizer.lr=1.0', 'default_hooks.logger.interval=1',
        'default_hooks.checkpoint.interval=50', 'log_processor.window_size=1',
        'model.base_momentum=0.9']
    proc = subprocess.run([sys.executable, 'tools/train.py', 'configs/pixpro_fpn.py',
                           '--work-dir', str(tmp_path), '--seed', '0',
                           '--cfg-options', *opts],
                          cwd=REPO, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    losses = [r['loss'] for r in _scalars(tmp_path) if 'loss' in r]
    assert len(losses) == 50
    assert all(torch.isfinite(torch.tensor(losses)))
    first, last = sum(losses[:10]) / 10, sum(losses[-10:]) / 10
    assert last < first - 0.1, (first, last)
    assert (tmp_path / 'epoch_50.pth').exists()


@pytest.mark.skipif(not torch.distributed.is_gloo_available(), reason='needs gloo')
def test_two_process_cpu_training_keeps_ranks_identical(tmp_path):
    """torchrun, 2 ranks, gloo: finite loss, and RankConsistencyHook finds the parameters of
    both ranks bit-identical after training (it raises otherwise)."""
    opts = TINY + _data(batch=1) + [
        'train_cfg.max_epochs=2', 'default_hooks.logger.interval=1',
        'default_hooks.checkpoint.interval=2']
    env = dict(os.environ, PORT=str(29500 + os.getpid() % 1000), OMP_NUM_THREADS='1',
               PYTHON=sys.executable)
    proc = subprocess.run(['bash', 'tools/dist_train.sh', 'configs/pixpro_fpn.py', '2',
                           '--work-dir', str(tmp_path), '--cfg-options', *opts],
                          cwd=REPO, capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout + proc.stderr
    assert 'Distributed training: True' in out
    assert 'parameters identical on all 2 ranks' in out
    losses = [r['loss'] for r in _scalars(tmp_path) if 'loss' in r]
    assert len(losses) == 2 and all(torch.isfinite(torch.tensor(losses)))


def test_separate_strategy_switches_stage_in_the_runner(tmp_path):
    """tools/generate_proposals.py → tools/train.py on the separate-strategy config: epoch 1
    trains PixPro only, epoch 2 (PretextStageHook) RPN + RoI on the frozen backbone + FPN."""
    props = tmp_path / 'proposals.json'
    gen = subprocess.run([sys.executable, 'tools/generate_proposals.py',
                          str(REPO / 'tests/data/images'), str(props), '--preset', 'demo',
                          '--workers', '1'], cwd=REPO, capture_output=True, text=True,
                         timeout=300)
    assert gen.returncode == 0, gen.stderr[-3000:]
    config = tmp_path / 'separate_tiny.py'
    config.write_text(f'''
_base_ = ['{REPO}/configs/pixpro_fpn_rpn_separate.py']
model = dict(
    rpn_head=dict(in_channels=16, feat_channels=16),
    roi_head=dict(bbox_roi_extractor=dict(out_channels=16),
                  bbox_head=dict(in_channels=16, fc_out_channels=32)),
    roi_projector=dict(in_channels=32, hid_channels=32, out_channels=16),
    roi_byol_head=dict(predictor=dict(in_channels=16, hid_channels=32, out_channels=16)),
    stages=[dict(begin=0, losses=('pixel', )),
            dict(begin=1, losses=('rpn', 'roi'), frozen=('backbone', 'neck'))])
train_dataloader = dict(dataset=dict(proposals_file='{props}'))
''')
    opts = TINY + _data() + [
        'train_cfg.max_epochs=2', 'param_scheduler.0.end=1', 'param_scheduler.1.begin=1',
        'param_scheduler.1.T_max=1', 'param_scheduler.1.end=2',
        'default_hooks.logger.interval=1', 'default_hooks.checkpoint.interval=1',
        'log_processor.window_size=1']
    proc = subprocess.run([sys.executable, 'tools/train.py', str(config), '--work-dir',
                           str(tmp_path / 'work'), '--seed', '0', '--cfg-options', *opts],
                          cwd=REPO, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    first, second = [r for r in _scalars(tmp_path / 'work') if 'loss' in r]
    assert 'loss_pixel_l1' in first and 'loss_rpn_cls' not in first
    assert {'loss_rpn_cls', 'loss_roi'} <= set(second)
    # the logger repeats a key's last value once logged: unchanged = not computed in epoch 2
    assert second['loss_pixel_l1'] == first['loss_pixel_l1']
    ckpts = [torch.load(tmp_path / 'work' / f'epoch_{e}.pth', map_location='cpu')['state_dict']
             for e in (1, 2)]
    for key, value in ckpts[0].items():
        if key.startswith(('backbone.', 'neck.')):
            assert torch.equal(value, ckpts[1][key]), key  # frozen in stage 2
    assert not torch.equal(ckpts[0]['rpn_head.rpn_conv.weight'],
                           ckpts[1]['rpn_head.rpn_conv.weight'])


def _train(work_dir: Path, opts: list, resume: Path = None):
    cmd = [sys.executable, 'tools/train.py', 'configs/pixpro_fpn_demo.py', '--work-dir',
           str(work_dir), '--seed', '0', '--cfg-options', *opts]
    if resume is not None:
        cmd[5:5] = ['--resume', str(resume)]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]


@pytest.mark.parametrize('sampler', ['SeededSampler', 'DefaultSampler'])
def test_resume_at_epoch_boundary_is_bit_identical(tmp_path, sampler):
    """Stopped after epoch 1 and resumed = the uninterrupted run, bit for bit (online
    weights, EMA target, optimizer state) with persistent workers — because each sample's
    augmentation is seeded by (seed, epoch, index, view). With mmengine's DefaultSampler
    the workers' global generators restart on resume and the runs part."""
    opts = TINY + _data(crop=48) + [
        'train_cfg.max_epochs=2',
        'train_dataloader.num_workers=2', 'train_dataloader.persistent_workers=True',
        f'train_dataloader.sampler.type={sampler}', 'train_dataloader.batch_size=1',
        'default_hooks.checkpoint.interval=1', 'default_hooks.checkpoint.max_keep_ckpts=2',
        'randomness.deterministic=True']
    _train(tmp_path / 'full', opts)
    (tmp_path / 'resumed').mkdir()
    stop = tmp_path / 'resumed' / 'epoch_1.pth'
    stop.write_bytes((tmp_path / 'full' / 'epoch_1.pth').read_bytes())
    _train(tmp_path / 'resumed', opts, resume=stop)
    full, resumed, first = (torch.load(p, map_location='cpu') for p in (
        tmp_path / 'full' / 'epoch_2.pth', tmp_path / 'resumed' / 'epoch_2.pth', stop))
    assert resumed['meta']['epoch'] == full['meta']['epoch'] == 2
    weights = full['state_dict']
    assert any(k.startswith('target.') for k in weights)
    assert not torch.equal(weights['backbone.conv1.weight'],
                           first['state_dict']['backbone.conv1.weight'])  # epoch 2 trained
    same = [torch.equal(v, resumed['state_dict'][k]) for k, v in weights.items()]
    momenta = [(k, s['momentum_buffer']) for k, s in full['optimizer']['state'].items()]
    same_opt = [torch.equal(m, resumed['optimizer']['state'][k]['momentum_buffer'])
                for k, m in momenta]
    if sampler == 'SeededSampler':
        assert all(same), [k for k, s in zip(weights, same) if not s][:5]
        assert momenta and all(same_opt)
    else:
        assert not all(same)
