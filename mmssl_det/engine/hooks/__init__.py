from .class_check_hook import ClassCheckHook
from .finite_loss_hook import FiniteLossHook
from .load_report_hook import LoadReportHook
from .momentum_schedule_hook import CosineMomentumHook, cosine_ema_decay
from .pretext_stage_hook import PretextStageHook
from .rank_consistency_hook import RankConsistencyHook
from .swav_hooks import PrototypeFreezeHook, SwAVQueueHook

__all__ = ['ClassCheckHook', 'CosineMomentumHook', 'FiniteLossHook', 'LoadReportHook',
           'PretextStageHook', 'RankConsistencyHook', 'cosine_ema_decay', 'PrototypeFreezeHook',
           'SwAVQueueHook']
