"""SwAV through tools/dist_train.sh: 2 gloo ranks with the shared queue and the prototype
freeze (gradients dropped after DDP's all-reduce) stay bit-identical."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import mmssl_det  # noqa: F401  (allow-lists mmengine checkpoints for torch.load)

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(not torch.distributed.is_gloo_available(), reason='needs gloo')
def test_two_ranks_with_queue_and_frozen_prototypes_stay_identical(tmp_path, tree_images):
    images = tmp_path / 'images'
    images.mkdir()
    for copy in (1, 2):  # 2 images per rank, so the projector's BN sees a batch of 2
        for image in tree_images:
            shutil.copy(image, images / f'{copy}_{image.name}')
    config = tmp_path / 'swav_tiny.py'
    config.write_text(f'''
_base_ = ['{REPO}/configs/swav_demo.py']
model = dict(backbone=dict(base_channels=8),
             pretexts=dict(swav=dict(num_prototypes=16, queue_length=4,
                                     projector=dict(in_channels=64, hid_channels=32))))
train_pipeline = [
    dict(type='LoadImageChecked'),
    dict(type='MultiView', num_views=[2, 2], transforms=[
        [dict(type='RandomResizedCropWithCoord', size=64, scale=(0.14, 1.0))],
        [dict(type='RandomResizedCropWithCoord', size=32, scale=(0.05, 0.14))]]),
    dict(type='PackMultiViewInputs'),
]
train_dataloader = dict(batch_size=2, num_workers=0,
                        dataset=dict(data_root='{tmp_path}/', data_prefix=dict(img='images/'),
                                     pipeline=train_pipeline))
train_cfg = dict(max_epochs=3)
custom_hooks = [dict(type='FiniteLossHook'), dict(type='RankConsistencyHook'),
                dict(type='SwAVQueueHook', start_epoch=1),
                dict(type='PrototypeFreezeHook', freeze_iters=1)]
''')
    env = dict(os.environ, PORT=str(29500 + (os.getpid() + 7) % 1000), OMP_NUM_THREADS='1',
               PYTHON=sys.executable)
    proc = subprocess.run(['bash', 'tools/dist_train.sh', str(config), '2', '--work-dir',
                           str(tmp_path / 'work')],
                          cwd=REPO, capture_output=True, text=True, timeout=600, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout + proc.stderr
    assert 'Distributed training: True' in out
    assert "prototypes trained from iteration 1" in out and 'queue on from epoch 1' in out
    assert 'parameters identical on all 2 ranks' in out
    state = torch.load(tmp_path / 'work' / 'epoch_3.pth', map_location='cpu')['state_dict']
    # Epochs 1 and 2 each stored the global batch (2 ranks × 2): the queue is full.
    assert int(state['pretexts.swav.queue_count']) == 4
    assert state['pretexts.swav.queue'].abs().sum(-1).gt(0).all()
