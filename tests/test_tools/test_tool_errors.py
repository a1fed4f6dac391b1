"""Bad inputs to the tools end in one ``error:`` line naming the bad path, exit status 2, and
no traceback (mmssl_det.cli.run_tool)."""
import subprocess
import sys
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[2]
DEMO = 'configs/benchmarks/faster-rcnn_r18_fpn_demo.py'
FRCNN = 'mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py'
RETINANET = 'mmdet::retinanet/retinanet_r50_fpn_1x_coco.py'
FIXTURES = [f'train_dataloader.dataset.data_root={REPO}/tests/data/',
            'train_dataloader.dataset.ann_file=coco_trees.json',
            'train_dataloader.dataset.data_prefix.img=images/',
            'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
            'val_cfg=None', 'val_dataloader=None', 'val_evaluator=None']


def _run(*args) -> str:
    proc = subprocess.run([sys.executable, *map(str, args)], cwd=REPO, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 2, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert 'Traceback' not in proc.stderr, proc.stderr[-3000:]
    errors = [line for line in proc.stderr.splitlines() if line.startswith('error: ')]
    assert len(errors) == 1, proc.stderr[-3000:]
    return proc.stderr[proc.stderr.index('error: '):]


@pytest.fixture
def ckpt(tmp_path):
    def save(state: dict) -> Path:
        path = tmp_path / 'ckpt.pth'
        torch.save(dict(state_dict=state), path)
        return path
    return save


def test_export_missing_checkpoint(tmp_path):
    msg = _run('tools/export_detector.py', tmp_path / 'nope.pth', '--config', FRCNN,
               '--out', tmp_path / 'o.pth')
    assert f'checkpoint not found: {tmp_path}/nope.pth' in msg


@pytest.mark.parametrize('config', ['mmdet::faster_rcnn/no-such-detector.py',
                                    'configs/no_such_config.py'])
def test_export_unknown_config(tmp_path, ckpt, config):
    msg = _run('tools/export_detector.py', ckpt({'backbone.conv1.weight': torch.ones(1)}),
               '--config', config, '--out', tmp_path / 'o.pth')
    assert f'detector config not found: {config}' in msg


def test_export_checkpoint_that_is_not_one(tmp_path):
    bad = tmp_path / 'notes.pth'
    bad.write_text('not a checkpoint')
    msg = _run('tools/export_detector.py', bad, '--config', FRCNN, '--out', tmp_path / 'o.pth')
    assert f'cannot read checkpoint {bad}' in msg


def test_export_checkpoint_without_detector_parts(tmp_path, ckpt):
    path = ckpt({'encoder.conv1.weight': torch.ones(2)})
    msg = _run('tools/export_detector.py', path, '--config', FRCNN, '--out', tmp_path / 'o.pth')
    assert f'{path} holds no backbone/neck/rpn_head/roi_head keys' in msg


def test_export_mismatch(tmp_path, ckpt):
    path = ckpt({'rpn_head.rpn_conv.weight': torch.ones(8, 8, 3, 3)})
    msg = _run('tools/export_detector.py', path, '--config', FRCNN, '--out', tmp_path / 'o.pth')
    assert f'{path} does not fit the detector' in msg
    assert 'rpn_head.rpn_conv.weight: checkpoint (8, 8, 3, 3) vs detector (256, 256, 3, 3)' in msg
    assert not (tmp_path / 'o.pth').exists()


def test_export_required_part_not_exportable(tmp_path, ckpt):
    path = ckpt({'rpn_head.rpn_conv.weight': torch.ones(256, 256, 3, 3)})
    msg = _run('tools/export_detector.py', path, '--config', RETINANET, '--out',
               tmp_path / 'o.pth', '--require', 'rpn_head')
    assert 'rpn_head was required (--require) but is not exported: the detector has no ' \
           'rpn_head' in msg


def test_train_missing_config():
    assert 'config file not found: configs/nope.py' in _run('tools/train.py', 'configs/nope.py')


@pytest.mark.parametrize('option,words', [
    ('train_dataloader.dataset.data_root=/no/such/root/', 'data root not found: /no/such/root/'),
    ('train_dataloader.dataset.ann_file=missing.json',
     f'annotation file not found: {REPO}/tests/data/missing.json'),
])
def test_train_missing_data(tmp_path, option, words):
    msg = _run('tools/train.py', DEMO, '--work-dir', tmp_path, '--cfg-options', *FIXTURES,
               option)
    assert words in msg


def test_train_load_from_that_loads_nothing(tmp_path, ckpt):
    """A checkpoint that fits nothing stops at fine-tune start (LoadReportHook)."""
    path = ckpt({'model.backbone.conv1.weight': torch.ones(64, 3, 7, 7)})
    msg = _run('tools/train.py', DEMO, '--work-dir', tmp_path, '--cfg-options', *FIXTURES,
               f'load_from={path}', 'train_cfg.max_iters=0')
    assert f'load_from={path} did not load into this model' in msg
    assert 'nothing of the checkpoint loaded' in msg


def test_test_missing_inputs(tmp_path):
    weights = tmp_path / 'w.pth'
    assert 'config file not found: nope.py' in _run('tools/test.py', 'nope.py', weights)
    assert f'checkpoint not found: {weights}' in _run('tools/test.py', DEMO, weights)
    weights.write_bytes(b'')
    msg = _run('tools/test.py', DEMO, weights, '--work-dir', tmp_path, '--cfg-options',
               f'test_dataloader.dataset.data_root={REPO}/tests/data/',
               'test_dataloader.dataset.ann_file=coco_trees.json',
               'test_dataloader.dataset.data_prefix.img=no_images/')
    assert f'image folder not found: {REPO}/tests/data/no_images/' in msg


def test_generate_proposals_bad_inputs(tmp_path):
    assert f'image folder {tmp_path}/none does not exist' in _run(
        'tools/generate_proposals.py', tmp_path / 'none', tmp_path / 'p.json')
    (tmp_path / 'imgs').mkdir()
    (tmp_path / 'imgs' / 'broken.jpg').write_bytes(b'not a jpeg')
    assert 'cannot decode image' in _run('tools/generate_proposals.py', tmp_path / 'imgs',
                                         tmp_path / 'p.json', '--workers', '1')


def test_show_proposals_image_not_in_the_proposals_file(tmp_path):
    props = tmp_path / 'p.json'
    props.write_text('{"images": [], "annotations": [], "categories": []}')
    msg = _run('tools/analysis/show_proposals.py', REPO / 'tests/data/images/OSBS_029.jpg',
               '--config', DEMO, '--proposals', props, '--out', tmp_path / 'x.png')
    assert "no entry with file name 'OSBS_029.jpg'" in msg


def test_show_correspondence_missing_image(tmp_path):
    assert str(tmp_path / 'none.jpg') in _run('tools/analysis/show_correspondence.py',
                                              tmp_path / 'none.jpg')
