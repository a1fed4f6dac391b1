# COCO fine-tuning, everything but the model and the schedule length: the K-shot set of all 80
# classes (seed{S}/{K}shot.json), val2017.
_base_ = ['./datasets/coco.py', './fewshot_runtime.py']
train_dataloader = dict(dataset=dict(subset='all', ann_file='fewshot/coco/seed0/10shot.json'))
