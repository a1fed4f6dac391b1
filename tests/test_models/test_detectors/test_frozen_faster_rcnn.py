"""TFA's frozen parts: no gradient, no update, norms in eval mode; unknown paths fail."""
import pytest
import torch
from mmengine.optim import build_optim_wrapper

FROZEN = ['backbone', 'neck', 'rpn_head', 'roi_head.bbox_head.shared_fcs']


def test_only_the_predictor_trains(tiny_detector_cfg, build_detector, detector_batch):
    model = build_detector(tiny_detector_cfg(type='mmssl_det.FrozenFasterRCNN',
                                             frozen_modules=FROZEN))
    trainable = sorted(n for n, p in model.named_parameters() if p.requires_grad)
    assert trainable == ['roi_head.bbox_head.fc_cls.bias', 'roi_head.bbox_head.fc_cls.weight',
                         'roi_head.bbox_head.fc_reg.bias', 'roi_head.bbox_head.fc_reg.weight']
    model.train()
    assert not model.backbone.training and not model.backbone.bn1.training
    assert model.roi_head.bbox_head.fc_cls.training
    before = {k: v.clone() for k, v in model.state_dict().items()}
    optim = build_optim_wrapper(model, dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9,
                                                           weight_decay=0.1)))
    batch = detector_batch(model)
    for _ in range(2):
        losses = model.loss(batch['inputs'], batch['data_samples'])
        optim.update_params(model.parse_losses(losses)[0])
    after = model.state_dict()
    changed = sorted(k for k in after if not torch.equal(after[k], before[k]))
    assert changed == trainable  # BN running stats of the frozen backbone unchanged too


def test_unknown_module_path_names_the_parts(tiny_detector_cfg, build_detector):
    with pytest.raises(ValueError, match=r"frozen_modules names 'roi_head.bbox_head.fcs'.*"
                                         r"parts: .*backbone, neck, rpn_head, roi_head"):
        build_detector(tiny_detector_cfg(type='mmssl_det.FrozenFasterRCNN',
                                         frozen_modules=['roi_head.bbox_head.fcs']))
