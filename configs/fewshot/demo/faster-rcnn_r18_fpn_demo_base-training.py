# Demo base training: the demo detector on the base class ('large crown') of the demo's train
# tiles, 200 iterations (CPU, minutes). Starting points: load_from=None (random init), an export
# of PixPro-FPN, or a whole-detector export (tools/export_detector.py).
#   python tools/train.py configs/fewshot/demo/faster-rcnn_r18_fpn_demo_base-training.py \
#       --cfg-options load_from=EXPORTED.pth
_base_ = ['../_base_/demo.py']
