"""LoadImageChecked: the real image loads as BGR; bad files raise IOError naming the file."""
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from mmengine.config import Config
from mmengine.registry import DefaultScope

import mmssl_det  # noqa: F401
from mmssl_det.datasets import ImageFolderDataset
from mmssl_det.datasets.transforms.loading import LoadImageChecked
from mmssl_det.registry import DATASETS, TRANSFORMS

REPO = Path(__file__).resolve().parents[2]


def test_loads_fixture_as_bgr_uint8(tree_images):
    path = str(tree_images[0])
    out = LoadImageChecked()(dict(img_path=path))
    expected = cv2.imread(path, cv2.IMREAD_COLOR)  # OpenCV's own BGR decode
    assert out['img'].dtype == np.uint8 and out['img'].shape == (400, 400, 3)
    np.testing.assert_array_equal(out['img'], expected)
    assert out['img_shape'] == (400, 400) and out['ori_shape'] == (400, 400)
    # Aerial forest: green dominates red on average, so a swapped channel order would show.
    assert out['img'][..., 1].mean() > out['img'][..., 2].mean()
    assert LoadImageChecked(to_float32=True)(dict(img_path=path))['img'].dtype == np.float32


def test_registered_under_our_scope():
    with DefaultScope.overwrite_default_scope('mmssl_det'):
        assert isinstance(TRANSFORMS.build(dict(type='LoadImageChecked')), LoadImageChecked)


def _truncated(tmp_path, tree_images):
    data = tree_images[0].read_bytes()
    path = tmp_path / 'truncated.jpg'
    path.write_bytes(data[:len(data) // 2])
    return path


def _file(name, data=None):
    """A maker writing ``data`` to ``tmp/name`` (nothing when None) and returning the path."""
    def make(tmp_path, tree_images):
        if data is not None:
            (tmp_path / name).write_bytes(data)
        return tmp_path / name
    return make


@pytest.mark.parametrize('make, match', [
    (_file('missing.jpg'), r'missing\.jpg does not exist'),
    (_file('empty.jpg', b''), r'empty\.jpg is empty \(0 bytes\)'),
    (_truncated, r'truncated\.jpg \(\d+ bytes\) cannot be decoded'),
    (_file('text.png', b'hello'), r'text\.png \(5 bytes\) cannot be decoded'),
])
def test_bad_files_raise_ioerror_with_path_and_fix(tmp_path, tree_images, make, match):
    path = make(tmp_path, tree_images)
    with pytest.raises(IOError, match=match + r'.*prepare_demo_data\.py'):
        LoadImageChecked()(dict(img_path=str(path)))
    assert LoadImageChecked(ignore_empty=True)(dict(img_path=str(path))) is None


def test_corrupt_image_in_dataset_names_the_file(tmp_path, tree_images):
    folder = tmp_path / 'imgs'
    folder.mkdir()
    shutil.copy(tree_images[0], folder / 'a_good.jpg')
    _truncated(folder, tree_images)
    with DefaultScope.overwrite_default_scope('mmssl_det'):
        ds = ImageFolderDataset(data_root=str(tmp_path), data_prefix=dict(img='imgs'),
                                pipeline=[dict(type='LoadImageChecked')])
    assert ds[0]['img'].shape == (400, 400, 3)
    with pytest.raises(IOError, match=r'imgs/truncated\.jpg .* cannot be decoded'):
        ds[1]


def test_demo_det_config_reads_the_fixture_coco(data_dir):
    """configs/_base_/datasets/demo_det.py (which loads with LoadImageChecked) on tests/data."""
    cfg = Config.fromfile(str(REPO / 'configs/_base_/datasets/demo_det.py'))
    assert 'torchvision' not in cfg.pretty_text
    assert cfg.test_evaluator.ann_file == 'data/demo/annotations/test.json'
    for key in ('train_dataloader', 'test_dataloader'):
        cfg[key].dataset.update(data_root=str(data_dir), ann_file='coco_trees.json',
                                data_prefix=dict(img='images/'))
    with DefaultScope.overwrite_default_scope('mmssl_det'):
        train = DATASETS.build(cfg.train_dataloader.dataset)
        test = DATASETS.build(cfg.test_dataloader.dataset)
        sample = test[0]
        assert train[1]['inputs'].shape == (3, 320, 320)
    assert train.metainfo['classes'] == ('tree', ) and len(train) == len(test) == 2
    assert sample['inputs'].shape == (3, 320, 320)  # 400 px fixture resized by 0.8
    boxes = sample['data_samples'].gt_instances.bboxes.tensor
    assert boxes.shape == (61, 4)
    # mmdet's test pipeline loads boxes after Resize: ground truth stays in original pixels
    # (first OSBS_029 box, COCO [203, 67, 24, 23]) and the metric rescales predictions.
    np.testing.assert_allclose(boxes[0].numpy(), [203, 67, 227, 90])
    np.testing.assert_allclose(sample['data_samples'].scale_factor, (0.8, 0.8))
