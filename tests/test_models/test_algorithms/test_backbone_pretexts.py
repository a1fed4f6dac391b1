"""The backbone pretrainers as pretexts: MoCo v2 and SimSiam train on CPU from their configs."""
import copy

import pytest
import torch
import torch.nn.functional as F
from mmengine.optim import build_optim_wrapper

SGD = dict(optimizer=dict(type='SGD', lr=0.03, momentum=0.9, weight_decay=1e-4))
C5 = 64  # the tiny ResNet-18 (base 8 channels)
TINY = {
    'moco': dict(queue_size=16, projector=dict(in_channels=C5, hid_channels=32,
                                               out_channels=8)),
    'simsiam': dict(projector=dict(in_channels=C5, hid_channels=32, out_channels=16),
                    predictor=dict(in_channels=16, hid_channels=8, out_channels=16)),
}


def tiny(tiny_cfg, config):
    name = 'moco' if 'moco' in config else 'simsiam'
    return tiny_cfg(config, pretexts={name: TINY[name]})


@pytest.mark.parametrize('config', ['configs/mocov2_r50.py', 'configs/mocov2_demo.py',
                                    'configs/simsiam_r50.py', 'configs/simsiam_demo.py'])
def test_trains_5_iterations_with_finite_loss(config, tiny_cfg, build_model, batch_of):
    model = build_model(tiny(tiny_cfg, config))
    ow = build_optim_wrapper(model, SGD)
    name = list(model.pretexts)[0]
    before = model.backbone.layer4[0].conv1.weight.clone()
    for _ in range(5):
        losses = model.train_step(batch_of(), ow)
        assert set(losses) == {'loss', f'loss_{name}'} and torch.isfinite(losses['loss'])
    assert not torch.equal(model.backbone.layer4[0].conv1.weight, before)
    assert (model.target is None) == (name == 'simsiam')


def test_moco_enqueues_the_keys_of_view_1(tiny_cfg, build_model, batch_of):
    """InfoNCE against the queue, then the batch's keys replace the oldest rows (MoCo
    arXiv 1911.05722, Sec. 3.2): ptr advances by N, the rows hold the normalised target
    projections of view 1, and the queue is a buffer (checkpoints carry it)."""
    model = build_model(tiny(tiny_cfg, 'configs/mocov2_r50.py'))
    moco = model.pretexts.moco
    assert 'pretexts.moco.queue' in model.state_dict()
    torch.testing.assert_close(moco.queue.norm(dim=1), torch.ones(16))
    data = model.data_preprocessor(batch_of(n=2), True)
    old = moco.queue.clone()
    model.loss(**data)
    assert int(moco.queue_ptr) == 2
    with torch.no_grad():
        tgt = model.target.module
        keys = F.normalize(tgt['pretexts']['moco']['projector'](
            tgt['backbone'](data['inputs'][1])[-1]), dim=1)
    torch.testing.assert_close(moco.queue[:2], keys)
    assert torch.equal(moco.queue[2:], old[2:])


def test_simsiam_stops_the_gradient_to_z(tiny_cfg, build_model, batch_of):
    """Eq. 3: only the predictor side carries gradient, z is a constant — the gradient
    through z would make the projector's last BN receive two terms per view."""
    model = build_model(tiny(tiny_cfg, 'configs/simsiam_r50.py'))
    data = model.data_preprocessor(batch_of(), True)
    simsiam = model.pretexts.simsiam
    zs = []
    handle = simsiam.projector.register_forward_hook(lambda m, i, o: zs.append(o))
    loss = model.loss(**data)['loss_simsiam']
    handle.remove()
    grads = torch.autograd.grad(loss, zs)
    p = [simsiam.predictor(z) for z in zs]
    # d/dz of ½D(p1, sg(z2)) + ½D(p2, sg(z1)) flows only through p = h(z)
    expected = torch.autograd.grad(
        0.5 * -F.cosine_similarity(p[0], zs[1].detach()).mean()
        + 0.5 * -F.cosine_similarity(p[1], zs[0].detach()).mean(), zs)
    for g, e in zip(grads, expected):
        torch.testing.assert_close(g, e)


def test_simsiam_in_a_pretrainer_with_a_target_is_refused_only_the_other_way(tiny_cfg,
                                                                             build_model):
    cfg = tiny(tiny_cfg, 'configs/mocov2_r50.py')
    cfg.with_target = False
    with pytest.raises(ValueError, match=r"pretext 'moco' \(needs_target\)"):
        build_model(cfg)


def test_moco_encodes_only_the_views_it_reads(tiny_cfg, build_model, batch_of):
    """MoCo reads the online maps of view 0 and the target's of view 1, so the encoders run
    once each (the papers' two passes, not four); the loss is that of the full encoding."""
    model = build_model(tiny(tiny_cfg, 'configs/mocov2_r50.py'))
    twin = copy.deepcopy(model)
    data = model.data_preprocessor(batch_of(n=2), True)
    seen = {'online': [], 'target': []}
    model.backbone.register_forward_hook(lambda m, i, o: seen['online'].append(i[0]))
    model.target.module['backbone'].register_forward_hook(
        lambda m, i, o: seen['target'].append(i[0]))
    torch.manual_seed(0)
    loss = model.loss(**data)['loss_moco']
    assert len(seen['online']) == len(seen['target']) == 1
    assert torch.equal(seen['online'][0], data['inputs'][0])
    assert torch.equal(seen['target'][0], data['inputs'][1])
    # Reading every view (the former behaviour) gives the same loss from the same state.
    twin.pretexts.moco.online_views = twin.pretexts.moco.target_views = None
    torch.manual_seed(0)
    torch.testing.assert_close(twin.loss(**data)['loss_moco'], loss)
