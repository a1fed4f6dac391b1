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
            for p in group['params']:
                if p.grad is None:
                    continue
                d_p = p.grad
                adapt = not (group['exclude_1d'] and p.ndim <= 1)
                if adapt:
                    if group['weight_decay'] != 0:
                        d_p = d_p.add(p, alpha=group['weight_decay'])
                    w_norm, g_norm = torch.norm(p), torch.norm(d_p)
                    # Layers with zero weights or zero gradient keep the plain SGD step.
                    trust = torch.where((w_norm > 0) & (g_norm > 0),
                                        group['eta'] * w_norm / (g_norm + group['eps']),
                                        torch.ones_like(w_norm))
                    d_p = d_p.mul(trust)
                state = self.state[p]
                if 'momentum_buffer' not in state:
                    state['momentum_buffer'] = d_p.detach().clone()
                else:
                    state['momentum_buffer'].mul_(group['momentum']).add_(d_p)
                p.add_(state['momentum_buffer'], alpha=-group['lr'])
        return loss
