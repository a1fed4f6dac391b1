"""What the demo benchmarks in this folder share: running the repo's tools, pretraining and
exporting, fine-tuning and testing the demo detector, its RPN's proposals, config fingerprints.

A script here imports it as ``from _common import ...`` (a script's own folder is on
``sys.path``). Every path is repo-relative; the tools run with the repo as working directory.
"""
import collections
import hashlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner import load_checkpoint

import mmssl_det  # noqa: F401
from mmssl_det.evaluation import predict_rpn_proposals
from mmssl_det.export import build_detector, load_exported
from mmssl_det.proposals import PRESETS, SelectiveSearchProposals
from mmssl_det.registry import DATASETS

REPO = Path(__file__).resolve().parents[2]
DETECTOR = 'configs/benchmarks/faster-rcnn_r18_fpn_demo.py'
PROPOSALS = 'data/demo/proposals/unlabeled_demo.json'
SPLITS = ('test', 'val')


def run(cmd: Sequence, stderr_lines: int = 40) -> None:
    """Run ``cmd`` in the repo, streaming its output; on failure the raised
    ``CalledProcessError`` carries the last ``stderr_lines`` lines of stderr (``.stderr``),
    e.g. to tell a diverged training (``FiniteLossHook``) from a bug."""
    cmd = [str(c) for c in cmd]
    print('$', ' '.join(cmd), flush=True)
    proc = subprocess.Popen(cmd, cwd=REPO, stderr=subprocess.PIPE, text=True, errors='replace')
    tail: collections.deque = collections.deque(maxlen=stderr_lines)
    for line in proc.stderr:
        sys.stderr.write(line)
        tail.append(line)
    if proc.wait():
        raise subprocess.CalledProcessError(proc.returncode, cmd, stderr=''.join(tail))


def options_tag(options: Sequence[str], limit: int = 80) -> str:
    """A work-dir suffix naming ``--cfg-options`` overrides ('' for none); long ones end in
    a hash of the whole (file names have a length limit)."""
    tag = '_'.join(re.sub(r'[^\w.,-]+', '-', o.replace('=', '-')) for o in options)
    if len(tag) > limit:
        tag = tag[:limit - 9] + '_' + hashlib.sha1(tag.encode()).hexdigest()[:8]
    return tag


def config_text(configs: Sequence[str]) -> str:
    """The resolved text of ``configs`` (``_base_`` files and ``mmdet::`` bases expanded), so
    that a changed default anywhere below a config changes its fingerprint."""
    return ''.join(Config.fromfile(str(REPO / c)).pretty_text for c in configs)


def config_fingerprint(configs: Sequence[str]) -> str:
    """12 hex digits of the resolved ``configs`` (:func:`config_text`)."""
    return hashlib.sha1(config_text(configs).encode()).hexdigest()[:12]


def last_checkpoint(work: Path) -> Path:
    return Path((Path(work) / 'last_checkpoint').read_text().strip())


def ensure_proposals() -> None:
    """Selective-search boxes of the unlabelled tiles with the current 'demo' preset; a file
    made with other parameters (an older preset) is regenerated, not silently reused."""
    path = REPO / PROPOSALS
    want = json.loads(json.dumps(SelectiveSearchProposals(**PRESETS['demo']).params))
    if path.exists():
        have = json.loads(path.read_text()).get('info', {}).get('params')
        if have == want:
            return
        print(f'{PROPOSALS} was made with {have}, not the current demo preset {want}: '
              f'regenerating it', flush=True)
        path.unlink()
        shutil.rmtree(f'{path}.parts', ignore_errors=True)
    run([sys.executable, 'tools/generate_proposals.py', 'data/demo/unlabeled', PROPOSALS,
         '--preset', 'demo', '--workers', '2'])


def pretrain_work_dir(config: str, seed: int, work_root: Path,
                      options: Sequence[str] = ()) -> Path:
    """Where :func:`pretrain_and_export` trains ``config`` with ``seed`` and ``options``."""
    return work_root / '_'.join(filter(None, [f'{Path(config).stem}_seed{seed}',
                                              options_tag(options)]))


def pretrain_and_export(config: str, seed: int, work_root: Path,
                        init: Optional[Path] = None,
                        options: Sequence[str] = ()) -> Tuple[Path, Path]:
    """Train ``config`` (backbone + FPN from ``init`` if given, ``options`` as
    ``--cfg-options``), export every part it pretrains to :data:`DETECTOR`;
    (checkpoint, exported)."""
    work = pretrain_work_dir(config, seed, work_root, options)
    exported = work / 'exported.pth'
    if not (work / 'last_checkpoint').exists():
        cmd = [sys.executable, 'tools/train.py', config, '--work-dir', work, '--seed', seed]
        if init is not None:
            options = [f'model.backbone.init_cfg.checkpoint={init}',
                       f'model.neck.init_cfg.checkpoint={init}', *options]
        if options:
            cmd += ['--cfg-options', *options]
        run(cmd)
    ckpt = last_checkpoint(work)
    if not exported.exists():
        run([sys.executable, 'tools/export_detector.py', ckpt, '--config', DETECTOR,
             '--out', exported])
    return ckpt, exported


def split_options(split: str) -> List[str]:
    """``--cfg-options`` that make :data:`DETECTOR`'s test dataloader and evaluator read the
    demo's ``split`` ('test' needs none)."""
    if split not in SPLITS:
        raise ValueError(f'split {split!r}: expected one of {SPLITS}')
    if split == 'test':
        return []
    return [f'test_dataloader.dataset.ann_file=annotations/{split}.json',
            f'test_dataloader.dataset.data_prefix.img=images/{split}/',
            f'test_evaluator.ann_file=data/demo/annotations/{split}.json']


def finetune(work: Path, weights: Optional[Path], seed: int,
             options: Sequence[str] = ()) -> Path:
    """Fine-tune :data:`DETECTOR` from ``weights`` (an export; None = mmdet's random init)
    with ``options`` as ``--cfg-options``; skipped when ``work`` holds a finished run.
    Returns the last checkpoint."""
    if not (work / 'last_checkpoint').exists():
        run([sys.executable, 'tools/train.py', DETECTOR, '--work-dir', work, '--seed', seed,
             '--cfg-options', f'load_from={weights}', *options])
    return last_checkpoint(work)


def coco_metrics(work: Path, checkpoint: Path, split: str = 'test') -> Dict[str, float]:
    """COCO bbox metrics of ``checkpoint`` on the demo's ``split`` (tools/test.py; cached in
    ``work/{split}_metrics.json``, ``test_metrics.json`` for the test split). Empty when the
    detector returns no detections (mmdet's CocoMetric then reports nothing)."""
    out = work / f'{split}_metrics.json'
    if not out.exists():
        options = split_options(split)
        run([sys.executable, 'tools/test.py', DETECTOR, checkpoint, '--work-dir',
             work / split, '--out-json', out, *(['--cfg-options', *options] if options else [])])
    return json.loads(out.read_text())


def demo_detector(seed: int, exported: Optional[Path] = None,
                  checkpoint: Optional[Path] = None) -> torch.nn.Module:
    """The demo Faster R-CNN: random init (seeded), then an export and/or a full checkpoint."""
    torch.manual_seed(seed)
    detector = build_detector(DETECTOR)
    detector.init_weights()  # random init; an export then overwrites what it provides
    if exported is not None:
        load_exported(detector, str(exported))
    if checkpoint is not None:
        load_checkpoint(detector, str(checkpoint), map_location='cpu', strict=True)
    return detector.eval()


def rpn_proposals(detector: torch.nn.Module, top: int = 100,
                  split: str = 'test') -> Dict[int, np.ndarray]:
    """Top-``top`` RPN proposals (original-image xyxy + score, best first) per image of the
    demo's ``split`` ('test' or 'val')."""
    cfg = Config.fromfile(str(REPO / DETECTOR))
    dataset_cfg = cfg[f'{split}_dataloader'].dataset
    with DefaultScope.overwrite_default_scope('mmssl_det'):
        dataset = DATASETS.build(dataset_cfg)
    samples = (dataset[i] for i in range(len(dataset)))
    return {s['data_samples'].img_id: predict_rpn_proposals(detector, s, top) for s in samples}


def mean_std(values: Sequence[float], scale: float = 1.0, digits: int = 3,
             signed: bool = False) -> str:
    """``mean ± std (n)`` of ``values`` × ``scale`` (sample std; ``mean (1)`` for one value,
    '–' for none)."""
    if not len(values):
        return '–'
    v = scale * np.asarray(values, dtype=float)
    mean = f'{v.mean():{"+" if signed else ""}.{digits}f}'
    return f'{mean} (1)' if len(v) == 1 else f'{mean} ± {v.std(ddof=1):.{digits}f} ({len(v)})'


def digest(options: dict, texts: Sequence[str], length: int = 10) -> str:
    """Short hash of ``options`` (JSON) and resolved config ``texts``: a result file's key."""
    h = hashlib.sha1(json.dumps(options, sort_keys=True).encode())
    for t in texts:
        h.update(t.encode())
    return h.hexdigest()[:length]


def code_version() -> dict:
    """The git commit and a hash of mmssl_det's sources: result keys hash configs, not code,
    so a result file says which code made it."""
    try:
        commit = subprocess.run(['git', 'rev-parse', 'HEAD'], cwd=REPO, capture_output=True,
                                text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = None
    h = hashlib.sha1()
    for f in sorted((REPO / 'mmssl_det').rglob('*.py')):
        h.update(f.relative_to(REPO).as_posix().encode() + f.read_bytes())
    return dict(git_commit=commit, mmssl_det_sources=h.hexdigest()[:12])


def divergence(error: subprocess.CalledProcessError) -> Optional[str]:
    """The line saying a training diverged (FiniteLossHook; export/load of NaN/inf tensors),
    or None when the failure is something else (a bug: re-raised by the caller)."""
    lines = [line.strip() for line in (error.stderr or '').splitlines()]
    hits = [line for line in lines if re.search(r'diverged|NaN/inf|non-finite', line)]
    return hits[-1][:300] if hits else None
