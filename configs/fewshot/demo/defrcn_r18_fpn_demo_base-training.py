# Demo base training with DeFRCN's gradient-decoupled layers (RPN lambda 0, RoI lambda 0.75).
_base_ = ['../_base_/demo.py', '../_base_/models/defrcn.py']
model = {{_base_.defrcn_model}}
# DeFRCN's released code uses weight decay 5e-5 in both stages.
optim_wrapper = dict(optimizer=dict(weight_decay=5e-5))
