"""tools/benchmarks/label_efficiency.py without training: label subsets, result keys, equal
pretraining compute, divergence detection, and the table / paired differences / plot made
from hand-written result files."""
import importlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope

REPO = Path(__file__).resolve().parents[2]
BENCHMARKS = REPO / 'tools' / 'benchmarks'


@pytest.fixture(scope='module')
def le():
    # A script's own folder is on sys.path when it runs; give the import the same.
    with pytest.MonkeyPatch.context() as mp:
        mp.syspath_prepend(str(BENCHMARKS))
        return importlib.import_module('label_efficiency')


def fake_tiles(n=43, empty=(9, 23, 30, 37)):
    """Like the demo's train tiles: ids 1..43, four without trees."""
    return [dict(id=i, file_name=f'tile{i}.jpg', boxes=0 if i in empty else 1 + i % 7)
            for i in range(1, n + 1)]


# ---------------------------------------------------------------------------- label subsets
def test_subset_deterministic_nested_and_only_tiles_with_trees(le):
    tiles = fake_tiles()
    budgets = (1, 2, 5, 10, 20, 39, 43)
    for seed in range(5):
        subsets = [le.label_subset(tiles, b, seed) for b in budgets]
        assert subsets == [le.label_subset(tiles, b, seed) for b in budgets]  # deterministic
        for b, sub in zip(budgets, subsets):
            assert len(sub) == len(set(sub)) == b
        for small, large in zip(subsets, subsets[1:]):
            assert set(small) < set(large)  # nested: a larger budget adds tiles
        for b, sub in zip(budgets, subsets):
            if b <= 39:  # the four empty tiles come last (mmdet would drop them)
                assert not set(sub) & {9, 23, 30, 37}
        assert subsets[-1] == list(range(1, 44))  # all tiles
    # the draw depends on the seed, and on nothing but the tiles, the budget and the seed
    assert len({tuple(le.label_subset(tiles, 5, s)) for s in range(10)}) > 5
    assert le.label_subset(list(reversed(tiles)), 5, 3) == le.label_subset(tiles, 5, 3)


@pytest.mark.parametrize('budget', [0, 44])
def test_subset_budget_out_of_range(le, budget):
    with pytest.raises(ValueError, match='label budget'):
        le.label_subset(fake_tiles(), budget, 0)


def test_subset_file_holds_exactly_the_subset(le, tmp_path):
    if not (REPO / le.TRAIN_ANN).exists():
        pytest.skip('demo data not prepared (python tools/prepare_demo_data.py)')
    tiles = le.train_tiles()
    ids = le.label_subset(tiles, 5, 1)
    coco = json.loads(le.write_subset(ids, tmp_path / 'sub.json').read_text())
    assert sorted(im['id'] for im in coco['images']) == ids
    assert {a['image_id'] for a in coco['annotations']} <= set(ids)
    assert len(coco['annotations']) == sum(t['boxes'] for t in tiles if t['id'] in ids)


# ------------------------------------------------------------------- keys and compute
def test_paired_subset_and_keys_change_with_options(le, monkeypatch):
    tiles = fake_tiles()
    base = dict(key='c', budget=5, seed=0, iters=200, split='test')
    stem, options = le.plan_run(tiles=tiles, **base)
    assert le.plan_run(tiles=tiles, **base)[0] == stem  # stable
    assert stem.startswith('c-pixpro_n05_seed0_i200_test_')
    # paired: every arm fine-tunes on the same tiles at a given (budget, seed)
    for arm in le.ARMS:
        assert le.plan_run(tiles=tiles, **dict(base, key=arm))[1]['subset'] == options['subset']
    variants = [dict(key='d'), dict(budget=10), dict(seed=1), dict(iters=100),
                dict(split='val')]
    stems = {le.plan_run(tiles=tiles, **dict(base, **v))[0] for v in variants}
    assert len(stems) == len(variants) and stem not in stems
    # same readable name, other hash: the subset drawn (other train tiles) ...
    other_tiles = fake_tiles(empty=(1, 2, 3, 4))
    assert le.plan_run(tiles=other_tiles, **base)[0] != stem
    # ... or a resolved config that changed
    original = le._resolved
    monkeypatch.setattr(le, '_resolved',
                        lambda c: original(c) + ('# changed' if c == le.DETECTOR else ''))
    changed = le.plan_run(tiles=tiles, **base)[0]
    assert changed != stem and changed.rsplit('_', 1)[0] == stem.rsplit('_', 1)[0]


def test_every_pretrained_arm_gets_the_same_compute(le):
    computes = {}
    for key, arm in le.ARMS.items():
        if not arm.stages:
            continue
        stages = [le.stage_compute(c, e, images=53) for c, e in arm.stages]
        computes[key] = (sum(s['steps'] for s in stages), {s['batch'] for s in stages})
        for config, epochs in arm.stages:  # the override really sets the schedule's length
            cfg = Config.fromfile(str(REPO / config))
            cfg.merge_from_dict(dict(o.split('=', 1) for o in le.schedule_options(config,
                                                                                 epochs)))
            assert int(cfg.train_cfg.max_epochs) == epochs
            assert int(cfg.param_scheduler[1].end) == epochs
            assert int(cfg.param_scheduler[1].T_max) == epochs - 1
    assert set(computes) == {'b', 'c', 'd', 'e'}
    assert all(v == (96, {8}) for v in computes.values()), computes
    assert [e for _, e in le.ARMS['e'].stages] == [8, 8]


def test_byol_demo_config_fits_the_detector(le):
    """(b)'s network is the detector's backbone + FPN, so its export loads whole."""
    from mmssl_det.export import build_detector
    from mmssl_det.registry import MODELS
    cfg = Config.fromfile(str(REPO / le.ARMS['b'].stages[0][0]))
    with DefaultScope.overwrite_default_scope('mmssl_det'):
        model = MODELS.build(cfg.model)
    assert type(model).__name__ == 'BYOL'
    detector = build_detector(le.DETECTOR)
    for part in ('backbone', 'neck'):
        ours = {k: v.shape for k, v in getattr(model, part).state_dict().items()}
        theirs = {k: v.shape for k, v in getattr(detector, part).state_dict().items()}
        assert ours == theirs


# ------------------------------------------------------------------------- divergence
def test_divergence_from_stderr(le):
    err = subprocess.CalledProcessError(1, ['train'], stderr='...\nFloatingPointError: '
                                        'training diverged at iteration 40 (epoch 7): '
                                        'loss_rpn_bbox=nan. Lower ...\n')
    assert 'training diverged at iteration 40' in le.divergence(err)
    assert le.divergence(subprocess.CalledProcessError(
        1, ['train'], stderr='KeyError: model\n')) is None


def test_finetune_divergence_from_logs_and_metrics(le, tmp_path):
    log = tmp_path / '20261130_000000' / 'vis_data'
    log.mkdir(parents=True)
    rows = [dict(loss=1.3, loss_cls=0.4, step=20), dict(loss=float('nan'), step=40)]
    (log / 'scalars.json').write_text('\n'.join(json.dumps(r) for r in rows) + '\n')
    assert 'iteration 40' in le._finetune_diverged(tmp_path, {'coco/bbox_mAP': 0.0})
    (log / 'scalars.json').write_text(json.dumps(rows[0]) + '\n')
    assert le._finetune_diverged(tmp_path, {'coco/bbox_mAP': 0.05}) is None
    assert 'no detections' in le._finetune_diverged(tmp_path, {})


@pytest.fixture
def fake_training(le, tmp_path, monkeypatch):
    """pretrain() with a stand-in for tools/train.py + export: records the calls, writes a
    checkpoint whose meta says how many steps ran; ``fail`` makes a stage diverge."""
    unlabelled = tmp_path / 'unlabeled'
    unlabelled.mkdir()
    for i in range(53):
        (unlabelled / f'{i}.jpg').write_bytes(b'')
    monkeypatch.setattr(le, 'UNLABELLED', str(unlabelled))
    monkeypatch.setattr(le, 'ensure_proposals', lambda: None)
    calls, fail = [], {}  # config → its stderr when it fails

    def fake(config, seed, root, init=None, options=()):
        calls.append((config, seed, init, tuple(options)))
        if config in fail:
            raise subprocess.CalledProcessError(1, ['train'], stderr=fail[config])
        work = le.pretrain_work_dir(config, seed, root, options)
        work.mkdir(parents=True)
        epochs = int(options[0].split('=')[1])
        torch.save(dict(meta=dict(iter=6 * epochs)), work / 'last.pth')
        (work / 'last_checkpoint').write_text(str(work / 'last.pth'))
        (work / 'exported.pth').write_bytes(b'')
        return work / 'last.pth', work / 'exported.pth'

    monkeypatch.setattr(le, 'pretrain_and_export', fake)
    return calls, fail


def test_pretrain_records_compute_and_chains_stages(le, tmp_path, fake_training):
    calls, _ = fake_training
    info = le.pretrain('e', le.ARMS['e'], 3, tmp_path / 'work')
    (c1, s1, init1, o1), (c2, s2, init2, o2) = calls
    assert (c1, c2) == ('configs/pixpro_fpn_demo.py', 'configs/rpn_pretext_demo.py')
    assert s1 == s2 == 3 and init1 is None and init2.name == 'last.pth'  # stage 2 on stage 1
    assert 'train_cfg.max_epochs=8' in o1 and 'train_cfg.max_epochs=8' in o2
    assert info['diverged'] is False and info['steps'] == 96 and info['batch'] == 8
    assert [s['steps_run'] for s in info['stages']] == [48, 48]
    assert info['exported'].endswith('exported.pth')
    # one pretraining per arm and seed: a second call (another budget) reuses it
    assert le.pretrain('e', le.ARMS['e'], 3, tmp_path / 'work') == info and len(calls) == 2


def test_diverged_pretraining_is_recorded_not_raised(le, tmp_path, fake_training):
    calls, fail = fake_training
    fail['configs/rpn_pretext_demo.py'] = ('FloatingPointError: training diverged at '
                                           'iteration 7 (epoch 2): loss_rpn_bbox=nan. Lower\n')
    info = le.pretrain('e', le.ARMS['e'], 0, tmp_path / 'work')
    assert info['diverged'].startswith('pretraining rpn_pretext_demo: FloatingPointError: '
                                       'training diverged at iteration 7')
    assert 'exported' not in info
    out = le.run_one('e', 2, 0, 200, 'test', 'stem', [1, 2], info, tmp_path / 'work')
    assert out == dict(metrics=None, diverged=info['diverged'])  # no fine-tuning attempted
    fail['configs/pixpro_fpn_demo.py'] = 'KeyError: model.neck\n'
    with pytest.raises(subprocess.CalledProcessError):  # not a divergence: a bug, raised
        le.pretrain('c', le.ARMS['c'], 0, tmp_path / 'work')


# ------------------------------------------------------------------------- aggregation
def result(arm, budget, seed, ap=None, ap50=None, ar=None, diverged=False):
    metrics = None if diverged else dict(AP=ap, AP50=ap50, AP75=ap / 2, rpn_AR100=ar)
    return dict(arm=arm, budget=budget, seed=seed, metrics=metrics, diverged=diverged)


@pytest.fixture
def hand_made(tmp_path):
    """Result files for (a) and (c) at 2 tiles, seeds 0-2; (c) seed 2 diverged; (d) all
    diverged; written to disk and read back, as the report reads them."""
    rs = [result('a', 2, 0, 0.010, 0.05, 0.10), result('a', 2, 1, 0.020, 0.07, 0.12),
          result('a', 2, 2, 0.030, 0.09, 0.14),
          result('c', 2, 0, 0.040, 0.15, 0.20), result('c', 2, 1, 0.070, 0.17, 0.26),
          result('c', 2, 2, diverged='fine-tuning: non-finite loss'),
          result('d', 2, 0, diverged='pretraining: NaN'),
          result('d', 2, 1, diverged='pretraining: NaN')]
    for i, r in enumerate(rs):
        (tmp_path / f'{i}.json').write_text(json.dumps(r))
    return [json.loads(p.read_text()) for p in sorted(tmp_path.glob('*.json'))]


def test_aggregate_excludes_diverged_runs(le, hand_made):
    cells = le.aggregate(hand_made)
    a, c, d = cells['a', 2], cells['c', 2], cells['d', 2]
    assert a['seeds'] == [0, 1, 2] and a['diverged'] == []
    assert np.allclose(a['values']['AP'], [0.01, 0.02, 0.03])
    assert c['seeds'] == [0, 1, 2] and c['diverged'] == [2]
    assert np.allclose(c['values']['AP'], [0.04, 0.07])  # the diverged seed is not averaged
    assert d['diverged'] == [0, 1] and d['values']['AP'] == []
    assert le.mean_std(c['values']['AP']) == f'0.055 ± {np.std([0.04, 0.07], ddof=1):.3f} (2)'
    assert le.mean_std([]) == '–' and le.mean_std([0.1]) == '0.100 (1)'


def test_paired_differences_skip_pairs_with_a_diverged_run(le, hand_made):
    diffs, seeds, left_out = le.paired(hand_made, 'c', 'a', 2, 'AP')
    assert seeds == [0, 1] and left_out == [2]
    assert np.allclose(diffs, [0.03, 0.05])
    diffs, seeds, left_out = le.paired(hand_made, 'd', 'a', 2, 'rpn_AR100')
    assert diffs == [] and left_out == [0, 1]
    assert le.paired(hand_made, 'c', 'a', 5, 'AP') == ([], [], [])


def test_report_shows_diverged_runs_and_paired_rows(le, hand_made):
    text = le.format_report(hand_made, ['a', 'c', 'd'], [2], [0, 1, 2])
    rows = {line.split(' | ')[0]: line for line in text.splitlines()}
    assert '| (c) PixPro-FPN' in rows
    c_row = rows['| (c) PixPro-FPN']
    assert '0.055 ± 0.021 (2)' in c_row and '| 3/3 | 2 |' in c_row
    d_row = rows['| (d) whole detector, joint']
    assert '| – | – | – | 2/3 | 0, 1 |' in d_row
    assert '| 2 | (c) − (a) | +0.040 ± 0.014 (2) |' in text
    assert 's0 +0.030, s1 +0.050 | 2 |' in text
    assert '- (c) 2 tiles: s0 0.040, s1 0.070, s2 diverged' in text
    assert '(d) − (c)' in text


def test_plot_written(le, hand_made, tmp_path):
    path = tmp_path / 'img' / 'le.png'
    assert le.plot(hand_made, ['a', 'c', 'd'], [2, 5], path, 'test')
    assert path.stat().st_size > 1000
    assert not le.plot([], ['a'], [2], tmp_path / 'none.png', 'empty')


def test_report_only_reads_result_files(le, tmp_path):
    """--report-only: no training, the table from files named by their keys."""
    if not (REPO / le.TRAIN_ANN).exists():
        pytest.skip('demo data not prepared (python tools/prepare_demo_data.py)')
    tiles = le.train_tiles()
    for key, ap in (('a', 0.02), ('c', 0.05)):
        for seed in (0, 1):
            stem, _ = le.plan_run(key, 2, seed, 200, 'test', tiles)
            r = result(key, 2, seed, ap + seed / 100, 0.1, 0.2)
            (tmp_path / f'{stem}.json').write_text(json.dumps(r))
    stale = le.run_stem('c', 2, 0, 200, 'test', '0123456789')
    (tmp_path / f'{stale}.json').write_text(json.dumps(result('c', 2, 0, 0.9, 0.9, 0.9)))
    out = subprocess.run(
        [sys.executable, str(BENCHMARKS / 'label_efficiency.py'), '--report-only', '--arms',
         'a', 'c', '--budgets', '2', '--seeds', '0', '1', '--results', str(tmp_path),
         '--plot', str(tmp_path / 'plot.png')], capture_output=True, text=True, check=True,
        cwd=REPO).stdout
    assert '| (c) PixPro-FPN | 2 | 0.055 ± 0.007 (2)' in out
    assert '| 2 | (c) − (a) | +0.030 ± 0.000 (2)' in out
    assert '1 result files of these runs were made with other configs' in out
    assert (tmp_path / 'plot.png').exists()
