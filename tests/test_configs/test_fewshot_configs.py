"""Every configs/fewshot config builds its model (not trained) and states the protocol: classes
of its split and subset, what is frozen, the classifier, the decoupling scales, schedules; the
VOC split 1 and COCO fine-tuning configs train 2 iterations and evaluate on format fixtures."""
import copy
from functools import lru_cache
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

import mmssl_det  # noqa: F401
from mmssl_det.datasets.fewshot_splits import subset_classes
from mmssl_det.registry import MODELS

REPO = Path(__file__).resolve().parents[2]
FEWSHOT = REPO / 'configs' / 'fewshot'
ALL = sorted(str(p.relative_to(FEWSHOT)) for p in FEWSHOT.rglob('*.py')
             if '_base_' not in p.parts)
TFA_FROZEN = ['backbone', 'neck', 'rpn_head', 'roi_head.bbox_head.shared_fcs']


@lru_cache(maxsize=None)
def _cfg(name: str) -> Config:
    return Config.fromfile(str(FEWSHOT / name))  # read, never modified, by the tests


def test_the_protocol_configs_exist():
    expected = {f'voc/tfa_r50_fpn_voc-split1_{k}shot-ft.py' for k in (1, 2, 3, 5, 10)} | {
        f'coco/tfa_r50_fpn_coco_{k}shot-ft.py' for k in (10, 30)} | {
        'voc/faster-rcnn_r50_fpn_voc-split1_base-training.py',
        'coco/faster-rcnn_r50_fpn_coco_base-training.py',
        'voc/defrcn_r50_fpn_voc-split1_base-training.py',
        'voc/defrcn_r50_fpn_voc-split1_10shot-ft.py',
        'demo/faster-rcnn_r18_fpn_demo_base-training.py',
        'demo/tfa_r18_fpn_demo_2shot-ft.py', 'demo/tfa_r18_fpn_demo_5shot-ft_rpn-ft.py',
        'demo/defrcn_r18_fpn_demo_5shot-ft.py'}
    assert expected <= set(ALL)


@pytest.mark.parametrize('name', ALL, ids=ALL)
def test_config_builds_its_model_for_its_classes(name):
    cfg = _cfg(name)
    # on the meta device: the structure and requires_grad flags without allocating R50 weights
    with DefaultScope.overwrite_default_scope(cfg.default_scope), torch.device('meta'):
        model = MODELS.build(copy.deepcopy(cfg.model))  # mmdet's builders edit it
    dataset = cfg.train_dataloader.dataset
    classes = subset_classes(dataset.split, dataset.subset)
    assert model.roi_head.bbox_head.num_classes == len(classes)
    assert dataset.subset == ('base' if 'base-training' in name else 'all')
    for split in ('val', 'test'):  # evaluated on the classes it scores
        evaluator = cfg[f'{split}_evaluator']
        assert cfg[f'{split}_dataloader'].dataset.subset == dataset.subset
        assert cfg[f'{split}_dataloader'].dataset.split == dataset.split
        if dataset.subset == 'all':  # reported per group
            assert evaluator.type.startswith('FewShot') and evaluator.split == dataset.split
        else:
            assert evaluator.type in ('VOCMetric', 'CocoMetric')
    assert {'type': 'ClassCheckHook'} in cfg.custom_hooks
    if 'shot-ft' in name:
        k = int(name.split('shot-ft')[0].rsplit('_', 1)[1])
        assert dataset.ann_file.endswith(f'seed0/{k}shot.json')
    trainable = {n.split('.')[0] for n, p in model.named_parameters() if p.requires_grad}
    if name.split('/')[1].startswith('tfa_'):
        head = model.roi_head.bbox_head
        assert type(head).__name__ == 'CosineSimBBoxHead' and head.fc_cls.scale == 20.0
        frozen = TFA_FROZEN if 'rpn-ft' not in name else \
            [m for m in TFA_FROZEN if m != 'rpn_head']
        assert list(model.frozen_modules) == frozen
        assert trainable == ({'roi_head'} if 'rpn-ft' not in name else {'roi_head',
                                                                         'rpn_head'})
    elif name.split('/')[1].startswith('defrcn_'):
        assert model.gdl_rpn.scale == 0.0
        if 'base-training' in name:
            assert model.gdl_roi.scale == 0.75 and not model.frozen_modules
        else:
            assert model.gdl_roi.scale == 0.01
            assert list(model.frozen_modules) == ['roi_head.bbox_head.shared_fcs']
            assert model.roi_head.bbox_head.fc_cls.dropout == 0.8
            assert cfg.optim_wrapper.optimizer.weight_decay == 5e-5
            assert {'backbone', 'neck'} <= trainable
    else:
        assert type(model).__name__ == 'FasterRCNN' and trainable >= {'backbone', 'neck'}


@pytest.mark.parametrize('name,iters,step,lr', [
    ('voc/tfa_r50_fpn_voc-split1_1shot-ft.py', 4000, 3000, 0.001),
    ('voc/tfa_r50_fpn_voc-split1_2shot-ft.py', 8000, 7000, 0.001),
    ('voc/tfa_r50_fpn_voc-split1_3shot-ft.py', 12000, 11000, 0.001),
    ('voc/tfa_r50_fpn_voc-split1_5shot-ft.py', 20000, 18000, 0.001),
    ('voc/tfa_r50_fpn_voc-split1_10shot-ft.py', 40000, 36000, 0.001),
    ('coco/tfa_r50_fpn_coco_10shot-ft.py', 160000, 144000, 0.001),
    ('coco/tfa_r50_fpn_coco_30shot-ft.py', 240000, 216000, 0.001),
    ('voc/faster-rcnn_r50_fpn_voc-split1_base-training.py', 18000, 12000, 0.02),
    ('coco/faster-rcnn_r50_fpn_coco_base-training.py', 110000, 85000, 0.02),
])
def test_schedules(name, iters, step, lr):
    cfg = _cfg(name)
    assert cfg.train_cfg.max_iters == iters == cfg.train_cfg.val_interval
    assert cfg.param_scheduler[-1].milestones[0] == step
    assert cfg.param_scheduler[-1].end == iters
    assert cfg.optim_wrapper.optimizer.lr == lr
    assert cfg.train_dataloader.batch_size * 8 == 16


def test_voc_reports_novel_ap50_with_voc07_metric():
    cfg = _cfg('voc/tfa_r50_fpn_voc-split1_10shot-ft.py')
    assert cfg.val_evaluator.eval_mode == '11points' and cfg.val_evaluator.iou_thrs == [0.5]
    assert cfg.val_dataloader.dataset.ann_file == 'VOC2007/ImageSets/Main/test.txt'


# ------------------------------------------------- the standard configs run on format fixtures
@pytest.mark.parametrize('name,kind', [('voc/tfa_r50_fpn_voc-split1_10shot-ft.py', 'voc'),
                                       ('coco/tfa_r50_fpn_coco_10shot-ft.py', 'coco')])
def test_standard_fine_tuning_trains_and_evaluates_on_format_fixtures(
        name, kind, dataset_root, tiny_cfg, tmp_path):
    """The VOC split 1 / COCO fine-tuning configs as shipped (R50, images x0.16, 2 iterations,
    random init) on the format fixtures (tests/format_fixtures.py: one class, pottedplant /
    potted plant): a K-shot json in tools/make_fewshot_split.py's layout (file names relative to
    the VOCdevkit / train2017), the test set through FewShotVOCDataset / FewShotCocoDataset and
    the few-shot metric."""
    import json
    import math

    from mmengine.runner import Runner

    from mmssl_det.datasets.fewshot_sampling import load_source

    source = dataset_root / ('VOCdevkit' if kind == 'voc' else
                             'coco/annotations/instances_train2017.json')
    shots = tmp_path / 'data' / 'fewshot' / ('voc1' if kind == 'voc' else kind) / 'seed0' / \
        '10shot.json'
    shots.parent.mkdir(parents=True)
    shots.write_text(json.dumps(load_source(source)[0]))  # every instance: a format check
    # data/ as the docs lay it out: data/VOCdevkit or data/coco beside data/fewshot
    devkit = 'VOCdevkit' if kind == 'voc' else 'coco'
    (tmp_path / 'data' / devkit).symlink_to(dataset_root / devkit)
    cfg = tiny_cfg(FEWSHOT / name, dataset_root, tmp_path / 'work', load_from=None)
    cfg.train_dataloader.dataset.data_root = str(tmp_path / 'data') + '/'
    runner = Runner.from_cfg(cfg)
    runner.train()
    hub = runner.message_hub
    losses = list(hub.get_scalar('train/loss').data[0])
    assert len(losses) == 2 and all(math.isfinite(x) for x in losses)
    metrics = {k[len('val/'):]: v.current() for k, v in hub.log_scalars.items()
               if k.startswith('val/')}
    key = 'pascal_voc/{}_AP50' if kind == 'voc' else 'coco/bbox_{}_AP'
    assert all(key.format(g) in metrics for g in ('base', 'novel', 'all')), sorted(metrics)
    group = 'base' if kind == 'voc' else 'novel'  # the fixtures' one class
    assert 0 <= metrics[key.format(group)] <= 1
