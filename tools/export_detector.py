"""Export a pretraining checkpoint to an mmdet detector's weights (for ``load_from=``).

    python tools/export_detector.py PRETRAIN_CKPT --config MMDET_CONFIG --out OUT.pth

MMDET_CONFIG is any mmdet 3.x detector config: a path or ``mmdet::faster_rcnn/
faster-rcnn_r50_fpn_1x_coco.py``. The online backbone / neck / rpn_head / RoI shared layers
are kept (EMA target, projectors, predictors and pretext heads dropped); a table shows, per
detector part, how much was loaded. A part the checkpoint provides that does not fit the
detector (missing, unexpected or mis-shaped keys) is an error. ``--exclude roi_head`` (any of
backbone, neck, rpn_head, roi_head) leaves parts at the detector's own initialisation.
"""
import argparse
import os.path as osp

import torch
from mmengine.config import DictAction

import mmssl_det  # noqa: F401  (weights_only allow-list for mmengine checkpoints)
from mmssl_det.export import (PART_SCOPES, build_detector, check_against_detector,
                              format_table, online_state_dict, raise_on_mismatch)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('checkpoint', help='pretraining checkpoint (.pth)')
    parser.add_argument('--config', required=True, help='mmdet detector config')
    parser.add_argument('--out', required=True, help='output .pth for load_from=')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={})
    parser.add_argument('--exclude', nargs='+', choices=sorted(PART_SCOPES), default=[],
                        help='parts not to export (the detector initialises them itself)')
    args = parser.parse_args()

    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint not found: {args.checkpoint}')
    ckpt = torch.load(args.checkpoint, map_location='cpu')
    weights = online_state_dict(ckpt)
    dropped = tuple(scope for part in args.exclude for scope in PART_SCOPES[part])
    weights = {k: v for k, v in weights.items() if not k.startswith(dropped)} if dropped \
        else weights
    if not weights:
        raise SystemExit(f'{args.checkpoint} holds no backbone/neck/rpn_head/roi_head keys '
                         f'(after --exclude {args.exclude}); is it an mmssl_det pretraining '
                         f'checkpoint?')
    reports = check_against_detector(weights, build_detector(args.config, args.cfg_options))
    print(format_table(reports))
    raise_on_mismatch(reports, args.checkpoint)
    torch.save(dict(state_dict=weights,
                    meta=dict(source=osp.abspath(args.checkpoint), detector_config=args.config,
                              parts=[r.part for r in reports if r.provided])), args.out)
    print(f'saved {len(weights)} tensors to {args.out}')


if __name__ == '__main__':
    main()
