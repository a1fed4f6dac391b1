# DeFRCN base training (./defrcn.py) on the transfer protocol's Faster R-CNN R50-FPN.
_base_ = ['../../../transfer/_base_/models/faster-rcnn_r50_fpn_ssl.py', './defrcn.py']
model = {{_base_.defrcn_model}}
