"""tools/prepare_demo_data.py: tiling, spatially disjoint splits, box clipping, COCO output,
idempotence and the no-wheel message (all offline, on the tests/data images)."""
import importlib.util
import itertools
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest
from pycocotools.coco import COCO

REPO = Path(__file__).resolve().parents[2]
TOOL = REPO / 'tools' / 'prepare_demo_data.py'
_spec = importlib.util.spec_from_file_location('prepare_demo_data', TOOL)
pdd = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(pdd)


def _fixture_sources(data_dir):
    """The two real fixture images with their VOC boxes, as the tool's Source objects."""
    out = []
    for img in sorted((data_dir / 'images').glob('*.jpg')):
        _, _, boxes = pdd.read_voc((data_dir / 'annotations' / f'{img.stem}.xml').read_bytes())
        out.append(pdd.Source(img.name, cv2.imread(str(img)), boxes))
    return out


def _area(box):
    return (box[2] - box[0]) * (box[3] - box[1])


def test_axis_cuts_and_grid_cover_without_overlap():
    assert pdd.axis_cuts(0, 400, 320) == [0, 400]  # 1.25 tiles: one 400 px tile
    assert pdd.axis_cuts(0, 1512, 320) == [0, 302, 605, 907, 1210, 1512]
    assert pdd.axis_cuts(100, 740, 320) == [100, 420, 740]
    assert pdd.axis_cuts(0, 100, 320) == [0, 100]
    region = (609, 0, 929, 1035)
    tiles = pdd.grid_tiles(region, 320)
    assert tiles == [(609, 0, 929, 345), (609, 345, 929, 690), (609, 690, 929, 1035)]
    assert sum(map(_area, tiles)) == _area(region)


def test_split_regions_hand_computed():
    # 1249 px along x: val round(.15*1249/320)=1 tile, test round(.2*1249/320)=1 tile.
    assert pdd.split_regions(1249, 1035, 320, 0.15, 0.2) == {
        'train': (0, 0, 609, 1035), 'val': (609, 0, 929, 1035), 'test': (929, 0, 1249, 1035)}
    # 2472 px along y (the longer side): val 1 tile, test round(1.545)=2 tiles.
    assert pdd.split_regions(2299, 2472, 320, 0.15, 0.2) == {
        'train': (0, 0, 2299, 1512), 'val': (0, 1512, 2299, 1832),
        'test': (0, 1832, 2299, 2472)}
    assert pdd.split_regions(400, 400, 320, 0.15, 0.2) == {'train': (0, 0, 400, 400)}


def test_boxes_in_tile_clips_keeps_half_visible_and_drops_degenerate():
    boxes = np.array([[110, 110, 130, 140],   # inside
                      [90, 120, 110, 140],    # 50% inside: kept, clipped
                      [88, 150, 108, 160],    # 40% inside: dropped
                      [300, 300, 310, 310],   # outside
                      [150, 150, 150, 160],   # zero width
                      [199.5, 100, 230, 130]],  # 0.5 px sliver inside: dropped (< 1 px)
                     np.float32)
    out, idx = pdd.boxes_in_tile(boxes, (100, 100, 200, 200), min_visible=0.5)
    np.testing.assert_array_equal(idx, [0, 1])
    np.testing.assert_allclose(out, [[10, 10, 30, 40], [0, 20, 10, 40]])
    _, idx = pdd.boxes_in_tile(boxes, (100, 100, 200, 200), min_visible=0.3)
    np.testing.assert_array_equal(idx, [0, 1, 2])


def test_real_fixture_tiles_are_spatially_disjoint_and_boxes_clipped(data_dir):
    sources = _fixture_sources(data_dir)
    assert [len(s.boxes) for s in sources] == [61, 37]
    extra = pdd.Source('extra.png', np.zeros((150, 230, 3), np.uint8))
    tiles, regions = pdd.plan_tiles(sources + [extra], 100, 0.15, 0.2)
    # 400 px at tile 100: train 200 px, val 100 px, test 100 px strips along x.
    assert regions['OSBS_029.jpg'] == {'train': (0, 0, 200, 400), 'val': (200, 0, 300, 400),
                                       'test': (300, 0, 400, 400)}
    assert regions['extra.png'] == {'unlabeled': (0, 0, 230, 150)}
    for src in sources:
        mine = [t for t in tiles if t.source == src.name]
        held_out = [t for t in mine if t.split in ('val', 'test')]
        seen = [t for t in mine if t.split == 'train' or t.unlabeled]
        assert held_out and seen
        assert not any(t.unlabeled for t in held_out)
        for a, b in itertools.product(held_out, seen):
            assert not pdd.boxes_overlap(a.box, b.box), (a, b)
        for a, b in itertools.combinations(mine, 2):
            assert not pdd.boxes_overlap(a.box, b.box)
        for split, region in regions[src.name].items():
            in_split = [t.box for t in mine if t.split == split]
            assert all(region[0] <= b[0] and region[1] <= b[1] and b[2] <= region[2]
                       and b[3] <= region[3] for b in in_split)
            assert sum(map(_area, in_split)) == _area(region)
        for t in mine:
            out, idx = pdd.boxes_in_tile(src.boxes, t.box)
            w, h = t.box[2] - t.box[0], t.box[3] - t.box[1]
            assert (out >= 0).all() and (out[:, 0::2] <= w).all() and (out[:, 1::2] <= h).all()
            # Plain-Python reference: kept iff >= 50% of the box area lies in the tile.
            expected = []
            for i, (x1, y1, x2, y2) in enumerate(src.boxes.tolist()):
                iw = min(x2, t.box[2]) - max(x1, t.box[0])
                ih = min(y2, t.box[3]) - max(y1, t.box[1])
                if iw >= 1 and ih >= 1 and iw * ih >= 0.5 * (x2 - x1) * (y2 - y1):
                    expected.append(i)
                    k = list(idx).index(i)
                    np.testing.assert_allclose(out[k], [max(x1, t.box[0]) - t.box[0],
                                                        max(y1, t.box[1]) - t.box[1],
                                                        min(x2, t.box[2]) - t.box[0],
                                                        min(y2, t.box[3]) - t.box[1]])
            assert list(idx) == expected
    assert [t.split for t in tiles if t.source == 'extra.png'] == [None] * 4
    assert all(t.unlabeled for t in tiles if t.source == 'extra.png')


def _fake_wheel(tmp_path, data_dir):
    """A wheel-shaped zip holding the fixture images under every name the tool reads."""
    path = tmp_path / 'fake.whl'
    osbs = (data_dir / 'images' / 'OSBS_029.jpg').read_bytes()
    xml = (data_dir / 'annotations' / 'OSBS_029.xml').read_bytes()
    with zipfile.ZipFile(path, 'w') as zf:
        for name in pdd.LABELLED + pdd.UNLABELLED:
            zf.writestr(pdd.WHEEL_DATA + name, osbs)
        for name in pdd.LABELLED:
            zf.writestr(pdd.WHEEL_DATA + Path(name).stem + '.xml', xml)
        zf.writestr(pdd.WHEEL_LICENSE, 'MIT License\n\nCopyright (c) 2019, Ben Weinstein\n')
    return path


def test_build_writes_coco_splits_and_never_leaks_held_out_tiles(tmp_path, data_dir):
    out = tmp_path / 'demo'
    info = pdd.build_demo(_fake_wheel(tmp_path, data_dir), out, tile=100, progress=False)
    # 4 labelled 400x400 images: each train 2x4, val 1x4, test 1x4 tiles of 100 px.
    assert {k: v['tiles'] for k, v in info['counts'].items()} == \
        dict(train=32, val=16, test=16, unlabeled=32 + 2 * 16)
    unlabeled = {p.name for p in (out / 'unlabeled').iterdir()}
    for split in pdd.SPLITS:
        coco = COCO(str(out / 'annotations' / f'{split}.json'))
        files = {p.name for p in (out / 'images' / split).iterdir()}
        assert {img['file_name'] for img in coco.dataset['images']} == files
        assert len(coco.getAnnIds()) == info['counts'][split]['boxes'] > 0
        assert coco.loadCats(coco.getCatIds()) == [dict(id=1, name='tree', supercategory='tree')]
        for img in coco.dataset['images']:
            assert cv2.imread(str(out / 'images' / split / img['file_name'])).shape == \
                (img['height'], img['width'], 3)
            for ann in coco.loadAnns(coco.getAnnIds(imgIds=img['id'])):
                x, y, w, h = ann['bbox']
                assert ann['iscrowd'] == 0 and ann['area'] == pytest.approx(w * h, abs=0.02)
                assert 0 <= x and 0 <= y and x + w <= img['width'] and y + h <= img['height']
        if split != 'train':
            assert not files & unlabeled
            # Held-out tiles come from the far-end strips only (x >= 200 in every image).
            assert all(img['tile'][0] >= 200 for img in coco.dataset['images'])
    assert {p.name for p in (out / 'images' / 'train').iterdir()} <= unlabeled
    split_info = json.loads((out / 'split_info.json').read_text())
    assert split_info['sources']['OSBS_029.png']['regions']['test'] == [300, 0, 400, 400]
    assert 'Ben Weinstein' in (out / 'LICENSE-deepforest.txt').read_text()


def test_main_is_idempotent_and_rebuilds_on_new_params(tmp_path, data_dir, monkeypatch,
                                                       capsys):
    wheel = _fake_wheel(tmp_path, data_dir)
    monkeypatch.setattr(pdd, 'WHEEL_SHA256', pdd.sha256_file(wheel))
    args = ['--wheel', str(wheel), '--out', str(tmp_path / 'demo'), '--tile', '200']
    assert pdd.main(args) == 0
    assert 'wrote' in capsys.readouterr().out
    stamp = (tmp_path / 'demo' / 'annotations' / 'val.json').stat().st_mtime_ns
    assert pdd.main(args) == 0
    assert 'up to date' in capsys.readouterr().out
    assert (tmp_path / 'demo' / 'annotations' / 'val.json').stat().st_mtime_ns == stamp
    (tmp_path / 'demo' / 'unlabeled' / 'stale.jpg').write_bytes(b'x')
    assert pdd.main(args[:-1] + ['100']) == 0
    assert not (tmp_path / 'demo' / 'unlabeled' / 'stale.jpg').exists()
    assert json.loads((tmp_path / 'demo' / pdd.MARKER).read_text())['params']['tile'] == 100


def test_no_wheel_without_network_says_how_to_provide_it(tmp_path, capsys, monkeypatch):
    cache = tmp_path / 'cache'
    assert pdd.main(['--out', str(tmp_path / 'demo'), '--cache-dir', str(cache),
                     '--no-download']) == 2
    err = capsys.readouterr().err
    assert '--wheel' in err and str(cache / pdd.WHEEL_NAME) in err and pdd.WHEEL_SHA256 in err
    # A failed download (no network) gives the same advice plus pip's last lines.
    monkeypatch.setattr(pdd, '_pip_download', lambda d: (False, 'ERROR: No matching dist'))
    assert pdd.main(['--out', str(tmp_path / 'demo'), '--cache-dir', str(cache)]) == 2
    err = capsys.readouterr().err
    assert 'pip download failed' in err and 'No matching dist' in err and '--wheel' in err
    assert not (tmp_path / 'demo').exists()


def test_wrong_wheel_is_rejected_by_sha256(tmp_path, capsys):
    bad = tmp_path / pdd.WHEEL_NAME
    bad.write_bytes(b'not the wheel')
    assert pdd.main(['--wheel', str(bad), '--out', str(tmp_path / 'demo')]) == 2
    assert 'expected ' + pdd.WHEEL_SHA256 in capsys.readouterr().err
    cache = tmp_path / 'cache'
    cache.mkdir()
    (cache / pdd.WHEEL_NAME).write_bytes(b'stale')
    assert pdd.main(['--cache-dir', str(cache), '--out', str(tmp_path / 'demo')]) == 2
    assert 'delete it and re-run' in capsys.readouterr().err


def test_cli_exit_code_and_cache_env(tmp_path):
    env = {'MMSSL_DET_CACHE': str(tmp_path / 'c'), 'PATH': '/usr/bin:/bin'}
    proc = subprocess.run([sys.executable, str(TOOL), '--no-download', '--out',
                           str(tmp_path / 'demo')], capture_output=True, text=True, env=env)
    assert proc.returncode == 2
    assert str(tmp_path / 'c' / 'downloads' / pdd.WHEEL_NAME) in proc.stderr
