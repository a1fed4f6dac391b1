"""RPN inference of an mmdet detector, exported-weight loading, and the proposals figure."""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import DefaultScope

from mmssl_det.evaluation import predict_rpn_proposals
from mmssl_det.export import ExportError, build_detector, load_exported

REPO = Path(__file__).resolve().parents[2]
CONFIG = str(REPO / 'configs/benchmarks/faster-rcnn_r18_fpn_demo.py')
IMAGE = str(REPO / 'tests/data/images/OSBS_029.jpg')


def _sample():
    cfg = Config.fromfile(CONFIG)
    steps = [t for t in cfg.test_pipeline if t['type'] != 'LoadAnnotations']
    with DefaultScope.overwrite_default_scope('mmssl_det'):
        return Compose(steps)(dict(img_path=IMAGE, img_id=0))


def test_predict_rpn_proposals_ranked_in_image_coordinates():
    torch.manual_seed(0)
    detector = build_detector(CONFIG)
    detector.init_weights()
    detector.eval()
    props = predict_rpn_proposals(detector, _sample(), top=50)
    assert props.shape == (50, 5)
    assert np.all(np.diff(props[:, 4]) <= 0)  # best first
    assert props[:, :4].min() >= 0 and props[:, [0, 2]].max() <= 400  # 400x400 original


def test_load_exported_rejects_foreign_keys(tmp_path):
    detector = build_detector(CONFIG)
    path = tmp_path / 'w.pth'
    state = {k: v.clone() for k, v in detector.state_dict().items()
             if k.startswith('backbone.')}
    torch.save(dict(state_dict={k: v + 1 for k, v in state.items()}), path)
    load_exported(detector, str(path))
    key = 'backbone.conv1.weight'
    assert torch.equal(detector.state_dict()[key], state[key] + 1)
    torch.save(dict(state_dict={'backbone.stem.weight': torch.zeros(1)}), path)
    with pytest.raises(ExportError, match='backbone.stem.weight'):
        load_exported(detector, str(path))


def test_show_proposals_draws_png(tmp_path):
    coco = json.loads((REPO / 'tests/data/coco_trees.json').read_text())
    proposals = tmp_path / 'props.json'
    proposals.write_text(json.dumps(dict(images=coco['images'], annotations=coco['annotations'],
                                         categories=[dict(id=1, name='object')])))
    out = tmp_path / 'p.png'
    proc = subprocess.run([sys.executable, 'tools/analysis/show_proposals.py', IMAGE,
                           '--config', CONFIG, '--proposals', str(proposals), '--top', '20',
                           '--out', str(out)], cwd=REPO, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert out.stat().st_size > 10_000
    proc = subprocess.run([sys.executable, 'tools/analysis/show_proposals.py',
                           str(REPO / 'tests/data/images/SOAP_061.jpg'), '--config', CONFIG,
                           '--proposals', str(proposals).replace('props', 'missing'),
                           '--out', str(out)], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode != 0
