"""Export pretraining checkpoints into mmdet's own detector configs: Faster / Mask R-CNN
(FPN and C4), Cascade R-CNN, HTC, RetinaNet and FCOS, with the loaded-vs-total table."""
import re
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
                              check_export, export_weights, format_table, online_state_dict,
                              raise_on_mismatch)
from mmssl_det.registry import MODELS

REPO = Path(__file__).resolve().parents[2]
FRCNN = 'mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py'
# mmdet's C4 configs are caffe-style (stride in the 1x1 conv, BGR, std 1); our pretraining is
# pytorch-style, so the C4 detectors are mmdet's configs with the ResNets switched to pytorch.
C4_PYTORCH = {'model.backbone.style': 'pytorch', 'model.roi_head.shared_head.style': 'pytorch'}
FRCNN_C4 = 'mmdet::faster_rcnn/faster-rcnn_r50-caffe_c4-1x_coco.py'


def _build_pretrainer(config: str, init: bool = True, **model_overrides):
    cfg = Config.fromfile(str(REPO / config))
    cfg.model.update(model_overrides)
    with DefaultScope.overwrite_default_scope('mmssl_det'):
        model = MODELS.build(cfg.model)
    if init:
        model.init_weights()
    return model


def _build_frcnn():
    return build_detector(FRCNN)


def _export(tmp_path, model, *extra, config=FRCNN):
    ckpt, out = tmp_path / 'pretrain.pth', tmp_path / 'exported.pth'
    torch.save(dict(state_dict=model.state_dict(), meta=dict(epoch=1)), ckpt)
    proc = subprocess.run([sys.executable, str(REPO / 'tools/export_detector.py'), str(ckpt),
                           '--config', config, '--out', str(out), *extra],
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
    assert 'rpn_head not exported: excluded (--exclude)' in proc.stdout
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
    assert proc.returncode == 2
    assert 'backbone' in proc.stderr and 'missing in checkpoint' in proc.stderr
    assert 'Traceback' not in proc.stderr
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


# -- every detector family ----------------------------------------------------------------------
@pytest.fixture(scope='module')
def pixpro_fpn_rpn():
    """A configs/pixpro_fpn_rpn.py pretrainer (R50-FPN, RPN, RoI shared fcs) whose every float
    tensor, BN statistics included, is random: loaded values differ from any detector init."""
    model = _build_pretrainer('configs/pixpro_fpn_rpn.py', init=False)
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for v in model.state_dict().values():
            if v.is_floating_point():
                v.copy_(torch.rand(v.shape, generator=gen) + 0.5)
    return model.state_dict()


def _table(text: str) -> dict:
    """``{part: (loaded tensors, total tensors)}`` read back from the printed table."""
    return {m.group(1): (int(m.group(2)), int(m.group(3)))
            for m in re.finditer(r'^(\w+)\s+(?:yes|no)\s+(\d+)/(\d+)', text, re.M)}


def _loaded_per_part(detector, state: dict) -> dict:
    """What really loaded: per part, detector tensors equal to the file's after loading."""
    det = detector.state_dict()
    counts = {}
    for key, value in det.items():
        part = key.split('.')[0]
        loaded, total = counts.get(part, (0, 0))
        counts[part] = (loaded + (key in state and torch.equal(value, state[key])), total + 1)
    return counts


# (config, cfg_options, expected loaded tensors per part, a detector key -> pretrained key that
#  must hold the same values, words the table's notes must contain)
FAMILIES = {
    'faster_fpn': (FRCNN, {}, dict(backbone=318, neck=16, rpn_head=6, roi_head=4),
                   ('roi_head.bbox_head.shared_fcs.1.weight',
                    'roi_head.bbox_head.shared_fcs.1.weight'), ['bbox_head.fc_cls']),
    'faster_c4': (FRCNN_C4, C4_PYTORCH, dict(backbone=258, rpn_head=0, roi_head=60),
                  ('roi_head.shared_head.layer4.2.conv3.weight', 'backbone.layer4.2.conv3.weight'),
                  ['shared_head.layer4 <- backbone.layer4 (C4)', 'neck not exported',
                   'rpn_head not exported']),
    'mask_fpn': ('mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py', {},
                 dict(backbone=318, neck=16, rpn_head=6, roi_head=4),
                 ('neck.fpn_convs.0.conv.weight', 'neck.fpn_convs.0.conv.weight'),
                 ['left to fine-tuning: mask_head, bbox_head.fc_cls, bbox_head.fc_reg']),
    'mask_c4': ('mmdet::mask_rcnn/mask-rcnn_r50-caffe-c4_1x_coco.py', C4_PYTORCH,
                dict(backbone=258, rpn_head=0, roi_head=60),
                ('roi_head.shared_head.layer4.0.downsample.1.running_var',
                 'backbone.layer4.0.downsample.1.running_var'),
                ['left to fine-tuning: bbox_head, mask_head']),
    'cascade': ('mmdet::cascade_rcnn/cascade-rcnn_r50_fpn_1x_coco.py', {},
                dict(backbone=318, neck=16, rpn_head=6, roi_head=12),
                ('roi_head.bbox_head.2.shared_fcs.0.weight',
                 'roi_head.bbox_head.shared_fcs.0.weight'), ['RoI stages 0,1,2 of 3']),
    'htc': ('mmdet::htc/htc_r50_fpn_1x_coco.py', {},
            dict(backbone=318, neck=16, rpn_head=6, roi_head=12),
            ('roi_head.bbox_head.1.shared_fcs.1.bias', 'roi_head.bbox_head.shared_fcs.1.bias'),
            ['mask_head', 'semantic_head']),
    'retinanet': ('mmdet::retinanet/retinanet_r50_fpn_1x_coco.py', {},
                  dict(backbone=318, neck=12, bbox_head=0),
                  ('neck.lateral_convs.0.conv.weight', 'neck.lateral_convs.1.conv.weight'),
                  ['rpn_head not exported: the detector has no rpn_head',
                   'left to fine-tuning: fpn_convs.3, fpn_convs.4']),
    'fcos': ('mmdet::fcos/fcos_r50-caffe_fpn_gn-head_1x_coco.py',
             {'model.backbone.style': 'pytorch'}, dict(backbone=318, neck=12, bbox_head=0),
             ('neck.fpn_convs.2.conv.bias', 'neck.fpn_convs.3.conv.bias'),
             ['FPN starts 1 level(s) higher']),
}


@pytest.mark.parametrize('family', list(FAMILIES))
def test_export_to_detector_family(pixpro_fpn_rpn, family):
    """The table's figures are what really loads; values land under the family's names."""
    config, options, expected, (det_key, src_key), words = FAMILIES[family]
    detector = build_detector(config, options)
    weights = online_state_dict(pixpro_fpn_rpn)
    state, reports, routes = export_weights(weights, detector)
    check_export(state, reports, routes, 'pixpro_fpn_rpn')
    table = format_table(reports)

    detector.load_state_dict(state, strict=False)
    real = _loaded_per_part(detector, state)
    printed = _table(table)
    for part, n in expected.items():
        assert printed[part] == real[part] == (n, real[part][1]), (part, table)
    assert torch.equal(detector.state_dict()[det_key], pixpro_fpn_rpn[src_key])
    for word in words:
        assert word in table, table
    assert 'does not fit' not in table


def test_c4_export_through_the_tool(tmp_path, pixpro_fpn_rpn):
    """tools/export_detector.py into mmdet's Faster R-CNN C4 (pytorch style): the table,
    meta.parts, and what mmengine's load_checkpoint then loads agree."""
    ckpt, out = tmp_path / 'pretrain.pth', tmp_path / 'c4.pth'
    torch.save(dict(state_dict=pixpro_fpn_rpn, meta=dict(epoch=1)), ckpt)
    options = [f'{k}={v}' for k, v in C4_PYTORCH.items()]
    proc = subprocess.run([sys.executable, 'tools/export_detector.py', str(ckpt), '--config',
                           FRCNN_C4, '--out', str(out), '--cfg-options', *options],
                          capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    print(proc.stdout)
    exported = torch.load(out)
    assert exported['meta']['parts'] == ['backbone', 'roi_head']
    assert set(exported['meta']['not_exported']) == {'neck', 'rpn_head', 'roi_head'}
    detector = build_detector(FRCNN_C4, C4_PYTORCH)
    load_checkpoint(detector, str(out), map_location='cpu', strict=False)
    real = _loaded_per_part(detector, exported['state_dict'])
    assert _table(proc.stdout) == {**real, 'neck': (0, 0)}
    assert real['backbone'] == (258, 258) and real['roi_head'] == (60, 64)


def test_roi_stages_and_require(pixpro_fpn_rpn):
    weights = online_state_dict(pixpro_fpn_rpn)
    cascade = build_detector(FAMILIES['cascade'][0])
    state, reports, routes = export_weights(weights, cascade, roi_stages=[0])
    check_export(state, reports, routes, 'ckpt')
    assert 'roi_head.bbox_head.0.shared_fcs.0.weight' in state
    assert not any(k.startswith(('roi_head.bbox_head.1.', 'roi_head.bbox_head.2.'))
                   for k in state)
    assert 'left to fine-tuning: bbox_head.1, bbox_head.2, bbox_head.0.fc_cls' in \
        format_table(reports)
    with pytest.raises(ExportError, match=r'--roi-stages \[3\]: .* stages \[0, 1, 2\]'):
        export_weights(weights, cascade, roi_stages=[3])

    retina = build_detector(FAMILIES['retinanet'][0])
    state, reports, routes = export_weights(weights, retina)
    check_export(state, reports, routes, 'ckpt', require=['backbone', 'neck'])
    with pytest.raises(ExportError, match='rpn_head was required .* no rpn_head'):
        check_export(state, reports, routes, 'ckpt', require=['neck', 'rpn_head'])


def test_neck_variants(pixpro_fpn_rpn):
    """An FPN subclass (PAFPN) gets the FPN layers, its bottom-up path is its own; an FPN
    whose top is below C5 computes other features: not exported."""
    weights = online_state_dict(pixpro_fpn_rpn)
    pafpn = build_detector(FRCNN, {'model.neck.type': 'PAFPN'})
    state, reports, routes = export_weights(weights, pafpn)
    check_export(state, reports, routes, 'ckpt')
    assert 'left to fine-tuning: downsample_convs, pafpn_convs' in format_table(reports)

    low = build_detector(FAMILIES['retinanet'][0], {
        'model.neck.end_level': 2, 'model.neck.num_outs': 2, 'model.neck.add_extra_convs': False})
    state, reports, routes = export_weights(weights, low)
    check_export(state, reports, routes, 'ckpt')
    assert not any(k.startswith('neck.') for k in state)
    assert 'neck not exported: the detector neck (FPN, 2 input levels) is not an FPN over the ' \
           'top 2 of the pretrained 4 levels' in format_table(reports)
