"""Pretext tasks of :class:`~mmssl_det.models.pretrainer.SelfSupervisedPretrainer`, one file
each; a new pretext subclasses :class:`BasePretext` and registers itself in ``MODELS``."""
from .base import BasePretext, PretextBatch
from .instance import InstancePretext
from .pixel import PixelPretext
from .roi import RoIPretext
from .rpn import RPNPretext

__all__ = ['BasePretext', 'PretextBatch', 'InstancePretext', 'PixelPretext', 'RoIPretext',
           'RPNPretext']
