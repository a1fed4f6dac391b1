# As tfa_r18_fpn_demo_5shot-ft.py, with the (pretrained) RPN fine-tuned instead of frozen:
# for starting point (b), a whole-detector export whose RPN never saw a label.
_base_ = ['./tfa_r18_fpn_demo_5shot-ft.py']
model = dict(frozen_modules=['backbone', 'neck', 'roi_head.bbox_head.shared_fcs'])
