"""Export a pretraining checkpoint to an mmdet detector's weights (for ``load_from=``).

    python tools/export_detector.py PRETRAIN_CKPT --config MMDET_CONFIG --out OUT.pth
        [--exclude PART ...] [--require PART ...] [--roi-stages all|0 1 ...]

MMDET_CONFIG is any mmdet 3.x detector config: a path or ``mmdet::faster_rcnn/
faster-rcnn_r50_fpn_1x_coco.py``. The online backbone / neck / rpn_head / RoI shared layers
are kept (EMA target, projectors, predictors and pretext heads dropped) and routed to the
detector family's names: C4 detectors get the pretrained ``layer4`` in
``roi_head.shared_head``; Cascade R-CNN / HTC get the RoI shared layers in every stage
(``--roi-stages`` chooses); an FPN starting at C3 (RetinaNet, FCOS) gets the matching levels.
A table shows, per detector part, how much was loaded and why the rest was not.

A part the detector family cannot use (one-stage: no rpn_head; C4: no neck) is reported as
"not exported" and the rest is exported, unless that part is named in ``--require`` (then it
is an error). A routed part that does not fit (missing, unexpected or mis-shaped keys) is an
error. ``--exclude PART`` leaves parts at the detector's own initialisation.
"""
import argparse
import os.path as osp

import torch
from mmengine.config import DictAction

import mmssl_det  # noqa: F401  (weights_only allow-list for mmengine checkpoints)
from mmssl_det.cli import UserError, run_tool
from mmssl_det.export import (PART_SCOPES, build_detector, check_export, export_weights,
                              format_table, online_state_dict)


def parse_roi_stages(value: list) -> object:
    if value == ['all']:
        return 'all'
    try:
        return [int(v) for v in value]
    except ValueError:
        raise argparse.ArgumentTypeError(f'--roi-stages: "all" or stage ids, got {value}')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('checkpoint', help='pretraining checkpoint (.pth)')
    parser.add_argument('--config', required=True, help='mmdet detector config')
    parser.add_argument('--out', required=True, help='output .pth for load_from=')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={})
    parser.add_argument('--exclude', nargs='+', choices=sorted(PART_SCOPES), default=[],
                        help='parts not to export (the detector initialises them itself)')
    parser.add_argument('--require', nargs='+', choices=sorted(PART_SCOPES), default=[],
                        help='parts that must be exported (error instead of "not exported")')
    parser.add_argument('--roi-stages', nargs='+', default=['all'],
                        help='multi-stage RoI heads (Cascade, HTC): stages that get the '
                             'pretrained shared layers, "all" (default) or ids, e.g. 0')
    args = parser.parse_args()
    try:
        roi_stages = parse_roi_stages(args.roi_stages)
    except argparse.ArgumentTypeError as e:
        parser.error(str(e))
    if both := set(args.exclude) & set(args.require):
        parser.error(f'{sorted(both)} both excluded and required')

    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint not found: {args.checkpoint}')
    try:
        ckpt = torch.load(args.checkpoint, map_location='cpu')
    except Exception as e:  # not a torch file, truncated, foreign pickle ...
        raise UserError(f'cannot read checkpoint {args.checkpoint}: {e}') from e
    if not isinstance(ckpt, dict):
        raise UserError(f'{args.checkpoint} is not a checkpoint (a {type(ckpt).__name__})')
    weights = online_state_dict(ckpt)
    if not weights:
        raise UserError(f'{args.checkpoint} holds no backbone/neck/rpn_head/roi_head keys; '
                        f'is it an mmssl_det pretraining checkpoint?')
    detector = build_detector(args.config, args.cfg_options)
    state, reports, routes = export_weights(weights, detector, roi_stages,
                                            meta=ckpt.get('meta') or {}, exclude=args.exclude)
    print(format_table(reports))
    check_export(state, reports, routes, args.checkpoint, args.require)
    torch.save(dict(state_dict=state,
                    meta=dict(source=osp.abspath(args.checkpoint), detector_config=args.config,
                              cfg_options=args.cfg_options,
                              parts=[r.part for r in reports if r.provided],
                              not_exported={r.part: r.skipped for r in routes if r.skipped})),
               args.out)
    print(f'saved {len(state)} tensors to {args.out}')


if __name__ == '__main__':
    run_tool(main)
