"""Draw PixPro's positive pixel pairs between two random views of an image.

    python tools/analysis/show_correspondence.py IMAGE [--grid 7] [--seed 3] \
        [--out docs/img/positive_pairs.png]

Left: the original image with both view boxes. Middle/right: the two views (as the network
sees them after crop, flip and resize) with their feature-bin grid; a line joins every
positive pair (eq. 1 of arXiv 2011.10043, threshold 0.7 bin diagonals).
"""
import argparse

import matplotlib
import mmcv
import numpy as np
import torch

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import ConnectionPatch, Rectangle  # noqa: E402

from mmssl_det.cli import run_tool  # noqa: E402
from mmssl_det.datasets.transforms import RandomFlipWithCoord, RandomResizedCropWithCoord  # noqa: E402,E501
from mmssl_det.models.utils import feature_bin_centers, positive_pixel_mask  # noqa: E402


def make_views(img: np.ndarray, size: int, scale: tuple, seed: int):
    np.random.seed(seed)
    views = []
    for _ in range(2):
        results = dict(img=img.copy(), img_shape=img.shape[:2], ori_shape=img.shape[:2])
        results = RandomResizedCropWithCoord(size=size, scale=scale)(results)
        results = RandomFlipWithCoord(prob=0.5)(results)
        views.append((results['img'], torch.as_tensor(results['view_coord'])))
    return views


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('image')
    parser.add_argument('--grid', type=int, default=7, help='feature map side (7 = C5 at 224)')
    parser.add_argument('--size', type=int, default=224)
    parser.add_argument('--scale', type=float, nargs=2, default=(0.3, 0.6))
    parser.add_argument('--threshold', type=float, default=0.7)
    parser.add_argument('--seed', type=int, default=3)
    parser.add_argument('--out', default='docs/img/positive_pairs.png')
    args = parser.parse_args()

    img = mmcv.imread(args.image)
    (v1, c1), (v2, c2) = make_views(img, args.size, tuple(args.scale), args.seed)
    g = args.grid
    mask = positive_pixel_mask(c1[None], c2[None], (g, g), (g, g), args.threshold)[0]
    h, w = img.shape[:2]

    fig, axes = plt.subplots(1, 3, figsize=(15, 5.4))
    axes[0].imshow(mmcv.bgr2rgb(img))
    for (x1, y1, x2, y2), color in ((c1.tolist(), 'tab:red'), (c2.tolist(), 'tab:blue')):
        flipped = ' (flipped)' if x1 > x2 else ''
        axes[0].add_patch(Rectangle((min(x1, x2) * w, y1 * h), abs(x2 - x1) * w,
                                    (y2 - y1) * h, fill=False, lw=2.5, color=color,
                                    label=f'view box{flipped}'))
    # Bin centres of both views in original pixels: where matched bins land in the image.
    for coords, color in ((c1, 'tab:red'), (c2, 'tab:blue')):
        ctr = feature_bin_centers(coords[None], g, g)[0].numpy() * [w, h]
        axes[0].scatter(ctr[:, 0], ctr[:, 1], s=6, color=color)
    axes[0].set_title('original: view boxes and bin centres')
    axes[0].legend(loc='lower right', fontsize=8)
    step = args.size / g
    grid_xy = (np.stack(np.meshgrid(np.arange(g), np.arange(g)), -1).reshape(-1, 2) + 0.5) * step
    for ax, view, title in ((axes[1], v1, 'view 1'), (axes[2], v2, 'view 2')):
        ax.imshow(mmcv.bgr2rgb(view))
        for k in range(1, g):
            ax.axhline(k * step, color='w', lw=0.4)
            ax.axvline(k * step, color='w', lw=0.4)
        ax.set_title(title)
    pairs = mask.nonzero().tolist()
    for i, j in pairs:
        axes[1].plot(*grid_xy[i], 'o', color='yellow', ms=4)
        axes[2].plot(*grid_xy[j], 'o', color='yellow', ms=4)
        fig.add_artist(ConnectionPatch(xyA=grid_xy[i], xyB=grid_xy[j], coordsA='data',
                                       coordsB='data', axesA=axes[1], axesB=axes[2],
                                       color='yellow', lw=0.8, alpha=0.8))
    for ax in axes:
        ax.axis('off')
    fig.suptitle(f'PixPro positives: {len(pairs)} pairs of {g}×{g} bins closer than '
                 f'{args.threshold} bin diagonals in the original image')
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    print(f'{len(pairs)} positive pairs; saved {args.out}')


if __name__ == '__main__':
    run_tool(main)
