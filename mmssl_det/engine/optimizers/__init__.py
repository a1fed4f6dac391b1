from .lars import LARS

__all__ = ['LARS']
