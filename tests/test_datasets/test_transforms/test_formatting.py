"""PackMultiViewInputs and the MultiViewDataSample it fills."""
import numpy as np
import pytest
import torch

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
    torch.testing.assert_close(sample.boxes[0], torch.tensor([[0., 0., 2., 3.],
                                                              [1., 1., 5., 6.]]))
    assert sample.boxes[1].shape == (0, 4)
    assert sample.box_ids[0].tolist() == [4, 9] and sample.box_ids[1].dtype == torch.long
    assert sample.metainfo == dict(img_path='images/a.jpg', ori_shape=(40, 50),
                                   img_shape=(6, 5), view_shapes=[(6, 5), (4, 4)])


def test_pack_without_boxes_and_with_missing_meta_keys():
    results = multi_view_results(with_boxes=False)
    del results['img_path']
    sample = PackMultiViewInputs(meta_keys=('img_path', 'ori_shape'))(results)['data_samples']
    assert 'boxes' not in sample and 'box_ids' not in sample and 'coords' in sample
    assert sample.metainfo == dict(ori_shape=(40, 50))


def test_pack_needs_multi_view_output():
    results = dict(img=np.zeros((4, 4, 3), np.uint8), img_path='images/a.jpg')
    with pytest.raises(ValueError, match='MultiView'):
        PackMultiViewInputs()(results)


def test_pack_rejects_single_channel_views_with_the_fix():
    results = multi_view_results()
    results['img'][1] = results['img'][1][..., 0]
    with pytest.raises(ValueError, match='view 1 of images/a.jpg.*keep_channels=True'):
        PackMultiViewInputs()(results)


def test_data_sample_fields_are_typed_and_survive_to_and_clone():
    sample = MultiViewDataSample(metainfo=dict(img_shape=(4, 4)))
    sample.coords = torch.zeros(2, 4)
    sample.boxes = [torch.zeros(3, 4), torch.zeros(0, 4)]
    sample.box_ids = [torch.arange(3), torch.zeros(0, dtype=torch.long)]
    assert 'coords' in sample and 'boxes' in sample and 'box_ids' in sample
    for copy in (sample.to('cpu'), sample.clone()):
        assert torch.equal(copy.coords, sample.coords)
        assert [len(b) for b in copy.boxes] == [3, 0]
        assert copy.img_shape == (4, 4)
    del sample.boxes
    assert 'boxes' not in sample


@pytest.mark.parametrize('field, value, error', [
    ('coords', torch.zeros(2, 3), ValueError),
    ('coords', np.zeros((2, 4)), ValueError),
    ('boxes', torch.zeros(2, 4), TypeError),
    ('boxes', [torch.zeros(2, 5)], ValueError),
    ('box_ids', [torch.zeros(2, 1, dtype=torch.long)], ValueError),
    ('box_ids', [torch.zeros(2)], ValueError)])
def test_data_sample_rejects_malformed_fields(field, value, error):
    with pytest.raises(error):
        setattr(MultiViewDataSample(), field, value)
