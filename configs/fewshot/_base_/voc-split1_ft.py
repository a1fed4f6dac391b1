# VOC split 1 fine-tuning, everything but the model and the schedule length: the K-shot set of
# all 20 classes (tools/make_fewshot_split.py's seed{S}/{K}shot.json; the configs set K and
# seed 0, the runner other seeds), VOC07 test.
_base_ = ['./datasets/voc_split1.py', './fewshot_runtime.py']
train_dataloader = dict(dataset=dict(subset='all', ann_file='fewshot/voc1/seed0/1shot.json'))
