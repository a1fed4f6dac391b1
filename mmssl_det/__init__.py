"""mmssl_det: self-supervised pretraining of whole object detectors on OpenMMLab.

Importing the package applies the stack workarounds in :mod:`mmssl_det.compat` and fills
mmssl_det's own child registries; mmdet's registries are left untouched.
"""
from . import compat
from .version import __version__

compat.apply_all()

__all__ = ['__version__']
