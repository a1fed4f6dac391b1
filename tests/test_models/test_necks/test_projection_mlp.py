"""ProjectionMLP: the 2-layer default keeps its layout; SimSiam's 3-layer projector with BN on
the output (arXiv 2011.10566, Sec. 4.2)."""
import pytest
import torch
from torch import nn

from mmssl_det.models.necks import ProjectionMLP


def test_default_two_layers_keep_their_keys():
    mlp = ProjectionMLP(8, 16, 4, dense=False)
    assert [type(m) for m in mlp.mlp] == [nn.Linear, nn.BatchNorm1d, nn.ReLU, nn.Linear]
    assert mlp.mlp[0].bias is None and mlp.mlp[3].bias is not None
    assert mlp(torch.randn(3, 8)).shape == (3, 4)


def test_simsiam_projector_three_layers_bn_on_output():
    mlp = ProjectionMLP(8, 16, 4, dense=False, with_avg_pool=True, num_layers=3,
                        out_norm=True)
    assert [type(m) for m in mlp.mlp] == [nn.Linear, nn.BatchNorm1d, nn.ReLU,
                                          nn.Linear, nn.BatchNorm1d, nn.ReLU,
                                          nn.Linear, nn.BatchNorm1d]
    assert all(m.bias is None for m in mlp.mlp if isinstance(m, nn.Linear))
    out = mlp.train()(torch.randn(5, 8, 3, 3))
    assert out.shape == (5, 4)
    torch.testing.assert_close(out.mean(0), torch.zeros(4), atol=1e-5, rtol=0)  # output BN


def test_bad_layer_counts_raise():
    with pytest.raises(ValueError, match='num_layers=1'):
        ProjectionMLP(8, 16, 4, num_layers=1)
    with pytest.raises(ValueError, match='out_norm=True needs a norm_cfg'):
        ProjectionMLP(8, 16, 4, out_norm=True, norm_cfg=None)
