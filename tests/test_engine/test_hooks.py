import math
from types import SimpleNamespace

import pytest
import torch

from mmssl_det.engine.hooks import (CosineMomentumHook, FiniteLossHook, PretextStageHook,
                                    cosine_ema_decay)


def test_cosine_ema_decay_known_values():
    assert cosine_ema_decay(0.99, 1.0, 0, 100) == pytest.approx(0.99)
    assert cosine_ema_decay(0.99, 1.0, 50, 100) == pytest.approx(0.995)
    assert cosine_ema_decay(0.99, 1.0, 100, 100) == pytest.approx(1.0)
    k = 25
    expected = 1 - (1 - 0.99) * (math.cos(math.pi * k / 100) + 1) / 2
    assert cosine_ema_decay(0.99, 1.0, k, 100) == pytest.approx(expected)


class _Model:
    base_momentum = 0.99

    def __init__(self):
        self.tau, self.resets, self.stage = None, 0, None
        self.stages = [dict(begin=0, losses=('pixel', ), frozen=()),
                       dict(begin=3, losses=('rpn', ), frozen=('backbone', ))]

    def set_target_decay(self, tau):
        self.tau = tau

    def reset_target(self):
        self.resets += 1

    def set_stage(self, index):
        self.stage = index


def _runner(model, it=0, max_iters=10, epoch=0):
    logger = SimpleNamespace(info=lambda msg: None)
    return SimpleNamespace(model=model, iter=it, max_iters=max_iters, epoch=epoch,
                           logger=logger)


def test_momentum_hook_sets_decay_and_resets_target_on_fresh_runs():
    model, hook = _Model(), CosineMomentumHook()
    hook.before_train(_runner(model, it=0))
    assert model.resets == 1
    hook.before_train(_runner(model, it=5))  # resumed: keep the restored target
    assert model.resets == 1
    hook.before_train_iter(_runner(model, it=5), 5)
    assert model.tau == pytest.approx(0.995)


def test_momentum_hook_rejects_models_without_target():
    with pytest.raises(TypeError, match='EMA target'):
        CosineMomentumHook().before_train_iter(_runner(object()), 0)


@pytest.mark.parametrize('epoch,stage', [(0, 0), (2, 0), (3, 1), (7, 1)])
def test_stage_hook_follows_epoch(epoch, stage):
    model = _Model()
    PretextStageHook().before_train_epoch(_runner(model, epoch=epoch))
    assert model.stage == stage


def test_finite_loss_hook_stops_at_the_first_nan_and_names_the_term():
    runner = SimpleNamespace(iter=41, epoch=3, work_dir='work_dirs/x')
    hook = FiniteLossHook()
    hook.after_train_iter(runner, 0, outputs=dict(loss=torch.tensor(2.5),
                                                  loss_rpn_bbox=torch.tensor(1.0)))
    with pytest.raises(FloatingPointError, match=r'iteration 42 \(epoch 4\): loss=nan, '
                                                 r'loss_rpn_bbox=inf\. Lower'):
        hook.after_train_iter(runner, 0, outputs=dict(loss=torch.tensor(float('nan')),
                                                      loss_rpn_bbox=torch.tensor(float('inf')),
                                                      loss_roi=torch.tensor(1.0)))
