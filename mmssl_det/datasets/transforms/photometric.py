"""Photometric augmentations of BYOL's asymmetric view pipeline (Grill et al., arXiv
2006.07733, Appendix B, Table 6), reused by PixPro (arXiv 2011.10043, Sec. 4.1).

Images are ``H × W × 3`` uint8 BGR; the pixel work is done by mmcv's image functions and
OpenCV. Randomness comes from numpy's global RNG, which mmengine seeds.

Grayscale is not redefined here: mmcv's ``RandomGrayscale`` with ``keep_channels=True`` and
the BGR luma weights ``channel_weights=(0.114, 0.587, 0.299)`` is BYOL's grayscale.
"""
from typing import Dict, List, Sequence, Tuple

import cv2
import mmcv
import numpy as np
from mmcv.transforms import BaseTransform

from mmssl_det.registry import TRANSFORMS


def _check_prob(owner: str, prob: float) -> float:
    if not 0 <= prob <= 1:
        raise ValueError(f'{owner}: prob must be in [0, 1], got {prob}')
    return prob


def shift_hue(img: np.ndarray, factor: float) -> np.ndarray:
    """Rotate the hue of a BGR uint8 image by ``factor`` of a full turn, ``|factor| ≤ 0.5``.

    Same result as :func:`mmcv.adjust_hue` (OpenCV's 0..255 "full" hue, shift truncated to
    ``int(factor·255)``), which under numpy ≥ 2 raises ``OverflowError`` for every negative
    ``factor`` (it builds ``np.uint8`` from a negative value) — half of ColorJitter's range.

    Args:
        img: ``(H, W, 3)`` uint8 BGR image.
        factor: hue shift in turns, in ``[-0.5, 0.5]``.

    Returns:
        ``(H, W, 3)`` uint8 BGR image.
    """
    if not -0.5 <= factor <= 0.5:
        raise ValueError(f'shift_hue: factor must be in [-0.5, 0.5], got {factor}')
    hsv = cv2.cvtColor(img, cv2.COLOR_BGR2HSV_FULL)
    shift = np.uint8(int(factor * 255) % 256)
    hsv[..., 0] += shift  # uint8 wrap-around is the cyclic hue rotation
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR_FULL)


def blur_kernel_size(side: int, ratio: float = 0.1) -> int:
    """Odd Gaussian kernel side ``2·⌊ratio·side / 2⌋ + 1``: 23 for a 224 px side (BYOL)."""
    return 2 * int(side * ratio / 2) + 1


@TRANSFORMS.register_module()
class ColorJitter(BaseTransform):
    """Colour jitter with probability ``prob``, applying its four ops in a random order.

    Factors follow torchvision's ColorJitter (used by BYOL / PixPro): brightness, contrast
    and saturation factors ``~ U[max(0, 1 − s), 1 + s]``, hue shift ``~ U[−h, h]`` turns.
    Brightness / contrast / saturation blend with black / the mean grey / the grey image
    (:func:`mmcv.adjust_brightness`, :func:`mmcv.adjust_contrast`, :func:`mmcv.adjust_color`).

    Required / modified keys: ``img``.

    Args:
        brightness, contrast, saturation: jitter strengths ``s ≥ 0`` (0 disables the op).
        hue: hue jitter ``h`` in ``[0, 0.5]`` turns (0 disables the op).
        prob: probability of jittering at all.
    """

    OPS = ('brightness', 'contrast', 'saturation', 'hue')

    def __init__(self, brightness: float = 0.4, contrast: float = 0.4,
                 saturation: float = 0.2, hue: float = 0.1, prob: float = 0.8) -> None:
        for name, value in (('brightness', brightness), ('contrast', contrast),
                            ('saturation', saturation)):
            if value < 0:
                raise ValueError(f'ColorJitter: {name} must be >= 0, got {value}')
        if not 0 <= hue <= 0.5:
            raise ValueError(f'ColorJitter: hue must be in [0, 0.5], got {hue}')
        self.brightness = brightness
        self.contrast = contrast
        self.saturation = saturation
        self.hue = hue
        self.prob = _check_prob('ColorJitter', prob)

    def sample_params(self) -> Tuple[List[str], Dict[str, float]]:
        """Draw the op order (a permutation of :attr:`OPS`) and each op's factor."""
        order = [self.OPS[i] for i in np.random.permutation(len(self.OPS))]
        factors = {name: float(np.random.uniform(max(0., 1 - s), 1 + s))
                   for name, s in (('brightness', self.brightness),
                                   ('contrast', self.contrast),
                                   ('saturation', self.saturation))}
        factors['hue'] = float(np.random.uniform(-self.hue, self.hue))
        return order, factors

    @staticmethod
    def apply(img: np.ndarray, order: Sequence[str], factors: Dict[str, float]) -> np.ndarray:
        """Apply the ops in ``order`` with ``factors`` to a ``(H, W, 3)`` BGR image;
        identity factors (1, or a hue shift of 0) are skipped."""
        for name in order:
            factor = factors[name]
            if name == 'hue':
                if factor != 0:
                    img = shift_hue(img, factor)
            elif factor != 1:
                if name == 'brightness':
                    img = mmcv.adjust_brightness(img, factor)
                elif name == 'contrast':
                    img = mmcv.adjust_contrast(img, factor)
                else:
                    img = mmcv.adjust_color(img, alpha=factor)
        return img

    def transform(self, results: dict) -> dict:
        if np.random.rand() < self.prob:
            order, factors = self.sample_params()
            results['img'] = self.apply(results['img'], order, factors)
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(brightness={self.brightness}, '
                f'contrast={self.contrast}, saturation={self.saturation}, hue={self.hue}, '
                f'prob={self.prob})')


@TRANSFORMS.register_module()
class RandomGaussianBlur(BaseTransform):
    """Gaussian blur with probability ``prob`` and ``σ ~ U(sigma)`` pixels.

    The kernel side is ``2·⌊r·side / 2⌋ + 1`` for ``r = kernel_ratio``, per axis (BYOL: 23 px
    at 224), so smaller views (e.g. SoCo's 112 px) get proportionally smaller kernels.

    Required / modified keys: ``img``.

    Args:
        sigma: ``(low, high)`` range of the standard deviation in pixels.
        prob: blur probability.
        kernel_ratio: kernel side as a fraction of the image side.
    """

    def __init__(self, sigma: Sequence[float] = (0.1, 2.0), prob: float = 1.0,
                 kernel_ratio: float = 0.1) -> None:
        if not 0 < sigma[0] <= sigma[1]:
            raise ValueError(f'RandomGaussianBlur: sigma must be (low, high) with '
                             f'0 < low <= high, got {tuple(sigma)}')
        if not 0 < kernel_ratio <= 1:
            raise ValueError(f'RandomGaussianBlur: kernel_ratio must be in (0, 1], '
                             f'got {kernel_ratio}')
        self.sigma = tuple(sigma)
        self.prob = _check_prob('RandomGaussianBlur', prob)
        self.kernel_ratio = kernel_ratio

    def transform(self, results: dict) -> dict:
        if np.random.rand() < self.prob:
            sigma = float(np.random.uniform(*self.sigma))
            img = results['img']
            h, w = img.shape[:2]
            kernel = (blur_kernel_size(w, self.kernel_ratio),
                      blur_kernel_size(h, self.kernel_ratio))
            results['img'] = cv2.GaussianBlur(img, kernel, sigmaX=sigma, sigmaY=sigma)
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(sigma={self.sigma}, prob={self.prob}, '
                f'kernel_ratio={self.kernel_ratio})')


@TRANSFORMS.register_module()
class RandomSolarize(BaseTransform):
    """Solarize with probability ``prob``: every value ``≥ threshold`` becomes ``255 − v``
    (:func:`mmcv.solarize`). mmdet's ``Solarize`` draws its threshold from a magnitude
    range instead; BYOL's solarization uses a fixed threshold.

    Required / modified keys: ``img``.

    Args:
        threshold: values at or above it are inverted (0..256).
        prob: solarization probability.
    """

    def __init__(self, threshold: float = 128, prob: float = 0.2) -> None:
        if not 0 <= threshold <= 256:
            raise ValueError(f'RandomSolarize: threshold must be in [0, 256], '
                             f'got {threshold}')
        self.threshold = threshold
        self.prob = _check_prob('RandomSolarize', prob)

    def transform(self, results: dict) -> dict:
        if np.random.rand() < self.prob:
            results['img'] = mmcv.solarize(results['img'], thr=self.threshold)
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(threshold={self.threshold}, prob={self.prob})'
