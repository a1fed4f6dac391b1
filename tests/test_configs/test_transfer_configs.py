"""Every configs/transfer config is built, trained for 2 iterations and evaluated on CPU through
its own dataset, pipeline, model and evaluator classes, on format-faithful fixtures made from
the real photos in tests/data (tests/format_fixtures.py). Only data roots, iterations (and the
repeat factor) and image size are overridden (conftest.tiny_run_cfg)."""
import importlib.util
import math
import re
import time
from pathlib import Path

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

import mmssl_det  # noqa: F401  (compat workarounds, as tools/train.py)

REPO = Path(__file__).resolve().parents[2]
TRANSFER = REPO / 'configs' / 'transfer'
HAS_CITYSCAPES = importlib.util.find_spec('cityscapesscripts') is not None

# main config -> (is C4, metric keys that must appear after the val loop)
VOC = ('pascal_voc/mAP', 'pascal_voc/AP50', 'pascal_voc/AP75')
BOX = ('coco/bbox_mAP', 'coco/bbox_mAP_50', 'coco/bbox_mAP_75')
MASK = BOX + ('coco/segm_mAP', )
MAIN = {
    'voc/faster-rcnn_r50-c4_24k_voc0712.py': (True, VOC),
    'voc/faster-rcnn_r50_fpn_24k_voc0712.py': (False, VOC),
    'coco/mask-rcnn_r50_fpn_1x_coco.py': (False, MASK),
    'coco/mask-rcnn_r50_fpn_2x_coco.py': (False, MASK),
    'coco/mask-rcnn_r50-c4_1x_coco.py': (True, MASK),
    'coco/faster-rcnn_r50_fpn_1x_coco.py': (False, BOX),
    'coco/retinanet_r50_fpn_1x_coco.py': (False, BOX),
    'cityscapes/mask-rcnn_r50_fpn_8e_cityscapes.py': (False, MASK + ('cityscapes/mAP', )),
}
# thin variants -> their main config
VARIANTS = {
    **{m.replace('.py', f'_{v}.py'): m for m in MAIN for v in ('scratch', 'supervised')},
    'coco/mask-rcnn_r50_fpn_1x_coco_detector-pretrained.py': 'coco/mask-rcnn_r50_fpn_1x_coco.py',
}
ALL = sorted([*MAIN, *VARIANTS])


def _main_of(name: str) -> str:
    return VARIANTS.get(name, name)


def _cfg(name: str) -> Config:
    return Config.fromfile(str(TRANSFER / name))


def test_every_config_is_listed():
    found = sorted(str(p.relative_to(TRANSFER)) for p in TRANSFER.rglob('*.py')
                   if '_base_' not in p.parts)
    assert found == ALL


def _run(cfg):
    """Train (2 iterations, then the val loop) with mmengine's Runner; the run's losses and
    metrics as recorded by its message hub, and the text of its log."""
    runner = Runner.from_cfg(cfg)
    runner.train()
    hub = runner.message_hub
    losses = list(hub.get_scalar('train/loss').data[0])
    metrics = {k[len('val/'):]: v.current() for k, v in hub.log_scalars.items()
               if k.startswith('val/')}
    log = Path(runner.log_dir, f'{runner.timestamp}.log').read_text()
    return losses, metrics, log


def _check_run(losses, metrics, expected_keys):
    assert len(losses) == 2 and all(math.isfinite(l) for l in losses), losses
    missing = [k for k in expected_keys if k not in metrics]
    assert not missing, f'metrics {missing} not computed; got {sorted(metrics)}'
    for key in expected_keys:
        value = metrics[key]
        assert math.isfinite(value) and (value == -1 or 0 <= value <= 1), (key, value)


def _missing_keys(log: str):
    """Keys mmengine reported as missing from the loaded checkpoint."""
    m = re.search(r'missing keys in source state_dict: (.*)', log)
    return m.group(1).split(', ') if m else []


@pytest.mark.parametrize('name', ALL, ids=ALL)
def test_config_trains_and_evaluates(name, dataset_root, tiny_cfg, r50_weights, tmp_path,
                                     monkeypatch, request):
    if name.startswith('cityscapes/') and not HAS_CITYSCAPES:
        pytest.skip('cityscapesscripts is not installed (mmdet CityScapesMetric and its '
                    'converter need it; pip install cityscapesscripts==2.3.0)')
    c4, expected = MAIN[_main_of(name)]
    load_from = 'keep'
    if name in MAIN or name.endswith('_detector-pretrained.py'):
        load_from = str(r50_weights['export'](c4))
    if name.endswith('_supervised.py'):
        monkeypatch.setenv('SUPERVISED_CKPT', str(r50_weights['supervised']))
    start = time.perf_counter()
    losses, metrics, log = _run(tiny_cfg(TRANSFER / name, dataset_root, tmp_path, load_from))
    request.node.user_properties.append(('cpu_seconds', round(time.perf_counter() - start, 1)))
    _check_run(losses, metrics, expected)
    if load_from != 'keep':  # the whole R50 landed (backbone, and res5 in the C4 head)
        assert 'unexpected key in source state_dict' not in log
        assert not [k for k in _missing_keys(log)
                    if k.startswith(('backbone.', 'roi_head.shared_head.layer4.'))]
        assert f'load report for {load_from}' in log  # LoadReportHook's table
    elif name.endswith('_supervised.py'):
        assert 'load report: no load_from: every part randomly initialised except backbone ' \
               f'(init_cfg Pretrained {r50_weights["supervised"]})' in log
        assert f'load model from: {r50_weights["supervised"]}' in log
    else:
        assert 'load report: no load_from: every part randomly initialised' in log


# ------------------------------------------------------------- the protocol, read from configs
TORCHVISION = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], bgr_to_rgb=True)


@pytest.mark.parametrize('name', ALL, ids=ALL)
def test_ssl_protocol_settings(name):
    cfg = _cfg(name)
    model, c4 = cfg.model, MAIN[_main_of(name)][0]
    pre = model.data_preprocessor
    assert {k: pre[k] for k in TORCHVISION} == TORCHVISION
    heads = [model.backbone] + ([model.roi_head.shared_head] if c4 else [])
    for part in heads:  # pytorch style, every BN trained, nothing frozen
        assert part.style == 'pytorch' and part.norm_eval is False
        assert part.norm_cfg == dict(type='BN', requires_grad=True)
    assert model.backbone.frozen_stages == -1
    assert cfg.sync_bn == 'torch'  # BN -> SyncBN when distributed on GPUs
    for part in heads:  # weights only from load_from / the supervised checkpoint
        if name.endswith('_supervised.py'):
            assert part.init_cfg.type == 'Pretrained'
            assert 'SUPERVISED_CKPT' in part.init_cfg.checkpoint
        else:
            assert part.init_cfg is None
    if name.endswith(('_scratch.py', '_supervised.py')):
        assert cfg.load_from is None
    else:
        assert cfg.load_from.startswith('MISSING load_from')
    if 'coco/' in name and '_fpn_' in name and 'retinanet' not in name \
            and 'detector-pretrained' not in name:  # SyncBN in FPN and heads (COCO recipe)
        assert model.neck.norm_cfg.type == 'BN'
        assert model.roi_head.bbox_head.type == 'Shared4Conv1FCBBoxHead'
        assert model.roi_head.bbox_head.norm_cfg.type == 'BN'


def test_voc_protocol_numbers():
    cfg = _cfg('voc/faster-rcnn_r50-c4_24k_voc0712.py')
    assert cfg.train_cfg.max_iters == 24000
    assert cfg.optim_wrapper.optimizer.lr == 0.02
    assert cfg.train_dataloader.batch_size * 8 == 16
    warmup, steps = cfg.param_scheduler
    assert (warmup.end, steps.milestones) == (100, [18000, 22000])
    scales = cfg.train_dataloader.dataset.datasets[0].pipeline[2].scales
    assert [s for _, s in scales] == list(range(480, 801, 32)) and {w for w, _ in scales} == {1333}
    assert cfg.val_dataloader.dataset.pipeline[1].scale == (1333, 800)
    assert cfg.val_dataloader.dataset.ann_file == 'VOC2007/ImageSets/Main/test.txt'
    assert cfg.val_evaluator.eval_mode == '11points'
    assert cfg.val_evaluator.iou_thrs == [round(0.5 + 0.05 * i, 2) for i in range(10)]
    assert cfg.model.roi_head.shared_head.type == 'mmssl_det.ResLayerExtraNorm'  # MoCo's C4


def test_cityscapes_protocol_numbers():
    cfg = _cfg('cityscapes/mask-rcnn_r50_fpn_8e_cityscapes.py')
    assert cfg.train_cfg.max_epochs == 8 and cfg.train_dataloader.dataset.times == 8
    assert cfg.train_dataloader.batch_size * 8 == 8 and cfg.optim_wrapper.optimizer.lr == 0.01
    assert cfg.model.roi_head.bbox_head.num_classes == 8
    assert [e.type for e in cfg.val_evaluator] == ['CocoMetric', 'CityScapesMetric']


@pytest.mark.parametrize('name', sorted(MAIN), ids=sorted(MAIN))
def test_bn_becomes_syncbn_when_distributed(name):
    """What mmengine does with `sync_bn` on GPUs: every BN (backbone, C4 head, FPN, heads)
    becomes SyncBatchNorm."""
    from mmdet.registry import MODELS
    from mmengine.model import convert_sync_batchnorm
    from mmengine.registry import DefaultScope
    from torch import nn
    cfg = _cfg(name)
    with DefaultScope.overwrite_default_scope('mmdet'):
        model = MODELS.build(cfg.model)
    n_bn = sum(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules())
    model = convert_sync_batchnorm(model, cfg.sync_bn)
    syncs = [n for n, m in model.named_modules() if isinstance(m, nn.SyncBatchNorm)]
    assert len(syncs) == n_bn > 0
    if '_fpn_' in name and name.startswith('coco/') and 'retinanet' not in name:
        assert any(n.startswith('neck.') for n in syncs)
        assert any(n.startswith('roi_head.bbox_head.') for n in syncs)
    if MAIN[name][0]:
        assert any(n.startswith('roi_head.shared_head.') for n in syncs)


# ------------------------------------------------------------------- errors a user can fix
def test_main_config_without_load_from_names_the_fix(dataset_root, tiny_cfg, tmp_path):
    cfg = tiny_cfg(TRANSFER / 'voc/faster-rcnn_r50_fpn_24k_voc0712.py', dataset_root, tmp_path)
    runner = Runner.from_cfg(cfg)
    with pytest.raises(FileNotFoundError, match=r'MISSING load_from: add --cfg-options '
                       r'load_from=EXPORTED.pth .*or use the \*_scratch.py variant'):
        runner.load_or_resume()


def test_supervised_config_without_checkpoint_names_the_fix(dataset_root, tiny_cfg, tmp_path,
                                                            monkeypatch):
    monkeypatch.delenv('SUPERVISED_CKPT', raising=False)
    cfg = tiny_cfg(TRANSFER / 'voc/faster-rcnn_r50-c4_24k_voc0712_supervised.py',
                   dataset_root, tmp_path)
    runner = Runner.from_cfg(cfg)
    with pytest.raises(FileNotFoundError,
                       match='set-SUPERVISED_CKPT=/path/to/resnet50.pth can not be found'):
        runner.model.init_weights()


# ------------------------------------------------------- which exports fit which configs
PRETRAINED_PARTS = ('backbone.', 'neck.', 'rpn_head.', 'roi_head.bbox_head.shared_fcs.')


@pytest.fixture(scope='module')
def whole_detector_pretraining_state():
    """The online parts of configs/pixpro_fpn_rpn.py (named like mmdet's detectors)."""
    from mmengine.registry import DefaultScope

    from mmssl_det.registry import MODELS
    cfg = Config.fromfile(str(REPO / 'configs/pixpro_fpn_rpn.py'))
    with DefaultScope.overwrite_default_scope('mmssl_det'):
        model = MODELS.build(cfg.model)
    return {k: tuple(v.shape) for k, v in model.state_dict().items()
            if k.startswith(PRETRAINED_PARTS)}


def _detector_shapes(name):
    from mmdet.registry import MODELS
    from mmengine.registry import DefaultScope
    with DefaultScope.overwrite_default_scope('mmdet'):
        model = MODELS.build(_cfg(name).model)
    return {k: tuple(v.shape) for k, v in model.state_dict().items()}


@pytest.mark.parametrize('name, fits', [
    ('voc/faster-rcnn_r50_fpn_24k_voc0712.py', PRETRAINED_PARTS),
    ('coco/mask-rcnn_r50_fpn_1x_coco_detector-pretrained.py', PRETRAINED_PARTS),
    ('cityscapes/mask-rcnn_r50_fpn_8e_cityscapes.py', PRETRAINED_PARTS),
    ('coco/mask-rcnn_r50_fpn_1x_coco.py', ('backbone.', 'rpn_head.')),
])
def test_whole_detector_pretraining_fits(name, fits, whole_detector_pretraining_state):
    """docs/transfer.md's table: the parts of a whole-detector pretraining that land in each
    FPN config with the same names and shapes; the COCO recipe's normalised FPN and 4conv1fc
    head are new layers (backbone-only export)."""
    det = _detector_shapes(name)
    src = whole_detector_pretraining_state
    for prefix in PRETRAINED_PARTS:
        part = {k: s for k, s in src.items() if k.startswith(prefix)}
        assert part, prefix
        fit = all(det.get(k) == s for k, s in part.items())
        assert fit == (prefix in fits), (prefix, [k for k, s in part.items()
                                                  if det.get(k) != s][:3])


@pytest.mark.parametrize('missing', ['JPEGImages', 'Annotations'])
def test_voc_list_naming_a_missing_image_names_it(missing, dataset_root, tiny_cfg, tmp_path):
    """tools/train.py on a VOC tree whose trainval list names an image (or its XML) that is
    not there: one 'error:' line with the path, exit 2, no traceback."""
    import shutil
    import subprocess
    import sys
    root = tmp_path / 'data'
    shutil.copytree(dataset_root / 'VOCdevkit', root / 'VOCdevkit')
    first = (root / 'VOCdevkit/VOC2007/ImageSets/Main/trainval.txt').read_text().split()[0]
    gone = root / 'VOCdevkit/VOC2007' / missing / (
        f'{first}.jpg' if missing == 'JPEGImages' else f'{first}.xml')
    gone.unlink()
    cfg = tiny_cfg(TRANSFER / 'voc/faster-rcnn_r50_fpn_24k_voc0712_scratch.py', root, tmp_path)
    cfg.dump(str(tmp_path / 'voc_tiny.py'))
    proc = subprocess.run([sys.executable, 'tools/train.py', str(tmp_path / 'voc_tiny.py')],
                          cwd=REPO, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert 'Traceback' not in proc.stderr, proc.stderr[-3000:]
    errors = [line for line in proc.stderr.splitlines() if line.startswith('error: ')]
    assert len(errors) == 1 and str(gone) in errors[0], proc.stderr[-3000:]
