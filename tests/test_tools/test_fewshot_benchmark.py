"""tools/benchmarks/fewshot.py without training: which config each run uses, shortened
schedules, result keys, the mean ± std table from hand-written result files, the resumable
--report-only path and its errors."""
import importlib
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
BENCHMARKS = REPO / 'tools' / 'benchmarks'


@pytest.fixture(scope='module')
def fs():
    with pytest.MonkeyPatch.context() as mp:
        mp.syspath_prepend(str(BENCHMARKS))
        return importlib.import_module('fewshot')


def test_each_setting_names_existing_configs(fs):
    for name, setting in fs.SETTINGS.items():
        for config in setting.base.values():
            assert (REPO / config).is_file(), config
        for k in setting.shots:
            for method in fs.METHODS:
                assert (REPO / fs.finetune_config(setting, method, 'random', k)).is_file()


def test_starts_pick_the_fine_tuning_variant(fs):
    demo = fs.SETTINGS['demo']
    assert fs.finetune_config(demo, 'tfa', 'whole-direct-rpn', 5).endswith(
        'tfa_r18_fpn_demo_5shot-ft_rpn-ft.py')
    with pytest.raises(fs.BenchmarkError, match="no defrcn fine-tuning config"):
        fs.finetune_config(demo, 'defrcn', 'whole-direct-rpn', 5)
    with pytest.raises(fs.BenchmarkError, match=r'this setting has shots \[1, 2, 3, 5, 10\]'):
        fs.finetune_config(fs.SETTINGS['voc1'], 'tfa', 'random', 30)


def test_shortened_schedule_scales_the_step(fs):
    opts = fs.schedule_options('configs/fewshot/voc/tfa_r50_fpn_voc-split1_10shot-ft.py', 400)
    assert 'train_cfg.max_iters=400' in opts and 'param_scheduler.1.end=400' in opts
    assert 'param_scheduler.1.milestones=[360]' in opts  # 36000 of 40000
    assert 'param_scheduler.0.end=10' in opts and 'val_cfg=None' in opts
    assert fs.schedule_options('configs/fewshot/demo/tfa_r18_fpn_demo_2shot-ft.py', None) == \
        ['val_cfg=None', 'val_dataloader=None', 'val_evaluator=None']


def _result(method, start, k, seed, ap):
    return dict(setting='demo', method=method, start=start, shots=k, seed=seed,
                metrics={'coco/bbox_novel_AP': ap, 'coco/bbox_base_AP': 0.5})


def test_table_is_mean_and_sample_std_over_seeds_in_percent(fs):
    results = [_result('tfa', 'random', 2, s, ap) for s, ap in enumerate((0.1, 0.2, 0.3))]
    results += [_result('tfa', 'whole', 2, 0, 0.25), _result('tfa', 'whole', 5, 0, 0.4)]
    table = fs.format_table(results, fs.SETTINGS['demo'], ['tfa'], ['random', 'whole'],
                            [2, 5]).splitlines()
    assert table[0].startswith('novel AP (%)')
    assert '| tfa | random | 20.0 ± 10.0 (3) | – |' in table
    assert '| tfa | whole | 25.0 (1) | 40.0 (1) |' in table


def test_keys_follow_the_options(fs):
    [(stem, options)] = fs.plan('demo', ['tfa'], ['random'], [2], [0], {}, None, None)
    assert stem.startswith('tfa_random_2shot_seed0_') and options['pretrain'] is None
    assert fs.plan('demo', ['tfa'], ['random'], [2], [0], {}, None, None)[0][0] == stem
    assert fs.plan('demo', ['tfa'], ['random'], [2], [0], {}, None, 50)[0][0] != stem
    [(_, whole)] = fs.plan('demo', ['tfa'], ['whole'], [2], [0], {}, None, None)
    assert whole['pretrain'] == ('configs/pixpro_fpn_demo.py', 'configs/rpn_pretext_demo.py')
    [(_, given)] = fs.plan('demo', ['tfa'], ['whole'], [2], [0], {'whole': 'w.pth'}, None,
                           None)
    assert (given['export'], given['pretrain']) == ('w.pth', None)


def test_report_only_reads_result_files_and_counts_missing_runs(fs, tmp_path):
    stems = [s for s, _ in fs.plan('demo', ['tfa'], ['random'], [2], [0, 1], {}, None, None)]
    (tmp_path / 'demo').mkdir()
    (tmp_path / 'demo' / f'{stems[0]}.json').write_text(
        json.dumps(_result('tfa', 'random', 2, 0, 0.123)))
    proc = subprocess.run(
        [sys.executable, 'tools/benchmarks/fewshot.py', '--setting', 'demo', '--starts',
         'random', '--shots', '2', '--seeds', '0', '1', '--report-only', '--results',
         str(tmp_path)], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert '1 runs without a result file yet' in proc.stdout
    assert '| tfa | random | 12.3 (1) |' in proc.stdout


def test_unknown_export_name_is_an_error():
    proc = subprocess.run([sys.executable, 'tools/benchmarks/fewshot.py', '--export',
                           'byol=x.pth', '--report-only'], cwd=REPO, capture_output=True,
                          text=True)
    assert proc.returncode != 0
    assert "error: --export ['byol']: only pixpro=PATH and whole=PATH" in proc.stderr


def test_every_start_skips_the_pairs_a_method_lacks(fs):
    """whole-direct-rpn has a TFA config only: named explicitly with DeFRCN it is refused, in
    the default 'every start' plan it is skipped for DeFRCN and kept for TFA."""
    with pytest.raises(fs.BenchmarkError, match='whole-direct-rpn'):
        fs.plan('demo', ['defrcn'], ['whole-direct-rpn'], [2], [0], {}, None, None)
    runs = fs.plan('demo', ['tfa', 'defrcn'], ['random', 'whole-direct-rpn'], [2], [0], {},
                   None, None, skip_missing=True)
    assert sorted((o['method'], o['start']) for _, o in runs) == [
        ('defrcn', 'random'), ('tfa', 'random'), ('tfa', 'whole-direct-rpn')]


def test_a_diverged_run_is_counted_not_averaged(fs):
    runs = [dict(metrics={'m': 0.1}), dict(metrics={'m': 0.3}),
            dict(metrics={}, diverged='training diverged at iteration 7')]
    assert fs.cell(runs, 'm') == f'20.0 ± {100 * np.std([0.1, 0.3], ddof=1):.1f} (2) [1 diverged]'
