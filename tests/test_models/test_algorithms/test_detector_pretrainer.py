import pytest
import torch
from mmengine.optim import build_optim_wrapper

SGD = dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9))
BOXES = [[[4., 4., 30., 30.], [20., 10., 60., 50.], [1., 1., 12., 14.]], []]


@pytest.mark.parametrize('config', ['configs/pixpro_fpn_rpn.py',
                                    'configs/pixpro_fpn_rpn_separate.py',
                                    'configs/rpn_pretext_r50_fpn.py'])
def test_configs_train_with_and_without_boxes(config, tiny_cfg, build_model, batch_of):
    model = build_model(tiny_cfg(config))
    ow = build_optim_wrapper(model, SGD)
    for boxes in (BOXES, [[], []]):  # second batch: no proposal survived → only negatives
        losses = model.train_step(batch_of(boxes=boxes), ow)
        assert all(torch.isfinite(v) for v in losses.values()), losses
    assert all(torch.isfinite(p).all() for p in model.parameters())


def test_joint_stage_has_every_branch(tiny_cfg, build_model, batch_of):
    model = build_model(tiny_cfg('configs/pixpro_fpn_rpn.py'))
    losses = model.train_step(batch_of(boxes=BOXES), build_optim_wrapper(model, SGD))
    assert {'loss_pixel_l1', 'loss_rpn_cls', 'loss_rpn_bbox', 'loss_roi'} <= set(losses)
    assert losses['loss_roi'].item() != 0.0


def test_separate_stage_two_freezes_backbone_and_neck(tiny_cfg, build_model, batch_of):
    model = build_model(tiny_cfg('configs/pixpro_fpn_rpn_separate.py'))
    assert model.stages[1]['frozen'] == ('backbone', 'neck')
    ow = build_optim_wrapper(model, SGD)
    assert 'loss_rpn_cls' not in model.train_step(batch_of(boxes=BOXES), ow)  # stage 0
    model.set_stage(1)
    assert not model.backbone.training and not model.neck.training  # BN statistics frozen
    frozen = {k: v.clone() for k, v in model.state_dict().items()
              if k.startswith(('backbone.', 'neck.'))}
    rpn_before = model.rpn_head.rpn_conv.weight.clone()
    losses = model.train_step(batch_of(boxes=BOXES), ow)
    assert 'loss_pixel_l1' not in losses and 'loss_rpn_cls' in losses
    for k, v in model.state_dict().items():
        if k in frozen:
            assert torch.equal(v, frozen[k]), k
    assert not torch.equal(model.rpn_head.rpn_conv.weight, rpn_before)


def test_rpn_pretext_without_proposals_says_what_to_do(tiny_cfg, build_model, batch_of):
    model = build_model(tiny_cfg('configs/pixpro_fpn_rpn.py'))
    with pytest.raises(ValueError, match='proposals_file'):
        model.train_step(batch_of(), build_optim_wrapper(model, SGD))


def test_stage_asking_for_missing_branch(tiny_cfg, build_model):
    with pytest.raises(ValueError, match=r"not configured \['pixel'\]"):
        build_model(tiny_cfg('configs/rpn_pretext_r50_fpn.py',
                             stages=[dict(begin=0, losses=('pixel', 'rpn'))]))


def test_rpn_pretext_demo_starts_from_pixpro_checkpoint(tmp_path, tiny_cfg, build_model,
                                                        batch_of):
    """Second stage of the separate strategy: backbone + FPN come from a PixPro-FPN
    checkpoint via init_cfg; the backbone stays fixed while FPN and RPN learn."""
    pixpro = build_model(tiny_cfg('configs/pixpro_fpn_demo.py'))
    ckpt = tmp_path / 'pixpro.pth'
    torch.save(dict(state_dict=pixpro.state_dict()), ckpt)
    cfg = tiny_cfg('configs/rpn_pretext_demo.py', neck=dict(init_cfg=dict(checkpoint=str(ckpt))))
    # the tiny overrides drop the backbone's init_cfg; restore the config's, on our checkpoint
    cfg.backbone.init_cfg = dict(type='Pretrained', prefix='backbone.', checkpoint=str(ckpt))
    model = build_model(cfg)
    source = pixpro.state_dict()
    for k, v in model.state_dict().items():
        if k.startswith(('backbone.', 'neck.')):
            assert torch.equal(v, source[k]), k
    assert model.stages[0]['frozen'] == ('backbone', )
    neck_before = model.neck.fpn_convs[0].conv.weight.clone()
    losses = model.train_step(batch_of(boxes=BOXES), build_optim_wrapper(model, SGD))
    assert {'loss_rpn_cls', 'loss_rpn_bbox', 'loss_roi'} <= set(losses)
    assert 'loss_pixel_l1' not in losses
    for k, v in model.state_dict().items():
        if k.startswith('backbone.'):
            assert torch.equal(v, source[k]), k
    assert not torch.equal(model.neck.fpn_convs[0].conv.weight, neck_before)


def test_roi_pretext_draws_at_most_k_shared_boxes_per_image(tiny_cfg, build_model, batch_of):
    """SoCo's few boxes per image: the RoI head sees k boxes of each image, the same in both
    views (box j of view 0 is box j of view 1, here shifted by the batch's +2 px)."""
    model = build_model(tiny_cfg('configs/pixpro_fpn_rpn.py', roi_boxes_per_image=2))
    seen = []
    forward = model.roi_head.forward
    model.roi_head.forward = lambda feats, boxes: seen.append(boxes) or forward(feats, boxes)
    boxes = BOXES[:1] * 2  # both images have 3 shared boxes
    losses = model.train_step(batch_of(boxes=boxes), build_optim_wrapper(model, SGD))
    assert losses['loss_roi'].item() != 0.0
    view0, view1 = seen[0], seen[1]
    assert [len(b) for b in view0] == [2, 2]
    for b0, b1 in zip(view0, view1):
        assert torch.equal(b1, b0 + 2)
        assert all(any(torch.equal(b, torch.tensor(o)) for o in BOXES[0]) for b in b0)
    with pytest.raises(ValueError, match='roi_boxes_per_image=0'):
        build_model(tiny_cfg('configs/pixpro_fpn_rpn.py', roi_boxes_per_image=0))


# Module paths: detector parts at the top (mmdet's names), pretext-only modules under
# pretexts.<name> (the former projectors, pixel_head, roi_projector, roi_byol_head).
MODULES = ['backbone', 'neck', 'pretexts.pixel.projectors', 'pretexts.pixel.head', 'rpn_head',
           'roi_head', 'pretexts.roi.projector', 'pretexts.roi.head']


@pytest.mark.parametrize('name', MODULES)
def test_any_frozen_module_is_frozen_for_real(name, tiny_cfg, build_model, batch_of):
    """No gradient, no update (also no weight decay / momentum), norms in eval mode, the EMA
    copy equal to the online module — while every other module trains."""
    model = build_model(tiny_cfg('configs/pixpro_fpn_rpn.py'))
    model.set_stage(0)
    model.stages[0]['frozen'] = (name, )
    model.set_stage(0)
    module = model.get_submodule(name)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    ow = build_optim_wrapper(model, dict(SGD, optimizer=dict(SGD['optimizer'],
                                                               weight_decay=0.1)))
    for _ in range(2):
        model.train_step(batch_of(boxes=BOXES), ow)
    assert not any(p.requires_grad for p in module.parameters())
    assert not any(m.training for m in module.modules())
    changed = {m for k, v in model.state_dict().items() if not torch.equal(v, before[k])
               for m in MODULES if k.startswith(m + '.')}
    assert name not in changed
    assert set(MODULES) - {name} <= changed  # the rest trains
    try:
        copy = model.target.module.get_submodule(name)
    except AttributeError:
        copy = None
    if copy is not None:
        online = module.state_dict()
        for k, t in copy.state_dict().items():
            assert torch.equal(t, online[k])


def test_thawing_restores_the_modules_own_frozen_parameters(tiny_cfg, build_model):
    """ResNet's frozen_stages=1 keeps its stem fixed by itself: freezing the backbone and
    thawing it again must not make the stem trainable."""
    model = build_model(tiny_cfg('configs/pixpro_fpn_rpn.py', backbone=dict(frozen_stages=1)))
    own = {n: p.requires_grad for n, p in model.backbone.named_parameters()}
    assert not own['conv1.weight'] and own['layer2.0.conv1.weight']
    model.set_frozen(('backbone', 'rpn_head'))
    assert not any(p.requires_grad for p in model.backbone.parameters())
    model.set_frozen(('rpn_head', ))
    assert {n: p.requires_grad for n, p in model.backbone.named_parameters()} == own
    assert not any(p.requires_grad for p in model.rpn_head.parameters())


@pytest.mark.parametrize('names', [('target', ), ('rpn', ), ('backbone', 'head')])
def test_freezing_an_unknown_module_names_it(names, tiny_cfg, build_model):
    model = build_model(tiny_cfg('configs/pixpro_fpn_rpn.py'))
    with pytest.raises(ValueError, match='cannot freeze'):
        model.set_frozen(names)


def test_unfreezing_in_distributed_training_is_refused(monkeypatch, tiny_cfg, build_model):
    from mmssl_det.models.algorithms import base
    model = build_model(tiny_cfg('configs/pixpro_fpn_rpn.py'))
    model.set_frozen(('backbone', ))
    monkeypatch.setattr(base, 'get_world_size', lambda: 2)
    model.set_frozen(('backbone', 'neck'))  # freezing more is fine
    with pytest.raises(RuntimeError, match='cannot unfreeze'):
        model.set_frozen(('neck', ))


def _fc_norms(model):
    from mmssl_det.models.utils import layer_norm
    return [float(layer_norm(fc)) for fc in model.roi_head.bbox_head.shared_fcs]


@pytest.mark.parametrize('fix', [True, False])
def test_roi_pretext_keeps_the_shared_fcs_at_their_initial_scale(fix, tiny_cfg, build_model,
                                                                 batch_of):
    """The RoI loss cannot see the fcs' scale (BN in the projector), so without the fix a
    few large steps inflate them; with it they stay at their first-step norms, and the
    projector's output — all the loss sees — is unchanged by the rescaling."""
    model = build_model(tiny_cfg('configs/pixpro_fpn_rpn.py',
                                 roi_head=dict(fix_fc_scale=fix)))
    init = _fc_norms(model)
    ow = build_optim_wrapper(model, dict(optimizer=dict(type='SGD', lr=2.0, momentum=0.9)))
    for _ in range(4):
        model.train_step(batch_of(boxes=BOXES[:1] * 2), ow)
    model.loss(**model.data_preprocessor(batch_of(boxes=BOXES[:1] * 2), True))
    grown = max(n / i for n, i in zip(_fc_norms(model), init))
    if fix:
        assert _fc_norms(model) == pytest.approx(init, rel=1e-5)
    else:
        assert grown > 1.05


def test_fixing_the_scale_does_not_change_what_the_roi_loss_sees(tiny_cfg, build_model):
    model = build_model(tiny_cfg('configs/pixpro_fpn_rpn.py'))
    head, projector = model.roi_head, model.pretexts.roi.projector
    feats = tuple(torch.randn(2, 16, s, s) for s in (16, 8, 4, 2, 1))
    boxes = [torch.tensor([[2., 2., 30., 30.], [10., 5., 50., 40.]])] * 2
    head.fix_scale_()  # records the reference norms
    before = projector(head(feats, boxes))
    with torch.no_grad():
        for fc in head.bbox_head.shared_fcs:
            fc.weight.mul_(3.0)
            fc.bias.mul_(3.0)
    head.fix_scale_()
    torch.testing.assert_close(projector(head(feats, boxes)), before, atol=1e-4, rtol=1e-4)
