"""Turn a base-trained detector (or a whole-detector export) into the starting point of
few-shot fine-tuning: TFA's "randinit" predictor surgery (arXiv 2003.06957).

    python tools/fewshot_surgery.py BASE.pth --config FINETUNE_CONFIG --out OUT.pth
        [--base-classes NAME ...] [--seed 0]

- ``BASE.pth``: a checkpoint of base training (mmengine writes its classes to
  ``meta.dataset_meta.classes``; for other checkpoints give ``--base-classes`` in the
  predictor's row order), or an mmssl_det whole-detector export (tools/export_detector.py:
  backbone, FPN, RPN, RoI shared fcs, no predictor).
- ``FINETUNE_CONFIG``: the fine-tuning config; its training dataset gives the class list
  (``metainfo.classes``, or a ``FewShotCocoDataset``/``FewShotVOCDataset``'s split and
  subset) and its model the predictor's layout (fc or cosine classifier, class-specific or
  agnostic regression).

The output keeps every tensor of ``BASE.pth`` except the box predictor, which is re-drawn for
the config's classes with each base class's trained rows copied to that class's position
(``mmssl_det/models/detectors/predictor_surgery.py``), and names the classes in
``meta.dataset_meta.classes``, which ``ClassCheckHook`` compares with the fine-tuning dataset.
User errors (missing files, class lists that do not fit) end in one ``error:`` line, exit 2.
"""
import argparse
import os.path as osp
from typing import List, Mapping

import torch
from mmengine.config import Config

import mmssl_det  # noqa: F401  (compat: loading mmengine checkpoints)
from mmssl_det.cli import UserError, _datasets, run_tool
from mmssl_det.datasets.fewshot_splits import subset_classes
from mmssl_det.export import build_detector, strip_module
from mmssl_det.models.detectors.predictor_surgery import (PREDICTOR, check_base_classes,
                                                          checkpoint_classes,
                                                          randinit_predictor)


def config_classes(cfg: Config) -> List[str]:
    """The class list of the config's training dataset (through dataset wrappers)."""
    for where, ds in _datasets(cfg.get('train_dataloader', {}).get('dataset'),
                               'train_dataloader.dataset'):
        classes = (ds.get('metainfo') or {}).get('classes')
        if classes is not None:
            return list(classes)
        if 'split' in ds and str(ds.get('type', '')).endswith(('FewShotCocoDataset',
                                                                'FewShotVOCDataset')):
            try:
                return subset_classes(ds['split'], ds.get('subset', 'all'))
            except ValueError as e:
                raise UserError(f'{where}: {e}') from None
    raise UserError('the config names no classes for its training dataset: set '
                    'train_dataloader.dataset.metainfo.classes or use FewShotCocoDataset '
                    'with split/subset')


def load_checkpoint(path: str) -> Mapping:
    if not osp.isfile(path):
        raise FileNotFoundError(f'checkpoint not found: {path}')
    return torch.load(path, map_location='cpu')


def surgery(checkpoint: str, config: str, out: str, base_classes=None, seed: int = 0) -> dict:
    """Write ``out``; returns its ``meta``."""
    ckpt = load_checkpoint(checkpoint)
    state = strip_module(ckpt.get('state_dict', ckpt))
    if not osp.isfile(config):
        raise FileNotFoundError(f'config file not found: {config}')
    all_classes = config_classes(Config.fromfile(config))
    base = list(base_classes) if base_classes else checkpoint_classes(ckpt)
    check_base_classes(base or [], all_classes)  # before the (slow) detector build
    detector = build_detector(config)
    head = getattr(getattr(detector, 'roi_head', None), 'bbox_head', None)
    if head is None or not hasattr(head, 'reg_class_agnostic'):
        raise UserError(f'{config}: the detector has no roi_head.bbox_head with a box '
                        f'predictor; surgery is for two-stage detectors')
    target = {k: v for k, v in detector.state_dict().items()
              if k.startswith((f'{PREDICTOR}fc_cls.', f'{PREDICTOR}fc_reg.'))}
    new_state = randinit_predictor(state, base, all_classes, target,
                                   head.reg_class_agnostic, seed=seed)
    meta = dict(dataset_meta=dict(classes=tuple(all_classes)),
                fewshot_surgery=dict(method='randinit', source=checkpoint, config=config,
                                     seed=seed, base_classes=base,
                                     random_classes=[c for c in all_classes
                                                     if c not in (base or [])]))
    parts = (ckpt.get('meta') or {}).get('parts')
    if parts:
        meta['parts'] = parts  # LoadReportHook still requires the exported parts to load
    torch.save(dict(state_dict=new_state, meta=meta), out)
    return meta


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('checkpoint', help='base-trained checkpoint or whole-detector export')
    parser.add_argument('--config', required=True, help='the fine-tuning config')
    parser.add_argument('--out', required=True, help='output checkpoint (.pth)')
    parser.add_argument('--base-classes', nargs='+', default=None,
                        help="the checkpoint predictor's classes in row order (default: its "
                             'meta.dataset_meta.classes)')
    parser.add_argument('--seed', type=int, default=0, help='seed of the random rows')
    args = parser.parse_args()
    meta = surgery(args.checkpoint, args.config, args.out, args.base_classes, args.seed)
    info = meta['fewshot_surgery']
    print(f'classes: {list(meta["dataset_meta"]["classes"])}')
    print(f'copied from {args.checkpoint}: {info["base_classes"] or "none (no predictor)"}')
    print(f'random rows (seed {args.seed}): {info["random_classes"]}')
    print(f'wrote {args.out}')


if __name__ == '__main__':
    run_tool(main)
