"""RoIPretextHead gives exactly what the downstream detector's fc_cls / fc_reg will read."""
import torch
from mmengine.registry import DefaultScope
from mmdet.structures.bbox import bbox2roi

from mmssl_det.registry import MODELS

EXTRACTOR = dict(type='SingleRoIExtractor',
                 roi_layer=dict(type='RoIAlign', output_size=7, sampling_ratio=0),
                 out_channels=8, featmap_strides=[4, 8, 16, 32])
HEAD = dict(type='Shared2FCBBoxHead', in_channels=8, fc_out_channels=16, roi_feat_size=7,
            num_classes=3)


def test_shared_representation_equals_the_detectors_fc_inputs():
    with DefaultScope.overwrite_default_scope('mmssl_det'):
        pretext = MODELS.build(dict(type='RoIPretextHead', bbox_roi_extractor=EXTRACTOR,
                                    bbox_head=HEAD))
        detector_head = MODELS.build(HEAD)
    pretext.init_weights()
    state = {k[len('bbox_head.'):]: v for k, v in pretext.state_dict().items()
             if k.startswith('bbox_head.')}
    missing, unexpected = detector_head.load_state_dict(state, strict=False)
    assert not unexpected and all(k.startswith(('fc_cls', 'fc_reg')) for k in missing)
    assert not any('fc_cls' in k or 'fc_reg' in k for k in pretext.state_dict())
    feats = tuple(torch.randn(2, 8, s, s) for s in (32, 16, 8, 4))
    boxes = [torch.tensor([[2., 2., 60., 40.], [10., 5., 100., 90.]]),
             torch.tensor([[0., 0., 127., 127.]])]
    seen = []
    detector_head.fc_cls.register_forward_hook(lambda m, inp, out: seen.append(inp[0]))
    detector_head(pretext.bbox_roi_extractor(feats, bbox2roi(boxes)))
    torch.testing.assert_close(pretext(feats, boxes), seen[0])
    assert seen[0].shape == (3, 16)
