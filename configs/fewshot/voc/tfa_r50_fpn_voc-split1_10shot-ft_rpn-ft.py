# As tfa_r50_fpn_voc-split1_10shot-ft.py, with the (pretrained) RPN fine-tuned instead of frozen: for starting directly
# from a whole-detector export (tools/fewshot_surgery.py EXPORT.pth --config THIS_CONFIG), whose
# RPN never saw a label. Other K: --cfg-options on the K's config,
#   model.frozen_modules="['backbone','neck','roi_head.bbox_head.shared_fcs']"
_base_ = ['./tfa_r50_fpn_voc-split1_10shot-ft.py']
model = dict(frozen_modules=['backbone', 'neck', 'roi_head.bbox_head.shared_fcs'])
