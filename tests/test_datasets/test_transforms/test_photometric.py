"""Photometric ops of the BYOL / PixPro view pipelines on a real fixture image."""
from pathlib import Path

import cv2
import mmcv
import numpy as np
import pytest
from mmengine.registry import DefaultScope

from mmssl_det.datasets.transforms.photometric import (ColorJitter, RandomGaussianBlur,
                                                       RandomSolarize, blur_kernel_size,
                                                       shift_hue)
from mmssl_det.registry import TRANSFORMS

IMAGE = Path(__file__).parents[2] / 'data' / 'images' / 'OSBS_029.jpg'
# mmcv's RandomGrayscale configured as BYOL's grayscale (3 channels, BGR luma weights).
GRAYSCALE = dict(type='RandomGrayscale', keep_channels=True,
                 channel_weights=(0.114, 0.587, 0.299))


@pytest.fixture(scope='module')
def image() -> np.ndarray:
    return mmcv.imread(str(IMAGE))[:96, :128]


def pure_color(bgr) -> np.ndarray:
    return np.tile(np.array(bgr, dtype=np.uint8), (4, 4, 1))


@pytest.mark.parametrize('transform', [
    ColorJitter(prob=0.0), RandomGaussianBlur(prob=0.0), RandomSolarize(prob=0.0),
    dict(GRAYSCALE, prob=0.0)])
def test_prob_zero_is_identity(image, transform):
    transform = TRANSFORMS.build(transform) if isinstance(transform, dict) else transform
    out = transform(dict(img=image.copy()))
    np.testing.assert_array_equal(out['img'], image)


@pytest.mark.parametrize('transform', [
    ColorJitter(prob=1.0), RandomGaussianBlur(prob=1.0), RandomSolarize(prob=1.0),
    dict(GRAYSCALE, prob=1.0)])
def test_prob_one_changes_pixels_and_keeps_shape_and_dtype(image, transform):
    np.random.seed(3)
    transform = TRANSFORMS.build(transform) if isinstance(transform, dict) else transform
    out = transform(dict(img=image.copy()))['img']
    assert out.shape == image.shape and out.dtype == np.uint8
    assert not np.array_equal(out, image)


def test_color_jitter_params_follow_torchvision_ranges():
    jitter = ColorJitter(brightness=0.4, contrast=0.4, saturation=0.2, hue=0.1)
    np.random.seed(0)
    draws = [jitter.sample_params() for _ in range(500)]
    for order, _ in draws:
        assert sorted(order) == sorted(ColorJitter.OPS)
    factors = {k: np.array([f[k] for _, f in draws]) for k in ColorJitter.OPS}
    for name, (lo, hi) in dict(brightness=(0.6, 1.4), contrast=(0.6, 1.4),
                               saturation=(0.8, 1.2), hue=(-0.1, 0.1)).items():
        assert lo <= factors[name].min() < lo + 0.05 and hi - 0.05 < factors[name].max() <= hi
    assert len({tuple(order) for order, _ in draws}) == 24  # every order occurs


def test_color_jitter_apply_delegates_to_mmcv(image):
    identity = dict(brightness=1.0, contrast=1.0, saturation=1.0, hue=0.0)
    order = list(ColorJitter.OPS)
    np.testing.assert_array_equal(ColorJitter.apply(image, order, identity), image)
    np.testing.assert_array_equal(
        ColorJitter.apply(image, order, dict(identity, brightness=0.5)),
        mmcv.adjust_brightness(image, 0.5))
    np.testing.assert_array_equal(
        ColorJitter.apply(image, order, dict(identity, saturation=0.0)),
        mmcv.adjust_color(image, alpha=0.0))
    # The ops run in the given order (clipping makes the two orders differ).
    both = dict(identity, brightness=1.3, contrast=0.7)
    contrast_first = ColorJitter.apply(image, ['contrast', 'brightness', 'saturation', 'hue'],
                                       both)
    np.testing.assert_array_equal(contrast_first,
                                  mmcv.adjust_brightness(mmcv.adjust_contrast(image, 0.7), 1.3))
    assert not np.array_equal(contrast_first, ColorJitter.apply(image, order, both))


def test_shift_hue_matches_mmcv_and_rotates_both_ways(image):
    for factor in (0.05, 0.1, 0.5):
        np.testing.assert_array_equal(shift_hue(image, factor), mmcv.adjust_hue(image, factor))
    red = pure_color((0, 0, 255))
    # ±1/3 turn: red → green / blue (up to OpenCV's 8-bit hue quantisation).
    assert np.abs(shift_hue(red, 1 / 3)[0, 0].astype(int) - (0, 255, 0)).max() <= 6
    assert np.abs(shift_hue(red, -1 / 3)[0, 0].astype(int) - (255, 0, 0)).max() <= 6
    with pytest.raises(ValueError):
        shift_hue(red, 0.7)


def test_grayscale_keeps_three_equal_luma_channels(image):
    with DefaultScope.overwrite_default_scope('mmssl_det'):
        gray = TRANSFORMS.build(dict(GRAYSCALE, prob=1.0))
    out = gray(dict(img=image.copy()))['img']
    assert out.shape == image.shape
    np.testing.assert_array_equal(out[..., 0], out[..., 1])
    np.testing.assert_array_equal(out[..., 0], out[..., 2])
    # mmcv truncates the weighted sum, OpenCV rounds: at most one level apart.
    assert np.abs(out[..., 0].astype(int) - mmcv.bgr2gray(image).astype(int)).max() <= 1


def test_blur_kernel_is_ten_percent_odd():
    assert blur_kernel_size(224) == 23
    assert blur_kernel_size(112) == 11
    assert blur_kernel_size(96) == 9
    assert blur_kernel_size(5) == 1


def test_blur_smooths_noise_and_keeps_flat_images():
    rng = np.random.RandomState(0)
    noise = rng.randint(0, 256, (64, 64, 3)).astype(np.uint8)
    np.random.seed(0)
    out = RandomGaussianBlur(sigma=(1.5, 2.0))(dict(img=noise.copy()))['img']
    assert out.std() < 0.5 * noise.std()
    flat = np.full((64, 64, 3), 77, dtype=np.uint8)
    np.testing.assert_array_equal(RandomGaussianBlur()(dict(img=flat.copy()))['img'], flat)


def test_solarize_inverts_values_at_or_above_threshold():
    img = np.repeat(np.arange(256, dtype=np.uint8)[None, :, None], 3, axis=2)
    out = RandomSolarize(threshold=128, prob=1.0)(dict(img=img.copy()))['img']
    expected = np.where(np.arange(256) < 128, np.arange(256), 255 - np.arange(256))
    np.testing.assert_array_equal(out[0, :, 1], expected)
    assert out.dtype == np.uint8


@pytest.mark.parametrize('build', [
    lambda: ColorJitter(brightness=-0.1), lambda: ColorJitter(hue=0.6),
    lambda: ColorJitter(prob=1.5), lambda: RandomGaussianBlur(sigma=(2.0, 0.1)),
    lambda: RandomGaussianBlur(kernel_ratio=0), lambda: RandomSolarize(threshold=300)])
def test_bad_arguments_raise(build):
    with pytest.raises(ValueError):
        build()


def test_gaussian_blur_matches_opencv_with_drawn_sigma(image):
    np.random.seed(5)
    np.random.rand()  # the apply-or-not draw
    sigma = np.random.uniform(0.1, 2.0)
    np.random.seed(5)
    out = RandomGaussianBlur(sigma=(0.1, 2.0), prob=1.0)(dict(img=image.copy()))['img']
    # 128 x 96 image: kernel 13 wide, 9 high.
    expected = cv2.GaussianBlur(image, (13, 9), sigmaX=sigma, sigmaY=sigma)
    np.testing.assert_array_equal(out, expected)
