from .momentum_schedule_hook import CosineMomentumHook, cosine_ema_decay

__all__ = ['CosineMomentumHook', 'cosine_ema_decay']
