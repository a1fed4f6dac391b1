"""SelfSupervisedPretrainer: pretexts composed in a config on one encoder and one EMA target."""
import copy

import pytest
import torch
from mmengine.optim import build_optim_wrapper

SGD = dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9))
BOXES = [[[4., 4., 30., 30.], [20., 10., 60., 50.], [1., 1., 12., 14.]], []]
PIXEL = dict(type='PixelPretext', levels=(1, 2),
             projector=dict(type='ProjectionMLP', in_channels=16, hid_channels=32,
                            out_channels=16),
             head=dict(type='PixProHead', ppm=dict(type='PixelPropagationModule', channels=16)))
INSTANCE = dict(type='InstancePretext', level=3,
                projector=dict(type='ProjectionMLP', in_channels=16, hid_channels=32,
                               out_channels=16, dense=False, with_avg_pool=True),
                head=dict(type='InstanceBYOLHead', predictor=dict(
                    type='ProjectionMLP', in_channels=16, hid_channels=32, out_channels=16,
                    dense=False)))


def composed(tiny_cfg, **changes):
    """The tiny joint detector config rewritten as SelfSupervisedPretrainer + pretexts."""
    old = tiny_cfg('configs/pixpro_fpn_rpn.py')
    cfg = dict(type='SelfSupervisedPretrainer', backbone=old.backbone, neck=old.neck,
               data_preprocessor=old.data_preprocessor, rpn_head=old.rpn_head,
               roi_head=old.roi_head,
               pretexts=dict(pixel=copy.deepcopy(PIXEL), instance=copy.deepcopy(INSTANCE),
                             rpn=dict(type='RPNPretext'),
                             roi=dict(type='RoIPretext', projector=old.roi_projector,
                                      head=old.roi_byol_head, boxes_per_image=4)))
    cfg.update(changes)
    return cfg


def test_composed_pretexts_train_with_prefixed_losses(tiny_cfg, build_model, batch_of):
    model = build_model(composed(tiny_cfg))
    losses = model.train_step(batch_of(boxes=BOXES), build_optim_wrapper(model, SGD))
    assert set(losses) == {'loss', 'loss_pixel_l1', 'loss_pixel_l2', 'loss_instance',
                           'loss_rpn_cls', 'loss_rpn_bbox', 'loss_roi'}
    assert all(torch.isfinite(v) for v in losses.values())
    # one target: encoder, the RoI head (a target part) and each pretext's own modules
    assert set(model.target.module) == {'backbone', 'neck', 'roi_head', 'pretexts'}
    assert set(model.target.module['pretexts']) == {'pixel', 'instance', 'roi'}
    # detector parts keep mmdet's names; pretext-only modules live under pretexts.
    keys = model.state_dict()
    assert 'rpn_head.rpn_conv.weight' in keys
    assert 'roi_head.bbox_head.shared_fcs.0.weight' in keys
    assert 'pretexts.roi.projector.mlp.0.weight' in keys


def test_a_child_config_drops_a_pretext_by_name(tiny_cfg, build_model, batch_of):
    cfg = composed(tiny_cfg)
    cfg['pretexts'].update(instance=None, roi=None)
    model = build_model(cfg)
    assert list(model.pretexts) == ['pixel', 'rpn']
    losses = model.loss(**model.data_preprocessor(batch_of(boxes=BOXES), True))
    assert set(losses) == {'loss_pixel_l1', 'loss_pixel_l2', 'loss_rpn_cls', 'loss_rpn_bbox'}


def test_a_stage_runs_and_freezes_any_pretext(tiny_cfg, build_model, batch_of):
    model = build_model(composed(tiny_cfg, stages=[
        dict(begin=0, losses=('pixel', 'roi'), frozen=('pretexts.pixel', 'backbone'))]))
    ow = build_optim_wrapper(model, SGD)
    pixel = {k: v.clone() for k, v in model.pretexts.pixel.state_dict().items()}
    losses = model.train_step(batch_of(boxes=BOXES), ow)
    assert {'loss_pixel_l1', 'loss_roi'} <= set(losses) and 'loss_rpn_cls' not in losses
    assert all(torch.equal(v, pixel[k]) for k, v in model.pretexts.pixel.state_dict().items())
    assert not model.pretexts.pixel.training and model.pretexts.roi.training
    target = model.target.module['pretexts']['pixel']['projectors'][0]
    for k, v in target.state_dict().items():  # the EMA copy equals the frozen online one
        assert torch.equal(v, model.pretexts.pixel.projectors[0].state_dict()[k])


@pytest.mark.parametrize('change,match', [
    (dict(with_target=False), r"pretext 'pixel' \(needs_target\).*with_target=False"),
    (dict(pretexts=dict(pixel=PIXEL, pixel_l1=INSTANCE)),
     r"pretexts 'pixel' and 'pixel_l1' both log 'loss_pixel_l1'"),
    (dict(pretexts=dict(instance=dict(INSTANCE, level=7))),
     r"pretext 'instance': levels=\(7,\) .*FPN \(num_outs=5\)"),
    (dict(rpn_head=None), r"pretext 'rpn' \(parts\) runs the detector's rpn_head.*"
                          r"set model.rpn_head"),
    (dict(stages=[dict(begin=0, losses=('pixel', 'swav'))]), r"not configured \['swav'\]"),
    (dict(stages=[dict(begin=0, losses=('pixel', ), frozen=('pretexts.moco', ))]),
     r"cannot freeze \['pretexts.moco'\]"),
    (dict(pretexts=dict(pixel=None)), 'has no pretext'),
])
def test_bad_composition_names_the_pretext_and_field(change, match, tiny_cfg, build_model):
    with pytest.raises(ValueError, match=match):
        build_model(composed(tiny_cfg, **change))


def test_missing_sample_field_names_the_pretext(tiny_cfg, build_model, batch_of):
    model = build_model(composed(tiny_cfg))
    data = model.data_preprocessor(batch_of(), True)
    with pytest.raises(ValueError, match=r"pretext 'rpn' reads the data-sample field "
                                         r"'pseudo_instances'"
                                         r".*proposals_file"):
        model.loss(**data)
    with pytest.raises(ValueError, match=r"pretext 'pixel' \(num_views\) compares 2 views, "
                                         r"got 3"):
        model.loss(data['inputs'] + data['inputs'][:1], data['data_samples'])


def test_former_classes_keep_their_seeded_losses(tiny_cfg, build_model, batch_of):
    """Values of the pre-pretext PixPro / DetectorPretrainer classes on the same seed and batch
    (same initial weights: parts are built where those classes built them)."""
    expected = {
        'configs/pixpro_fpn.py': dict(loss_pixel_l1=0.03066861815750599,
                                      loss_pixel_l2=-0.04467425495386124,
                                      loss_pixel_l3=-0.018785424530506134),
        'configs/pixpro_fpn_rpn.py': dict(
            loss_pixel_l1=-0.07619096338748932, loss_pixel_l2=-0.1936807632446289,
            loss_pixel_l3=-0.15898607671260834, loss_rpn_cls=0.6934030055999756,
            loss_rpn_bbox=0.022780243307352066, loss_roi=4.875027179718018),
    }
    boxes = BOXES[:1] + [[[2., 2., 40., 40.], [10, 10, 50, 60]]]
    for config, values in expected.items():
        torch.manual_seed(0)
        model = build_model(tiny_cfg(config))
        data = model.data_preprocessor(batch_of(boxes=boxes if 'rpn' in config else None), True)
        torch.manual_seed(1)
        losses = model.loss(**data)
        assert {k: float(v) for k, v in losses.items()} == pytest.approx(values, rel=1e-4)


def test_checkpoints_from_before_the_pretexts_still_load(tiny_cfg, build_model):
    """Resume / load_from of a PixPro / DetectorPretrainer checkpoint written with the old
    top-level names (projectors., pixel_head., roi_projector., roi_byol_head., and their
    target.module. copies) restores every tensor, through torch's and mmengine's loaders."""
    from mmengine.runner.checkpoint import load_state_dict
    from mmssl_det.models.algorithms.pixpro import LEGACY_PREFIXES
    source = build_model(tiny_cfg('configs/pixpro_fpn_rpn.py'))
    state = source.state_dict()
    old = {}
    for key, value in state.items():
        head = 'target.module.' if key.startswith('target.module.') else ''
        rest = key[len(head):]
        for legacy, new in LEGACY_PREFIXES:
            if rest.startswith(new):
                rest = legacy + rest[len(new):]
        old[head + rest] = value + 1 if value.is_floating_point() else value
    assert 'roi_byol_head.predictor.mlp.0.weight' in old
    assert 'target.module.projectors.0.mlp.0.weight' in old
    for load in (lambda m, s: m.load_state_dict(s, strict=True),
                 lambda m, s: load_state_dict(m, s, strict=True)):
        model = build_model(tiny_cfg('configs/pixpro_fpn_rpn.py'))
        load(model, dict(old))
        for key, value in model.state_dict().items():
            if value.is_floating_point():
                assert torch.equal(value, state[key] + 1), key
