# TFA on the demo, 5-shot (seed 0; seed S: --cfg-options
# train_dataloader.dataset.ann_file=fewshot/seed{S}/5shot.json): frozen backbone, FPN, RPN
# and shared fcs, cosine classifier. Starting points, each through tools/fewshot_surgery.py
# with this config: (a) a demo base training (base rows copied), (b) directly an mmssl_det
# whole-detector export (pretrained RPN and RoI shared fcs kept frozen, random predictor).
#   python tools/fewshot_surgery.py BASE_OR_EXPORT.pth --config THIS_CONFIG --out init.pth
#   python tools/train.py THIS_CONFIG --cfg-options load_from=init.pth
_base_ = ['../_base_/demo_ft.py', '../_base_/models/tfa.py']
model = {{_base_.tfa_model}}
train_dataloader = dict(dataset=dict(ann_file='fewshot/seed0/5shot.json'))
