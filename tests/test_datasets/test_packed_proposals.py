"""Real fixture images + a proposals json through ImageFolderDataset, MultiView and
PackMultiViewInputs, then MultiViewDataPreprocessor: the packed form the pretexts read."""
import json

import numpy as np
import torch
from mmdet.structures.bbox import HorizontalBoxes
from mmengine.dataset import pseudo_collate
from mmengine.registry import DefaultScope
from mmengine.runner import set_random_seed
from mmengine.structures import InstanceData

from mmssl_det.datasets import ImageFolderDataset
from mmssl_det.models.data_preprocessors import MultiViewDataPreprocessor
from mmssl_det.proposals.io import write_proposals, xywh_to_xyxy
from mmssl_det.structures import MultiViewDataSample, MultiViewSampleList

VIEW = [dict(type='RandomResizedCropWithCoord', size=64, scale=(0.5, 1.0)),
        dict(type='RandomFlipWithCoord', prob=0.5)]


def _dataset(tmp_path, data_dir, coco_trees, sizes=(64, 48)):
    """The tree-crown boxes of coco_trees.json standing in for proposals."""
    coco = json.loads(coco_trees.read_text())
    images = []
    for img in sorted(coco['images'], key=lambda i: i['file_name']):
        xywh = np.array([a['bbox'] for a in coco['annotations'] if a['image_id'] == img['id']])
        images.append((img['file_name'], img['width'], img['height'], xywh_to_xyxy(xywh),
                       np.ones(len(xywh))))
    write_proposals(str(tmp_path / 'p.json'), images, info={})
    views = [[dict(VIEW[0], size=size), VIEW[1]] for size in sizes]
    with DefaultScope.overwrite_default_scope('mmssl_det'):
        return ImageFolderDataset(
            data_root=str(data_dir), data_prefix=dict(img='images/'),
            proposals_file=str(tmp_path / 'p.json'),
            pipeline=[dict(type='LoadImageChecked'),
                      dict(type='MultiView', transforms=views),
                      dict(type='PackMultiViewInputs')])


def test_packed_sample_has_instance_data_boxes_ids_and_pairs(tmp_path, data_dir, coco_trees):
    set_random_seed(0)
    ds = _dataset(tmp_path, data_dir, coco_trees)
    num_boxes = len(ds.get_data_info(0)['pseudo_boxes'])
    assert num_boxes == 61  # OSBS_029's crowns
    packed = ds[0]
    sample = packed['data_samples']
    assert isinstance(sample, MultiViewDataSample)
    assert sample.view_shapes == [(64, 64), (48, 48)]
    for inst, (h, w) in zip(sample.pseudo_instances, sample.view_shapes):
        assert isinstance(inst, InstanceData) and isinstance(inst.bboxes, HorizontalBoxes)
        assert 0 < len(inst) < num_boxes and inst.ids.dtype == torch.long
        assert ((inst.ids >= 0) & (inst.ids < num_boxes)).all()
        assert (inst.labels == 0).all()
        boxes = inst.bboxes.tensor
        assert ((boxes >= 0) & (boxes <= torch.tensor([w, h, w, h]))).all()
    first, second = sample.pseudo_instances
    i, j = sample.shared_boxes[(0, 1)].T
    assert torch.equal(first.ids[i], second.ids[j])
    assert set(first.ids[i].tolist()) == set(first.ids.tolist()) & set(second.ids.tolist())


def test_preprocessor_stacks_coords_and_sets_batch_shapes(tmp_path, data_dir, coco_trees):
    set_random_seed(1)
    ds = _dataset(tmp_path, data_dir, coco_trees)
    batch = pseudo_collate([ds[0], ds[1]])
    out = MultiViewDataPreprocessor(mean=[0.] * 3, std=[1.] * 3)(batch, training=True)
    assert [tuple(v.shape) for v in out['inputs']] == [(2, 3, 64, 64), (2, 3, 48, 48)]
    samples = out['data_samples']
    assert isinstance(samples, MultiViewSampleList) and len(samples) == 2
    assert samples.coords.shape == (2, 2, 4) and samples.coords.dtype == torch.float32
    for n, sample in enumerate(batch['data_samples']):
        torch.testing.assert_close(samples.coords[n], sample.coords)
    assert samples[0].batch_input_shapes == [(64, 64), (48, 48)]
    assert samples[1].view_meta(1) == dict(img_shape=(48, 48), pad_shape=(48, 48),
                                           batch_input_shape=(48, 48))
