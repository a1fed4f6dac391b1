from typing import Iterable

import torch
from torch.optim import Optimizer

from mmssl_det.registry import OPTIMIZERS


@OPTIMIZERS.register_module()
class LARS(Optimizer):
    """Layer-wise Adaptive Rate Scaling over SGD with momentum.

    You, Gitman & Ginsburg, "Large Batch Training of Convolutional Networks",
    arXiv 1708.03888, Algorithm 1: for a layer with weights w and gradient g,
    ``g' = g + β·w``; local rate ``η·‖w‖ / ‖g'‖``; ``v ← m·v + local·g'``; ``w ← w − lr·v``.
    As in BYOL/PixPro, parameters with ``ndim <= 1`` (biases, BN affine) are excluded from
    weight decay and from the adaptation (``exclude_1d=True``), so no ``paramwise_cfg`` is
    needed for that.

    Args:
        lr: base learning rate. momentum: m. weight_decay: β.
        eta: trust coefficient η (0.001 in PixPro).
    """

    def __init__(self, params: Iterable, lr: float, momentum: float = 0.9,
                 weight_decay: float = 0.0, eta: float = 0.001, exclude_1d: bool = True,
                 eps: float = 1e-8) -> None:
        if lr < 0 or momentum < 0 or weight_decay < 0 or eta <= 0:
            raise ValueError(f'LARS: invalid lr={lr}, momentum={momentum}, '
                             f'weight_decay={weight_decay} or eta={eta}')
        super().__init__(params, dict(lr=lr, momentum=momentum, weight_decay=weight_decay,
                                      eta=eta, exclude_1d=exclude_1d, eps=eps))

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            params = [p for p in group['params'] if p.grad is not None]
            if not params:
                continue
            # One multi-tensor kernel per operation instead of a Python loop of small ones
            # (the per-layer norms stay on the device: no host sync).
            adapt = [not (group['exclude_1d'] and p.ndim <= 1) for p in params]
            grads = [p.grad for p in params]
            adapted = [p for p, a in zip(params, adapt) if a]
            if adapted:
                scaled = [g for g, a in zip(grads, adapt) if a]
                if group['weight_decay'] != 0:
                    scaled = torch._foreach_add(scaled, adapted, alpha=group['weight_decay'])
                w_norm = torch.stack(torch._foreach_norm(adapted))
                g_norm = torch.stack(torch._foreach_norm(scaled))
                # Layers with zero weights or zero gradient keep the plain SGD step.
                trust = torch.where((w_norm > 0) & (g_norm > 0),
                                    group['eta'] * w_norm / (g_norm + group['eps']),
                                    torch.ones_like(w_norm))
                scaled = iter(torch._foreach_mul(scaled, list(trust.unbind())))
                grads = [next(scaled) if a else g for g, a in zip(grads, adapt)]
            buffers, new = [], []
            for p, g in zip(params, grads):
                state = self.state[p]
                if 'momentum_buffer' in state:
                    buffers.append(state['momentum_buffer'])
                    new.append(g)
                else:
                    state['momentum_buffer'] = g.detach().clone()
            if buffers:
                torch._foreach_mul_(buffers, group['momentum'])
                torch._foreach_add_(buffers, new)
            torch._foreach_add_(params, [self.state[p]['momentum_buffer'] for p in params],
                                alpha=-group['lr'])
        return loss
