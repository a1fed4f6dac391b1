"""A tiny Faster R-CNN (R18 with 8 base channels, 16-channel FPN, 32-wide shared fcs) of any
detector type, and a batch of two 64-px crops of the fixture photos with their tree boxes."""
import copy
import json
from pathlib import Path

import mmcv
import pytest
import torch
from mmdet.structures import DetDataSample
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.structures import InstanceData

import mmssl_det  # noqa: F401
from mmssl_det.registry import MODELS

REPO = Path(__file__).resolve().parents[3]
DATA_DIR = REPO / 'tests' / 'data'
TRANSFER_MODEL = REPO / 'configs/transfer/_base_/models/faster-rcnn_r50_fpn_ssl.py'
TINY = dict(
    backbone=dict(depth=18, base_channels=8),
    neck=dict(in_channels=[8, 16, 32, 64], out_channels=16),
    rpn_head=dict(in_channels=16, feat_channels=16),
    roi_head=dict(bbox_roi_extractor=dict(out_channels=16),
                  bbox_head=dict(in_channels=16, fc_out_channels=32)),
    train_cfg=dict(rpn_proposal=dict(max_per_img=64), rcnn=dict(sampler=dict(num=32))),
    test_cfg=dict(rpn=dict(max_per_img=32)),
)


def tiny_model_cfg(num_classes: int = 2, **overrides) -> Config:
    cfg = Config.fromfile(str(TRANSFER_MODEL))
    cfg.merge_from_dict(dict(model=TINY))
    cfg.merge_from_dict(dict(model=dict(roi_head=dict(bbox_head=dict(
        num_classes=num_classes)))))
    cfg.merge_from_dict(dict(model=overrides))
    return cfg.model


def build(model_cfg, seed: int = 0):
    torch.manual_seed(seed)
    with DefaultScope.overwrite_default_scope('mmssl_det'):
        model = MODELS.build(copy.deepcopy(model_cfg))
    model.init_weights()
    return model


def fixture_batch(model, num_classes: int = 2) -> dict:
    """The top-left 64x64 crop of each fixture photo with the trees inside it, labels
    alternating over ``num_classes``; through the model's data preprocessor."""
    coco = json.loads((DATA_DIR / 'coco_trees.json').read_text())
    inputs, samples = [], []
    for image in coco['images']:
        img = mmcv.imread(str(DATA_DIR / 'images' / image['file_name']))[:64, :64]
        boxes = [a['bbox'] for a in coco['annotations'] if a['image_id'] == image['id']]
        xyxy = torch.tensor([[x, y, min(x + w, 64), min(y + h, 64)]
                             for x, y, w, h in boxes if x < 56 and y < 56],
                            dtype=torch.float32)
        sample = DetDataSample(metainfo=dict(img_shape=(64, 64), ori_shape=(64, 64),
                                             pad_shape=(64, 64), scale_factor=(1., 1.),
                                             batch_input_shape=(64, 64)))
        sample.gt_instances = InstanceData(
            bboxes=xyxy, labels=torch.arange(len(xyxy)) % num_classes)
        inputs.append(torch.from_numpy(img).permute(2, 0, 1).contiguous())
        samples.append(sample)
    return model.data_preprocessor(dict(inputs=inputs, data_samples=samples), training=True)


@pytest.fixture
def tiny_detector_cfg():
    return tiny_model_cfg


@pytest.fixture
def build_detector():
    return build


@pytest.fixture
def detector_batch():
    return fixture_batch
