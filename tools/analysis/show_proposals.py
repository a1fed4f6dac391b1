"""Draw an image's pseudo boxes and the top-N proposals of an exported RPN; save a PNG.

    python tools/analysis/show_proposals.py IMAGE --config DETECTOR_CONFIG \
        [--weights EXPORTED.pth] [--proposals PROPOSALS.json] [--top 30] [--out out.png]

IMAGE is matched to the proposals json by file name (the longest trailing part of its path
that the json lists, e.g. ``sub/x.jpg``). Without --weights the detector keeps its
random initialisation (what an un-pretrained RPN proposes).
"""
import argparse

import matplotlib
import mmcv
import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import DefaultScope

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

import mmssl_det  # noqa: F401,E402
from mmssl_det.cli import run_tool  # noqa: E402
from mmssl_det.evaluation import predict_rpn_proposals  # noqa: E402
from mmssl_det.export import build_detector, load_exported  # noqa: E402
from mmssl_det.proposals.io import find_image, read_proposals  # noqa: E402


def pseudo_boxes(proposals_file: str, image: str) -> np.ndarray:
    """(K, 4) xyxy boxes of ``image`` in a proposals json (its file_name is the longest
    trailing part of the image's path)."""
    return find_image(read_proposals(proposals_file), proposals_file, image).boxes


def draw(ax, boxes: np.ndarray, color: str, lw: float) -> None:
    for x1, y1, x2, y2 in boxes[:, :4]:
        ax.add_patch(Rectangle((x1, y1), x2 - x1, y2 - y1, fill=False, color=color, lw=lw))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('image')
    parser.add_argument('--config', required=True, help='mmdet detector config')
    parser.add_argument('--weights', help='tools/export_detector.py output')
    parser.add_argument('--proposals', help='proposals json (tools/generate_proposals.py)')
    parser.add_argument('--top', type=int, default=30)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--out', default='proposals.png')
    args = parser.parse_args()

    # Read the proposals first: a wrong json fails before the detector is built.
    pseudo = pseudo_boxes(args.proposals, args.image) if args.proposals else None
    torch.manual_seed(args.seed)
    detector = build_detector(args.config)
    detector.init_weights()
    if args.weights:
        load_exported(detector, args.weights)
    detector.eval()
    cfg = Config.fromfile(args.config)
    # The test pipeline without ground truth: any image works.
    steps = [t for t in cfg.test_pipeline if t['type'] != 'LoadAnnotations']
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'mmdet')):
        sample = Compose(steps)(dict(img_path=args.image, img_id=0))
    rpn = predict_rpn_proposals(detector, sample, args.top)

    panels = [('RPN top-%d%s' % (args.top, '' if args.weights else ' (random init)'), rpn,
               'yellow')]
    if pseudo is not None:
        panels.insert(0, ('pseudo boxes (selective search)', pseudo, 'cyan'))
    img = mmcv.bgr2rgb(mmcv.imread(args.image))
    fig, axes = plt.subplots(1, len(panels), figsize=(6 * len(panels), 6), squeeze=False)
    for ax, (title, boxes, color) in zip(axes[0], panels):
        ax.imshow(img)
        draw(ax, boxes, color, 1.2)
        ax.set_title(f'{title}: {len(boxes)} boxes')
        ax.axis('off')
    fig.tight_layout()
    fig.savefig(args.out, dpi=100)
    print(f'saved {args.out}')


if __name__ == '__main__':
    run_tool(main)
