"""DeFRCN's gradient-decoupled layer: identity (or affine) forward, gradient x lambda backward;
and in the detector, the features receive lambda-scaled gradients from each head's path."""
import copy

import pytest
import torch

from mmssl_det.models.detectors import DeFRCN, GradientDecoupledLayer, decouple_gradient

RPN_LOSSES = ('loss_rpn_cls', 'loss_rpn_bbox')
ROI_LOSSES = ('loss_cls', 'loss_bbox')


def test_decouple_gradient_known_values():
    x = torch.tensor([1., -2., 3.], requires_grad=True)
    y = decouple_gradient(x, 0.25)
    assert torch.equal(y, x)
    (y * torch.tensor([4., 8., -2.])).sum().backward()
    assert torch.equal(x.grad, torch.tensor([1., 2., -0.5]))


def test_decouple_gradient_zero_stops_the_gradient():
    x = torch.ones(2, 3, requires_grad=True)
    (decouple_gradient(x, 0.0) * 5).sum().backward()
    assert torch.equal(x.grad, torch.zeros(2, 3))


def test_layer_starts_as_identity_and_scales_the_gradient_through_its_affine():
    layer = GradientDecoupledLayer(2, scale=0.5)
    x = torch.tensor([[[[1.]], [[2.]]]], requires_grad=True)  # (1, 2, 1, 1)
    assert torch.equal(layer(x), x)  # identity at init
    with torch.no_grad():
        layer.affine.weight.copy_(torch.tensor([[1., 2.], [3., 4.]])[..., None, None])
    out = layer(x)
    assert torch.allclose(out.flatten(), torch.tensor([5., 11.]))  # A x
    g = torch.tensor([1., -1.])
    (out.flatten() * g).sum().backward()
    # to the input: lambda * A^T g = 0.5 * [1-3, 2-4]; to A itself: the full g x^T
    assert torch.allclose(x.grad.flatten(), torch.tensor([-1., -1.]))
    assert torch.allclose(layer.affine.weight.grad[..., 0, 0],
                          torch.tensor([[1., 2.], [-1., -2.]]))


def test_layer_without_affine_and_bad_scale():
    layer = GradientDecoupledLayer(3, scale=0.1, affine=False)
    assert not list(layer.parameters())
    with pytest.raises(ValueError, match='scale=1.5 must be in'):
        GradientDecoupledLayer(3, scale=1.5)


def _feature_grads(model, batch, losses):
    model.zero_grad()
    torch.manual_seed(0)  # the RoI sampler draws at random: same draws in both detectors
    out = model.loss(batch['inputs'], batch['data_samples'])
    sum(out[k] if torch.is_tensor(out[k]) else sum(out[k]) for k in losses).backward()
    return {n: p.grad.clone() for n, p in model.named_parameters()
            if n.startswith(('backbone.', 'neck.')) and p.grad is not None}


@pytest.mark.parametrize('losses,scale_key', [(RPN_LOSSES, 'rpn_scale'),
                                              (ROI_LOSSES, 'roi_scale')])
def test_features_get_lambda_scaled_gradients_from_each_path(
        losses, scale_key, tiny_detector_cfg, build_detector, detector_batch):
    scales = dict(rpn_scale=0.5, roi_scale=0.25)
    plain = build_detector(tiny_detector_cfg())
    defrcn = build_detector(tiny_detector_cfg(type='mmssl_det.DeFRCN', **scales))
    assert isinstance(defrcn, DeFRCN)
    defrcn.load_state_dict(plain.state_dict(), strict=False)  # + identity gdl_* layers
    batch = detector_batch(plain)
    ref = _feature_grads(plain, batch, losses)
    got = _feature_grads(defrcn, batch, losses)
    assert set(got) == set(ref) and len(ref) > 10
    assert sum(g.abs().sum() for g in ref.values()) > 0
    for name in ref:
        assert torch.allclose(got[name], scales[scale_key] * ref[name], atol=1e-7,
                              rtol=1e-4), name
    # the heads themselves are trained in full (same gradients as plain Faster R-CNN)
    head = 'rpn_head.rpn_conv.weight' if scale_key == 'rpn_scale' else \
        'roi_head.bbox_head.fc_cls.weight'
    assert torch.allclose(dict(defrcn.named_parameters())[head].grad,
                          dict(plain.named_parameters())[head].grad, atol=1e-7, rtol=1e-4)


def test_rpn_scale_zero_leaves_the_features_to_the_roi_head(
        tiny_detector_cfg, build_detector, detector_batch):
    defrcn = build_detector(tiny_detector_cfg(type='mmssl_det.DeFRCN', rpn_scale=0.0))
    grads = _feature_grads(defrcn, detector_batch(defrcn), RPN_LOSSES)
    assert grads and all(g.abs().sum() == 0 for g in grads.values())
    assert defrcn.gdl_rpn.affine.weight.grad.abs().sum() > 0  # its own affine does learn


def test_deepcopy_hooks_the_copy_s_own_layers(tiny_detector_cfg, build_detector,
                                              detector_batch):
    defrcn = build_detector(tiny_detector_cfg(type='mmssl_det.DeFRCN', rpn_scale=1.0))
    twin = copy.deepcopy(defrcn)
    with torch.no_grad():
        twin.gdl_rpn.affine.weight.zero_()  # the copy's RPN now sees zero features
    batch = detector_batch(defrcn)
    defrcn.eval(), twin.eval()
    feats = defrcn.extract_feat(batch['inputs'])
    a, b = defrcn.rpn_head(feats), twin.rpn_head(feats)
    assert not torch.allclose(a[0][0], b[0][0])
