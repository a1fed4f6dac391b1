"""SwAV (arXiv 2006.09882) as a pretext of SelfSupervisedPretrainer: multi-crop training in
the Runner on the fixture images, codes on the large crops only, the queue joining Sinkhorn,
prototypes on the unit sphere, and bad crop counts / orders."""
import copy

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.runner import Runner

from mmssl_det.models.utils import sinkhorn_knopp, swapped_prediction_loss

C5 = 64  # the tiny ResNet-18 (base 8 channels)
TINY = dict(num_prototypes=16, queue_length=4,
            projector=dict(in_channels=C5, hid_channels=32, out_channels=16))


def tiny(tiny_cfg, config='configs/swav_r50.py', **swav):
    return tiny_cfg(config, pretexts=dict(swav=dict(TINY, **swav)))


def crops(sizes=(64, 64, 32, 32), n=2):
    """uint8 views of the given sizes (a multi-crop batch), as the packer yields them."""
    g = torch.Generator().manual_seed(0)
    return dict(inputs=[[torch.randint(0, 256, (3, s, s), dtype=torch.uint8, generator=g)
                         for _ in range(n)] for s in sizes], data_samples=None)


def _scores(model, data):
    """The pretext's z (one projector pass over all crops) and per-crop scores ``zᵀC``."""
    outputs = []
    handle = model.pretexts.swav.projector.register_forward_hook(
        lambda m, i, o: outputs.append(o))
    losses = model.loss(**data)
    handle.remove()
    z = F.normalize(outputs[0], dim=1)
    n = data['inputs'][0].shape[0]
    return losses['loss_swav'], z, (z @ model.pretexts.swav.prototypes.weight.t()).split(n)


def test_codes_come_from_the_large_crops_and_every_other_crop_predicts_them(tiny_cfg,
                                                                          build_model):
    model = build_model(tiny(tiny_cfg, num_crops=(2, 2)))
    data = model.data_preprocessor(crops(), True)
    loss, z, scores = _scores(model, data)
    assert z.shape == (4 * 2, 16)  # all crops through the projector at once
    codes = [sinkhorn_knopp(scores[0]), sinkhorn_knopp(scores[1])]  # ε 0.05, 3 iterations
    torch.testing.assert_close(loss, swapped_prediction_loss(scores, codes, 0.1))
    # Codes of a small crop would give another loss: the large ones are views 0 and 1.
    other = [sinkhorn_knopp(scores[2]), sinkhorn_knopp(scores[3])]
    assert not torch.allclose(loss, swapped_prediction_loss(
        [scores[2], scores[3], scores[0], scores[1]], other, 0.1))


def test_prototypes_are_renormalised_before_every_step(tiny_cfg, build_model):
    model = build_model(tiny(tiny_cfg, num_crops=(2, 0)))
    swav = model.pretexts.swav
    with torch.no_grad():
        swav.prototypes.weight.mul_(torch.arange(1., 17.)[:, None])
    model.loss(**model.data_preprocessor(crops((64, 64)), True))
    torch.testing.assert_close(swav.prototypes.weight.norm(dim=1), torch.ones(16))
    assert 'pretexts.swav.prototypes.weight' in model.state_dict()
    assert model.target is None  # SwAV has no EMA target


def test_queue_fills_while_on_and_joins_sinkhorn_once_full(tiny_cfg, build_model):
    """Sec. 3.1 "Working with small batches": the stored embeddings of the large crops,
    scored against the current prototypes, join the Sinkhorn input; the batch's codes are
    the last rows."""
    model = build_model(tiny(tiny_cfg, num_crops=(2, 2)))
    swav = model.pretexts.swav
    data = model.data_preprocessor(crops(), True)
    model.loss(**data)  # queue off: nothing stored
    assert int(swav.queue_count) == 0 and not swav.queue.any()
    swav.set_queue_active(True)
    _, z, _ = _scores(model, data)
    assert int(swav.queue_ptr) == 2 and int(swav.queue_count) == 2
    torch.testing.assert_close(swav.queue[:, :2], torch.stack(z.detach().split(2)[:2]))
    assert not swav.queue[:, 2:].any()
    # A second batch fills it (L = 4); the third uses it.
    model.loss(**model.data_preprocessor(crops((48, 48, 32, 32)), True))
    assert int(swav.queue_count) == 4 and int(swav.queue_ptr) == 0
    stored = swav.queue.clone()
    loss, z, scores = _scores(model, model.data_preprocessor(crops((56, 56, 24, 24)), True))
    weight = swav.prototypes.weight
    codes = [sinkhorn_knopp(torch.cat((stored[i] @ weight.t(), scores[i])))[-2:]
             for i in range(2)]
    torch.testing.assert_close(loss, swapped_prediction_loss(scores, codes, 0.1))
    assert not torch.allclose(loss, swapped_prediction_loss(
        scores, [sinkhorn_knopp(s) for s in scores[:2]], 0.1))
    torch.testing.assert_close(swav.queue[:, :2], torch.stack(z.detach().split(2)[:2]))


def test_crops_that_do_not_match_num_crops(tiny_cfg, build_model):
    model = build_model(tiny(tiny_cfg))  # num_crops=(2, 6) as the paper
    with pytest.raises(ValueError, match=r"pretext 'swav': num_crops=\(2, 6\) needs 8 views "
                                         r"\(2 large \+ 6 small\), the batch has 2; set "
                                         r"MultiView's num_views=\[2, 6\]"):
        model.loss(**model.data_preprocessor(crops((64, 64)), True))
    model = build_model(tiny(tiny_cfg, num_crops=(2, 2)))
    with pytest.raises(ValueError, match=r"pretext 'swav': num_crops=\(2, 2\) takes views 0-1 "
                                         r"as the large crops .* view 2 \(64x64\) is larger "
                                         r"than view 0 \(32x32\); list the large-crop "
                                         r"pipeline first"):
        model.loss(**model.data_preprocessor(crops((32, 32, 64, 64)), True))
    with pytest.raises(ValueError, match=r"pretext 'swav': num_crops=\(2, 2\) needs 4 views"):
        model.pretexts.swav.check_views([torch.zeros(2, 3, 8, 8)] * 3)


@pytest.mark.parametrize('swav, match', [
    (dict(num_crops=(0, 6)), r'num_crops=\(0, 6\) must be \(large, small\)'),
    (dict(num_crops=(2, 2, 2)), r'num_crops=\(2, 2, 2\)'),
    (dict(queue_length=-1), 'queue_length=-1 must be >= 0'),
    (dict(projector=dict(with_avg_pool=True)), 'with_avg_pool must be False'),
])
def test_bad_config(tiny_cfg, build_model, swav, match):
    with pytest.raises(ValueError, match=match):
        build_model(tiny(tiny_cfg, **swav))


def test_no_queue_to_switch_on(tiny_cfg, build_model):
    model = build_model(tiny(tiny_cfg, queue_length=0))
    with pytest.raises(ValueError, match=r"pretext 'swav': queue_length=0.*drop SwAVQueueHook"):
        model.pretexts.swav.set_queue_active(True)


class _Record(Hook):
    def __init__(self):
        self.rows = []

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        swav = runner.model.pretexts.swav
        self.rows.append(dict(loss=float(outputs['loss']), views=len(data_batch['inputs']),
                              sizes=[v[0].shape[-1] for v in data_batch['inputs']],
                              prototypes=swav.prototypes.weight.detach().clone(),
                              frozen=bool(swav.prototypes_frozen),
                              active=bool(swav.queue_active), count=int(swav.queue_count)))


def test_trains_5_iterations_in_the_runner_with_multi_crop_queue_and_freeze(tmp_path,
                                                                           data_dir):
    """configs/swav_demo.py (2 large + 2 small crops through MultiView) on the fixture
    images with a tiny R18: 5 finite iterations; the queue goes on at epoch 2 and is full
    from epoch 3 (L = 4, 2 per step); the prototypes move only from iteration 2."""
    cfg = Config.fromfile('configs/swav_demo.py')
    cfg.model.backbone.update(base_channels=8, init_cfg=None)
    cfg.model.pretexts.swav.update(copy.deepcopy(TINY))
    pipeline = cfg.train_dataloader.dataset.pipeline[1]
    pipeline.transforms[0][0].size, pipeline.transforms[1][0].size = 64, 32
    cfg.train_dataloader.update(batch_size=2, num_workers=0, persistent_workers=False)
    cfg.train_dataloader.dataset.update(data_root=f'{data_dir}/',
                                        data_prefix=dict(img='images/'))
    cfg.train_cfg.max_epochs = 5
    cfg.custom_hooks = [dict(type='FiniteLossHook'),
                        dict(type='SwAVQueueHook', start_epoch=2),
                        dict(type='PrototypeFreezeHook', freeze_iters=2)]
    cfg.work_dir, cfg.log_level = str(tmp_path), 'WARNING'
    cfg.experiment_name = f'swav_demo_{tmp_path.name}'
    runner = Runner.from_cfg(cfg)
    record = _Record()
    runner.register_hook(record, priority='LOWEST')
    runner.train()
    rows = record.rows
    assert len(rows) == 5 and all(torch.isfinite(torch.tensor(r['loss'])) for r in rows)
    assert all(r['views'] == 4 and r['sizes'] == [64, 64, 32, 32] for r in rows)
    assert [r['active'] for r in rows] == [False, False, True, True, True]
    assert [r['count'] for r in rows] == [0, 0, 2, 4, 4]
    assert [r['frozen'] for r in rows] == [True, True, False, False, False]
    torch.testing.assert_close(rows[1]['prototypes'], rows[0]['prototypes'])
    assert not torch.allclose(rows[2]['prototypes'], rows[1]['prototypes'], atol=1e-4)


def test_paper_config_builds_k3000_and_multi_crop_2x224_6x96(data_dir, build_model):
    from mmengine.registry import DefaultScope

    from mmssl_det.registry import DATASETS
    cfg = Config.fromfile('configs/swav_r50.py')
    swav = build_model(cfg.model).pretexts.swav
    assert swav.prototypes.weight.shape == (3000, 128) and swav.num_crops == (2, 6)
    assert swav.queue.shape == (2, 3840, 128) and swav.num_views == 8
    assert (swav.temperature, swav.epsilon, swav.sinkhorn_iters) == (0.1, 0.05, 3)
    dataset = copy.deepcopy(cfg.train_dataloader.dataset)
    dataset.update(data_root=f'{data_dir}/', data_prefix=dict(img='images/'))
    with DefaultScope.overwrite_default_scope('mmssl_det'):
        sample = DATASETS.build(dataset)[0]
    assert [tuple(v.shape) for v in sample['inputs']] == [(3, 224, 224)] * 2 + [(3, 96, 96)] * 6
    # The crops cover 14-100 % and 5-14 % of the image (the recorded view boxes).
    coords = sample['data_samples'].coords
    area = ((coords[:, 2] - coords[:, 0]) * (coords[:, 3] - coords[:, 1])).abs()  # flips swap x
    assert (area[:2] >= 0.13).all() and (area[2:] <= 0.15).all() and (area[2:] >= 0.04).all()
    hooks = {h['type']: h for h in cfg.custom_hooks}
    assert hooks['SwAVQueueHook']['start_epoch'] == 15
    assert hooks['PrototypeFreezeHook']['freeze_epochs'] == 1


WORLD, N, K, D, L = 2, 3, 5, 4, 8


def _gloo_worker(rank: int, init_file: str) -> None:
    import torch.distributed as dist

    from mmssl_det.models.pretexts import SwAVPretext
    torch.set_num_threads(1)
    dist.init_process_group('gloo', init_method=f'file://{init_file}', rank=rank,
                            world_size=WORLD)
    try:
        torch.manual_seed(0)  # the same prototypes and global batch on every rank
        swav = SwAVPretext(dict(type='ProjectionMLP', in_channels=D, hid_channels=D,
                                out_channels=D, dense=False, norm_cfg=None),
                           num_prototypes=K, num_crops=(1, 1), queue_length=L)
        swav.before_step({})
        stored = F.normalize(torch.randn(L, D), dim=1)
        z = F.normalize(torch.randn(WORLD * N, D), dim=1)
        mine = slice(rank * N, (rank + 1) * N)
        weight = swav.prototypes.weight.detach()
        swav.set_queue_active(True)
        swav.queue[0] = stored
        swav.queue_count.fill_(L)
        # Each rank scores its rows rank::W of the shared queue: over the ranks every stored
        # embedding enters Sinkhorn's all-reduced sums once, as in one process.
        codes = swav._codes(0, z[mine])
        reference = sinkhorn_knopp(torch.cat((stored, z)) @ weight.t(), distributed=False)
        torch.testing.assert_close(codes, reference[L:][mine])
        # The global batch is enqueued, rank-major: the queues stay identical.
        swav._enqueue((z[mine], ))
        torch.testing.assert_close(swav.queue[0], torch.cat((z, stored[WORLD * N:])))
        assert int(swav.queue_ptr) == WORLD * N
    finally:
        dist.destroy_process_group()


@pytest.mark.skipif(not torch.distributed.is_gloo_available(), reason='needs gloo')
def test_two_gloo_processes_share_the_queue_and_match_one_process(tmp_path):
    import torch.multiprocessing as mp
    mp.start_processes(_gloo_worker, args=(str(tmp_path / 'init'), ), nprocs=WORLD,
                       join=True, start_method='fork')


def test_codes_are_float32_under_autocast(tiny_cfg, build_model):
    """Sinkhorn's exp(score / ε) multiplies the scores' rounding by 1/ε = 20: under bf16
    autocast the codes still come from float32 scores, equal to the fp32 codes."""
    model = build_model(tiny(tiny_cfg, num_crops=(2, 0)))
    swav = model.pretexts.swav
    z = F.normalize(torch.randn(4, 16), dim=1)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        codes = swav._codes(0, z)
    assert codes.dtype == torch.float32
    torch.testing.assert_close(codes, sinkhorn_knopp(z @ swav.prototypes.weight.t()))
