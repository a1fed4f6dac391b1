"""K-shot sampling (mmssl_det.datasets.fewshot_sampling) on a hand-made COCO json whose
per-image class counts make the expected shots checkable by hand, and on the VOC fixture."""
import importlib.util
import json
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest

from mmssl_det.datasets.fewshot_sampling import FewShotSplitError, countable_per_image, \
    crowns_by_area, import_split, kshot_json, load_coco_json, load_voc, median_box_area, \
    resolve_classes, sample_class, sample_split, write_split

# image id -> objects (class, iscrowd). 'bird' is novel, 'cat' and 'dog' base.
# Countable instances: cat 1,1,1,3 (images 1-4; image 7's cat is crowd) = 6,
# dog 1,1,2,1,1 (images 3, 5, 6, 7, 9) = 6, bird 1,1,2 (images 8-10) = 4.
IMAGES = {
    1: [('cat', 0)], 2: [('cat', 0)], 3: [('cat', 0), ('dog', 0)],
    4: [('cat', 0)] * 3, 5: [('dog', 0)], 6: [('dog', 0)] * 2,
    7: [('dog', 0), ('cat', 1)], 8: [('bird', 0)], 9: [('bird', 0), ('dog', 0)],
    10: [('bird', 0)] * 2,
}
CATEGORIES = [dict(id=3, name='cat'), dict(id=1, name='dog'), dict(id=2, name='bird')]
SEEDS = range(10)


def make_coco(images=IMAGES, categories=CATEGORIES) -> dict:
    ids = {c['name']: c['id'] for c in categories}
    anns = []
    for img, objs in images.items():
        for j, (name, crowd) in enumerate(objs):
            anns.append(dict(id=len(anns) + 1, image_id=img, category_id=ids[name],
                             bbox=[10.0 * j, 5.0, 8.0, 8.0], area=64.0, iscrowd=crowd))
    return dict(images=[dict(id=i, file_name=f'train/{i:06d}.jpg', width=64, height=64)
                        for i in images], annotations=anns, categories=categories)


@pytest.fixture
def data():
    return make_coco()


@pytest.fixture
def classes(data):
    return resolve_classes(data, 'toy.json', novel=['bird'])


def test_custom_split_classes(classes):
    assert classes == dict(base=['cat', 'dog'], novel=['bird'], all=['cat', 'dog', 'bird'])


def test_counts_skip_crowd(data):
    counts = countable_per_image(data, ['cat', 'dog', 'bird'])
    assert counts['cat'] == {1: 1, 2: 1, 3: 1, 4: 3}
    assert counts['dog'] == {3: 1, 5: 1, 6: 2, 7: 1, 9: 1}
    assert counts['bird'] == {8: 1, 9: 1, 10: 2}


@pytest.mark.parametrize('seed', SEEDS)
def test_one_and_two_shots_by_hand(data, seed):
    sel = sample_split(data, ['cat', 'dog', 'bird'], [1, 2], seed, 'toy.json')
    # 1 shot: only images holding exactly one instance of the class can be taken.
    assert len(sel[1]['cat']) == 1 and sel[1]['cat'][0] in {1, 2, 3}
    assert len(sel[1]['dog']) == 1 and sel[1]['dog'][0] in {3, 5, 7, 9}
    assert len(sel[1]['bird']) == 1 and sel[1]['bird'][0] in {8, 9}
    # 2 shots, nested: the 1-shot image plus one more single-instance image (an image
    # holding two would push the class to 3).
    for c in ('cat', 'dog', 'bird'):
        assert sel[2][c][:1] == sel[1][c]
    assert set(sel[2]['cat']) <= {1, 2, 3} and len(sel[2]['cat']) == 2
    assert set(sel[2]['dog']) <= {3, 5, 7, 9} and len(sel[2]['dog']) == 2
    assert set(sel[2]['bird']) == {8, 9}


def test_two_shots_alone_may_take_one_image_holding_two(data):
    # Not nested: dog image 6 (2 dogs) is taken when the walk reaches it before a second
    # single; else two of the singles 3, 5, 7, 9.
    counts = countable_per_image(data, ['dog'])['dog']
    picks = [sample_class(counts, [2], seed, 'dog')[2] for seed in SEEDS]
    for pick in picks:
        assert pick == [6] or (len(pick) == 2 and set(pick) <= {3, 5, 7, 9})
    assert [6] in picks and any(len(p) == 2 for p in picks)


@pytest.mark.parametrize('seed', SEEDS)
def test_exactly_k_and_image_rule(data, seed):
    counts = countable_per_image(data, ['cat', 'dog'])
    for k in (3, 4, 5, 6):
        try:
            sel = sample_class(counts['dog'], [k], seed, 'dog')[k]
        except FewShotSplitError as e:  # the walk can get stuck below K: said, not hidden
            assert 'no image left fits exactly' in str(e)
            continue
        assert sum(counts['dog'][i] for i in sel) == k
        assert len(set(sel)) == len(sel)
    assert sorted(sample_class(counts['cat'], [6], seed, 'cat')[6]) == [1, 2, 3, 4]


def test_seed_changes_the_sample_and_same_seed_repeats(data):
    picks = {tuple(sample_split(data, ['cat'], [1], s, 'toy')[1]['cat']) for s in SEEDS}
    assert len(picks) > 1
    assert sample_split(data, ['cat'], [1], 4, 'toy') == sample_split(data, ['cat'], [1], 4, 'toy')


def test_a_class_does_not_depend_on_the_others(data):
    alone = sample_split(data, ['dog'], [1, 2], 3, 'toy')
    together = sample_split(data, ['cat', 'bird', 'dog'], [1, 2], 3, 'toy')
    assert all(alone[k]['dog'] == together[k]['dog'] for k in (1, 2))


def test_too_many_shots_names_class_and_count(data):
    with pytest.raises(FewShotSplitError, match=r"class 'bird' has 4 instance\(s\) in toy"
                                                r".*5 shots asked.*at most 4"):
        sample_split(data, ['cat', 'dog', 'bird'], [1, 5], 0, 'toy')


def test_unknown_novel_class_lists_classes(data):
    with pytest.raises(FewShotSplitError, match=r"\['sofa'\] not in toy\.json; its classes are "
                                                r"\['cat', 'dog', 'bird'\]"):
        resolve_classes(data, 'toy.json', novel=['sofa'])
    with pytest.raises(FewShotSplitError, match=r"split 'voc1'.*not in toy\.json"):
        resolve_classes(data, 'toy.json', split='voc1')


def test_kshot_json_keeps_only_the_sampled_class(data):
    # image 3 holds a cat and a dog; taken for the cat only it carries just the cat.
    out = kshot_json(data, dict(cat=[3], dog=[5], bird=[]))
    assert [im['id'] for im in out['images']] == [3, 5]
    assert [(a['image_id'], a['category_id']) for a in out['annotations']] == [(3, 3), (5, 1)]
    assert out['categories'] == CATEGORIES
    both = kshot_json(data, dict(cat=[3], dog=[3]))
    assert len(both['images']) == 1 and len(both['annotations']) == 2


def test_write_split_files_and_manifest(data, classes, tmp_path):
    man = write_split(data, classes, tmp_path / 'a', [1, 2], [0, 1], 'toy.json', 'coco')
    for seed in (0, 1):
        for k in (1, 2):
            kshot = json.loads((tmp_path / 'a' / f'seed{seed}' / f'{k}shot.json').read_text())
            names = {c['id']: c['name'] for c in kshot['categories']}
            counts = Counter(names[a['category_id']] for a in kshot['annotations']
                             if not a['iscrowd'])
            assert counts == dict(cat=k, dog=k, bird=k)
            detail = man['seeds_detail'][str(seed)]['shots'][str(k)]['classes']
            assert {c: d['instances'] for c, d in detail.items()} == dict(cat=k, dog=k, bird=k)
            assert sorted({i for d in detail.values() for i in d['image_ids']}) == \
                [im['id'] for im in kshot['images']]
    base = json.loads((tmp_path / 'a' / 'base_train.json').read_text())
    assert len(base['images']) == 10
    assert len(base['annotations']) == 17 - 4  # every annotation but the 4 birds
    assert man['instances_total'] == dict(cat=6, dog=6, bird=4)
    # same inputs -> byte-identical files
    write_split(data, classes, tmp_path / 'b', [1, 2], [0, 1], 'toy.json', 'coco')
    for f in sorted((tmp_path / 'a').rglob('*.json')):
        assert f.read_bytes() == (tmp_path / 'b' / f.relative_to(tmp_path / 'a')).read_bytes()


def test_failed_sampling_writes_nothing(data, classes, tmp_path):
    with pytest.raises(FewShotSplitError):
        write_split(data, classes, tmp_path / 'x', [5], [0], 'toy.json', 'coco')
    assert not (tmp_path / 'x').exists()


def test_import_reproduces_a_sampled_seed(data, classes, tmp_path):
    """Published TFA lists (txt of image paths, any leading folders) and mmfewshot/TFA COCO
    jsons give the same files as the sampling that produced them."""
    man = write_split(data, classes, tmp_path / 'sampled', [1, 2], [3], 'toy.json', 'coco')
    pub = tmp_path / 'published' / 'seed3'
    pub.mkdir(parents=True)
    for k, detail in man['seeds_detail']['3']['shots'].items():
        for c, d in detail['classes'].items():
            if c == 'dog':  # COCO-style json of the images (TFA's full_box_..._trainval.json)
                imgs = [im for im in data['images'] if im['id'] in d['image_ids']]
                imgs.sort(key=lambda im: d['image_ids'].index(im['id']))
                (pub / f'full_box_{k}shot_{c}_trainval.json').write_text(json.dumps(
                    dict(images=imgs, annotations=[], categories=CATEGORIES)))
            else:
                (pub / f'box_{k}shot_{c}_train.txt').write_text(''.join(
                    f'datasets/coco/{name}\n' for name in d['file_names']))
    imported = write_split(data, classes, tmp_path / 'imported', [1, 2], [3], 'toy.json',
                           'coco', import_dir=tmp_path / 'published')
    assert imported['mode'] == 'imported'
    for k in ('1', '2'):
        assert (tmp_path / 'sampled' / 'seed3' / f'{k}shot.json').read_bytes() == \
            (tmp_path / 'imported' / 'seed3' / f'{k}shot.json').read_bytes()
        assert imported['seeds_detail']['3']['shots'][k]['classes'] == \
            man['seeds_detail']['3']['shots'][k]['classes']


def test_import_errors(data, tmp_path):
    (tmp_path / 'box_1shot_cat_train.txt').write_text('x/train/000001.jpg\n')
    with pytest.raises(FewShotSplitError, match=r"lacks the split file\(s\) of 1-shot 'dog'"):
        import_split(data, ['cat', 'dog'], [1], tmp_path, 0)
    (tmp_path / 'box_1shot_dog_train.txt').write_text('train/000099.jpg\n')
    with pytest.raises(FewShotSplitError, match="'train/000099.jpg' is not"):
        import_split(data, ['cat', 'dog'], [1], tmp_path, 0)


def _format_fixtures(data_dir: Path):
    spec = importlib.util.spec_from_file_location('format_fixtures',
                                                  data_dir.parent / 'format_fixtures.py')
    ff = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ff)
    return ff


def test_voc_reader_and_tfa_txt_import(tmp_path, data_dir):
    devkit = _format_fixtures(data_dir).make_vocdevkit(tmp_path)
    voc = load_voc(devkit)
    # VOC2007 trainval (OSBS q0-q2: 14, 18, 17 trees) then VOC2012 (SOAP q0-q2: 8, 11, 9)
    assert [im['file_name'] for im in voc['images']][:1] == ['VOC2007/JPEGImages/000001.jpg']
    assert len(voc['images']) == 6 and len(voc['annotations']) == 77
    assert [c['name'] for c in voc['categories']][15] == 'pottedplant'
    obj = ET.parse(devkit / 'VOC2007' / 'Annotations' / '000001.xml').find('object/bndbox')
    xmin, ymin, xmax, ymax = (int(obj.find(k).text) for k in ('xmin', 'ymin', 'xmax', 'ymax'))
    assert voc['annotations'][0]['bbox'] == [xmin - 1, ymin - 1, xmax - xmin, ymax - ymin]
    assert voc['annotations'][0]['category_id'] == 16
    # a TFA list names images by their path in TFA's tree
    (tmp_path / 'box_10shot_pottedplant_train.txt').write_text(
        'datasets/VOC2012/JPEGImages/2012_000002.jpg\n'
        'datasets/VOC2007/JPEGImages/000003.jpg\n')
    sel, files = import_split(voc, ['pottedplant'], [10], tmp_path, 0)
    names = {im['id']: im['file_name'] for im in voc['images']}
    assert [names[i] for i in sel[10]['pottedplant']] == [
        'VOC2012/JPEGImages/2012_000002.jpg', 'VOC2007/JPEGImages/000003.jpg']
    assert list(files) == ['10/pottedplant']


def test_crowns_by_area_on_fixture(coco_trees):
    trees = load_coco_json(coco_trees)
    threshold = median_box_area(trees)
    two = crowns_by_area(trees, threshold)
    counts = countable_per_image(two, ['large crown', 'small crown'])
    totals = {c: sum(v.values()) for c, v in counts.items()}
    assert totals == {'large crown': 49, 'small crown': 49}  # 98 boxes, split at the median
    for a, b in zip(trees['annotations'], two['annotations']):
        assert (b['category_id'] == 1) == (a['bbox'][2] * a['bbox'][3] >= threshold)
    # TFA's rule never splits an image: each fixture image holds 12-37 crowns of a class, so
    # 2 shots cannot be met, and the error says so
    with pytest.raises(FewShotSplitError, match='no image left fits exactly 2 shots'):
        sample_split(two, ['large crown', 'small crown'], [2], 0, 'fixture')
