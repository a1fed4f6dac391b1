# Whole-detector pretraining, *separate* strategy: PixPro-FPN alone for the first 80 epochs,
# then RPN + RoI pretexts with backbone and FPN frozen (PretextStageHook switches).
_base_ = ['pixpro_fpn_rpn.py']
model = dict(stages=[
    dict(begin=0, losses=('pixel', ), frozen=()),
    dict(begin=80, losses=('rpn', 'roi'), frozen=('backbone', 'neck')),
])
custom_hooks = [
    dict(type='FiniteLossHook'),
    dict(type='CosineMomentumHook', end_momentum=1.0),
    dict(type='PretextStageHook'),
    dict(type='RankConsistencyHook'),
]
