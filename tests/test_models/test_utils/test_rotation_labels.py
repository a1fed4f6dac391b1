"""rotation_labels: the labels of rotation_batch's image-major layout (RotNet, arXiv
1803.07728, Sec. 2.2)."""
import pytest
import torch

from mmssl_det.models.utils import rotation_batch, rotation_labels


def test_known_values_and_agreement_with_rotation_batch():
    assert rotation_labels(2).tolist() == [0, 1, 2, 3, 0, 1, 2, 3]
    assert rotation_labels(0).shape == (0, ) and rotation_labels(1).dtype == torch.int64
    images = torch.zeros(3, 1, 2, 2)
    assert torch.equal(rotation_batch(images)[1], rotation_labels(3))


def test_negative_count_is_refused():
    with pytest.raises(ValueError, match='rotation_labels: num_images must be >= 0, got -1'):
        rotation_labels(-1)
