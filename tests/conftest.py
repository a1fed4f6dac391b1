"""Fixtures shared by every test: the real DeepForest images in tests/data.

tests/data (see its LICENSE-deepforest.txt) holds two 400x400 aerial RGB images as JPEG,
their VOC XML and ``coco_trees.json`` (one category 'tree'; OSBS_029 id 1 with 61 boxes,
SOAP_061 id 2 with 37 boxes).
"""
from pathlib import Path
from typing import List

import pytest

DATA_DIR = Path(__file__).resolve().parent / 'data'


@pytest.fixture(scope='session')
def data_dir() -> Path:
    """``tests/data``."""
    return DATA_DIR


@pytest.fixture(scope='session')
def tree_images() -> List[Path]:
    """The two fixture JPEGs, sorted: ``OSBS_029.jpg``, ``SOAP_061.jpg``."""
    return sorted((DATA_DIR / 'images').glob('*.jpg'))


@pytest.fixture(scope='session')
def coco_trees() -> Path:
    """``tests/data/coco_trees.json`` (file names relative to ``tests/data/images``)."""
    return DATA_DIR / 'coco_trees.json'


@pytest.fixture(autouse=True)
def _restore_default_scope():
    """An mmengine Runner built in-process leaves its config's default scope (e.g. 'mmdet')
    current for the rest of the session; later tests that build by registry name would then
    resolve in the wrong scope depending on test order. Restore the scopes after each test."""
    from mmengine.registry import DefaultScope
    saved = DefaultScope._instance_dict.copy()
    yield
    DefaultScope._instance_dict.clear()
    DefaultScope._instance_dict.update(saved)
