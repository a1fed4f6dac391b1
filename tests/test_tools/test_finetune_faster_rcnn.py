"""mmdet's Faster R-CNN R50-FPN through the project's data config on the real fixtures:
2 training iterations, then COCO evaluation with pycocotools (CocoMetric)."""
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _split_opts(split: str) -> list:
    return [f'{split}_dataloader.dataset.data_root={REPO}/tests/data/',
            f'{split}_dataloader.dataset.ann_file=coco_trees.json',
            f'{split}_dataloader.dataset.data_prefix.img=images/',
            f'{split}_dataloader.num_workers=0',
            f'{split}_dataloader.persistent_workers=False']


def test_faster_rcnn_r50_trains_and_evaluates_on_fixtures(tmp_path):
    opts = (_split_opts('train') + _split_opts('val') + [
        'train_dataloader.batch_size=2',
        f'val_evaluator.ann_file={REPO}/tests/data/coco_trees.json',
        'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
        'default_hooks.logger.interval=1', 'default_hooks.checkpoint.interval=2',
        # small input for CPU speed (2 x 256²)
        'train_dataloader.dataset.pipeline.2.scale=(256,256)',
        'val_dataloader.dataset.pipeline.1.scale=(256,256)'])
    proc = subprocess.run([sys.executable, 'tools/train.py',
                           'configs/benchmarks/faster-rcnn_r50_fpn_demo.py',
                           '--work-dir', str(tmp_path), '--cfg-options', *opts],
                          cwd=REPO, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    records = [json.loads(line) for log in tmp_path.glob('*/vis_data/scalars.json')
               for line in log.read_text().splitlines()]
    losses = [r['loss'] for r in records if 'loss' in r]
    assert len(losses) == 2 and all(l == l for l in losses)  # two finite iterations
    metrics = [r for r in records if 'coco/bbox_mAP' in r]
    assert metrics, 'CocoMetric did not run'
    assert 0.0 <= metrics[-1]['coco/bbox_mAP'] <= 1.0
    # pycocotools' summary table is in the log
    assert 'Average Precision  (AP) @[ IoU=0.50:0.95' in proc.stdout + proc.stderr
