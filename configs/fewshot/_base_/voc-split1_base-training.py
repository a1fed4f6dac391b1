# VOC split 1 base training, everything but the model: the 15 base classes of VOC07+12
# trainval, the base-training schedule, evaluated on VOC07 test restricted to the base classes
# (a 15-class detector scores 15 labels; pascal_voc/mAP = base AP50, VOC07 11-point).
_base_ = ['./datasets/voc_split1.py', './schedules/base_training.py', './fewshot_runtime.py']
val_dataloader = dict(dataset=dict(subset='base'))
test_dataloader = dict(dataset=dict(subset='base'))
val_evaluator = dict(_delete_=True, type='VOCMetric', metric='mAP', eval_mode='11points',
                     iou_thrs=[0.5])
test_evaluator = val_evaluator
