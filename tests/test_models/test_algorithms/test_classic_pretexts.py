"""SimCLR, DenseCL and RotNet as pretexts of SelfSupervisedPretrainer: they train on CPU from
their configs (tiny R18), compute the papers' losses, and bad configs name the pretext."""
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope

from mmssl_det.models.utils import (argmax_correspondence, dense_infonce_loss, infonce_loss,
                                    nt_xent_loss, rotation_batch)
from mmssl_det.registry import DATASETS

DATA = Path(__file__).resolve().parents[2] / 'data'
SGD = dict(optimizer=dict(type='SGD', lr=0.03, momentum=0.9, weight_decay=1e-4))
C5 = 64  # the tiny ResNet-18 (base 8 channels)
FPN = 16
TINY = {
    'simclr': dict(projector=dict(in_channels=C5, hid_channels=32, out_channels=16)),
    'densecl': dict(queue_size=16,
                    projector=dict(in_channels=C5, hid_channels=32, out_channels=8),
                    dense_projector=dict(in_channels=C5, hid_channels=32, out_channels=8)),
    'rotnet': dict(in_channels=C5),
}


def tiny(tiny_cfg, config, **pretext):
    name = next(n for n in TINY if n in config)
    return tiny_cfg(config, pretexts={name: {**TINY[name], **pretext}})


def rotnet_batch(config, n=2, size=64):
    """A batch through the config's own one-view pipeline, on the fixture images."""
    cfg = Config.fromfile(config).train_dataloader.dataset
    cfg.pipeline[1].transforms[0][0].size = size
    cfg.update(data_root=str(DATA), data_prefix=dict(img='images/'))
    with DefaultScope.overwrite_default_scope('mmssl_det'):
        dataset = DATASETS.build(cfg)
    return pseudo_collate([dataset[i % len(dataset)] for i in range(n)])


def densecl_fpn(tiny_cfg, levels=(1, 2, 3)):
    """DenseCL on the tiny FPN's levels (the composition config without the pixel pretext)."""
    return tiny_cfg('configs/densecl_pixpro_fpn.py', pretexts=dict(
        pixel=None, densecl=dict(
            queue_size=16, levels=levels,
            projector=dict(in_channels=FPN, hid_channels=32, out_channels=8),
            dense_projector=dict(in_channels=FPN, hid_channels=32, out_channels=8))))


@pytest.mark.parametrize('config', ['configs/simclr_r50.py', 'configs/simclr_demo.py',
                                    'configs/densecl_r50.py', 'configs/densecl_demo.py',
                                    'configs/rotnet_r50.py', 'configs/rotnet_demo.py'])
def test_trains_5_iterations_with_finite_loss(config, tiny_cfg, build_model, batch_of):
    model = build_model(tiny(tiny_cfg, config))
    ow = build_optim_wrapper(model, SGD)
    name = list(model.pretexts)[0]
    expected = {'densecl': {'loss_densecl_global', 'loss_densecl_dense'}}.get(
        name, {f'loss_{name}'})
    batch = rotnet_batch(config) if name == 'rotnet' else batch_of()
    before = model.backbone.layer4[0].conv1.weight.clone()
    for _ in range(5):
        losses = model.train_step(batch, ow)
        assert set(losses) == {'loss'} | expected
        assert all(torch.isfinite(v) for v in losses.values()), losses
    assert not torch.equal(model.backbone.layer4[0].conv1.weight, before)
    assert (model.target is None) == (name != 'densecl')


def test_simclr_is_nt_xent_of_both_views_projected_together(tiny_cfg, build_model, batch_of):
    """Eq. 1 over the 2N projections; the projector sees both views as one batch (its BN
    normalises over 2N, as SimCLR's)."""
    model = build_model(tiny(tiny_cfg, 'configs/simclr_r50.py'))
    simclr = model.pretexts.simclr
    assert simclr.temperature == 0.1 and simclr.gather
    data = model.data_preprocessor(batch_of(n=3), True)
    batches = []
    handle = simclr.projector.register_forward_hook(lambda m, i, o: batches.append(o))
    loss = model.loss(**data)['loss_simclr']
    handle.remove()
    assert len(batches) == 1 and batches[0].shape == (6, 16)
    z = batches[0]
    torch.testing.assert_close(loss, nt_xent_loss(z[:3], z[3:], tau=0.1))
    assert loss > 0


def _manual_densecl(model, data, levels, from_backbone, queue, dense_queue, grid):
    """DenseCL's eq. 2-3 recomputed from the online modules (the target equals them at the
    first step), with the queues as they were before the step; ``grid``: S or None."""
    densecl = model.pretexts.densecl
    feats = [model.extract_feat(v, with_backbone=True)[0 if from_backbone else 1]
             for v in data['inputs']]
    g = densecl.global_level
    q = densecl.projector(feats[0][g])
    k = F.normalize(densecl.projector(feats[1][g]), dim=1)
    global_loss = infonce_loss(q, k, queue, tau=0.2)
    dense = []
    pool = (lambda x: x) if grid is None else (lambda x: F.adaptive_avg_pool2d(x, grid))
    for i, level in enumerate(levels):
        r = densecl.dense_projector(pool(feats[0][level]))  # pooled before the projector
        t = densecl.dense_projector(pool(feats[1][level]))
        matches = argmax_correspondence(pool(feats[0][level]), pool(feats[1][level]))
        assert matches.shape == (2, r.shape[2] * r.shape[3])
        dense.append(dense_infonce_loss(r, t, matches, dense_queue[i], tau=0.2))
    return global_loss, torch.stack(dense).mean(), k


@pytest.mark.parametrize('where', ['C5', 'C5 under an FPN', 'FPN levels', 'FPN grid 2'])
def test_densecl_loss_and_queues(where, tiny_cfg, build_model, batch_of):
    """Global MoCo v2 branch on the last level + dense branch matched by feature argmax, loss
    (1 − λ)·L_q + λ·L_r; each queue takes the keys of view 1 (pooled dense projections for
    the dense queues) and is a buffer."""
    if where == 'C5':
        cfg, levels, from_backbone = tiny(tiny_cfg, 'configs/densecl_r50.py'), (-1, ), True
    elif where == 'C5 under an FPN':
        cfg = densecl_fpn(tiny_cfg, levels=(-1, ))
        cfg.pretexts.densecl.update(from_backbone=True, projector=TINY['densecl']['projector'],
                                    dense_projector=TINY['densecl']['dense_projector'])
        levels, from_backbone = (-1, ), True
    else:
        cfg, levels, from_backbone = densecl_fpn(tiny_cfg), (1, 2, 3), False
    grid = 2 if where == 'FPN grid 2' else None
    cfg.pretexts.densecl.grid_size = grid
    model = build_model(cfg)
    densecl = model.pretexts.densecl
    assert densecl.levels == levels and densecl.global_level == levels[-1]
    assert densecl.from_backbone == (where == 'C5 under an FPN')  # no neck: C5 is the map
    state = model.state_dict()
    assert state['pretexts.densecl.dense_queue'].shape == (len(levels), 16, 8)
    assert state['pretexts.densecl.dense_queue_ptr'].shape == (len(levels), )
    assert 'target.module.pretexts.densecl.dense_projector.mlp.0.weight' in state
    data = model.data_preprocessor(batch_of(n=2), True)
    queue, dense_queue = densecl.queue.clone(), densecl.dense_queue.clone()
    losses = model.loss(**data)
    assert torch.equal(densecl.queue_ptr, torch.tensor(2))
    assert densecl.dense_queue_ptr.tolist() == [2] * len(levels)
    with torch.no_grad():
        global_loss, dense_loss, k = _manual_densecl(model, data, levels, from_backbone, queue,
                                                     dense_queue, grid)
        torch.testing.assert_close(losses['loss_densecl_global'], 0.5 * global_loss)
        torch.testing.assert_close(losses['loss_densecl_dense'], 0.5 * dense_loss)
        torch.testing.assert_close(densecl.queue[:2], k)
        feats = model.extract_feat(data['inputs'][1], with_backbone=True)[
            0 if from_backbone else 1]
        for i, level in enumerate(levels):
            # the globally pooled projection of the (gridded) map
            grid_map = feats[level] if grid is None else F.adaptive_avg_pool2d(feats[level], grid)
            keys = F.normalize(densecl.dense_projector(grid_map).mean((2, 3)), dim=1)
            torch.testing.assert_close(densecl.dense_queue[i, :2], keys)
            assert torch.equal(densecl.dense_queue[i, 2:], dense_queue[i, 2:])


def test_rotnet_encodes_the_four_rotations_and_classifies_them(tiny_cfg, build_model):
    model = build_model(tiny(tiny_cfg, 'configs/rotnet_r50.py'))
    data = model.data_preprocessor(rotnet_batch('configs/rotnet_r50.py', n=2), True)
    assert len(data['inputs']) == 1
    seen = []
    handle = model.backbone.register_forward_hook(lambda m, i, o: seen.append((i[0], o[-1])))
    loss = model.loss(**data)['loss_rotnet']
    handle.remove()
    (images, c5), = seen
    assert torch.equal(images, rotation_batch(data['inputs'][0])[0])  # (8, 3, 64, 64)
    logits = model.pretexts.rotnet.classifier(c5.mean((2, 3)))
    torch.testing.assert_close(loss, F.cross_entropy(logits, torch.tensor([0, 1, 2, 3] * 2)))


@pytest.mark.parametrize('case, match', [
    ('rotnet 2 views', r"pretext 'rotnet' \(num_views\) compares 1 views, got 2"),
    ('rotnet non-square', r"pretext 'rotnet' \(RotationPretext\).*square views, got 48×64"),
    ('rotnet in_channels', r"pretext 'rotnet' \(RotationPretext\): in_channels=32, but level "
                           r"-1 has 64 channels"),
    ('densecl level', r"pretext 'densecl': levels=\(1, 2, 7\) asks for level\(s\) \[7\], "
                      r"but neck FPN \(num_outs=5\)"),
    ('densecl C5 level', r"pretext 'densecl': levels=\(-2,\) .*backbone ResNet "
                         r"\(1 out_indices\)"),
    ('densecl lambda', r'DenseCLPretext: loss_lambda must be in \[0, 1\].*got 1.5'),
    ('densecl dense_projector', r'DenseCLPretext: dense_projector must project every location'),
    ('densecl without target', r"pretext 'densecl' \(needs_target\)"),
    ('simclr temperature', r'SimCLRPretext: temperature must be > 0.*got 0'),
])
def test_bad_config_names_the_pretext_and_field(case, match, tiny_cfg, build_model, batch_of):
    if case.startswith('rotnet'):
        model = build_model(tiny(tiny_cfg, 'configs/rotnet_r50.py',
                                 in_channels=32 if case == 'rotnet in_channels' else C5))
        if case == 'rotnet 2 views':
            batch = batch_of(size=64)
        else:  # (h, w) crops
            batch = rotnet_batch('configs/rotnet_r50.py',
                                 size=(48, 64) if case == 'rotnet non-square' else 64)
        with pytest.raises(ValueError, match=match):
            model.loss(**model.data_preprocessor(batch, True))
        return
    if case == 'densecl level':
        cfg = densecl_fpn(tiny_cfg, levels=(1, 2, 7))
    elif case == 'simclr temperature':
        cfg = tiny(tiny_cfg, 'configs/simclr_r50.py', temperature=0)
    else:
        cfg = tiny(tiny_cfg, 'configs/densecl_r50.py')
        if case == 'densecl C5 level':
            cfg.pretexts.densecl.levels = (-2, )
        elif case == 'densecl lambda':
            cfg.pretexts.densecl.loss_lambda = 1.5
        elif case == 'densecl dense_projector':
            cfg.pretexts.densecl.dense_projector.update(dense=False, with_avg_pool=True)
        else:
            cfg.with_target = False
    with pytest.raises(ValueError, match=match):
        build_model(cfg)
