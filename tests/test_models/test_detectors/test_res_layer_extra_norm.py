"""ResLayerExtraNorm: mmdet's C4 res5 head + MoCo's extra BN, with ResLayer's key names."""
import torch
from mmdet.models.roi_heads.shared_heads import ResLayer

from mmssl_det.models.detectors import ResLayerExtraNorm


def test_is_res5_then_a_norm_with_reslayers_keys():
    torch.manual_seed(0)
    head = ResLayerExtraNorm(depth=18, stage=3, norm_eval=False)
    plain = ResLayer(depth=18, stage=3, norm_eval=False)
    head.init_weights()
    missing, unexpected = plain.load_state_dict(head.state_dict(), strict=False)
    assert not missing and all(k.startswith('extra_norm.') for k in unexpected)
    assert {k for k in head.state_dict() if not k.startswith('layer4.')} == {
        'extra_norm.weight', 'extra_norm.bias', 'extra_norm.running_mean',
        'extra_norm.running_var', 'extra_norm.num_batches_tracked'}
    x = torch.randn(4, 256, 7, 7)
    out = head(x)
    res5 = plain(x)
    assert out.shape == res5.shape == (4, 512, 4, 4)
    # train-mode BN with γ = 1, β = 0: per-channel standardisation of res5's output
    mean = res5.mean(dim=(0, 2, 3), keepdim=True)
    var = res5.var(dim=(0, 2, 3), unbiased=False, keepdim=True)
    torch.testing.assert_close(out, (res5 - mean) / torch.sqrt(var + 1e-5), atol=1e-4,
                               rtol=1e-4)


def test_export_fills_res5_and_leaves_the_extra_norm_to_fine_tuning():
    """The transfer C4 config takes a pretrained R50's layer4 in its shared head (100 % of
    res5) without asking the checkpoint for the extra norm."""
    from mmssl_det.export import build_detector, check_export, export_weights
    detector = build_detector('configs/transfer/voc/faster-rcnn_r50-c4_24k_voc0712.py')
    torch.manual_seed(0)
    r50 = build_detector('mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py').backbone
    weights = {f'backbone.{k}': v for k, v in r50.state_dict().items()}
    state, reports, routes = export_weights(weights, detector)
    check_export(state, reports, routes, 'r50')  # raises on any misfit
    assert not any('extra_norm' in k for k in state)
    shared = {k: v for k, v in state.items() if k.startswith('roi_head.shared_head.')}
    assert len(shared) == len([k for k in weights if k.startswith('backbone.layer4.')])
    torch.testing.assert_close(state['roi_head.shared_head.layer4.0.conv1.weight'],
                               weights['backbone.layer4.0.conv1.weight'])
