"""Export pretraining checkpoints into mmdet's own Faster R-CNN R50-FPN config."""
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner import load_checkpoint

import mmssl_det  # noqa: F401
from mmssl_det.export import (ExportError, build_detector, check_against_detector,
                              online_state_dict, raise_on_mismatch)
from mmssl_det.registry import MODELS

REPO = Path(__file__).resolve().parents[2]
FRCNN = 'mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py'


def _build_pretrainer(config: str, **model_overrides):
    cfg = Config.fromfile(str(REPO / config))
    cfg.model.update(model_overrides)
    with DefaultScope.overwrite_default_scope('mmssl_det'):
        model = MODELS.build(cfg.model)
    model.init_weights()
    return model


def _build_frcnn():
    return build_detector(FRCNN)


def _export(tmp_path, model, *extra):
    ckpt, out = tmp_path / 'pretrain.pth', tmp_path / 'exported.pth'
    torch.save(dict(state_dict=model.state_dict(), meta=dict(epoch=1)), ckpt)
    proc = subprocess.run([sys.executable, str(REPO / 'tools/export_detector.py'), str(ckpt),
                           '--config', FRCNN, '--out', str(out), *extra],
                          capture_output=True, text=True, cwd=REPO)
    return proc, out


def _loaded_fraction(detector, exported: dict, prefix: str) -> float:
    keys = [k for k in detector.state_dict() if k.startswith(prefix)]
    return sum(k in exported for k in keys) / len(keys)


@pytest.mark.parametrize('config,parts', [
    ('configs/pixpro_fpn.py', ('backbone.', 'neck.')),
    ('configs/pixpro_fpn_rpn.py', ('backbone.', 'neck.', 'rpn_head.')),
])
def test_export_loads_into_mmdet_faster_rcnn(tmp_path, config, parts):
    pretrainer = _build_pretrainer(config)
    proc, out = _export(tmp_path, pretrainer)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert 'backbone' in proc.stdout and '100.0%' in proc.stdout  # the loaded-vs-total table

    exported = torch.load(out)['state_dict']
    assert not any(k.startswith(('target.', 'projectors.', 'pixel_head.', 'roi_projector.',
                                 'roi_byol_head.', 'instance_')) for k in exported)
    assert not any('fc_cls' in k or 'fc_reg' in k for k in exported)

    detector = _build_frcnn()
    load_checkpoint(detector, str(out), map_location='cpu', strict=False)
    det_state = detector.state_dict()
    online = pretrainer.state_dict()
    for prefix in parts:
        assert _loaded_fraction(detector, exported, prefix) == 1.0, prefix
        for key in (k for k in det_state if k.startswith(prefix)):
            assert torch.equal(det_state[key], online[key]), key
    if 'rpn_head.' in parts:  # RoI head: shared fcs loaded, predictors left to fine-tuning
        for key in ('roi_head.bbox_head.shared_fcs.0.weight',
                    'roi_head.bbox_head.shared_fcs.1.weight'):
            assert torch.equal(det_state[key], online[key])
        assert 'roi_head.bbox_head.fc_cls.weight' not in exported


def test_excluded_parts_are_left_to_the_detector(tmp_path):
    proc, out = _export(tmp_path, _build_pretrainer('configs/pixpro_fpn_rpn.py'),
                        '--exclude', 'roi_head', 'rpn_head')
    assert proc.returncode == 0, proc.stdout + proc.stderr
    exported = torch.load(out)
    assert not any(k.startswith(('roi_head.', 'rpn_head.')) for k in exported['state_dict'])
    assert any(k.startswith('neck.') for k in exported['state_dict'])
    assert exported['meta']['parts'] == ['backbone', 'neck']


def test_mismatched_architecture_is_an_error(tmp_path):
    """A ResNet-18 pretraining does not fit the R50 detector: error, not a silent partial load."""
    small = _build_pretrainer(
        'configs/pixpro_fpn.py',
        backbone=dict(type='ResNet', depth=18, out_indices=(0, 1, 2, 3)),
        neck=dict(type='FPN', in_channels=[64, 128, 256, 512], out_channels=256, num_outs=5))
    proc, out = _export(tmp_path, small)
    assert proc.returncode != 0
    assert 'backbone' in proc.stderr and 'missing in checkpoint' in proc.stderr
    assert not out.exists()

    reports = check_against_detector(online_state_dict(small.state_dict()), _build_frcnn())
    by_part = {r.part: r for r in reports}
    assert by_part['neck'].mismatched  # lateral conv in_channels 64 vs 256
    assert not by_part['rpn_head'].provided
    with pytest.raises(ExportError, match='neck: .* shape mismatch'):
        raise_on_mismatch(reports, 'small.pth')


def test_diverged_checkpoint_is_an_error():
    """A NaN in any exported tensor (a diverged pretraining) stops the export by name."""
    state = {'backbone.conv1.weight': torch.ones(2, 3), 'rpn_head.rpn_cls.bias': torch.ones(3),
             'target.backbone.conv1.weight': torch.full((2, 3), float('nan'))}
    assert set(online_state_dict(state)) == {'backbone.conv1.weight', 'rpn_head.rpn_cls.bias'}
    state['rpn_head.rpn_cls.bias'][1] = float('inf')
    with pytest.raises(ExportError, match=r'1 tensors hold NaN/inf, first rpn_head\.rpn_cls'):
        online_state_dict(state)
