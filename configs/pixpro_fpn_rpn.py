# Whole-detector pretraining, *joint* strategy: PixPro on P3-P5 + RPN pretext + RoI pretext
# from the first iteration. Needs proposals: python tools/generate_proposals.py IMG_DIR OUT.json
_base_ = [
    '_base_/models/detector_pretrainer_r50_fpn.py',
    '_base_/datasets/proposals_pretrain.py',
    '_base_/schedules/lars_cosine_100e.py',
    '_base_/default_runtime.py',
]
model = dict(stages=[dict(begin=0, losses=('pixel', 'rpn', 'roi'), frozen=())])
