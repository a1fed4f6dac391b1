from typing import Dict, List, Optional, Sequence

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import BaseLoop

from mmssl_det.cli import UserError
from mmssl_det.export import strip_module
from mmssl_det.models.detectors.predictor_surgery import (PREDICTOR, checkpoint_classes,
                                                          predictor_classes)
from mmssl_det.registry import HOOKS


class ClassListError(UserError):
    """A checkpoint's classes or predictor do not match the classes the run trains on."""


@HOOKS.register_module()
class ClassCheckHook(Hook):
    """Stops a run whose ``load_from`` predicts other classes than its dataset has, naming
    both lists, before the checkpoint is loaded.

    mmengine loads ``load_from`` non-strictly: a base-trained box predictor with 15 + 1 rows
    meeting a 20 + 1-row head is skipped with a logged "size mismatch" and the run fine-tunes
    a random predictor; a checkpoint whose rows have the right count but another class order
    loads silently and scores the wrong classes. Checked

    - in ``before_run`` (the loops of the run are built): the model's
      ``roi_head.bbox_head.num_classes`` equals the class count of every loop's dataset (a
      detector's label ``i`` means class ``i`` of the dataset it is evaluated on: a
      base-class detector tested on all classes would score the wrong ones);
    - in ``after_load_checkpoint`` (the checkpoint before it is copied into the model): the
      checkpoint's ``meta.dataset_meta.classes`` (written by mmengine at save time and by
      tools/fewshot_surgery.py), when present, equal the dataset's classes in order;
    - the checkpoint's classifier (``roi_head.bbox_head.fc_cls.weight``), when present, has
      one row per dataset class plus background.

    "The dataset" is that of the run's first built loop (train, else val, else test).
    """

    priority = 'VERY_HIGH'  # before other hooks look at the checkpoint

    def before_run(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        head = getattr(getattr(model, 'roi_head', None), 'bbox_head', None)
        n_model = getattr(head, 'num_classes', None)
        if not isinstance(n_model, int):
            return
        for loop, classes in _dataset_classes(runner).items():
            if n_model != len(classes):
                raise ClassListError(
                    f'the detector scores {n_model} classes but the {loop} dataset has '
                    f'{len(classes)}: {classes}; set model.roi_head.bbox_head.num_classes or '
                    f'the {loop} dataset (e.g. subset) so that they agree')

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        loops = _dataset_classes(runner)
        if not loops:
            return
        first, data = next(iter(loops.items()))
        uses = f'this run {"trains" if first == "train" else "evaluates"} on'
        source = runner.cfg.get('load_from') or 'the checkpoint'
        ckpt = checkpoint_classes(checkpoint)
        if ckpt is not None and ckpt != data:
            raise ClassListError(
                f'load_from={source} was trained on the classes {ckpt} (its '
                f'meta.dataset_meta.classes) but {uses} {data}; {_fix(source)}')
        rows = predictor_classes(strip_module(checkpoint.get('state_dict', checkpoint)))
        if rows is not None and rows != len(data):
            named = ckpt if ckpt is not None else f'{rows} classes (names not in its meta)'
            raise ClassListError(
                f'load_from={source} has a box classifier ({PREDICTOR}fc_cls) for {named} '
                f'but {uses} {len(data)} classes {data}; {_fix(source)}')


def _fix(source: str) -> str:
    return (f'make a checkpoint for these classes with python tools/fewshot_surgery.py '
            f'{source} --config THIS_CONFIG --out NEW.pth and load that')


def _dataset_classes(runner) -> Dict[str, List[str]]:
    """The class list of each built loop's dataset (train, val, test order), by loop name."""
    found = {}
    for name in ('train', 'val', 'test'):
        loop = getattr(runner, f'_{name}_loop', None)
        if isinstance(loop, BaseLoop):
            classes: Optional[Sequence[str]] = loop.dataloader.dataset.metainfo.get('classes')
            if classes is not None:
                found[name] = list(classes)
    return found
