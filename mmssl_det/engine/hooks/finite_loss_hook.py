import math
from typing import Optional

import torch
from mmengine.hooks import Hook

from mmssl_det.registry import HOOKS


@HOOKS.register_module()
class FiniteLossHook(Hook):
    """Stops training at the first non-finite loss, naming the terms and what to change.

    A diverged pretraining otherwise runs to the end on NaN weights, and its checkpoint
    exports and fine-tunes silently into garbage. (mmdet's ``CheckInvalidLossHook`` does the
    check every 50 iterations with an empty assertion message.)
    """

    priority = 'VERY_HIGH'

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs: Optional[dict] = None) -> None:
        if not outputs:
            return
        values = {k: float(v.detach() if torch.is_tensor(v) else v)
                  for k, v in outputs.items() if k.startswith('loss')}
        bad = {k: v for k, v in values.items() if not math.isfinite(v)}
        if bad:
            raise FloatingPointError(
                f'training diverged at iteration {runner.iter + 1} (epoch {runner.epoch + 1}): '
                f'{", ".join(f"{k}={v}" for k, v in bad.items())}. Lower '
                f'optim_wrapper.optimizer.lr or clip gradients '
                f'(optim_wrapper.clip_grad=dict(max_norm=...)), then start again; the '
                f'checkpoints in {runner.work_dir} after the last finite log line are unusable.')
