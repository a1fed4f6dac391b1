"""tools/benchmarks/proposal_recall.py: recall arithmetic on hand-made boxes, one real run."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location(
    'proposal_recall', REPO / 'tools' / 'benchmarks' / 'proposal_recall.py')
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)

GT = np.array([[0, 0, 10, 10], [20, 20, 30, 30]], dtype=np.float32)
# ten misses first, then an exact hit on GT 0 and a shifted box on GT 1 (IoU 81/119 = 0.681)
PROPOSALS = np.array([[50, 50, 60, 60]] * 10 + [[0, 0, 10, 10], [21, 21, 31, 31]],
                     dtype=np.float32)


def test_recall_stats_counts_only_the_first_n():
    stats = bench.recall_stats(GT, PROPOSALS)
    # columns: R@10, R@50, R@100, R@all, best IoU in the first 100
    np.testing.assert_allclose(stats, [[0, 1, 1, 1, 1.0], [0, 1, 1, 1, 81 / 119]], rtol=1e-5)
    assert bench.recall_stats(GT, np.zeros((0, 4), np.float32)).sum() == 0


def test_average_recall_over_iou_thresholds():
    # GT 1 (IoU 0.681) is found at 0.5, 0.55, 0.6, 0.65 only: (4 * 1 + 6 * 0.5) / 10
    assert bench.average_recall(np.array([1.0, 81 / 119])) == pytest.approx(0.7)


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
