"""Few-shot splits (mmssl_det.datasets.fewshot_splits) and the base / novel / all class subsets
of FewShotCocoDataset and FewShotVOCDataset."""
import importlib.util
import json

import pytest

from mmssl_det.datasets import FewShotCocoDataset, FewShotVOCDataset, fewshot_classes
from mmssl_det.datasets.fewshot_splits import COCO_CLASSES, VOC_CLASSES
from mmssl_det.registry import DATASETS


@pytest.mark.parametrize('split, novel', [
    ('voc1', ['bird', 'bus', 'cow', 'motorbike', 'sofa']),
    ('voc2', ['aeroplane', 'bottle', 'cow', 'horse', 'sofa']),
    ('voc3', ['boat', 'cat', 'motorbike', 'sheep', 'sofa'])])
def test_voc_splits_base_then_novel(split, novel):
    c = fewshot_classes(split)
    assert c['novel'] == novel
    assert c['base'] == [n for n in VOC_CLASSES if n not in novel]
    assert c['all'] == c['base'] + c['novel'] and len(c['all']) == 20


def test_voc1_all_order_is_tfa():
    # TFA's split-1 ALL_CLASSES: the 15 base classes in VOC order, then the 5 novel.
    assert fewshot_classes('voc1')['all'][-6:] == ['tvmonitor', 'bird', 'bus', 'cow',
                                                   'motorbike', 'sofa']


def test_coco_split_60_20_in_coco_order():
    c = fewshot_classes('coco')
    assert len(c['base']) == 60 and len(c['novel']) == 20
    assert c['all'] == list(COCO_CLASSES)
    assert {'tv', 'couch', 'dining table', 'potted plant', 'motorcycle'} <= set(c['novel'])
    assert 'truck' in c['base'] and 'person' in c['novel']


def test_demo_and_custom_splits():
    assert fewshot_classes('demo') == dict(base=['large crown'], novel=['small crown'],
                                           all=['large crown', 'small crown'])
    assert fewshot_classes(dict(base=['b'], novel=['a']))['all'] == ['b', 'a']


@pytest.mark.parametrize('split, match', [
    ('voc4', 'unknown few-shot split'),
    (dict(novel=['a']), 'both keys'),
    (dict(base=['a'], novel=['a']), 'both base and novel'),
    (dict(base='ab', novel=['c']), 'non-empty list'),
])
def test_bad_splits(split, match):
    with pytest.raises(ValueError, match=match):
        fewshot_classes(split)


@pytest.fixture
def two_class_json(tmp_path, data_dir):
    """coco_trees.json with the trees split by box area into 'small crown' (category 5) and
    'large crown' (category 2); the file lists 'small crown' first."""
    data = json.loads((data_dir / 'coco_trees.json').read_text())
    for a in data['annotations']:
        a['category_id'] = 5 if a['bbox'][2] * a['bbox'][3] < 900 else 2
    data['categories'] = [dict(id=5, name='small crown'), dict(id=2, name='large crown')]
    path = tmp_path / 'two.json'
    path.write_text(json.dumps(data))
    counts = {n: sum(1 for a in data['annotations'] if a['category_id'] == i)
              for i, n in ((5, 'small crown'), (2, 'large crown'))}
    return path, counts


@pytest.mark.parametrize('subset', ['base', 'novel', 'all'])
def test_coco_dataset_subsets(two_class_json, data_dir, subset):
    path, counts = two_class_json
    ds = DATASETS.build(dict(type='FewShotCocoDataset', split='demo', subset=subset,
                             ann_file=str(path), data_prefix=dict(img=str(data_dir / 'images')),
                             pipeline=[]))
    classes = fewshot_classes('demo')[subset]
    assert ds.metainfo['classes'] == tuple(classes)
    assert ds.metainfo['novel_classes'] == ('small crown', )
    labels = [inst['bbox_label'] for i in range(len(ds)) for inst in ds[i]['instances']]
    # labels follow the split's order (large = 0 in 'all'), not the file's (small first)
    assert sorted(set(labels)) == list(range(len(classes)))
    for label, name in enumerate(classes):
        assert labels.count(label) == counts[name]


def test_coco_dataset_missing_class_named(two_class_json):
    path, _ = two_class_json
    with pytest.raises(ValueError, match=r"no categories \['aeroplane', 'bicycle'.*its "
                                         r"categories are \['small crown', 'large crown'\]"):
        FewShotCocoDataset(split='voc1', subset='all', ann_file=str(path), pipeline=[])


def test_coco_dataset_conflicting_metainfo(two_class_json):
    with pytest.raises(ValueError, match='contradicts'):
        FewShotCocoDataset(split='demo', metainfo=dict(classes=('tree', )),
                           ann_file=str(two_class_json[0]), pipeline=[])


def test_voc_dataset_split_order(tmp_path, data_dir):
    spec = importlib.util.spec_from_file_location('format_fixtures',
                                                  data_dir.parent / 'format_fixtures.py')
    ff = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ff)
    root = ff.make_vocdevkit(tmp_path)
    ds = FewShotVOCDataset(split='voc1', subset='all', data_root=str(root),
                           ann_file='VOC2007/ImageSets/Main/trainval.txt',
                           data_prefix=dict(sub_data_root='VOC2007/'), pipeline=[],
                           test_mode=True)
    assert ds.metainfo['classes'] == tuple(fewshot_classes('voc1')['all'])
    label = fewshot_classes('voc1')['all'].index('pottedplant')
    labels = {inst['bbox_label'] for i in range(len(ds)) for inst in ds[i]['instances']}
    assert labels == {label}
    novel = FewShotVOCDataset(split='voc1', subset='novel', data_root=str(root),
                              ann_file='VOC2007/ImageSets/Main/trainval.txt',
                              data_prefix=dict(sub_data_root='VOC2007/'), pipeline=[],
                              test_mode=True)
    assert all(not novel[i]['instances'] for i in range(len(novel)))
