"""Fixtures for the transfer-config tests: format-faithful dataset trees (tests/format_fixtures.py,
loaded by path: test folders are not packages) and the tiny-run override of a config."""
import importlib.util
import math
from pathlib import Path
from typing import Optional

import pytest
import torch
from mmengine.config import Config

REPO = Path(__file__).resolve().parents[2]
TRANSFER = REPO / 'configs' / 'transfer'
# the data roots the transfer configs name, and the fixture tree that replaces each
DATA_ROOTS = {'data/VOCdevkit/': 'VOCdevkit', 'data/coco/': 'coco',
              'data/cityscapes/': 'cityscapes'}
SCALE = 0.16  # every resize scale x0.16: short side 480-800 -> 77-128 px, 1024 -> 164 px
# Per-image RoI budgets scaled down with the image (1/40 of the pixels): proposals kept for
# training / testing and RoIs sampled for the box head. At full budgets a C4 res5 head on 1000
# RoIs is ~1.6 TFLOP per image, minutes per iteration on 2 CPU cores.
ROI_BUDGET = dict(train_proposals=128, sampled_rois=64, test_proposals=64)


def _load_format_fixtures():
    spec = importlib.util.spec_from_file_location(
        'format_fixtures', Path(__file__).resolve().parents[1] / 'format_fixtures.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='session')
def format_fixtures():
    """The tests/format_fixtures.py module."""
    return _load_format_fixtures()


@pytest.fixture(scope='session')
def dataset_root(tmp_path_factory, format_fixtures) -> Path:
    """One tmp folder holding VOCdevkit/, coco/ and (with cityscapesscripts) cityscapes/."""
    root = tmp_path_factory.mktemp('formats')
    format_fixtures.make_vocdevkit(root)
    format_fixtures.make_coco(root)
    if importlib.util.find_spec('cityscapesscripts') is not None:
        format_fixtures.make_cityscapes(root)
    return root


def _walk(node, fn):
    """Apply ``fn`` to every dict in a config tree (depth first); ``fn`` edits in place."""
    if isinstance(node, dict):
        fn(node)
        for value in node.values():
            _walk(value, fn)
    elif isinstance(node, (list, tuple)):
        for value in node:
            _walk(value, fn)


def _scaled(scale):
    return tuple(int(math.ceil(s * SCALE)) for s in scale)


def tiny_run_cfg(config: Path, root: Path, work_dir: Path,
                 load_from: Optional[str] = 'keep') -> Config:
    """``config`` with only data roots, iterations and image size changed: data roots point
    into ``root``; 2 training iterations of batch 2 (epoch-based: 1 epoch, no repeat) and
    then the config's own val loop and evaluators; every resize scale x0.16 and the RoI
    budgets with it (ROI_BUDGET); score threshold 0 (see below); no workers, no checkpoint
    files."""
    cfg = Config.fromfile(str(config))
    cfg.work_dir = str(work_dir)
    if load_from != 'keep':
        cfg.load_from = load_from

    def fix(node: dict) -> None:
        for key, value in list(node.items()):
            if isinstance(value, str):
                for prefix, sub in DATA_ROOTS.items():
                    if value.startswith(prefix):
                        node[key] = str(root / sub) + '/' + value[len(prefix):]
        if node.get('type') == 'CityScapesMetric':
            node['outfile_prefix'] = str(work_dir / 'cityscapes_metric')
        if node.get('type') == 'RepeatDataset':
            node['times'] = 1
        if 'scale' in node and node.get('type') in ('Resize', 'RandomResize'):
            s = node['scale']
            node['scale'] = ([_scaled(x) for x in s] if isinstance(s[0], (list, tuple))
                             else _scaled(s))
        if 'scales' in node and node.get('type') == 'RandomChoiceResize':
            node['scales'] = [_scaled(x) for x in node['scales']]

    _walk(cfg._cfg_dict, fix)
    for split in ('train', 'val', 'test'):
        loader = cfg[f'{split}_dataloader']
        loader.num_workers, loader.persistent_workers = 0, False
    cfg.train_dataloader.batch_size = 2
    if cfg.train_cfg.type == 'IterBasedTrainLoop':
        cfg.train_cfg.max_iters, cfg.train_cfg.val_interval = 2, 2
    else:
        cfg.train_cfg.max_epochs, cfg.train_cfg.val_interval = 1, 1
    model = cfg.model
    if model.get('train_cfg', {}).get('rcnn'):
        model.train_cfg.rpn_proposal.max_per_img = ROI_BUDGET['train_proposals']
        model.train_cfg.rcnn.sampler.num = ROI_BUDGET['sampled_rois']
        model.test_cfg.rpn.max_per_img = ROI_BUDGET['test_proposals']
    # After 2 iterations an 80-class head scores every box near 1/81, under the 0.05
    # threshold: keep all boxes so the evaluators work on real detections.
    test_cfg = model.test_cfg.rcnn if 'rcnn' in model.test_cfg else model.test_cfg
    test_cfg.score_thr = 0.0
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=10**9, save_last=False)
    return cfg


@pytest.fixture(scope='session')
def tiny_cfg():
    return tiny_run_cfg


@pytest.fixture(scope='session')
def r50_weights(tmp_path_factory):
    """Two checkpoints of one random ResNet-50: ``supervised`` in torchvision's layout
    (conv1.*, bn1.*, layer1-4.*; what SUPERVISED_CKPT takes) and a function ``export(c4)``
    giving tools/export_detector.py's layout for a detector (``backbone.*``; C4: layer4 under
    ``roi_head.shared_head.``)."""
    from mmdet.models.backbones import ResNet

    root = tmp_path_factory.mktemp('r50')
    torch.manual_seed(0)
    state = ResNet(depth=50).state_dict()
    supervised = root / 'supervised_r50.pth'
    torch.save(state, supervised)

    def export(c4: bool) -> Path:
        out = root / ('export_c4.pth' if c4 else 'export_fpn.pth')
        if not out.exists():
            mapped = {(f'roi_head.shared_head.{k}' if c4 and k.startswith('layer4.')
                       else f'backbone.{k}'): v for k, v in state.items()}
            torch.save(dict(state_dict=mapped, meta=dict(source='r50_weights fixture')), out)
        return out

    return dict(supervised=supervised, export=export, state=state)
