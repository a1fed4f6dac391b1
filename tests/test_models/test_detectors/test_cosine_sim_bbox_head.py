"""TFA's cosine classifier: logits = scale * cos(x, w_c), background a row; regression as mmdet."""
import math

import pytest
import torch

from mmssl_det.models.detectors import (CosineSimBBoxHead, CosineSimLinear, DropoutLinear,
                                        cosine_similarity_logits)


def test_logits_are_scale_times_cosine_known_values():
    x = torch.tensor([[3., 4.], [0., -2.]])
    w = torch.tensor([[1., 0.], [0., 2.], [-3., -4.]])  # two classes + background
    logits = cosine_similarity_logits(x, w, scale=20.0)
    # cos: (3,4)/5 vs (1,0): 0.6, (0,1): 0.8, -(3,4)/5: -1; (0,-1): 0, -1, 0.8
    assert torch.allclose(logits, torch.tensor([[12., 16., -20.], [0., -20., 16.]]))


def test_logits_ignore_feature_and_weight_norms():
    g = torch.Generator().manual_seed(0)
    x, w = torch.randn(5, 8, generator=g), torch.randn(3, 8, generator=g)
    ref = cosine_similarity_logits(x, w, 20.0)
    assert torch.allclose(cosine_similarity_logits(7 * x, 0.1 * w, 20.0), ref, atol=1e-5)
    assert ref.abs().max() <= 20.0 + 1e-5
    assert torch.equal(cosine_similarity_logits(torch.zeros(1, 8), w, 20.0), torch.zeros(1, 3))


def test_cosine_linear_is_bias_free_and_trains_through_the_normalisation():
    layer = CosineSimLinear(2, 3, scale=10.0)
    assert [n for n, _ in layer.named_parameters()] == ['weight'] and layer.bias is None
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[1., 0.], [0., 1.], [1., 1.]]))
    out = layer(torch.tensor([[2., 0.]]))
    assert torch.allclose(out, torch.tensor([[10., 0., 10 / math.sqrt(2)]]))
    out[0, 0].backward()  # cos of parallel vectors is at its maximum: zero gradient
    assert torch.allclose(layer.weight.grad[0], torch.zeros(2), atol=1e-7)
    assert layer.weight.grad[1].abs().sum() == 0  # other rows do not enter logit 0


def test_bbox_head_scores_with_cosine_and_keeps_mmdet_layout(build_detector, tiny_detector_cfg):
    cfg = tiny_detector_cfg(num_classes=3, roi_head=dict(bbox_head=dict(
        type='mmssl_det.CosineSimBBoxHead', scale=20.0)))
    model = build_detector(cfg).eval()
    head = model.roi_head.bbox_head
    assert isinstance(head, CosineSimBBoxHead) and isinstance(head.fc_cls, CosineSimLinear)
    plain = build_detector(tiny_detector_cfg(num_classes=3)).roi_head.bbox_head
    keys = set(head.state_dict())
    assert keys == set(plain.state_dict()) - {'fc_cls.bias'}
    assert head.fc_cls.weight.shape == (4, 32) and head.fc_reg.weight.shape == (12, 32)
    rois = torch.randn(5, 16, 7, 7)
    cls_score, bbox_pred = head(rois)
    x = rois.flatten(1)
    for fc in head.shared_fcs:
        x = torch.relu(fc(x))
    assert torch.allclose(cls_score, cosine_similarity_logits(x, head.fc_cls.weight, 20.0),
                          atol=1e-5)
    assert torch.allclose(bbox_pred, head.fc_reg(x))


def test_head_rejects_another_classifier_and_bad_scale():
    with pytest.raises(ValueError, match='cls_predictor_cfg is fixed to CosineSimLinear'):
        CosineSimBBoxHead(cls_predictor_cfg=dict(type='Linear'), in_channels=4,
                          fc_out_channels=8, num_classes=2)
    with pytest.raises(ValueError, match='scale=0'):
        CosineSimLinear(4, 3, scale=0)


@pytest.mark.parametrize('layer', [CosineSimLinear(6, 3, dropout=0.5),
                                   DropoutLinear(6, 3, dropout=0.5)])
def test_classifier_dropout_acts_in_training_only(layer):
    x = torch.ones(200, 6)
    layer.eval()
    assert torch.equal(layer(x), layer(x))
    layer.train()
    torch.manual_seed(0)
    a = layer(x)
    assert not torch.allclose(a, layer.eval()(x))  # some inputs were zeroed (and rescaled)


def test_dropout_linear_keeps_linear_keys_and_values():
    layer = DropoutLinear(4, 3, dropout=0.8).eval()
    ref = torch.nn.Linear(4, 3)
    ref.load_state_dict(layer.state_dict())
    x = torch.randn(2, 4)
    assert torch.equal(layer(x), ref(x))
    with pytest.raises(ValueError, match='dropout=1.0'):
        DropoutLinear(4, 3, dropout=1.0)
