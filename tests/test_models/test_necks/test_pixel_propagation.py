"""PixelPropagationModule: the authors' normalised value path and eq. 4 as printed."""
import pytest
import torch
import torch.nn.functional as F

from mmssl_det.models.necks import PixelPropagationModule


def _ppm(normalize_value: bool) -> PixelPropagationModule:
    torch.manual_seed(0)
    ppm = PixelPropagationModule(channels=4, num_layers=1, normalize_value=normalize_value)
    with torch.no_grad():
        ppm.transform.weight.mul_(10)  # g's scale must not reach a normalised output
    return ppm


def test_value_path_is_normalised_like_the_authors_featprop():
    x = torch.randn(2, 4, 3, 3, dtype=torch.float64)
    ppm = _ppm(True).double()
    y = ppm(x)
    xn, gx = F.normalize(x.flatten(2), dim=1), F.normalize(ppm.transform(x).flatten(2), dim=1)
    s = (xn.transpose(1, 2) @ xn).clamp(min=0) ** 2  # (N, L, L), eq. 3 with γ = 2
    torch.testing.assert_close(y.flatten(2), gx @ s.transpose(1, 2))
    # Each output is a sum of unit vectors weighted by s_ij ∈ [0, 1]: bounded by Σ_j s_ij.
    assert (y.flatten(2).norm(dim=1) <= s.sum(-1) + 1e-9).all()


def test_eq4_as_printed_scales_with_g():
    x = torch.randn(2, 4, 3, 3)
    y_raw, y_norm = _ppm(False)(x), _ppm(True)(x)
    assert y_raw.norm() > 5 * y_norm.norm()


def test_bad_num_layers():
    with pytest.raises(ValueError, match='num_layers'):
        PixelPropagationModule(num_layers=3)
