# TFA's fine-tuning detector (./tfa.py) on the transfer protocol's Faster R-CNN R50-FPN; loads
# a checkpoint made by tools/fewshot_surgery.py.
_base_ = ['../../../transfer/_base_/models/faster-rcnn_r50_fpn_ssl.py', './tfa.py']
model = {{_base_.tfa_model}}
