"""MultiView + PackMultiViewInputs end to end on a real image with real boxes (DeepForest
tree crowns standing in for proposals), and the hand-off to the model's preprocessor."""
import copy
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from mmdet.structures.bbox import HorizontalBoxes
from mmengine.dataset import pseudo_collate
from mmengine.registry import DefaultScope
from mmengine.runner import set_random_seed

from mmssl_det.datasets.transforms import MultiView
from mmssl_det.models.data_preprocessors.multi_view import MultiViewDataPreprocessor
from mmssl_det.registry import TRANSFORMS

DATA = Path(__file__).parents[2] / 'data'
SIZE = 96  # smaller than PixPro's 224 to keep the test fast; the geometry is the same


def view_pipeline(blur: float, solarize: float) -> list:
    """PixPro / BYOL view pipeline (arXiv 2011.10043, Sec. 4.1)."""
    return [
        dict(type='RandomResizedCropWithCoord', size=SIZE, scale=(0.08, 1.0)),
        dict(type='RandomFlipWithCoord', prob=0.5),
        dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.2, hue=0.1,
             prob=0.8),
        dict(type='RandomGrayscale', prob=0.2, keep_channels=True,
             channel_weights=(0.114, 0.587, 0.299)),
        dict(type='RandomGaussianBlur', sigma=(0.1, 2.0), prob=blur),
        dict(type='RandomSolarize', threshold=128, prob=solarize),
    ]


PIXPRO_VIEWS = [view_pipeline(blur=1.0, solarize=0.0), view_pipeline(blur=0.1, solarize=0.2)]


def build(transforms, num_views=(1, 1)):
    with DefaultScope.overwrite_default_scope('mmssl_det'):
        return TRANSFORMS.build(dict(type='Compose', transforms=[
            dict(type='LoadImageChecked'),
            dict(type='MultiView', transforms=transforms, num_views=list(num_views)),
            dict(type='PackMultiViewInputs')]))


def tree_boxes(file_name: str = 'OSBS_029.jpg') -> np.ndarray:
    coco = json.loads((DATA / 'coco_trees.json').read_text())
    image_id = next(im['id'] for im in coco['images'] if im['file_name'] == file_name)
    boxes = [a['bbox'] for a in coco['annotations'] if a['image_id'] == image_id]
    boxes = np.array(boxes, dtype=np.float32)
    boxes[:, 2:] += boxes[:, :2]
    return boxes


def sample(with_boxes: bool = True) -> dict:
    results = dict(img_path=str(DATA / 'images' / 'OSBS_029.jpg'))
    if with_boxes:
        boxes = tree_boxes()
        results.update(pseudo_boxes=boxes,
                       pseudo_box_ids=np.arange(100, 100 + len(boxes), dtype=np.int64))
    return results


def test_two_pixpro_views_with_coords_and_boxes():
    set_random_seed(0)
    packed = build(PIXPRO_VIEWS)(sample())
    inputs, data_sample = packed['inputs'], packed['data_samples']
    assert len(inputs) == 2
    for view in inputs:
        assert view.shape == (3, SIZE, SIZE) and view.dtype == torch.uint8
        assert view.is_contiguous()
    assert data_sample.coords.shape == (2, 4) and data_sample.coords.dtype == torch.float32
    assert ((data_sample.coords >= 0) & (data_sample.coords <= 1)).all()
    assert data_sample.img_shape == (SIZE, SIZE)
    assert data_sample.ori_shape == (400, 400)
    assert data_sample.view_shapes == [(SIZE, SIZE), (SIZE, SIZE)]
    assert data_sample.img_path.endswith('OSBS_029.jpg')
    assert len(data_sample.pseudo_instances) == 2
    n_boxes = len(tree_boxes())
    for inst in data_sample.pseudo_instances:
        assert isinstance(inst.bboxes, HorizontalBoxes)
        boxes, ids = inst.bboxes.tensor, inst.ids
        assert boxes.dtype == torch.float32 and ids.dtype == torch.long
        assert len(boxes) == len(ids) > 0
        assert ((ids >= 100) & (ids < 100 + n_boxes)).all()
        assert ((boxes >= 0) & (boxes <= SIZE)).all()
    i, j = data_sample.shared_boxes[(0, 1)].T
    first, second = data_sample.pseudo_instances
    assert len(i) > 0 and torch.equal(first.ids[i], second.ids[j])
    assert set(first.ids[i].tolist()) == set(first.ids.tolist()) & set(second.ids.tolist())


@pytest.mark.parametrize('seed', range(6))
def test_view_boxes_map_back_to_the_visible_part_of_the_original_boxes(seed):
    """Invariant of the whole geometry: view box → original pixels through the view's coord
    equals original box ∩ view region, and exactly the ≥ 50 % visible boxes survive."""
    # 'edges' coords: the view box's corners are the crop's pixel edges, checked below.
    geometry = [[dict(type='RandomResizedCropWithCoord', size=SIZE, scale=(0.08, 1.0),
                      coord_mode='edges'),
                 dict(type='RandomFlipWithCoord', prob=0.5)]]
    set_random_seed(seed)
    results = build(geometry, num_views=[3]).transforms[1](
        dict(sample(), img=np.zeros((400, 400, 3), np.uint8)))
    original = tree_boxes()
    for coord, boxes, ids in zip(results['view_coords'], results['view_boxes'],
                                 results['view_box_ids']):
        x1, y1, x2, y2 = coord.astype(np.float64) * 400
        # One crop of a 400 px image: its corners are whole pixels (exact 50 % ties occur).
        left, right = np.round([min(x1, x2), max(x1, x2)])
        lo = np.array([left, np.round(y1), left, np.round(y1)])
        hi = np.array([right, np.round(y2), right, np.round(y2)])
        inside = np.clip(original, lo, hi)
        visible = ((inside[:, 2] - inside[:, 0]) * (inside[:, 3] - inside[:, 1])
                   / ((original[:, 2] - original[:, 0]) * (original[:, 3] - original[:, 1])))
        np.testing.assert_array_equal(ids - 100, np.flatnonzero(visible >= 0.5))
        xs = x1 + boxes[:, [0, 2]] / SIZE * (x2 - x1)
        ys = y1 + boxes[:, [1, 3]] / SIZE * (y2 - y1)
        back = np.stack([xs.min(1), ys[:, 0], xs.max(1), ys[:, 1]], axis=1)
        np.testing.assert_allclose(back, inside[ids - 100], atol=1e-2)


def test_num_views_draws_several_views_from_one_pipeline():
    set_random_seed(1)
    packed = build([view_pipeline(1.0, 0.0)], num_views=[2])(sample())
    coords = packed['data_samples'].coords
    assert len(packed['inputs']) == 2 and coords.shape == (2, 4)
    assert not torch.equal(coords[0], coords[1])


def test_without_pseudo_boxes_the_box_fields_are_absent():
    set_random_seed(2)
    pipeline = build(PIXPRO_VIEWS)
    results = pipeline.transforms[1](pipeline.transforms[0](sample(with_boxes=False)))
    assert 'view_boxes' not in results and 'view_box_ids' not in results
    data_sample = pipeline.transforms[2](results)['data_samples']
    assert 'coords' in data_sample and 'pseudo_instances' not in data_sample
    assert 'shared_boxes' not in data_sample


def test_fixed_seed_gives_identical_views():
    pipeline = build(PIXPRO_VIEWS)
    runs = []
    for _ in range(2):
        set_random_seed(123)
        runs.append(pipeline(sample()))
    for a, b in zip(runs[0]['inputs'], runs[1]['inputs']):
        assert torch.equal(a, b)
    assert torch.equal(runs[0]['data_samples'].coords, runs[1]['data_samples'].coords)
    for a, b in zip(runs[0]['data_samples'].pseudo_instances,
                    runs[1]['data_samples'].pseudo_instances):
        assert torch.equal(a.bboxes.tensor, b.bboxes.tensor) and torch.equal(a.ids, b.ids)
    set_random_seed(124)
    assert not torch.equal(pipeline(sample())['data_samples'].coords,
                           runs[0]['data_samples'].coords)


def test_packed_batch_feeds_the_multi_view_preprocessor():
    set_random_seed(3)
    pipeline = build(PIXPRO_VIEWS)
    batch = pseudo_collate([pipeline(sample()), pipeline(sample())])
    preprocessor = MultiViewDataPreprocessor(mean=[123.675, 116.28, 103.53],
                                             std=[58.395, 57.12, 57.375], bgr_to_rgb=True)
    out = preprocessor(batch, training=True)
    assert [tuple(v.shape) for v in out['inputs']] == [(2, 3, SIZE, SIZE)] * 2
    samples = out['data_samples']
    assert samples.coords.shape == (2, 2, 4) and samples.coords.dtype == torch.float32
    assert torch.equal(samples.coords, torch.stack([s.coords for s in batch['data_samples']]))
    assert samples[1].view_meta(1) == dict(img_shape=(SIZE, SIZE), pad_shape=(SIZE, SIZE),
                                           batch_input_shape=(SIZE, SIZE))


def test_input_is_not_modified_and_views_do_not_share_buffers():
    img = np.random.RandomState(0).randint(0, 256, (64, 64, 3)).astype(np.uint8)
    results = dict(img=img.copy(), pseudo_boxes=np.array([[0, 0, 64, 64]], np.float32))
    before = copy.deepcopy(results)
    out = MultiView([[dict(type='RandomFlipWithCoord', prob=1.0)]], num_views=[2])(results)
    np.testing.assert_array_equal(out['pseudo_boxes'], before['pseudo_boxes'])
    assert out['img'][0] is not out['img'][1]
    np.testing.assert_array_equal(out['view_coords'][0], [1, 0, 0, 1])
    np.testing.assert_array_equal(out['view_box_ids'][1], [0])


def test_view_transforms_resolve_whatever_scope_is_current():
    # A Runner leaves its config's scope current; mmdet's must not hide our transforms,
    # and ours must still reach mmdet's / mmcv's.
    with DefaultScope.overwrite_default_scope('mmdet'):
        multi_view = MultiView([[dict(type='RandomFlipWithCoord', prob=1.0),
                                 dict(type='RandomFlip', prob=0.0)]])
    out = multi_view(dict(img=np.zeros((8, 8, 3), np.uint8)))
    np.testing.assert_array_equal(out['view_coords'][0], [1, 0, 0, 1])


def test_a_view_pipeline_returning_none_drops_the_sample():
    out = MultiView([[lambda results: None]])(dict(img=np.zeros((8, 8, 3), np.uint8)))
    assert out is None


@pytest.mark.parametrize('kwargs', [dict(transforms=[]),
                                    dict(transforms=[[]], num_views=[1, 1]),
                                    dict(transforms=[[], []], num_views=[0, 0]),
                                    dict(transforms=[dict(type='RandomFlipWithCoord')])])
def test_bad_view_specs_raise(kwargs):
    with pytest.raises(ValueError):
        MultiView(**kwargs)
