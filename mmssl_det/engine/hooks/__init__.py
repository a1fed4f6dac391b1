from .momentum_schedule_hook import CosineMomentumHook, cosine_ema_decay
from .pretext_stage_hook import PretextStageHook

__all__ = ['CosineMomentumHook', 'PretextStageHook', 'cosine_ema_decay']
