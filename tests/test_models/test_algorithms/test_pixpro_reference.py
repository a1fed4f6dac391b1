"""PixPro as its authors run it: our loss against a slow reference on the same weights.

The reference is written here from Xie et al., "Propagate Yourself", arXiv 2011.10043, with
explicit loops over feature bins (float64 numpy), and the official code's conventions
(zdaxie/PixPro: ``RandomResizedCropCoord``, ``featprop``, ``regression_loss``):

* view box ``[x1/(W−1), y1/(H−1), (x1+w−1)/(W−1), (y1+h−1)/(H−1)]``; a flip swaps x1, x2;
* eq. 1: bin centres ``x1 + (j + 0.5)·(x2 − x1)/W_feat``; pair (i, j) positive iff
  ``‖c_i − c'_j‖ / max(bin diagonals of the two views) < T = 0.7``;
* eq. 3-4 (PPM): ``y_i = Σ_j max(cos(x_i, x_j), 0)^γ · g(x_j)/‖g(x_j)‖``, γ = 2;
* eq. 5: one direction = −2 · mean over images of ``Σ_pos cos(y_i, x'_j) / (num_pos + 1e-6)``,
  summed over (view1 → view2) and (view2 → view1).

Only the encoder (backbone, projectors, PPM's transform g) is shared with the model.
"""
import math
from pathlib import Path

import mmcv
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.structures import BaseDataElement
from torch import nn

from mmssl_det.datasets.transforms.geometric import crop_to_coord, flip_coord
from mmssl_det.registry import MODELS

IMAGES = Path(__file__).parents[2] / 'data' / 'images'
TOL = 1e-5
T = 0.7
# (image, crop boxes (x1, y1, x2, y2) in pixels with x2/y2 exclusive, flipped views).
# Chosen so that every positive test is ≥ 2e-3 away from T (float32 coords cannot flip it)
# and the old 'edges' boxes [x1/W, .., x2/W, ..] flip 10 pairs of each image's mask.
VIEWS = [('OSBS_029.jpg', ((35, 156, 282, 354), (50, 96, 372, 294)), (False, True)),
         ('SOAP_061.jpg', ((78, 34, 319, 218), (146, 29, 387, 288)), (True, False))]


def make_views(size=224):
    """Two uint8 views per image (crop → resize → optional flip) and their coords."""
    views, samples, raw = [[], []], [], []
    for name, boxes, flips in VIEWS:
        img = mmcv.imread(str(IMAGES / name))
        img_h, img_w = img.shape[:2]
        coords = []
        for v, ((x1, y1, x2, y2), flip) in enumerate(zip(boxes, flips)):
            crop = mmcv.imresize(img[y1:y2, x1:x2], (size, size))
            coord = crop_to_coord((x1, y1, x2, y2), img_w, img_h)
            if flip:
                crop, coord = crop[:, ::-1], flip_coord(coord)
            views[v].append(torch.from_numpy(np.ascontiguousarray(crop.transpose(2, 0, 1))))
            coords.append(np.asarray(coord, dtype=np.float32))
        samples.append(BaseDataElement(coords=torch.tensor(np.stack(coords))))
        raw.append((img_w, img_h, boxes, flips))
    return views, samples, raw


def authors_coord(box, img_w, img_h, flip, edges=False):
    """RandomResizedCropCoord's box (or the old 'edges' one), flip swapping x1 and x2."""
    x1, y1, x2, y2 = box
    w, h = x2 - x1, y2 - y1
    c = ([x1 / img_w, y1 / img_h, x2 / img_w, y2 / img_h] if edges else
         [x1 / (img_w - 1), y1 / (img_h - 1), (x1 + w - 1) / (img_w - 1), (y1 + h - 1) / (img_h - 1)])
    if flip:
        c[0], c[2] = c[2], c[0]
    return c


def bins(c, hf, wf):
    """Row-major bin centres and the (unsigned) bin diagonal of view box ``c`` (eq. 1)."""
    bw, bh = (c[2] - c[0]) / wf, (c[3] - c[1]) / hf
    return ([(c[0] + (j + .5) * bw, c[1] + (i + .5) * bh) for i in range(hf) for j in range(wf)],
            math.hypot(bw, bh))


def cos(a, b):
    return float(a @ b) / (np.linalg.norm(a) * np.linalg.norm(b))


def ppm(x, gx, gamma=2., normalize_value=True):
    """Eq. 3-4 on one view: ``x``, ``gx`` ``(L, C)`` → ``y`` ``(L, C)``."""
    if normalize_value:
        gx = gx / np.linalg.norm(gx, axis=1, keepdims=True)
    y = np.zeros_like(gx)
    for i in range(len(x)):
        for j in range(len(x)):
            y[i] += max(cos(x[i], x[j]), 0.) ** gamma * gx[j]
    return y


def direction(y, xt, ca, cb, hw):
    """Eq. 1 + 5 for one image and direction: (Σ_pos cos / (num_pos + 1e-6), num_pos, margin)."""
    (cen_a, diag_a), (cen_b, diag_b) = bins(ca, *hw), bins(cb, *hw)
    total, num_pos, margin = 0., 0, math.inf
    for i, (xa, ya) in enumerate(cen_a):
        for j, (xb, yb) in enumerate(cen_b):
            d = math.hypot(xa - xb, ya - yb) / max(diag_a, diag_b)
            margin = min(margin, abs(d - T))
            if d < T:
                total, num_pos = total + cos(y[i], xt[j]), num_pos + 1
    return total / (num_pos + 1e-6), num_pos, margin


def reference_loss(online, g, target, raw, hw, normalize_value=True, edges=False):
    """Symmetrised eq. 5; ``online``/``g``/``target``: per view ``(N, L, C)`` arrays."""
    loss, num_pos, margin = 0., [], math.inf
    for a, b in ((0, 1), (1, 0)):
        per_image = []
        for n, (img_w, img_h, boxes, flips) in enumerate(raw):
            ca, cb = (authors_coord(boxes[v], img_w, img_h, flips[v], edges) for v in (a, b))
            y = ppm(online[a][n], g[a][n], normalize_value=normalize_value)
            s, k, m = direction(y, target[b][n], ca, cb, hw)
            per_image.append(s)
            num_pos.append(k)
            margin = min(margin, m)
        loss += -2 * sum(per_image) / len(per_image)
    return loss, num_pos, margin


def test_pixpro_loss_matches_authors_reference(tiny_cfg, build_model):
    views, samples, raw = make_views()
    torch.manual_seed(0)
    model = build_model(tiny_cfg('configs/pixpro_r50.py', backbone=dict(out_indices=(3, )),
                                 projector=dict(in_channels=64))).double()
    data = model.data_preprocessor(dict(inputs=views, data_samples=samples))
    inputs = [v.double() for v in data['inputs']]
    losses = model.loss(inputs, data['data_samples'])
    assert set(losses) == {'loss_pixel'}
    loss = losses['loss_pixel'].item()

    def flat(f):  # (N, C, H, W) → (N, H·W, C), row-major bins
        return f.permute(0, 2, 3, 1).flatten(1, 2).numpy()

    with torch.no_grad():  # the shared encoder, run exactly as model.loss runs it
        tgt, pixel = model.target.module, model.pretexts.pixel
        proj = [pixel.projectors[0](model.backbone(v)[-1]) for v in inputs]
        g = [flat(pixel.head.ppm.transform(p)) for p in proj]
        target = [flat(tgt['pretexts']['pixel']['projectors'][0](tgt['backbone'](v)[-1]))
                  for v in inputs]
        hw = tuple(proj[0].shape[-2:])
        online = [flat(p) for p in proj]
    ref, num_pos, margin = reference_loss(online, g, target, raw, hw)
    assert min(num_pos) > 0 and margin > 1e-3, (num_pos, margin)
    assert abs(loss - ref) < TOL, (loss, ref)
    # The check discriminates: the old behaviours miss the model's loss by far more than TOL.
    unnormalised = reference_loss(online, g, target, raw, hw, normalize_value=False)[0]
    edges = reference_loss(online, g, target, raw, hw, edges=True)[0]
    assert abs(loss - unnormalised) > 100 * TOL, (loss, unnormalised)
    assert abs(loss - edges) > 10 * TOL, (loss, edges)


@pytest.mark.parametrize('config, last_norm', [('configs/pixpro_r50.py', 'norm3'),
                                               ('configs/pixpro_fpn_demo.py', 'norm2')])
def test_zero_init_residual(config, last_norm):
    """Every residual block's last BN starts at γ = 0 (the block is the identity), as in the
    authors' ResNet (``zero_init_residual``); every other BN at γ = 1."""
    cfg = Config.fromfile(config).model.backbone
    assert cfg.zero_init_residual
    with DefaultScope.overwrite_default_scope('mmssl_det'):
        backbone = MODELS.build(cfg)
    backbone.init_weights()
    last = {id(getattr(block, last_norm))
            for layer in backbone.res_layers for block in getattr(backbone, layer)}
    assert len(last) == {18: 8, 50: 16}[cfg.depth]  # blocks of R18 / R50
    for name, m in backbone.named_modules():
        if isinstance(m, nn.BatchNorm2d):
            expected = 0. if id(m) in last else 1.
            assert torch.all(m.weight == expected), (name, m.weight[:4])
