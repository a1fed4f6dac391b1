"""SwAVQueueHook and PrototypeFreezeHook (arXiv 2006.09882, Sec. 4.1 / App. A.1): the queue
on from its epoch, the prototypes' gradients dropped before the optimizer step until their
iteration, both derived from the runner's counters."""
from types import SimpleNamespace

import pytest
import torch
from mmengine.optim import OptimWrapper, OptimWrapperDict
from torch import nn

from mmssl_det.engine.hooks import PrototypeFreezeHook, SwAVQueueHook
from mmssl_det.models.pretexts import SwAVPretext

PROJECTOR = dict(type='ProjectionMLP', in_channels=8, hid_channels=8, out_channels=4,
                 dense=False, norm_cfg=None)


class _Model(nn.Module):
    def __init__(self, queue_length=4):
        super().__init__()
        self.backbone = nn.Linear(3, 3)
        self.pretexts = nn.ModuleDict(dict(swav=SwAVPretext(
            PROJECTOR, num_prototypes=5, num_crops=(2, 0), queue_length=queue_length)))


def _runner(model, optim_wrapper=None, loop='epoch', iters_per_epoch=4):
    train_loop = SimpleNamespace(max_epochs=10) if loop == 'epoch' else SimpleNamespace()
    return SimpleNamespace(model=model, epoch=0, iter=0, train_loop=train_loop,
                           optim_wrapper=optim_wrapper, train_dataloader=[0] * iters_per_epoch,
                           logger=SimpleNamespace(info=lambda msg: None))


def test_queue_goes_on_at_its_epoch_whatever_the_previous_state():
    model = _Model()
    runner, hook = _runner(model), SwAVQueueHook(start_epoch=2)
    hook.before_train(runner)
    on = []
    for epoch in (0, 1, 2, 3):
        runner.epoch = epoch
        hook.before_train_epoch(runner)
        on.append(bool(model.pretexts.swav.queue_active))
    assert on == [False, False, True, True]
    # Resumed at epoch 1 with a (wrongly) saved "on": the epoch decides.
    model.pretexts.swav.set_queue_active(True)
    runner.epoch = 1
    hook.before_train_epoch(runner)
    assert not model.pretexts.swav.queue_active


def _sgd(model):
    return OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9,
                                        weight_decay=0.1))


@pytest.mark.parametrize('kwargs, until', [(dict(freeze_iters=3), 3),
                                           (dict(freeze_epochs=1), 4)])
@pytest.mark.parametrize('wrap', [False, True])
def test_prototypes_keep_their_weights_until_the_iteration(kwargs, until, wrap):
    model = _Model()
    swav = model.pretexts.swav
    ow = _sgd(model)
    runner = _runner(model, OptimWrapperDict(swav=ow) if wrap else ow)
    hook = PrototypeFreezeHook(**kwargs)
    hook.before_train(runner)
    frozen, moved, others, state = [], [], [], []
    for it in range(until + 2):
        runner.iter = it
        hook.before_train_iter(runner, it)
        frozen.append(bool(swav.prototypes_frozen))
        before = swav.prototypes.weight.detach().clone()
        other = model.backbone.weight.detach().clone()
        for p in model.parameters():
            p.grad = torch.ones_like(p)
        ow.step()
        ow.zero_grad()
        moved.append(not torch.equal(before, swav.prototypes.weight))
        others.append(not torch.equal(other, model.backbone.weight))
        state.append(swav.prototypes.weight in ow.optimizer.state)
    assert frozen == [True] * until + [False, False]
    assert moved == [not f for f in frozen] and all(others)
    # Skipped by the optimizer (no weight decay, no momentum buffer) until they train.
    assert state == moved
    hook.after_train(runner)
    runner.iter = 0
    hook.before_train_iter(runner, 0)
    before = swav.prototypes.weight.detach().clone()
    swav.prototypes.weight.grad = torch.ones_like(before)
    ow.step()
    assert not torch.equal(before, swav.prototypes.weight)  # the pre-hook is removed


def test_bad_hook_configs():
    with pytest.raises(ValueError, match='exactly one of freeze_iters / freeze_epochs'):
        PrototypeFreezeHook()
    with pytest.raises(ValueError, match='freeze_iters=1, freeze_epochs=1'):
        PrototypeFreezeHook(freeze_iters=1, freeze_epochs=1)
    with pytest.raises(ValueError, match='start_epoch must be an int >= 0, got -1'):
        SwAVQueueHook(start_epoch=-1)
    with pytest.raises(ValueError, match=r"pretext 'swav' has queue_length=0"):
        model = _Model(queue_length=0)
        model.pretexts.swav.name = 'swav'
        SwAVQueueHook().before_train(_runner(model))
    with pytest.raises(TypeError, match='use an EpochBasedTrainLoop'):
        SwAVQueueHook().before_train(_runner(_Model(), loop='iter'))
    no_swav = nn.Linear(2, 2)
    with pytest.raises(TypeError, match='Linear has none; drop PrototypeFreezeHook'):
        PrototypeFreezeHook(freeze_iters=1).before_train(_runner(no_swav, _sgd(no_swav)))
