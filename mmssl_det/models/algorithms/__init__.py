from .base import BaseSelfSupervisor
from .detector_pretrainer import DetectorPretrainer
from .pixpro import BYOL, PixContrast, PixPro

__all__ = ['BaseSelfSupervisor', 'BYOL', 'DetectorPretrainer', 'PixContrast', 'PixPro']
