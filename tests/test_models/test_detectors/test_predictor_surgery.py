"""TFA's randinit surgery on hand-checkable predictors: base rows land at their class's
position in the all-class order, background stays last, novel rows are fresh draws."""
import pytest
import torch

from mmssl_det.models.detectors.predictor_surgery import (SurgeryError, checkpoint_classes,
                                                          predictor_classes,
                                                          randinit_predictor)

P = 'roi_head.bbox_head.'
BASE = ['cat', 'dog']  # row 0 cat, row 1 dog, row 2 background
ALL = ['bird', 'dog', 'cat', 'cow']  # dog -> 1, cat -> 2; bird, cow novel


def _base_state(agnostic=False):
    cls_w = torch.tensor([[1., 1.], [2., 2.], [9., 9.]])
    reg_rows = 4 if agnostic else 8
    return {
        'backbone.conv1.weight': torch.full((2, 2), 7.),
        f'{P}shared_fcs.0.weight': torch.full((2, 2), 3.),
        f'{P}fc_cls.weight': cls_w, f'{P}fc_cls.bias': torch.tensor([10., 20., 90.]),
        f'{P}fc_reg.weight': torch.arange(reg_rows * 2, dtype=torch.float).view(reg_rows, 2),
        f'{P}fc_reg.bias': torch.arange(reg_rows, dtype=torch.float) + 100,
    }


def _target(n=4, bias=True, agnostic=False):
    t = {f'{P}fc_cls.weight': torch.zeros(n + 1, 2),
         f'{P}fc_reg.weight': torch.zeros(4 if agnostic else 4 * n, 2),
         f'{P}fc_reg.bias': torch.zeros(4 if agnostic else 4 * n)}
    if bias:
        t[f'{P}fc_cls.bias'] = torch.zeros(n + 1)
    return t


def test_base_rows_move_to_their_class_positions():
    state = _base_state()
    out = randinit_predictor(state, BASE, ALL, _target(), reg_class_agnostic=False)
    w, b = out[f'{P}fc_cls.weight'], out[f'{P}fc_cls.bias']
    assert torch.equal(w[2], torch.tensor([1., 1.]))  # cat
    assert torch.equal(w[1], torch.tensor([2., 2.]))  # dog
    assert torch.equal(w[4], torch.tensor([9., 9.]))  # background, last
    assert torch.equal(b, torch.tensor([0., 20., 10., 0., 90.]))  # novel biases 0
    for novel in (0, 3):  # bird, cow: N(0, 0.01^2) draws
        assert 0 < w[novel].abs().max() < 0.05
    reg, reg_b = out[f'{P}fc_reg.weight'], out[f'{P}fc_reg.bias']
    assert reg.shape == (16, 2)
    assert torch.equal(reg[8:12], state[f'{P}fc_reg.weight'][0:4])  # cat's 4 deltas
    assert torch.equal(reg[4:8], state[f'{P}fc_reg.weight'][4:8])  # dog's
    assert torch.equal(reg_b[8:12], torch.tensor([100., 101., 102., 103.]))
    assert 0 < reg[0:4].abs().max() < 0.005 and torch.equal(reg_b[:4], torch.zeros(4))
    # everything else is kept
    assert torch.equal(out['backbone.conv1.weight'], state['backbone.conv1.weight'])
    assert torch.equal(out[f'{P}shared_fcs.0.weight'], state[f'{P}shared_fcs.0.weight'])


def test_random_rows_follow_the_seed():
    a = randinit_predictor(_base_state(), BASE, ALL, _target(), False, seed=1)
    b = randinit_predictor(_base_state(), BASE, ALL, _target(), False, seed=1)
    c = randinit_predictor(_base_state(), BASE, ALL, _target(), False, seed=2)
    assert torch.equal(a[f'{P}fc_cls.weight'], b[f'{P}fc_cls.weight'])
    assert not torch.equal(a[f'{P}fc_cls.weight'][0], c[f'{P}fc_cls.weight'][0])


def test_cosine_target_drops_the_classifier_bias_and_agnostic_regression_is_copied():
    out = randinit_predictor(_base_state(agnostic=True), BASE, ALL,
                             _target(bias=False, agnostic=True), reg_class_agnostic=True)
    assert f'{P}fc_cls.bias' not in out
    assert torch.equal(out[f'{P}fc_reg.weight'], _base_state(True)[f'{P}fc_reg.weight'])


def test_export_without_predictor_gets_a_random_one():
    state = {k: v for k, v in _base_state().items() if 'fc_' not in k}
    out = randinit_predictor(state, None, ALL, _target(), reg_class_agnostic=False)
    assert out[f'{P}fc_cls.weight'].shape == (5, 2)
    assert out[f'{P}fc_cls.weight'].abs().max() < 0.05
    assert torch.equal(out[f'{P}shared_fcs.0.weight'], state[f'{P}shared_fcs.0.weight'])


@pytest.mark.parametrize('kwargs,match', [
    (dict(all_classes=['bird', 'dog', 'cow', 'horse']),
     r"base classes \['cat'\] are not in the fine-tuning classes: checkpoint classes "
     r"\['cat', 'dog'\], fine-tuning classes \['bird', 'dog', 'cow', 'horse'\]"),
    (dict(base_classes=['cat']), r'scores 2 classes but the base class list has 1'),
    (dict(target=_target(n=3)), r'scores 3 classes but its dataset has 4'),
    (dict(base_classes=None), r'names none .*--base-classes'),
    (dict(reg_class_agnostic=True, target=_target(agnostic=True)),
     r'regresses boxes per class .*reg_class_agnostic=False'),
    (dict(all_classes=['cat', 'dog', 'cat', 'cow']), 'repeats a class'),
])
def test_errors_name_what_does_not_fit(kwargs, match):
    args = dict(state=_base_state(), base_classes=BASE, all_classes=ALL, target=_target(),
                reg_class_agnostic=False)
    args.update(kwargs)
    with pytest.raises(SurgeryError, match=match):
        randinit_predictor(**args)


def test_missing_predictor_keys_of_a_base_checkpoint():
    state = {k: v for k, v in _base_state().items() if 'fc_reg' not in k}
    with pytest.raises(SurgeryError, match=r"lacks the predictor keys \['roi_head.bbox_head."
                                           r"fc_reg.weight'\]"):
        randinit_predictor(state, BASE, ALL, _target(), False)
    state = {k: v for k, v in _base_state().items() if 'fc_' not in k}
    with pytest.raises(SurgeryError, match=r"although base classes \['cat'"):
        randinit_predictor(state, BASE, ALL, _target(), False)


def test_checkpoint_class_helpers():
    assert checkpoint_classes(dict(meta=dict(dataset_meta=dict(classes=('a', 'b'))))) == \
        ['a', 'b']
    assert checkpoint_classes(dict(meta=dict(parts=['backbone']))) is None
    assert predictor_classes(_base_state()) == 2 and predictor_classes({}) is None
