"""PixProHead: the sparse path (default) against the dense one, same weights and inputs."""
import copy

import pytest
import torch

import mmssl_det  # noqa: F401
from mmssl_det.registry import MODELS


@pytest.mark.parametrize('num_layers', [1, 2])
def test_sparse_head_equals_dense(num_layers):
    torch.manual_seed(0)
    sparse = MODELS.build(dict(type='PixProHead', ppm=dict(
        type='PixelPropagationModule', channels=8, num_layers=num_layers)))
    dense = copy.deepcopy(sparse)
    dense.sparse = False
    assert sparse.sparse
    g = torch.Generator().manual_seed(3)
    online = [torch.randn(3, 8, 6, 6, generator=g), torch.randn(3, 8, 5, 7, generator=g)]
    target = [torch.randn(3, 8, 6, 6, generator=g), torch.randn(3, 8, 5, 7, generator=g)]
    coords = torch.tensor([[[0.1, 0.1, 0.7, 0.6], [0.3, 0.2, 0.9, 0.8]],
                           [[0.8, 0.0, 0.2, 0.5], [0.1, 0.1, 0.6, 0.6]],  # flipped view 0
                           [[0.0, 0.0, 0.3, 0.3], [0.6, 0.6, 1.0, 1.0]]])  # disjoint views
    losses, grads = [], []
    for head in (sparse, dense):
        inputs = [o.clone().requires_grad_() for o in online]
        loss = head.loss(inputs, target, coords)
        loss.backward()
        losses.append(loss)
        grads.append([i.grad for i in inputs] +
                     [p.grad for p in head.ppm.parameters() if p.requires_grad])
    torch.testing.assert_close(losses[0], losses[1], atol=1e-5, rtol=1e-5)
    for a, b in zip(*grads):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)
