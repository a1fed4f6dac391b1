"""SwAV's schedule-driven state (Caron et al., arXiv 2006.09882, Sec. 4.1 and App. A.1): the
queue switched on from an epoch, the prototypes frozen for the first iterations.

Both switches are derived from the runner's epoch / iteration before they matter, and are
also kept in the pretext's buffers, so a resumed run continues exactly where it stopped.
"""
from typing import List, Optional

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.optim import OptimWrapperDict

from mmssl_det.models.pretexts.swav import SwAVPretext
from mmssl_det.registry import HOOKS


def swav_pretexts(runner, hook: str) -> List[SwAVPretext]:
    """Every :class:`SwAVPretext` of the runner's model; an error naming ``hook`` if none."""
    model = runner.model.module if is_model_wrapper(runner.model) else runner.model
    found = [m for m in model.modules() if isinstance(m, SwAVPretext)]
    if not found:
        raise TypeError(f'{hook} schedules SwAV pretexts, but {type(model).__name__} has '
                        f'none; drop {hook} from custom_hooks')
    return found


@HOOKS.register_module()
class SwAVQueueHook(Hook):
    """Switches SwAV's queue on from epoch ``start_epoch`` (the paper's 15 at batch 256):
    from then on the large crops' embeddings are stored, and once the queue is full they
    join the Sinkhorn input (:class:`SwAVPretext`).

    Args:
        start_epoch: first epoch (0-based, ``runner.epoch``) with the queue on.
    """

    priority = 'NORMAL'

    def __init__(self, start_epoch: int = 15) -> None:
        if int(start_epoch) != start_epoch or start_epoch < 0:
            raise ValueError(f'SwAVQueueHook: start_epoch must be an int >= 0, got '
                             f'{start_epoch}')
        self.start_epoch = int(start_epoch)
        self._pretexts: List[SwAVPretext] = []

    def before_train(self, runner) -> None:
        if not getattr(runner.train_loop, 'max_epochs', None):
            raise TypeError('SwAVQueueHook switches the queue on by epoch; use an '
                            'EpochBasedTrainLoop (train_cfg.type)')
        self._pretexts = swav_pretexts(runner, 'SwAVQueueHook')
        for p in self._pretexts:
            if p.queue_length == 0:
                raise ValueError(f'SwAVQueueHook: pretext {p.name!r} has queue_length=0; set '
                                 f'it (3840 in the paper at batch 256) or drop the hook')

    def before_train_epoch(self, runner) -> None:
        active = runner.epoch >= self.start_epoch
        for p in self._pretexts:
            if bool(p.queue_active) != active:
                runner.logger.info(f'SwAV pretext {p.name!r}: queue '
                                   f'{"on" if active else "off"} from epoch {runner.epoch}')
            p.set_queue_active(active)


@HOOKS.register_module()
class PrototypeFreezeHook(Hook):
    """Drops the SwAV prototypes' gradients for the first iterations (the paper: the first
    epoch; 5005 iterations at batch 256), so they do not move while the codes are still
    random.

    Exactly one of ``freeze_iters`` / ``freeze_epochs`` (converted with the length of the
    train dataloader). While ``runner.iter`` is below, the pretexts' ``prototypes_frozen``
    is set and an optimizer step pre-hook sets the prototypes' ``.grad`` to None: after the
    backward pass (so DDP's all-reduce still sees every parameter), before the update, so
    SGD/LARS skip them altogether (no weight decay, no momentum).

    Args:
        freeze_iters: iterations with frozen prototypes.
        freeze_epochs: epochs with frozen prototypes.
    """

    priority = 'NORMAL'

    def __init__(self, freeze_iters: Optional[int] = None,
                 freeze_epochs: Optional[int] = None) -> None:
        given = [n for n in (freeze_iters, freeze_epochs) if n is not None]
        if len(given) != 1 or int(given[0]) != given[0] or given[0] < 0:
            raise ValueError(f'PrototypeFreezeHook: give exactly one of freeze_iters / '
                             f'freeze_epochs as an int >= 0, got freeze_iters={freeze_iters}, '
                             f'freeze_epochs={freeze_epochs}')
        self.freeze_iters = freeze_iters
        self.freeze_epochs = freeze_epochs
        self._pretexts: List[SwAVPretext] = []
        self._handles: list = []
        self._until = 0

    def before_train(self, runner) -> None:
        self._pretexts = swav_pretexts(runner, 'PrototypeFreezeHook')
        self._until = (self.freeze_iters if self.freeze_iters is not None else
                       self.freeze_epochs * len(runner.train_dataloader))
        wrappers = (runner.optim_wrapper.values()
                    if isinstance(runner.optim_wrapper, OptimWrapperDict)
                    else [runner.optim_wrapper])
        self._handles = [w.optimizer.register_step_pre_hook(self._drop_grads)
                         for w in wrappers]

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        frozen = runner.iter < self._until
        for p in self._pretexts:
            if bool(p.prototypes_frozen) != frozen:
                runner.logger.info(f'SwAV pretext {p.name!r}: prototypes '
                                   f'{"frozen" if frozen else "trained"} from iteration '
                                   f'{runner.iter}')
            p.set_prototypes_frozen(frozen)

    def _drop_grads(self, optimizer, args, kwargs) -> None:
        for p in self._pretexts:
            if p.prototypes_frozen:
                for param in p.prototypes.parameters():
                    param.grad = None

    def after_train(self, runner) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []
