"""The few-shot pipeline end to end on the fixture photos, through mmengine's Runner and the
shipped demo configs (tiny R18 widths, 128-px tiles, 2 iterations): base training on the base
class, predictor surgery, TFA and DeFRCN fine-tuning on both classes, evaluation reporting
base / novel / all AP; a fine-tune from an unconverted base checkpoint fails naming both class
lists."""
import importlib.util
import json
import math
import shutil
import sys
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

import mmssl_det  # noqa: F401
from mmssl_det.engine.hooks.class_check_hook import ClassListError

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / 'configs' / 'fewshot' / 'demo'
DATA = REPO / 'tests' / 'data'
CLASSES = ['large crown', 'small crown']
TINY = dict(
    backbone=dict(depth=18, base_channels=8),
    neck=dict(in_channels=[8, 16, 32, 64], out_channels=16),
    rpn_head=dict(in_channels=16, feat_channels=16),
    roi_head=dict(bbox_roi_extractor=dict(out_channels=16),
                  bbox_head=dict(in_channels=16, fc_out_channels=32)),
    train_cfg=dict(rpn_proposal=dict(max_per_img=64), rcnn=dict(sampler=dict(num=32))),
    test_cfg=dict(rpn=dict(max_per_img=32), rcnn=dict(score_thr=0.0)),
)
FEWSHOT_METRICS = [f'coco/bbox_{g}_{m}' for g in ('base', 'novel', 'all')
                   for m in ('AP', 'AP50')]
BASE_METRICS = ['coco/bbox_mAP', 'coco/bbox_mAP_50']  # base training: base classes only


def _load_tool():
    spec = importlib.util.spec_from_file_location('fewshot_surgery',
                                                  REPO / 'tools' / 'fewshot_surgery.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def root(tmp_path_factory) -> Path:
    """The layout of tools/prepare_fewshot_demo.py from the two fixture photos: crowns split
    by box area at the median, base_train.json (large crowns only), a 2-shot file, val/test
    with both classes."""
    root = tmp_path_factory.mktemp('fewshot_demo')
    coco = json.loads((DATA / 'coco_trees.json').read_text())
    for split in ('train', 'val', 'test'):
        (root / 'images' / split).mkdir(parents=True)
        for image in coco['images']:
            shutil.copy(DATA / 'images' / image['file_name'], root / 'images' / split)
    areas = sorted(a['bbox'][2] * a['bbox'][3] for a in coco['annotations'])
    median = areas[len(areas) // 2]
    anns = [dict(a, category_id=1 if a['bbox'][2] * a['bbox'][3] >= median else 2)
            for a in coco['annotations']]
    full = dict(coco, categories=[dict(id=i + 1, name=c) for i, c in enumerate(CLASSES)],
                annotations=anns)
    shots = [a for c in (1, 2) for a in [a for a in anns if a['category_id'] == c][:2]]
    files = {'val.json': full, 'test.json': full,
             'base_train.json': dict(full, annotations=[a for a in anns
                                                        if a['category_id'] == 1]),
             'seed0/2shot.json': dict(full, annotations=shots)}
    for name, content in files.items():
        (root / 'fewshot' / name).parent.mkdir(parents=True, exist_ok=True)
        (root / 'fewshot' / name).write_text(json.dumps(content))
    return root


def tiny_cfg(name: str, root: Path, work_dir: Path, load_from=None) -> Config:
    cfg = Config.fromfile(str(DEMO / name))
    cfg.merge_from_dict(dict(model=TINY))
    cfg.work_dir, cfg.load_from = str(work_dir), load_from and str(load_from)
    for split in ('train', 'val', 'test'):
        loader = cfg[f'{split}_dataloader']
        loader.num_workers, loader.persistent_workers = 0, False
        loader.dataset.data_root = str(root) + '/'
        for step in loader.dataset.pipeline:
            if step.type == 'Resize':
                step.scale = (128, 128)
    for split in ('val', 'test'):
        cfg[f'{split}_evaluator'].ann_file = str(root / 'fewshot' / f'{split}.json')
    cfg.train_cfg.max_iters, cfg.train_cfg.val_interval = 2, 2
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', by_epoch=False, interval=2)
    return cfg


def train(cfg: Config, expected=FEWSHOT_METRICS):
    runner = Runner.from_cfg(cfg)
    runner.train()
    hub = runner.message_hub
    losses = list(hub.get_scalar('train/loss').data[0])
    assert len(losses) == 2 and all(math.isfinite(x) for x in losses), losses
    metrics = {k[len('val/'):]: v.current() for k, v in hub.log_scalars.items()
               if k.startswith('val/')}
    missing = [k for k in expected if k not in metrics]
    assert not missing, f'{missing} not reported; got {sorted(metrics)}'
    assert all(0 <= metrics[k] <= 1 for k in expected), metrics
    return runner, Path(cfg.work_dir) / 'iter_2.pth'


def surgery_for(config: str, checkpoint: Path, root: Path, tmp: Path) -> Path:
    """tools/fewshot_surgery.py's function with the tiny version of ``config`` as a file."""
    cfg_file = tmp / f'tiny_{config}'
    tiny_cfg(config, root, tmp).dump(str(cfg_file))
    out = tmp / f'init_{config}.pth'
    _load_tool().surgery(str(checkpoint), str(cfg_file), str(out), seed=0)
    return out


@pytest.fixture(scope='module')
def base_checkpoint(root, tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp('base')
    runner, ckpt = train(tiny_cfg('faster-rcnn_r18_fpn_demo_base-training.py', root, work),
                         BASE_METRICS)
    assert runner.model.roi_head.bbox_head.num_classes == 1
    assert list(torch.load(ckpt)['meta']['dataset_meta']['classes']) == ['large crown']
    return ckpt


def test_tfa_fine_tunes_only_the_predictor_from_the_surgery(root, base_checkpoint, tmp_path):
    init = surgery_for('tfa_r18_fpn_demo_2shot-ft.py', base_checkpoint, root, tmp_path)
    start = torch.load(init)
    assert list(start['meta']['dataset_meta']['classes']) == CLASSES
    base = torch.load(base_checkpoint)['state_dict']
    w = start['state_dict']['roi_head.bbox_head.fc_cls.weight']
    assert torch.equal(w[0], base['roi_head.bbox_head.fc_cls.weight'][0])  # large crown
    assert torch.equal(w[2], base['roi_head.bbox_head.fc_cls.weight'][1])  # background
    assert 'roi_head.bbox_head.fc_cls.bias' not in start['state_dict']  # cosine: no bias
    runner, ckpt = train(tiny_cfg('tfa_r18_fpn_demo_2shot-ft.py', root, tmp_path / 'ft', init))
    after = torch.load(ckpt)['state_dict']
    changed = {k for k, v in start['state_dict'].items() if not torch.equal(after[k], v)}
    assert changed == {'roi_head.bbox_head.fc_cls.weight', 'roi_head.bbox_head.fc_reg.weight',
                       'roi_head.bbox_head.fc_reg.bias'}


def test_defrcn_base_training_surgery_and_fine_tuning(root, tmp_path):
    _, base = train(tiny_cfg('defrcn_r18_fpn_demo_base-training.py', root, tmp_path / 'base'),
                    BASE_METRICS)
    assert 'gdl_roi.affine.weight' in torch.load(base)['state_dict']
    init = surgery_for('defrcn_r18_fpn_demo_2shot-ft.py', base, root, tmp_path)
    runner, ckpt = train(tiny_cfg('defrcn_r18_fpn_demo_2shot-ft.py', root, tmp_path / 'ft',
                                  init))
    model = runner.model
    assert (model.gdl_rpn.scale, model.gdl_roi.scale) == (0.0, 0.01)
    start, after = torch.load(init)['state_dict'], torch.load(ckpt)['state_dict']
    assert torch.equal(after['roi_head.bbox_head.shared_fcs.0.weight'],
                       start['roi_head.bbox_head.shared_fcs.0.weight'])  # frozen
    assert not torch.equal(after['backbone.layer4.1.conv2.weight'],
                           start['backbone.layer4.1.conv2.weight'])  # trained (lambda 0.01)


def test_fine_tuning_a_base_checkpoint_without_surgery_names_both_lists(
        root, base_checkpoint, tmp_path):
    cfg = tiny_cfg('tfa_r18_fpn_demo_2shot-ft.py', root, tmp_path, base_checkpoint)
    with pytest.raises(ClassListError, match=r"trained on the classes \['large crown'\] .* "
                                             r"this run trains on \['large crown', "
                                             r"'small crown'\]; .*tools/fewshot_surgery.py"):
        Runner.from_cfg(cfg).train()


def test_checkpoint_with_other_predictor_rows_names_both_lists(root, base_checkpoint,
                                                               tmp_path):
    ckpt = torch.load(base_checkpoint)
    del ckpt['meta']['dataset_meta']  # e.g. a checkpoint from elsewhere: rows only
    path = tmp_path / 'no_meta.pth'
    torch.save(ckpt, path)
    cfg = tiny_cfg('tfa_r18_fpn_demo_2shot-ft.py', root, tmp_path, path)
    with pytest.raises(ClassListError, match=r"classifier .*fc_cls\) for 1 classes \(names "
                                             r"not in its meta\) but this run trains on 2 "
                                             r"classes \['large crown', 'small crown'\]"):
        Runner.from_cfg(cfg).train()


def test_surgery_tool_errors_end_in_one_line(base_checkpoint, tmp_path, monkeypatch,
                                             capsys):
    tool = _load_tool()
    monkeypatch.setattr(sys, 'argv', [
        'fewshot_surgery.py', str(base_checkpoint), '--config',
        str(DEMO / 'tfa_r18_fpn_demo_2shot-ft.py'), '--out', str(tmp_path / 'x.pth'),
        '--base-classes', 'oak'])
    with pytest.raises(SystemExit) as exit_info:
        tool.run_tool(tool.main)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["error: base classes ['oak'] are not in the fine-tuning classes: "
                   "checkpoint classes ['oak'], fine-tuning classes ['large crown', "
                   "'small crown']"]
    assert not (tmp_path / 'x.pth').exists()


@pytest.mark.parametrize('loop', ['test', 'val'])
def test_base_detector_evaluated_on_all_classes_is_refused(root, base_checkpoint, tmp_path,
                                                           loop):
    """Whether or not a checkpoint is loaded (test: the base checkpoint; val: training from
    scratch), before anything runs."""
    cfg = tiny_cfg('faster-rcnn_r18_fpn_demo_base-training.py', root, tmp_path,
                   base_checkpoint if loop == 'test' else None)
    cfg[f'{loop}_dataloader'].dataset.subset = 'all'
    runner = Runner.from_cfg(cfg)
    with pytest.raises(ClassListError, match=rf"scores 1 classes but the {loop} dataset has "
                                             r"2: \['large crown', 'small crown'\]"):
        runner.test() if loop == 'test' else runner.train()
