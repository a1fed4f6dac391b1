from .base import BaseSelfSupervisor
from .pixpro import BYOL, PixContrast, PixPro

__all__ = ['BaseSelfSupervisor', 'BYOL', 'PixContrast', 'PixPro']
