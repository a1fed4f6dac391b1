# VOC split 1 base training, everything but the model: the 15 base classes of VOC07+12
# trainval, VOC07 test (all 20 classes, base/novel AP50), the base-training schedule.
_base_ = ['./datasets/voc_split1.py', './schedules/base_training.py', './fewshot_runtime.py']
