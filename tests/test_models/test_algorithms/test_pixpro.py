import pytest
import torch
from mmengine.optim import build_optim_wrapper


SGD = dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9))


@pytest.mark.parametrize('config', ['configs/pixpro_fpn.py', 'configs/pixpro_r50.py',
                                    'configs/pixcontrast_r50.py', 'configs/byol_fpn.py'])
def test_shipped_configs_train_step(config, tiny_cfg, build_model, batch_of):
    overrides = {}
    if 'r50' in config:  # C5 only: the projector reads the last backbone stage
        overrides = dict(backbone=dict(out_indices=(3, )), projector=dict(in_channels=64))
    if 'byol' in config:
        overrides = dict(instance_projector=dict(in_channels=16, hid_channels=32,
                                                 out_channels=16),
                         instance_head=dict(predictor=dict(in_channels=16, hid_channels=32,
                                                           out_channels=16)))
    model = build_model(tiny_cfg(config, **overrides))
    losses = model.train_step(batch_of(), build_optim_wrapper(model, SGD))
    assert torch.isfinite(losses['loss'])
    if 'fpn' in config and 'byol' not in config:
        assert set(losses) >= {'loss_pixel_l1', 'loss_pixel_l2', 'loss_pixel_l3'}


def test_ema_target_follows_online_with_decay(tiny_cfg, build_model, batch_of):
    model = build_model(tiny_cfg('configs/pixpro_fpn.py'))
    online = model.backbone.conv1.weight
    target = model.target.module['backbone'].conv1.weight
    assert torch.equal(online, target)  # starts as a copy
    ow = build_optim_wrapper(model, SGD)
    model.set_target_decay(0.9)
    model.train_step(batch_of(), ow)           # target ← 0.9·t + 0.1·o (o == t)
    before = online.detach().clone()
    target_before = target.detach().clone()
    model.train_step(batch_of(), ow)           # target ← 0.9·t + 0.1·o_after_step_1
    assert torch.allclose(target, 0.9 * target_before + 0.1 * before, atol=1e-6)
    assert not target.requires_grad


def test_disjoint_views_give_zero_pixel_loss_without_nan(tiny_cfg, build_model, batch_of):
    model = build_model(tiny_cfg('configs/pixpro_fpn.py'))
    data = batch_of(coords=((0., 0., .4, .4), (.6, .6, 1., 1.)))
    losses = model.train_step(data, build_optim_wrapper(model, SGD))
    for name in ('loss_pixel_l1', 'loss_pixel_l2', 'loss_pixel_l3'):
        assert losses[name].item() == 0.0
    assert all(torch.isfinite(p).all() for p in model.parameters())


def test_level_the_neck_does_not_produce_names_both(tiny_cfg, build_model):
    with pytest.raises(ValueError, match=r'levels=\(1, 2, 7\).*FPN \(num_outs=5\)'):
        build_model(tiny_cfg('configs/pixpro_fpn.py', levels=(1, 2, 7),
                             level_weights=(1., 1., 1.)))


def test_level_weights_must_match_levels(tiny_cfg, build_model):
    with pytest.raises(ValueError, match='one weight per level'):
        build_model(tiny_cfg('configs/pixpro_fpn.py', level_weights=(1., 1.)))


def test_per_level_projectors_and_weights(tiny_cfg, build_model, batch_of):
    model = build_model(tiny_cfg('configs/pixpro_fpn.py', share_projector=False,
                                 level_weights=(1.0, 0.0, 0.5)))
    assert len(model.pretexts.pixel.projectors) == 3
    losses = model.loss([torch.randn(2, 3, 64, 64), torch.randn(2, 3, 64, 64)],
                        batch_of()['data_samples'])
    assert losses['loss_pixel_l2'].item() == 0.0
    assert losses['loss_pixel_l1'].item() != 0.0


def test_predict_mode_explains_export(tiny_cfg, build_model):
    model = build_model(tiny_cfg('configs/pixpro_fpn.py'))
    with pytest.raises(RuntimeError, match='export_detector'):
        model(torch.randn(1, 3, 32, 32), mode='predict')
    feats = model(torch.randn(1, 3, 64, 64), mode='tensor')
    assert len(feats) == 5 and feats[1].shape == (1, 16, 8, 8)


def test_ema_target_still_follows_after_the_model_is_moved(tiny_cfg, build_model, batch_of):
    """The Runner moves the built model (``model.to('cuda')``): the EMA must average into
    the tensors the target uses afterwards, not into the storage they had at build time.
    ``.double()`` moves storage on CPU the same way."""
    model = build_model(tiny_cfg('configs/pixpro_fpn.py')).double()
    ow = build_optim_wrapper(model, SGD)
    model.set_target_decay(0.9)
    batch = batch_of()
    batch['inputs'] = [[v.double() for v in view] for view in batch['inputs']]
    model.train_step(batch, ow)
    online = model.backbone.conv1.weight
    target = model.target.module['backbone'].conv1.weight
    before, target_before = online.detach().clone(), target.detach().clone()
    model.train_step(batch, ow)
    assert target.dtype == torch.float64
    torch.testing.assert_close(target, 0.9 * target_before + 0.1 * before)
    assert not torch.equal(target, target_before)
