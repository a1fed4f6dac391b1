"""State that survives a resume (issue 12): MoCo v2's queue, SwAV's queue, prototypes and
schedules, the EMA target and its momentum — saved by mmengine's CheckpointHook at iteration
2, restored by ``resume=True``, and the continued run equals the uninterrupted one."""
import shutil

import torch
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

import mmssl_det  # noqa: F401  (allow-lists mmengine checkpoints for torch.load)

C5 = 64  # the tiny ResNet-18 (base 8 channels)
STATE = ['pretexts.moco.queue', 'pretexts.moco.queue_ptr', 'pretexts.swav.queue',
         'pretexts.swav.queue_ptr', 'pretexts.swav.queue_count', 'pretexts.swav.queue_active',
         'pretexts.swav.prototypes_frozen', 'pretexts.swav.prototypes.weight',
         'target.module.backbone.conv1.weight',
         'target.module.pretexts.moco.projector.mlp.0.weight', 'target.steps']


class _Record(Hook):
    """Snapshots of the model's state as training sees it."""

    def __init__(self):
        self.loaded, self.before, self.loss = None, {}, {}

    @staticmethod
    def _state(runner):
        return {k: v.clone() for k, v in runner.model.state_dict().items()}

    def before_train(self, runner):
        self.loaded = self._state(runner)

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        swav = runner.model.pretexts.swav
        self.before[runner.iter] = dict(
            state=self._state(runner), momentum=runner.model.target.momentum,
            frozen=bool(swav.prototypes_frozen), active=bool(swav.queue_active))

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        self.loss[runner.iter] = {k: v.item() for k, v in outputs.items()}


def _train(work_dir, data_dir, resume_from=None) -> _Record:
    """MoCo v2 (queue 8) + SwAV (2 crops, queue 4 from epoch 0, prototypes frozen for 3
    iterations) on one tiny R18 with an EMA target (τ 0.9 → 1), 4 epochs × 1 iteration."""
    cfg = Config.fromfile('configs/mocov2_demo.py')
    cfg.model.backbone.update(base_channels=8, init_cfg=None)
    cfg.model.base_momentum = 0.9
    cfg.model.pretexts.moco.update(queue_size=8, projector=dict(in_channels=C5, hid_channels=32,
                                                                out_channels=8))
    cfg.model.pretexts.swav = dict(
        type='SwAVPretext', num_prototypes=16, num_crops=(2, 0), queue_length=4,
        projector=dict(type='ProjectionMLP', in_channels=C5, hid_channels=32, out_channels=16,
                       dense=False, with_avg_pool=False, norm_cfg=dict(type='BN')))
    for view in cfg.train_dataloader.dataset.pipeline[1].transforms:
        view[0].size = 64
    cfg.train_dataloader.update(batch_size=2, num_workers=0, persistent_workers=False)
    cfg.train_dataloader.dataset.update(data_root=f'{data_dir}/',
                                        data_prefix=dict(img='images/'))
    cfg.train_cfg.max_epochs = 4
    cfg.default_hooks.checkpoint.update(interval=1, max_keep_ckpts=-1)
    cfg.custom_hooks = [dict(type='FiniteLossHook'),
                        dict(type='CosineMomentumHook', end_momentum=1.0),
                        dict(type='SwAVQueueHook', start_epoch=0),
                        dict(type='PrototypeFreezeHook', freeze_iters=3)]
    cfg.randomness = dict(seed=0, deterministic=True)
    cfg.work_dir, cfg.log_level = str(work_dir), 'WARNING'
    cfg.experiment_name = f'resume_state_{work_dir.parent.name}_{work_dir.name}'
    if resume_from is not None:
        cfg.resume, cfg.load_from = True, str(resume_from)
    runner = Runner.from_cfg(cfg)
    record = _Record()
    runner.register_hook(record, priority='LOWEST')
    runner.train()
    return record


def _assert_equal_states(a, b):
    assert a.keys() == b.keys()
    differ = [k for k in a if not torch.equal(a[k], b[k])]
    assert not differ, differ[:5]


def test_queues_prototypes_freeze_target_and_momentum_survive_a_resume(tmp_path, data_dir):
    full = _train(tmp_path / 'full', data_dir)
    (tmp_path / 'resumed').mkdir()
    saved = tmp_path / 'resumed' / 'epoch_2.pth'  # after iteration 2 (0-based: 0 and 1)
    shutil.copy(tmp_path / 'full' / 'epoch_2.pth', saved)
    resumed = _train(tmp_path / 'resumed', data_dir, resume_from=saved)

    ckpt = torch.load(saved, map_location='cpu')['state_dict']
    assert set(STATE) <= set(ckpt)
    # What was saved is meaningful state: full queues, frozen prototypes, a lagging target.
    assert int(ckpt['pretexts.swav.queue_count']) == 4 and ckpt['pretexts.swav.queue_active']
    assert int(ckpt['pretexts.moco.queue_ptr']) == 4 and ckpt['pretexts.swav.prototypes_frozen']
    assert not torch.equal(ckpt['target.module.backbone.conv1.weight'],
                           ckpt['backbone.conv1.weight'])
    # Restored exactly, buffers included.
    _assert_equal_states(resumed.loaded, ckpt)
    assert sorted(resumed.before) == [2, 3]
    for it in (2, 3):
        want, got = full.before[it], resumed.before[it]
        _assert_equal_states(got['state'], want['state'])
        assert (got['momentum'], got['frozen'], got['active']) == (
            want['momentum'], want['frozen'], want['active'])
        assert resumed.loss[it] == full.loss[it]
    # The schedules as they were: τ moved on, prototypes unfrozen at iteration 3 (0-based).
    assert full.before[2]['momentum'] != full.before[3]['momentum']
    assert [full.before[i]['frozen'] for i in range(4)] == [True, True, True, False]
    assert {'loss_moco', 'loss_swav'} <= set(full.loss[3])
    final = [torch.load(tmp_path / d / 'epoch_4.pth', map_location='cpu')
             for d in ('full', 'resumed')]
    _assert_equal_states(final[1]['state_dict'], final[0]['state_dict'])
