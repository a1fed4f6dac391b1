"""tools/make_label_fraction.py on the format fixtures (tests/format_fixtures.py) and on a
hand-made COCO json, with counts that can be checked by hand.

The COCO fixture's train2017 holds 6 images: ids 1-3 are OSBS_029 quadrants 0-2 with 14, 18
and 17 trees, ids 4-6 are SOAP_061 quadrants 0-2 with 8, 11 and 9 (77 in all). VOC2007 test
holds 2 images: OSBS q3 (12 trees) and SOAP q3 (9 trees, one of them 'difficult').
"""
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TOOL = REPO / 'tools' / 'make_label_fraction.py'


def _load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def lf():
    return _load(TOOL, 'make_label_fraction')


@pytest.fixture(scope='module')
def fixtures_root(tmp_path_factory):
    ff = _load(REPO / 'tests' / 'format_fixtures.py', 'format_fixtures')
    root = tmp_path_factory.mktemp('lf_formats')
    ff.make_coco(root)
    ff.make_vocdevkit(root)
    return root


@pytest.fixture
def coco_train(fixtures_root):
    return fixtures_root / 'coco' / 'annotations' / 'instances_train2017.json'


PER_IMAGE = {1: 14, 2: 18, 3: 17, 4: 8, 5: 11, 6: 9}


def test_fixture_counts_are_the_documented_ones(coco_train):
    data = json.loads(coco_train.read_text())
    counts = {i['id']: 0 for i in data['images']}
    for a in data['annotations']:
        counts[a['image_id']] += 1
    assert counts == PER_IMAGE


@pytest.mark.parametrize('fraction, n_images', [(0.5, 3), (1 / 3, 2), (0.25, 2), (0.1, 1),
                                                (1.0, 6)])
def test_fraction_keeps_rounded_share_of_images(lf, coco_train, tmp_path, fraction, n_images):
    report = lf.make(coco_train, fraction=fraction, seed=1, out=tmp_path / 'sub.json')
    sub = json.loads((tmp_path / 'sub.json').read_text())
    kept = sorted(i['id'] for i in sub['images'])
    assert len(kept) == report['images_kept'] == n_images
    # every annotation of a kept image, and nothing else
    assert len(sub['annotations']) == report['instances_kept'] == sum(PER_IMAGE[i] for i in kept)
    assert {a['image_id'] for a in sub['annotations']} == set(kept)
    assert report['kept_image_ids'] == kept and report['images_total'] == 6
    assert report['instances_total'] == 77
    assert sub['categories'] == json.loads(coco_train.read_text())['categories']


def test_fraction_is_deterministic_nested_and_seeded(lf, coco_train, tmp_path):
    def kept(fraction, seed):
        return lf.make(coco_train, fraction=fraction, seed=seed,
                       out=tmp_path / f'{fraction}_{seed}.json')['kept_image_ids']
    assert kept(0.5, 1) == kept(0.5, 1)
    assert set(kept(0.2, 1)) <= set(kept(0.5, 1)) <= set(kept(0.8, 1))
    assert len({tuple(kept(0.5, s)) for s in range(1, 6)}) > 1  # folds differ


def test_per_class_on_fixture(lf, coco_train, tmp_path):
    # K = 1: the first shuffled image already has a tree -> exactly one image
    one = lf.make(coco_train, per_class=1, seed=3, out=tmp_path / 'k1.json')
    # the json lists COCO's 80 categories; the 79 without a tree are short of any K
    assert one['images_kept'] == 1 and len(one['short']) == 79
    assert 'potted plant' not in one['short']
    assert one['instances_kept'] == PER_IMAGE[one['kept_image_ids'][0]]
    # K = 77: every tree is needed -> all 6 images; K = 100: all 6 and the class is short
    assert lf.make(coco_train, per_class=77, out=tmp_path / 'k77.json')['images_kept'] == 6
    all_ = lf.make(coco_train, per_class=100, out=tmp_path / 'k100.json')
    assert (all_['images_kept'], all_['instances_kept']) == (6, 77)
    assert len(all_['short']) == 80 and 'potted plant' in all_['short']


def test_per_class_hand_made(lf, tmp_path):
    """Three classes; a crowd box does not count."""
    images = [dict(id=i, file_name=f'{i}.jpg', width=10, height=10) for i in range(1, 6)]
    boxes = [(1, 'a'), (1, 'a'), (2, 'b'), (3, 'a'), (3, 'b'), (4, 'c'), (5, 'b')]
    cats = [dict(id=1, name='a'), dict(id=2, name='b'), dict(id=3, name='c'),
            dict(id=4, name='unused')]
    cid = {c['name']: c['id'] for c in cats}
    anns = [dict(id=n, image_id=i, category_id=cid[c], bbox=[0, 0, 2, 2], area=4, iscrowd=0)
            for n, (i, c) in enumerate(boxes, start=1)]
    anns.append(dict(id=99, image_id=2, category_id=3, bbox=[0, 0, 2, 2], area=4, iscrowd=1))
    src = tmp_path / 'hand.json'
    src.write_text(json.dumps(dict(images=images, annotations=anns, categories=cats)))
    for seed in range(10):
        r = lf.make(src, per_class=1, seed=seed, out=tmp_path / f'h{seed}.json')
        kept = r['kept_image_ids']
        # image 4 is the only one with a (non-crowd) 'c': always kept
        assert 4 in kept
        assert all(r['instances_per_class_kept'].get(c, 0) >= 1 for c in 'abc')
        assert r['short'] == ['unused']  # defined, no instance
        # image 4 plus at most one image for 'a' and one for 'b' (the walk stops at K)
        assert 1 <= len(kept) <= 3
    # K = 2 of 'c' is impossible (one instance): all 'c' kept, 'c' reported short
    r = lf.make(src, per_class=2, seed=0, out=tmp_path / 'k2.json')
    assert r['instances_per_class_kept']['a'] >= 2 and r['instances_per_class_kept']['b'] >= 2
    assert r['instances_per_class_kept']['c'] == 1 and r['short'] == ['c', 'unused']
    assert r['instances_total'] == 7  # the crowd box is not an instance


def test_voc_list_per_class_ignores_difficult(lf, fixtures_root, tmp_path):
    lst = fixtures_root / 'VOCdevkit' / 'VOC2007' / 'ImageSets' / 'Main' / 'test.txt'
    r = lf.make(lst, per_class=100, out=tmp_path / 'test_sub.txt')
    assert r['format'] == 'voc' and r['images_kept'] == 2
    assert r['instances_kept'] == 12 + 8  # SOAP q3's difficult tree is not counted
    assert (tmp_path / 'test_sub.txt').read_text().split() == ['000004', '000005']
    frac = lf.make(lst.with_name('trainval.txt'), fraction=1 / 3, out=tmp_path / 'tv.txt')
    assert len((tmp_path / 'tv.txt').read_text().split()) == frac['images_kept'] == 1


def _cli(*args, cwd=REPO):
    return subprocess.run([sys.executable, str(TOOL), *map(str, args)], capture_output=True,
                          text=True, cwd=cwd)


def test_cli_writes_subset_and_report(coco_train, tmp_path):
    proc = _cli(coco_train, '--fraction', '50%', '--seed', '2', '--out', tmp_path / 'half.json')
    assert proc.returncode == 0, proc.stderr
    assert 'kept 3 of 6 images' in proc.stdout
    report = json.loads((tmp_path / 'half.report.json').read_text())
    assert report['seed'] == 2 and report['fraction'] == 0.5 and report['images_kept'] == 3
    # default output name: next to the input, by mode and seed
    proc = _cli(coco_train, '--per-class', '5', '--seed', '4')
    assert proc.returncode == 0, proc.stderr
    assert coco_train.with_name('instances_train2017.5perclass-seed4.json').is_file()


@pytest.mark.parametrize('args, message', [
    (['missing.json', '--fraction', '0.1'], 'annotation file not found: missing.json'),
    (['{coco}', '--fraction', '5'], r"out of range: it must be in (0, 1] or (0%, 100%] "
                                    r"(did you mean 5%?)"),
    (['{coco}', '--fraction', '0'], 'out of range'),
    (['{coco}', '--fraction', 'abc'], "'abc' is not a number"),
    (['{coco}', '--fraction', '1%'], '--fraction 0.01 of 6 images keeps none; use a fraction '
                                     'of at least 0.0833'),
    (['{coco}', '--per-class', '0'], '--per-class 0: must be at least 1'),
    (['{bad}', '--fraction', '0.5'], "key(s) ['annotations', 'categories'] missing"),
    (['{badlist}', '--fraction', '0.5'], "names image 'nope'"),
])
def test_cli_errors_are_one_clear_line(coco_train, fixtures_root, tmp_path, args, message):
    bad = tmp_path / 'bad.json'
    bad.write_text(json.dumps(dict(images=[])))
    main = fixtures_root / 'VOCdevkit' / 'VOC2007' / 'ImageSets' / 'Main'
    badlist = main / 'bad.txt'
    badlist.write_text('000001\nnope\n')
    args = [a.format(coco=coco_train, bad=bad, badlist=badlist) for a in args]
    proc = _cli(*args, cwd=tmp_path)
    assert proc.returncode == 2
    assert 'Traceback' not in proc.stderr
    assert proc.stderr.startswith('make_label_fraction: error: ') and message in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_subset_feeds_a_transfer_config_through_ann_file(lf, coco_train, fixtures_root,
                                                         tmp_path):
    """The documented override: the config's own dataset class reads the subset."""
    from mmdet.registry import DATASETS
    from mmdet.utils import register_all_modules
    from mmengine.config import Config
    register_all_modules()
    r = lf.make(coco_train, fraction=0.5, seed=1,
                out=coco_train.with_name('instances_train2017.50pct-seed1.json'))
    cfg = Config.fromfile(str(REPO / 'configs/transfer/coco/mask-rcnn_r50_fpn_1x_coco.py'))
    cfg.merge_from_dict({
        'train_dataloader.dataset.data_root': f'{fixtures_root}/coco/',
        'train_dataloader.dataset.ann_file': 'annotations/instances_train2017.50pct-seed1.json'})
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    assert len(dataset) == r['images_kept'] == 3
    assert sum(len(dataset.get_data_info(i)['instances']) for i in range(3)) == \
        r['instances_kept']
    # VOC07+12: the VOC07 list is datasets.0 of the concat
    lst = fixtures_root / 'VOCdevkit' / 'VOC2007' / 'ImageSets' / 'Main' / 'trainval.txt'
    lf.make(lst, fraction=2 / 3, seed=1, out=lst.with_name('trainval.67pct-seed1.txt'))
    cfg = Config.fromfile(str(REPO / 'configs/transfer/voc/faster-rcnn_r50-c4_24k_voc0712.py'))
    cfg.merge_from_dict({
        'train_dataloader.dataset.datasets.0.data_root': f'{fixtures_root}/VOCdevkit/',
        'train_dataloader.dataset.datasets.1.data_root': f'{fixtures_root}/VOCdevkit/',
        'train_dataloader.dataset.datasets.0.ann_file':
            'VOC2007/ImageSets/Main/trainval.67pct-seed1.txt'}, allow_list_keys=True)
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    assert len(dataset) == 2 + 3  # 2 of 3 VOC07 images + all 3 VOC12 images
