"""renormalize_relu_chain_: pins each layer's norm, changes the output only by a positive scale."""
import pytest
import torch
from torch import nn

from mmssl_det.models.utils import layer_norm, renormalize_relu_chain_


def chain(layers, x):
    for layer in layers:
        x = torch.relu(layer(x))
    return x


def test_known_values_two_layers():
    l1, l2 = nn.Linear(2, 2), nn.Linear(2, 1)
    with torch.no_grad():
        l1.weight.copy_(torch.tensor([[3., 0.], [0., 4.]]))
        l1.bias.zero_()
        l2.weight.copy_(torch.tensor([[1., 1.]]))
        l2.bias.fill_(1.)
    x = torch.tensor([[1., 1.]])
    assert chain([l1, l2], x).item() == 8.  # relu(3 + 4 + 1)
    renormalize_relu_chain_([l1, l2], [1., 1.])
    # l1 ÷ 5 (‖[3, 0, 0, 4, 0, 0]‖ = 5), l2.weight × 5 → [5, 5 | 1], then ÷ √51.
    torch.testing.assert_close(l1.weight, torch.tensor([[.6, 0.], [0., .8]]))
    torch.testing.assert_close(l2.weight, torch.tensor([[5., 5.]]) / 51 ** .5)
    torch.testing.assert_close(chain([l1, l2], x), torch.tensor([[8. / 51 ** .5]]))


def test_random_chain_keeps_direction_and_hits_norms():
    torch.manual_seed(0)
    layers = [nn.Linear(16, 32), nn.Linear(32, 8)]
    with torch.no_grad():
        layers[0].weight.mul_(7)
        layers[1].weight.mul_(0.2)
    x = torch.randn(5, 16)
    before = chain(layers, x)
    renormalize_relu_chain_(layers, [2.0, 3.0])
    after = chain(layers, x)
    assert [round(float(layer_norm(lyr)), 5) for lyr in layers] == [2.0, 3.0]
    scale = after.norm() / before.norm()
    torch.testing.assert_close(after, before * scale)
    with pytest.raises(ValueError, match='2 layers but 1 norms'):
        renormalize_relu_chain_(layers, [1.0])
