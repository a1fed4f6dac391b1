"""Fixing the free scale of layers whose loss does not see it."""
from typing import Sequence

import torch
from torch import nn


def layer_norm(layer: nn.Linear) -> torch.Tensor:
    """Frobenius norm of a layer's ``[weight | bias]`` (detached: bookkeeping, not loss)."""
    parts = [layer.weight.flatten()] + ([layer.bias] if layer.bias is not None else [])
    return torch.cat(parts).detach().norm()


@torch.no_grad()
def renormalize_relu_chain_(layers: Sequence[nn.Linear], norms: Sequence[float]) -> None:
    """Rescale a chain ``h = relu(L_n(… relu(L_1(x))))`` so each layer's ``[weight | bias]``
    has Frobenius norm ``norms[l]``, changing ``h`` only by a positive factor.

    ReLU is positively homogeneous, so scaling layer ``l`` by ``s > 0`` and dividing the
    next layer's weight by ``s`` leaves every later activation unchanged; the last layer's
    rescaling multiplies ``h`` by ``s``. A loss that normalises ``h`` (BatchNorm after a
    bias-free linear, as in BYOL's projector; arXiv 2006.07733) is blind to all these
    scales, and SGD on scale-blind weights only ever grows them (each step is orthogonal to
    the weight, so ``‖w‖²`` gains ``lr²‖g‖²``). Rescaling after every step pins them.

    Args:
        layers: the linear layers in order (each followed by a ReLU in the chain).
        norms: target norm per layer, > 0.
    """
    if len(layers) != len(norms):
        raise ValueError(f'renormalize_relu_chain_: {len(layers)} layers but '
                         f'{len(norms)} norms')
    for i, (layer, target) in enumerate(zip(layers, norms)):
        s = float(target) / float(layer_norm(layer).clamp(min=1e-12))
        layer.weight.mul_(s)
        if layer.bias is not None:
            layer.bias.mul_(s)
        if i + 1 < len(layers):
            layers[i + 1].weight.div_(s)
