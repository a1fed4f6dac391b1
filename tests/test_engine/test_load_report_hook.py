"""LoadReportHook: what load_from loaded, per part, checked on values after mmengine's load."""
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import Config
from mmengine.runner.checkpoint import _load_checkpoint_to_model

from mmssl_det.engine.hooks import LoadReportHook
from mmssl_det.engine.hooks.load_report_hook import LoadReportError
from mmssl_det.export import build_detector

REPO = Path(__file__).resolve().parents[2]
DEMO = str(REPO / 'configs/benchmarks/faster-rcnn_r18_fpn_demo.py')


@pytest.fixture(scope='module')
def exported():
    """What tools/export_detector.py writes for a PixPro-FPN demo pretraining: backbone and
    neck of the R18 demo detector (random values), ``meta.parts`` naming them."""
    gen = torch.Generator().manual_seed(0)
    state = {k: (torch.rand(v.shape, generator=gen) if v.is_floating_point() else v)
             for k, v in build_detector(DEMO).state_dict().items()
             if k.startswith(('backbone.', 'neck.'))}
    return dict(state_dict=state, meta=dict(parts=['backbone', 'neck']))


def _runner(load_from='exported.pth', resume=False):
    messages = []
    return SimpleNamespace(model=build_detector(DEMO), messages=messages,
                           cfg=Config(dict(load_from=load_from, resume=resume)),
                           logger=SimpleNamespace(info=messages.append))


def _load(hook: LoadReportHook, runner, checkpoint: dict) -> None:
    """mmengine's Runner.load_checkpoint, then the loop's before_train."""
    hook.after_load_checkpoint(runner, checkpoint)
    _load_checkpoint_to_model(runner.model, checkpoint, strict=False)
    hook.before_train(runner)


def test_report_after_loading_an_export(exported):
    runner = _runner()
    _load(LoadReportHook(), runner, exported)
    report = runner.messages[-1]
    assert report.startswith('load report for exported.pth:')
    rows = {line.split()[0]: line for line in report.splitlines()[2:]}
    assert '100.0%' in rows['backbone'] and ' 16/16 ' in rows['neck']
    assert 'not in the checkpoint: model init' in rows['rpn_head']
    assert torch.equal(runner.model.state_dict()['neck.fpn_convs.3.conv.weight'],
                       exported['state_dict']['neck.fpn_convs.3.conv.weight'])


def test_claimed_part_that_did_not_load_is_an_error(exported):
    """Half the neck has the wrong shape (mmengine skips it with a log line): with
    min_loaded=1.0 that stops the run naming the part and a tensor; 0.5 lets it pass."""
    state = dict(exported['state_dict'])
    for i in range(4):
        state[f'neck.lateral_convs.{i}.conv.weight'] = torch.rand(256, 64, 1, 1)
        state[f'neck.lateral_convs.{i}.conv.bias'] = torch.rand(256)
    checkpoint = dict(state_dict=state, meta=exported['meta'])
    with pytest.raises(LoadReportError, match=r'neck: 8/16 tensors loaded \(50% < min_loaded '
                                              r'100%\), e.g. neck.lateral_convs.0.conv.weight'):
        _load(LoadReportHook(min_loaded=1.0), _runner(), checkpoint)
    runner = _runner()
    _load(LoadReportHook(min_loaded=0.5), runner, checkpoint)
    assert '8 checkpoint tensors did not load' in runner.messages[-1]


def test_part_claimed_but_absent_and_nothing_loaded(exported):
    claims_rpn = dict(state_dict=exported['state_dict'],
                      meta=dict(parts=['backbone', 'neck', 'rpn_head']))
    with pytest.raises(LoadReportError, match='rpn_head: claimed by meta.parts but the '
                                              'checkpoint holds no tensor'):
        _load(LoadReportHook(), _runner(), claims_rpn)
    foreign = dict(state_dict={'model.' + k: v for k, v in exported['state_dict'].items()})
    with pytest.raises(LoadReportError, match='nothing of the checkpoint loaded'):
        _load(LoadReportHook(min_loaded=0.0), _runner(), foreign)


def test_non_finite_checkpoint_stops_before_loading(exported):
    state = dict(exported['state_dict'])
    state['backbone.layer3.1.conv2.weight'] = torch.full((256, 256, 3, 3), float('nan'))
    runner = _runner()
    with pytest.raises(LoadReportError, match=r'NaN/inf, first backbone\.layer3\.1\.conv2'):
        LoadReportHook().after_load_checkpoint(runner, dict(state_dict=state))


def test_random_init_and_resume_are_said():
    runner = _runner(load_from=None)
    LoadReportHook().before_train(runner)
    assert runner.messages == ['load report: no load_from: every part randomly initialised']
    runner = _runner(load_from=None, resume=True)
    LoadReportHook().before_train(runner)
    assert 'resumed' in runner.messages[0]


def test_report_in_the_real_runner(tmp_path, exported):
    """tools/train.py with the demo config: mmengine's load_from, then the table in the log
    (zero iterations: the order load -> before_train is what is tested)."""
    torch.save(exported, tmp_path / 'exported.pth')
    proc = subprocess.run(
        [sys.executable, 'tools/train.py', DEMO, '--work-dir', str(tmp_path / 'work'),
         '--cfg-options', f'load_from={tmp_path}/exported.pth', 'train_cfg.max_iters=0',
         f'train_dataloader.dataset.data_root={REPO}/tests/data/',
         'train_dataloader.dataset.ann_file=coco_trees.json',
         'train_dataloader.dataset.data_prefix.img=images/', 'train_dataloader.num_workers=0',
         'train_dataloader.persistent_workers=False',
         'val_cfg=None', 'val_dataloader=None', 'val_evaluator=None'],
        cwd=REPO, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    log = proc.stdout + proc.stderr
    assert f'load report for {tmp_path}/exported.pth' in log
    assert log.index('Load checkpoint from') < log.index('load report for')
    backbone = next(line for line in log.splitlines() if line.startswith('backbone '))
    assert '100.0%' in backbone
