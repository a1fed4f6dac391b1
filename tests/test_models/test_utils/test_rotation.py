"""RotNet's rotation batch (arXiv 1803.07728, Sec. 2.2): exact pixel positions and labels."""
import pytest
import torch

from mmssl_det.models.utils import rotation_batch

DEVICES = ['cpu'] + (['cuda'] if torch.cuda.is_available() else [])


@pytest.mark.parametrize('device', DEVICES)
def test_exact_pixel_positions_of_the_four_rotations(device):
    image = torch.tensor([[1, 2],
                          [3, 4]], device=device)[None, None]  # (1, 1, 2, 2)
    rotated, labels = rotation_batch(image)
    expected = torch.tensor([[[1, 2], [3, 4]],   # 0°
                             [[2, 4], [1, 3]],   # 90° counter-clockwise
                             [[4, 3], [2, 1]],   # 180°
                             [[3, 1], [4, 2]]],  # 270°
                            device=device)[:, None]
    assert torch.equal(rotated, expected)
    assert labels.tolist() == [0, 1, 2, 3] and labels.dtype == torch.int64
    assert labels.device.type == device


def test_index_formulas_image_major_order_and_channels():
    n, c, s = 2, 3, 4
    images = torch.arange(n * c * s * s, dtype=torch.float32).reshape(n, c, s, s)
    rotated, labels = rotation_batch(images)
    assert rotated.shape == (4 * n, c, s, s) and rotated.dtype == images.dtype
    assert labels.tolist() == [0, 1, 2, 3] * n
    for img in range(n):
        x, (r0, r1, r2, r3) = images[img], rotated[4 * img:4 * img + 4]
        for i in range(s):
            for j in range(s):
                assert torch.equal(r0[:, i, j], x[:, i, j])
                assert torch.equal(r1[:, i, j], x[:, j, s - 1 - i])
                assert torch.equal(r2[:, i, j], x[:, s - 1 - i, s - 1 - j])
                assert torch.equal(r3[:, i, j], x[:, s - 1 - j, i])


def test_gradient_flows_back_to_every_pixel_four_times():
    images = torch.randn(2, 1, 3, 3, requires_grad=True)
    rotated, _ = rotation_batch(images)
    rotated.sum().backward()
    assert torch.equal(images.grad, torch.full_like(images, 4.))


@pytest.mark.parametrize('shape, match', [
    ((2, 3, 4, 5), r'square \(H == W\).*\(N, C, H, W\) = \(2, 3, 4, 5\)'),
    ((3, 4, 4), r'\(N, C, H, W\), got shape \(3, 4, 4\)'),
])
def test_bad_shapes_name_the_shape(shape, match):
    with pytest.raises(ValueError, match=match):
        rotation_batch(torch.zeros(shape))
