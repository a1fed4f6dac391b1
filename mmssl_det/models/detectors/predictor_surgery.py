"""Box-predictor surgery for few-shot fine-tuning: TFA's "randinit" (Wang et al., arXiv
2003.06957, Sec. 3.1 and its released ``ckpt_surgery`` step).

A detector base-trained on the base classes predicts ``len(base) + 1`` scores (background
last, mmdet's layout) and, class-specific, ``4 · len(base)`` box deltas. Fine-tuning on
base + novel classes needs ``len(all) + 1`` and ``4 · len(all)`` rows: every row is first drawn
at random (N(0, 0.01²) for the classifier, N(0, 0.001²) for the regressor, biases 0, mmdet's
and TFA's init), then each base class's trained rows are copied to that class's position in
the all-class order and the background row stays last. Every other tensor (backbone, neck,
RPN, the RoI head's shared layers) is kept. A checkpoint without a predictor (an mmssl_det
whole-detector export) gets a fully random predictor.
"""
from typing import Dict, List, Mapping, Optional, Sequence

import torch
from torch import Tensor

from mmssl_det.cli import UserError

PREDICTOR = 'roi_head.bbox_head.'
CLS_STD, REG_STD = 0.01, 0.001
BOX_DIM = 4


class SurgeryError(UserError):
    """The checkpoint's predictor and the requested class lists do not fit together."""


def checkpoint_classes(checkpoint: Mapping) -> Optional[List[str]]:
    """The classes a checkpoint was trained on: ``meta['dataset_meta']['classes']`` (mmengine
    writes the training dataset's metainfo there; the surgery writes the new list), or None."""
    classes = ((checkpoint.get('meta') or {}).get('dataset_meta') or {}).get('classes')
    return None if classes is None else list(classes)


def predictor_classes(state: Mapping[str, Tensor], prefix: str = PREDICTOR) -> Optional[int]:
    """How many foreground classes the checkpoint's classifier scores (rows − background),
    or None without a classifier."""
    weight = state.get(f'{prefix}fc_cls.weight')
    return None if weight is None else weight.shape[0] - 1


def check_base_classes(base_classes: Sequence[str], all_classes: Sequence[str]) -> None:
    """Every class the checkpoint's predictor scores has a place among the fine-tuning
    classes; otherwise a :class:`SurgeryError` naming both lists."""
    unknown = [c for c in base_classes if c not in all_classes]
    if unknown:
        raise SurgeryError(f'base classes {unknown} are not in the fine-tuning classes: '
                           f'checkpoint classes {list(base_classes)}, fine-tuning classes '
                           f'{list(all_classes)}')


def _normal(shape, std: float, generator: torch.Generator, like: Tensor) -> Tensor:
    return (torch.randn(shape, generator=generator) * std).to(like.dtype)


def randinit_predictor(state: Mapping[str, Tensor], base_classes: Optional[Sequence[str]],
                       all_classes: Sequence[str], target: Mapping[str, Tensor],
                       reg_class_agnostic: bool, seed: int = 0,
                       prefix: str = PREDICTOR) -> Dict[str, Tensor]:
    """The checkpoint ``state`` with its predictor re-initialised for ``all_classes``.

    Args:
        state: the base-trained (or exported) detector's state dict.
        base_classes: the classes ``state``'s predictor scores, in its row order (None for
            a checkpoint without a predictor).
        all_classes: base + novel classes in the fine-tuning order.
        target: the fine-tuning detector's own predictor tensors (``{prefix}fc_cls.weight``,
            optional ``fc_cls.bias``, ``fc_reg.weight``, ``fc_reg.bias``): their shapes and
            which of them exist (TFA's cosine classifier has no bias).
        reg_class_agnostic: the fine-tuning head's box regression layout.
        seed: of the random rows.

    Returns:
        A new state dict; the predictor keys are exactly the target's.
    """
    names = {k: f'{prefix}{k}' for k in ('fc_cls.weight', 'fc_cls.bias', 'fc_reg.weight',
                                         'fc_reg.bias')}
    missing_target = [names[k] for k in ('fc_cls.weight', 'fc_reg.weight') if names[k] not in
                      target]
    if missing_target:
        raise SurgeryError(f'the fine-tuning detector has no {missing_target}: surgery needs '
                           f'a bbox head with a classifier and a box regressor')
    all_classes = list(all_classes)
    if len(set(all_classes)) != len(all_classes):
        raise SurgeryError(f'the fine-tuning class list repeats a class: {all_classes}')
    n_all = len(all_classes)
    w_cls, w_reg = target[names['fc_cls.weight']], target[names['fc_reg.weight']]
    if w_cls.shape[0] != n_all + 1:
        raise SurgeryError(f'the fine-tuning detector scores {w_cls.shape[0] - 1} classes but '
                           f'its dataset has {n_all}: {all_classes}; set '
                           f'model.roi_head.bbox_head.num_classes={n_all}')
    reg_rows = BOX_DIM if reg_class_agnostic else BOX_DIM * n_all
    if w_reg.shape[0] != reg_rows:
        raise SurgeryError(f'{names["fc_reg.weight"]} of the fine-tuning detector has '
                           f'{w_reg.shape[0]} rows, expected {reg_rows}')

    g = torch.Generator().manual_seed(seed)
    new = {names['fc_cls.weight']: _normal(w_cls.shape, CLS_STD, g, w_cls),
           names['fc_reg.weight']: _normal(w_reg.shape, REG_STD, g, w_reg)}
    for k in ('fc_cls.bias', 'fc_reg.bias'):
        if names[k] in target:
            new[names[k]] = torch.zeros_like(target[names[k]])

    has_cls, has_reg = names['fc_cls.weight'] in state, names['fc_reg.weight'] in state
    if has_cls != has_reg or (base_classes is not None and not has_cls):
        missing = [names[k] for k in ('fc_cls.weight', 'fc_reg.weight') if names[k] not in state]
        raise SurgeryError(f'the checkpoint lacks the predictor keys {missing}'
                           + (f' although base classes {list(base_classes)} were named '
                              f'(meta.dataset_meta.classes or --base-classes)'
                              if base_classes is not None else '') +
                           '; give the base-trained checkpoint itself (not an export of it)')
    if has_cls:
        _copy_base_rows(state, new, names, base_classes, all_classes, reg_class_agnostic)
    out = {k: v for k, v in state.items() if not k.startswith((f'{prefix}fc_cls.',
                                                               f'{prefix}fc_reg.'))}
    out.update(new)
    return out


def _copy_base_rows(state: Mapping[str, Tensor], new: Dict[str, Tensor],
                    names: Dict[str, str], base_classes: Optional[Sequence[str]],
                    all_classes: List[str], reg_class_agnostic: bool) -> None:
    old_cls, old_reg = state[names['fc_cls.weight']], state[names['fc_reg.weight']]
    n_base = old_cls.shape[0] - 1
    if base_classes is None:
        raise SurgeryError(f'the checkpoint scores {n_base} classes but names none (no '
                           f'meta.dataset_meta.classes): give --base-classes in its order')
    base_classes = list(base_classes)
    if len(base_classes) != n_base:
        raise SurgeryError(f'the checkpoint predictor scores {n_base} classes but the base '
                           f'class list has {len(base_classes)}: {base_classes}')
    check_base_classes(base_classes, all_classes)
    dim = new[names['fc_cls.weight']].shape[1]
    if old_cls.shape[1] != dim or old_reg.shape[1] != dim:
        raise SurgeryError(f'the checkpoint predictor reads {old_cls.shape[1]} features, the '
                           f'fine-tuning head {dim}: the RoI heads differ (fc_out_channels)')
    pos = [all_classes.index(c) for c in base_classes]
    rows = torch.tensor(pos + [len(all_classes)])  # base rows, then background (last)
    new[names['fc_cls.weight']][rows] = old_cls.to(new[names['fc_cls.weight']].dtype)
    if names['fc_cls.bias'] in new and names['fc_cls.bias'] in state:
        new[names['fc_cls.bias']][rows] = state[names['fc_cls.bias']]

    src_agnostic = old_reg.shape[0] == BOX_DIM
    if src_agnostic and n_base > 1 and not reg_class_agnostic:
        raise SurgeryError('the checkpoint regresses boxes class-agnostically but the '
                           'fine-tuning head per class: set model.roi_head.bbox_head.'
                           'reg_class_agnostic=True')
    if reg_class_agnostic:
        if not src_agnostic:
            raise SurgeryError(f'the checkpoint regresses boxes per class ({old_reg.shape[0]} '
                               f'rows) but the fine-tuning head class-agnostically: set '
                               f'model.roi_head.bbox_head.reg_class_agnostic=False')
        reg_rows = torch.arange(BOX_DIM)
    else:
        reg_rows = (torch.tensor(pos)[:, None] * BOX_DIM + torch.arange(BOX_DIM)).flatten()
    new[names['fc_reg.weight']][reg_rows] = old_reg.to(new[names['fc_reg.weight']].dtype)
    if names['fc_reg.bias'] in new and names['fc_reg.bias'] in state:
        new[names['fc_reg.bias']][reg_rows] = state[names['fc_reg.bias']]
