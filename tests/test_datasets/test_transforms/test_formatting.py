"""PackMultiViewInputs and the MultiViewDataSample it fills."""
import numpy as np
import pytest
import torch
from mmdet.structures.bbox import HorizontalBoxes
from mmengine.structures import InstanceData

from mmssl_det.datasets.transforms.formatting import PackMultiViewInputs
from mmssl_det.structures import MultiViewDataSample


def multi_view_results(with_boxes: bool = True) -> dict:
    rng = np.random.RandomState(0)
    results = dict(
        img=[rng.randint(0, 256, (6, 5, 3)).astype(np.uint8),
             rng.randint(0, 256, (4, 4, 3)).astype(np.uint8)],
        img_path='images/a.jpg', ori_shape=(40, 50), img_shape=(6, 5),
        view_shapes=[(6, 5), (4, 4)],
        view_coords=[np.array([0.1, 0.2, 0.5, 0.6], np.float32),
                     np.array([0.9, 0.0, 0.3, 0.4], np.float32)])
    if with_boxes:
        results['view_boxes'] = [np.array([[0, 0, 2, 3], [1, 1, 5, 6]], np.float32),
                                 np.zeros((0, 4), np.float32)]
        results['view_box_ids'] = [np.array([4, 9]), np.zeros(0, np.int64)]
    return results


def test_pack_views_coords_boxes_and_meta():
    results = multi_view_results()
    packed = PackMultiViewInputs()(results)
    inputs, sample = packed['inputs'], packed['data_samples']
    assert [tuple(v.shape) for v in inputs] == [(3, 6, 5), (3, 4, 4)]
    for tensor, img in zip(inputs, results['img']):
        assert tensor.dtype == torch.uint8 and tensor.is_contiguous()
        np.testing.assert_array_equal(tensor.numpy(), img.transpose(2, 0, 1))
    assert isinstance(sample, MultiViewDataSample)
    torch.testing.assert_close(sample.coords, torch.tensor([[0.1, 0.2, 0.5, 0.6],
                                                            [0.9, 0.0, 0.3, 0.4]]))
    assert sample.coords.dtype == torch.float32
    first, second = sample.pseudo_instances
    assert isinstance(first, InstanceData) and isinstance(first.bboxes, HorizontalBoxes)
    torch.testing.assert_close(first.bboxes.tensor, torch.tensor([[0., 0., 2., 3.],
                                                                  [1., 1., 5., 6.]]))
    assert first.ids.tolist() == [4, 9] and first.labels.tolist() == [0, 0]
    assert first.labels.dtype == first.ids.dtype == torch.long
    assert len(second) == 0 and second.bboxes.tensor.shape == (0, 4)
    assert sample.shared_boxes[(0, 1)].shape == (0, 2)
    assert sample.metainfo == dict(img_path='images/a.jpg', ori_shape=(40, 50),
                                   img_shape=(6, 5), view_shapes=[(6, 5), (4, 4)])


def test_pack_pairs_the_boxes_views_share_by_id():
    results = multi_view_results()
    results['img'].append(results['img'][0])
    results['view_coords'].append(results['view_coords'][0])
    results['view_boxes'] = [np.arange(12, dtype=np.float32).reshape(3, 4),
                             np.arange(8, dtype=np.float32).reshape(2, 4),
                             np.zeros((2, 4), np.float32)]
    results['view_box_ids'] = [np.array([4, 9, 2]), np.array([2, 4]), np.array([9, 7])]
    pairs = PackMultiViewInputs()(results)['data_samples'].shared_boxes
    assert set(pairs) == {(0, 1), (0, 2), (1, 2)}
    assert pairs[(0, 1)].tolist() == [[0, 1], [2, 0]]  # ids 4 and 2, in view 0's order
    assert pairs[(0, 2)].tolist() == [[1, 0]]          # id 9
    assert pairs[(1, 2)].tolist() == []


def test_pack_without_boxes_and_with_missing_meta_keys():
    results = multi_view_results(with_boxes=False)
    del results['img_path']
    sample = PackMultiViewInputs(meta_keys=('img_path', 'ori_shape'))(results)['data_samples']
    assert 'pseudo_instances' not in sample and 'shared_boxes' not in sample
    assert 'coords' in sample
    assert sample.metainfo == dict(ori_shape=(40, 50), view_shapes=[(6, 5), (4, 4)])


def test_pack_needs_multi_view_output():
    results = dict(img=np.zeros((4, 4, 3), np.uint8), img_path='images/a.jpg')
    with pytest.raises(ValueError, match='MultiView'):
        PackMultiViewInputs()(results)


def test_pack_rejects_single_channel_views_with_the_fix():
    results = multi_view_results()
    results['img'][1] = results['img'][1][..., 0]
    with pytest.raises(ValueError, match='view 1 of images/a.jpg.*keep_channels=True'):
        PackMultiViewInputs()(results)


def _instances(k):
    return InstanceData(bboxes=HorizontalBoxes(torch.rand(k, 4)),
                        labels=torch.zeros(k, dtype=torch.long), ids=torch.arange(k))


def test_data_sample_fields_are_typed_and_survive_to_and_clone():
    sample = MultiViewDataSample(metainfo=dict(img_shape=(4, 4)))
    sample.coords = torch.zeros(2, 4)
    sample.pseudo_instances = [_instances(3), _instances(0)]
    assert 'coords' in sample and 'pseudo_instances' in sample
    for copy in (sample.to('cpu'), sample.clone()):
        assert torch.equal(copy.coords, sample.coords)
        assert [len(b) for b in copy.pseudo_instances] == [3, 0]
        assert copy.img_shape == (4, 4)
    # .to reaches into the per-view list (BaseDataElement.to skips lists).
    assert sample.to('cpu').pseudo_instances[0] is not sample.pseudo_instances[0]
    del sample.pseudo_instances
    assert 'pseudo_instances' not in sample


def test_view_meta_needs_the_preprocessor_then_gives_mmdet_img_metas():
    sample = MultiViewDataSample(metainfo=dict(view_shapes=[(6, 5), (4, 4)]))
    with pytest.raises(ValueError, match='MultiViewDataPreprocessor'):
        sample.view_meta(0)
    sample.set_metainfo(dict(batch_input_shapes=[(8, 8), (4, 4)]))
    assert sample.view_meta(0) == dict(img_shape=(6, 5), pad_shape=(8, 8),
                                       batch_input_shape=(8, 8))


@pytest.mark.parametrize('field, value, error', [
    ('coords', torch.zeros(2, 3), ValueError),
    ('coords', np.zeros((2, 4)), ValueError),
    ('pseudo_instances', _instances(2), TypeError),
    ('pseudo_instances', [InstanceData(bboxes=torch.zeros(2, 4), ids=torch.arange(2))],
     ValueError),
    ('pseudo_instances', [InstanceData(bboxes=HorizontalBoxes(torch.zeros(2, 4)),
                                       ids=torch.zeros(2))], ValueError)])
def test_data_sample_rejects_malformed_fields(field, value, error):
    with pytest.raises(error, match=field):
        setattr(MultiViewDataSample(), field, value)
