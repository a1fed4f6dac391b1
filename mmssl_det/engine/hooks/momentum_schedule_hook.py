import math
from typing import Optional

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmssl_det.registry import HOOKS


def cosine_ema_decay(base: float, end: float, step: int, total: int) -> float:
    """BYOL's target decay (arXiv 2006.07733, Sec. 3.2):
    ``τ_k = end − (end − base)·(cos(πk/K) + 1)/2`` — ``base`` at k = 0, ``end`` at k = K."""
    progress = min(max(step / max(total, 1), 0.0), 1.0)
    return end - (end - base) * (math.cos(math.pi * progress) + 1) / 2


@HOOKS.register_module()
class CosineMomentumHook(Hook):
    """Sets the EMA target's decay before every training iteration (0.99 → 1 by default).

    The model (or the wrapped module) must provide ``set_target_decay(tau)`` and
    ``base_momentum``; ``base_momentum`` here overrides the model's when given.
    """

    priority = 'NORMAL'

    def __init__(self, end_momentum: float = 1.0,
                 base_momentum: Optional[float] = None) -> None:
        self.end_momentum = end_momentum
        self.base_momentum = base_momentum

    @staticmethod
    def _model(runner):
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        if not hasattr(model, 'set_target_decay'):
            raise TypeError(f'CosineMomentumHook needs a model with an EMA target '
                            f'(set_target_decay); {type(model).__name__} has none')
        return model

    def before_train(self, runner) -> None:
        # A fresh run may have loaded online weights with `load_from` after init_weights:
        # start the target from them. A resumed run restored its own target.
        if runner.iter == 0:
            self._model(runner).reset_target()

    def before_train_iter(self, runner, batch_idx: int, data_batch=None) -> None:
        model = self._model(runner)
        base = self.base_momentum if self.base_momentum is not None else model.base_momentum
        model.set_target_decay(
            cosine_ema_decay(base, self.end_momentum, runner.iter, runner.max_iters))
