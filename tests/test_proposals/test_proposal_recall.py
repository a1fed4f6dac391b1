"""tools/benchmarks/proposal_recall.py: options, variants and one real run (the recall
arithmetic itself is mmssl_det.evaluation.proposal_recall, tested in tests/test_evaluation)."""
import importlib.util
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location(
    'proposal_recall', REPO / 'tools' / 'benchmarks' / 'proposal_recall.py')
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)

def test_parse_value():
    assert [bench.parse_value(v) for v in ('none', '0.1,0.5', '3', '0.5', 'fast')] == [
        None, (0.1, 0.5), 3, 0.5, 'fast']


def test_variant_overrides_base_preset():
    variants = bench.build_variants(['soco'], [['tiny', 'rel_size=0.01,0.2', 'topk=none']],
                                    'demo')
    assert variants['soco'] == bench.PRESETS['soco']
    assert variants['tiny'] == dict(bench.PRESETS['demo'], rel_size=(0.01, 0.2), topk=None)
    with pytest.raises(ValueError, match='KEY=VALUE'):
        bench.build_variants([], [['bad', 'topk']], 'demo')


def test_evaluate_on_a_fixture_image():
    pytest.importorskip('skimage', reason='selective search needs scikit-image')
    variants = dict(small=dict(bench.PRESETS['demo'], mode='single', max_side=200),
                    soco=dict(bench.PRESETS['soco'], mode='single', max_side=200))
    rows = bench.evaluate(str(REPO / 'tests/data/coco_trees.json'),
                          str(REPO / 'tests/data/images'), variants, max_images=1)
    assert [r['variant'] for r in rows] == ['small', 'soco']
    for r in rows:
        assert r['images'] == 1 and r['gt'] > 0 and r['img/s'] > 0
        assert 0 <= r['R@10'] <= r['R@50'] <= r['R@100'] <= r['R@all'] <= 1
        assert r['props/img'] <= 100
    assert '| small | 1 |' in bench.format_table('t', rows)
