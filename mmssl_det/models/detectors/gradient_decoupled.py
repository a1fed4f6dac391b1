"""DeFRCN's Gradient Decoupled Layer (Qiao et al., "DeFRCN: Decoupled Faster R-CNN for
Few-Shot Object Detection", arXiv 2108.09017, Sec. 3, "Gradient Decoupled Layer").

Faster R-CNN's RPN and RoI head both back-propagate into the one shared feature extractor,
whose features then serve two conflicting goals (class-agnostic proposals, class-specific
boxes) and, in fine-tuning, over-fit the few shots. The GDL sits between the extractor and
each head:

- forward  ``G(x) = A(x)``, with ``A`` a learnable affine transform (identity at init) that
  gives each head its own view of the shared features;
- backward ``∂G/∂x = λ · ∂A/∂x``: the gradient reaching the extractor is scaled by λ ∈ [0, 1]
  — 0 stops it (the head cannot change the extractor), 1 is plain Faster R-CNN.

``A`` here is a 1×1 convolution initialised to the identity; the authors' code uses a
per-channel scale and bias, the diagonal special case of it.
"""
from typing import Tuple

import torch
from torch import Tensor, nn

from mmssl_det.registry import MODELS


class _ScaleGradient(torch.autograd.Function):
    """Identity forward; the incoming gradient × ``scale`` backward."""

    @staticmethod
    def forward(ctx, x: Tensor, scale: float) -> Tensor:
        ctx.scale = scale
        return x.view_as(x)  # a new tensor node, so autograd calls our backward

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tuple[Tensor, None]:
        return grad * ctx.scale, None


def decouple_gradient(x: Tensor, scale: float) -> Tensor:
    """``x`` unchanged in the forward pass; ``scale ·`` its gradient in the backward pass
    (λ of the GDL). Any shape."""
    return _ScaleGradient.apply(x, scale)


@MODELS.register_module()
class GradientDecoupledLayer(nn.Module):
    """``A(decouple_gradient(x, λ))``, ``A`` a 1×1 conv starting at the identity.

    Gradients reach ``A``'s own weights in full; what passes further back to the input is
    ``λ · Aᵀ g`` (eq. of Sec. 3). Applied to each level of a feature pyramid with the same
    ``A``.

    Args:
        channels: ``C`` of the ``(N, C, H, W)`` features.
        scale: λ in [0, 1].
        affine: learn ``A``; False makes the forward the identity and only scales gradients.
    """

    def __init__(self, channels: int, scale: float, affine: bool = True) -> None:
        super().__init__()
        if not 0.0 <= scale <= 1.0:
            raise ValueError(f'GradientDecoupledLayer: scale={scale} must be in [0, 1] '
                             f'(DeFRCN: 0 for the RPN, 0.75 / 0.01 for the RoI head)')
        self.scale = float(scale)
        self.affine = None
        if affine:
            self.affine = nn.Conv2d(channels, channels, 1)
            self.init_weights()

    def init_weights(self) -> None:
        """Identity: the detector's features are unchanged until the heads train ``A``."""
        if self.affine is not None:
            with torch.no_grad():
                self.affine.weight.copy_(torch.eye(self.affine.in_channels)[..., None, None])
                self.affine.bias.zero_()

    def forward(self, x: Tensor) -> Tensor:
        """``(N, C, H, W)`` → ``(N, C, H, W)``."""
        x = decouple_gradient(x, self.scale)
        return x if self.affine is None else self.affine(x)

    def extra_repr(self) -> str:
        return f'scale={self.scale}'
