"""tools/make_fewshot_split.py and tools/prepare_fewshot_demo.py: their main() under
mmssl_det.cli.run_tool as ``__main__`` runs it (outputs, the one-line errors), and the script
in a subprocess with another hash seed (byte-identical files)."""
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Tuple

from mmssl_det.cli import run_tool
from mmssl_det.datasets import FewShotCocoDataset

REPO = Path(__file__).resolve().parents[2]
SPLIT = REPO / 'tools' / 'make_fewshot_split.py'
DEMO = REPO / 'tools' / 'prepare_fewshot_demo.py'


def _load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


split_tool = _load(SPLIT, 'make_fewshot_split')
demo_tool = _load(DEMO, 'prepare_fewshot_demo')


def _cli(tool, *args, capsys, ok=True) -> Tuple[str, str]:
    """``tool.main`` under ``run_tool`` in-process (as ``__main__`` runs it): stdout, stderr.
    A user error must exit 2 with one ``error:`` line and no traceback."""
    try:
        run_tool(lambda: tool.main([str(a) for a in args]))
        code = 0
    except SystemExit as e:
        code = e.code
    out, err = capsys.readouterr()
    assert code == (0 if ok else 2), out[-2000:] + err[-3000:]
    if not ok:
        assert 'Traceback' not in err
        assert len([ln for ln in err.splitlines() if ln.startswith('error: ')]) == 1, err
    return out, err


def _toy(tmp_path) -> Path:
    """The hand-made set of tests/test_datasets/test_fewshot_sampling.py (cat 6, dog 6 and
    bird 4 countable instances)."""
    mod = _load(REPO / 'tests' / 'test_datasets' / 'test_fewshot_sampling.py', 'fs_toy')
    path = tmp_path / 'toy.json'
    path.write_text(json.dumps(mod.make_coco()))
    return path


def test_custom_split_cli_deterministic_and_loadable(tmp_path, capsys):
    toy = _toy(tmp_path)
    args = [toy, '--novel-classes', 'bird', '--shots', '1', '2', '--seeds', '0', '5']
    out, _ = _cli(split_tool, *args, '--out', tmp_path / 'a', capsys=capsys)
    assert 'sampled 2 seed(s) x K [1, 2] over 2 base + 1 novel classes' in out
    # the script itself, in another process with another hash seed: the same bytes
    proc = subprocess.run([sys.executable, str(SPLIT), *map(str, args), '--out',
                           str(tmp_path / 'b')], cwd=REPO, capture_output=True, text=True,
                          timeout=600, env=dict(os.environ, PYTHONHASHSEED='123',
                                                OMP_NUM_THREADS='1'))
    assert proc.returncode == 0, proc.stderr[-3000:]
    files = sorted(p.relative_to(tmp_path / 'a') for p in (tmp_path / 'a').rglob('*.json'))
    assert [str(f) for f in files] == ['base_train.json', 'manifest.json', 'seed0/1shot.json',
                                       'seed0/2shot.json', 'seed5/1shot.json',
                                       'seed5/2shot.json']
    for f in files:
        assert (tmp_path / 'a' / f).read_bytes() == (tmp_path / 'b' / f).read_bytes(), f
    manifest = json.loads((tmp_path / 'a' / 'manifest.json').read_text())
    split = dict(base=manifest['base_classes'], novel=manifest['novel_classes'])
    assert split == dict(base=['cat', 'dog'], novel=['bird'])
    # the K-shot file trains FewShotCocoDataset: K instances per label, base then novel
    ds = FewShotCocoDataset(split=split, ann_file=str(tmp_path / 'a' / 'seed5' / '2shot.json'),
                            data_prefix=dict(img=''), pipeline=[])
    labels = Counter(i['bbox_label'] for k in range(len(ds)) for i in ds[k]['instances']
                     if not i['ignore_flag'])
    assert labels == {0: 2, 1: 2, 2: 2}
    novel = FewShotCocoDataset(split=split, subset='novel', test_mode=True,
                               ann_file=str(tmp_path / 'a' / 'base_train.json'),
                               data_prefix=dict(img=''), pipeline=[])
    assert sum(len(novel[k]['instances']) for k in range(len(novel))) == 0


def test_too_many_shots_error(tmp_path, capsys):
    _, err = _cli(split_tool, _toy(tmp_path), '--novel-classes', 'bird', '--shots', '5',
                  '--out', tmp_path / 'o', capsys=capsys, ok=False)
    assert "error: class 'bird' has 4 instance(s)" in err and 'at most 4' in err
    assert not (tmp_path / 'o').exists()


def test_unknown_novel_class_error(tmp_path, capsys):
    _, err = _cli(split_tool, _toy(tmp_path), '--novel-classes', 'sofa', '--shots', '1',
                  '--out', tmp_path / 'o', capsys=capsys, ok=False)
    assert "error: --novel-classes ['sofa'] not in" in err
    assert "its classes are ['cat', 'dog', 'bird']" in err


def test_voc_split_on_devkit_missing_classes(tmp_path, capsys):
    devkit = _load(REPO / 'tests' / 'format_fixtures.py', 'format_fixtures').make_vocdevkit(
        tmp_path)
    # the fixture's trees are all 'pottedplant': split 1's other classes have no instance
    _, err = _cli(split_tool, devkit, '--split', 'voc1', '--out', tmp_path / 'o',
                  capsys=capsys, ok=False)
    assert "error: class 'aeroplane' has no instances in" in err


def _demo_src(root: Path) -> Path:
    """A one-class 'tree' demo: small (10x10) and large (50x50) boxes, 7 of each in train."""
    per_image = {1: 'S', 2: 'L', 3: 'SSL', 4: 'LLS', 5: 'S', 6: 'L', 7: 'SS', 8: 'LL'}
    src = root / 'annotations'
    src.mkdir()
    for name, images in (('train', per_image), ('val', {1: 'SL'})):
        anns = [dict(id=0, image_id=i, category_id=1, area=100 if s == 'S' else 2500,
                     bbox=[0, 0, *(2 * [10 if s == 'S' else 50])], iscrowd=0)
                for i, sizes in images.items() for s in sizes]
        for j, a in enumerate(anns):
            a['id'] = j + 1
        (src / f'{name}.json').write_text(json.dumps(dict(
            images=[dict(id=i, file_name=f'{i}.jpg', width=64, height=64) for i in images],
            annotations=anns, categories=[dict(id=1, name='tree')])))
    return src


def test_prepare_fewshot_demo(tmp_path, capsys):
    src = _demo_src(tmp_path)
    _cli(demo_tool, '--src', src, '--out', tmp_path / 'fs', capsys=capsys)
    info = json.loads((tmp_path / 'fs' / 'crowns.json').read_text())
    assert info['threshold'] == 1300  # median of 7 x 100 and 7 x 2500
    assert info['instances'] == {'train': {'large crown': 7, 'small crown': 7},
                                 'val': {'large crown': 1, 'small crown': 1}}
    for seed in (0, 1, 2):
        for k in (2, 5):
            kshot = json.loads((tmp_path / 'fs' / f'seed{seed}' / f'{k}shot.json').read_text())
            assert Counter(a['category_id'] for a in kshot['annotations']) == {1: k, 2: k}
            assert all((a['category_id'] == 1) == (a['area'] == 2500)
                       for a in kshot['annotations'])
    base = json.loads((tmp_path / 'fs' / 'base_train.json').read_text())
    assert {a['category_id'] for a in base['annotations']} == {1}  # large crown only


def test_prepare_fewshot_demo_on_fixture_says_why_it_cannot(tmp_path, coco_trees, capsys):
    src = tmp_path / 'src'
    src.mkdir()
    shutil.copy(coco_trees, src / 'train.json')
    _, err = _cli(demo_tool, '--src', src, '--out', tmp_path / 'fs', capsys=capsys, ok=False)
    assert 'no image left fits exactly 2 shots' in err
