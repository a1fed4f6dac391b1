"""The weights_only allow-list: a Runner save → resume round-trip under torch's default
``torch.load(weights_only=True)``; fails without mmssl_det.compat."""
import os

import pytest
import torch
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch import nn
from torch.utils.data import Dataset

import mmssl_det  # noqa: F401
from mmssl_det import compat


class _ToyData(Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, i):
        return dict(inputs=torch.full((2, ), float(i)), data_samples=torch.tensor(float(i)))


class _ToyModel(BaseModel):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 1)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        if mode == 'loss':
            return dict(loss=((self.linear(inputs).squeeze(1) - data_samples) ** 2).mean())
        return self.linear(inputs)


def _runner(work_dir, max_iters, resume=False):
    return Runner(
        model=_ToyModel(), work_dir=str(work_dir),
        train_dataloader=dict(dataset=_ToyData(), sampler=dict(type='DefaultSampler',
                              shuffle=False), batch_size=2, num_workers=0,
                              collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01, momentum=0.9)),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=2, by_epoch=False),
                           logger=dict(type='LoggerHook', interval=1)),
        resume=resume, default_scope='mmssl_det', experiment_name=f'toy{max_iters}{resume}')


@pytest.fixture
def no_force_env(monkeypatch):
    monkeypatch.delenv('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', raising=False)
    monkeypatch.delenv('TORCH_FORCE_WEIGHTS_ONLY_LOAD', raising=False)


@pytest.fixture
def no_safe_globals():
    """Torch's default weights-only loader, as if mmssl_det had not been imported."""
    saved = torch.serialization.get_safe_globals()
    torch.serialization.clear_safe_globals()
    yield
    torch.serialization.clear_safe_globals()
    torch.serialization.add_safe_globals(saved)


def test_checkpoint_globals_are_exactly_allow_listed(tmp_path, no_force_env, no_safe_globals):
    _runner(tmp_path, 2).train()
    unsafe = set(torch.serialization.get_unsafe_globals_in_checkpoint(
        str(tmp_path / 'iter_2.pth')))
    # What the default loader rejects: mmengine's HistoryBuffer and numpy state...
    assert 'mmengine.logging.history_buffer.HistoryBuffer' in unsafe
    assert any(name.startswith('numpy') for name in unsafe)
    # ...and nothing outside our allow-list (no builtins.getattr: see slim_history_buffer_pickle)
    allowed = {f'{t.__module__}.{t.__name__}' for t in compat.mmengine_checkpoint_safe_globals()}
    assert unsafe <= allowed, f'not allow-listed: {unsafe - allowed}'


def test_resume_round_trip_weights_only(tmp_path, no_force_env):
    runner = _runner(tmp_path, 2)
    runner.train()
    saved = {k: v.clone() for k, v in runner.model.state_dict().items()}

    resumed = _runner(tmp_path, 4, resume=True)
    resumed.load_or_resume()
    assert resumed.iter == 2
    for k, v in resumed.model.state_dict().items():
        assert torch.equal(v, saved[k]), k
    assert len(resumed.message_hub.get_scalar('train/loss').data[0]) > 0
    resumed.train()
    assert resumed.iter == 4
    assert os.path.exists(tmp_path / 'iter_4.pth')


def test_without_allow_list_torch_refuses(tmp_path, no_force_env):
    _runner(tmp_path, 2).train()
    ckpt = str(tmp_path / 'iter_2.pth')
    saved = torch.serialization.get_safe_globals()
    torch.serialization.clear_safe_globals()
    try:
        with pytest.raises(Exception, match='HistoryBuffer|Unsupported global'):
            torch.load(ckpt)
    finally:
        torch.serialization.add_safe_globals(saved)
    assert torch.load(ckpt)['meta']['iter'] == 2
