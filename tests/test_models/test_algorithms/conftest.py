"""Tiny R18-FPN (8 base channels) versions of the shipped configs: same code path, CPU-fast."""
import copy

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

import mmssl_det  # noqa: F401
from mmssl_det.datasets.transforms import PackMultiViewInputs
from mmssl_det.registry import MODELS

TINY = dict(
    backbone=dict(depth=18, base_channels=8, init_cfg=None),
    neck=dict(in_channels=[8, 16, 32, 64], out_channels=16),
    projector=dict(in_channels=16, hid_channels=32, out_channels=16),
    pixel_head=dict(ppm=dict(channels=16)),
)
TINY_DET = dict(
    TINY,
    rpn_head=dict(in_channels=16, feat_channels=16),
    roi_head=dict(bbox_roi_extractor=dict(out_channels=16),
                  bbox_head=dict(in_channels=16, fc_out_channels=32)),
    roi_projector=dict(in_channels=32, hid_channels=32, out_channels=16),
    roi_byol_head=dict(predictor=dict(in_channels=16, hid_channels=32, out_channels=16)),
)


def _existing(overrides: dict, base: dict) -> dict:
    """``overrides`` restricted to the sub-modules ``base`` configures (configs differ in
    heads); leaf values are set wherever their module exists."""
    out = {}
    for key, value in overrides.items():
        if not isinstance(value, dict):
            out[key] = value
        elif isinstance(base.get(key), dict):
            out[key] = _existing(value, base[key])
    return out


def tiny_model_cfg(config: str, **overrides) -> Config:
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(dict(model=_existing(TINY_DET, cfg.model)))
    cfg.merge_from_dict(dict(model=overrides))
    return cfg.model


def build(model_cfg):
    with DefaultScope.overwrite_default_scope('mmssl_det'):
        model = MODELS.build(copy.deepcopy(model_cfg))
    model.init_weights()
    return model


def make_batch(n=2, size=64, coords=((0., 0., .8, .8), (.2, .2, 1., 1.)), boxes=None):
    """Two uint8 views per image and their coords, optionally pseudo boxes per view (view 1's
    shifted by 2 px, same ids), packed by the pipeline's own ``PackMultiViewInputs``."""
    g = torch.Generator().manual_seed(0)
    views = [[torch.randint(0, 256, (3, size, size), dtype=torch.uint8, generator=g)
              for _ in range(n)] for _ in range(2)]
    samples = []
    for i in range(n):
        results = dict(img=[v[i].permute(1, 2, 0).numpy() for v in views],
                       view_coords=[np.asarray(c, np.float32) for c in coords])
        if boxes is not None:
            b = np.asarray(boxes[i], dtype=np.float32).reshape(-1, 4)
            results.update(view_boxes=[b, b + 2], view_box_ids=[np.arange(len(b))] * 2)
        samples.append(PackMultiViewInputs()(results)['data_samples'])
    return dict(inputs=views, data_samples=samples)


# Fixtures hand the helpers to tests (test folders are not packages, so no imports).
@pytest.fixture
def tiny_cfg():
    return tiny_model_cfg


@pytest.fixture
def build_model():
    return build


@pytest.fixture
def batch_of():
    return make_batch
