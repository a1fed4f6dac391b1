"""Pretext tasks of :class:`~mmssl_det.models.pretrainer.SelfSupervisedPretrainer`, one file
each; a new pretext subclasses :class:`BasePretext` and registers itself in ``MODELS``."""
from .base import BasePretext, PretextBatch
from .densecl import DenseCLPretext
from .instance import InstancePretext
from .mocov2 import MoCoV2Pretext
from .pixel import PixelPretext
from .roi import RoIPretext
from .rotation import RotationPretext
from .rpn import RPNPretext
from .simclr import SimCLRPretext
from .simsiam import SimSiamPretext
from .swav import SwAVPretext

__all__ = ['BasePretext', 'PretextBatch', 'InstancePretext', 'MoCoV2Pretext', 'PixelPretext',
           'RoIPretext', 'RPNPretext', 'SimSiamPretext', 'SwAVPretext',
           'DenseCLPretext', 'RotationPretext', 'SimCLRPretext']
