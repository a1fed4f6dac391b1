"""Per-sample random streams: augmentation that replays exactly.

mmengine seeds numpy/``random`` once per dataloader worker, so which crop an image gets
depends on the worker count, on ``persistent_workers`` and on everything the worker drew
before — none of which a checkpoint holds; resuming a run therefore changes every later
augmentation. Here every view of every sample draws from its own stream, seeded by
``(run seed, epoch, sample index, view)``:

- :class:`SeededSampler` (a ``DefaultSampler``) runs in the main process and yields
  :class:`SampleKey` ``(index, epoch, seed)`` instead of a bare index; the epoch is the one
  mmengine sets through ``DistSamplerSeedHook`` and restores on resume.
- the dataset (:class:`SeededSampleMixin`) passes the key down the pipeline as
  ``results['sample_key']``;
- ``MultiView`` runs view ``v``'s pipeline inside :func:`random_stream` ``(seed, epoch,
  index, v)``, which seeds numpy's and Python's global generators for the duration of that
  view and restores them afterwards — so mmcv's and mmdet's transforms (which draw from the
  global generators) replay as exactly as ours.

Then a batch does not depend on the number of workers or their persistence, two epochs
draw different augmentations of an image, and a run resumed at an epoch boundary sees the
very crops the uninterrupted run saw.
"""
import logging
import random
from contextlib import contextmanager
from typing import Iterator, NamedTuple, Optional

import numpy as np
from mmengine.dataset import DefaultSampler
from mmengine.logging import print_log

from mmssl_det.registry import DATA_SAMPLERS

_UINT64 = 1 << 64


class SampleKey(NamedTuple):
    """What a sample's randomness is seeded by (besides the view index)."""
    index: int
    epoch: int
    seed: int


@contextmanager
def random_stream(*keys: int) -> Iterator[None]:
    """Seed numpy's and Python's global generators from ``keys`` for the block, then put
    their previous states back.

    The seed words come from ``np.random.SeedSequence(keys)``, so nearby keys (epoch 1 vs
    2, index 7 vs 8) give independent streams. Negative keys are taken modulo 2⁶⁴.
    """
    words = np.random.SeedSequence([k % _UINT64 for k in keys]).generate_state(4)
    np_state, py_state = np.random.get_state(), random.getstate()
    np.random.seed(words)
    random.seed(int.from_bytes(words.tobytes(), 'little'))
    try:
        yield
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)


@DATA_SAMPLERS.register_module()
class SeededSampler(DefaultSampler):
    """mmengine's ``DefaultSampler`` (same order, same sharding across ranks) whose items are
    :class:`SampleKey` ``(index, epoch, seed)``, so that a :class:`SeededSampleMixin`
    dataset seeds each sample's augmentation. ``seed`` is the runner's seed (mmengine passes
    it), or a synchronised random one."""

    def __iter__(self) -> Iterator[SampleKey]:  # type: ignore[override]
        for index in super().__iter__():
            yield SampleKey(int(index), int(self.epoch), int(self.seed))


class SeededSampleMixin:
    """For an mmengine ``BaseDataset``: accept :class:`SampleKey` items and hand the key to
    the pipeline as ``results['sample_key']``.

    A sample the pipeline drops (``None``) is replaced by another index drawn from the key's
    own stream, not from the global generator, so even the replacement replays. Plain
    integer indices (e.g. from ``DefaultSampler``) keep mmengine's behaviour, with a
    one-time warning in training that the augmentation will not replay.
    """

    _warned_unseeded = False

    def __getitem__(self, idx):
        if not isinstance(idx, SampleKey):
            if not self.test_mode and not SeededSampleMixin._warned_unseeded:
                SeededSampleMixin._warned_unseeded = True
                print_log(f'{type(self).__name__}: the sampler gives plain indices, so '
                          f'augmentation draws from the workers\' global generators and '
                          f'will not replay on resume; use sampler=dict(type='
                          f'\'SeededSampler\', shuffle=True)', logger='current',
                          level=logging.WARNING)
            return super().__getitem__(idx)
        if not self._fully_initialized:
            self.full_init()
        key = idx
        for attempt in range(self.max_refetch + 1):
            data = self.prepare_data(key)
            if data is not None:
                return data
            rng = np.random.default_rng([*(k % _UINT64 for k in idx), attempt])
            key = key._replace(index=int(rng.integers(len(self))))
        raise RuntimeError(f'{type(self).__name__}: the pipeline dropped sample {idx.index} '
                           f'and {self.max_refetch} replacements; check the pipeline '
                           f'(a view transform returns None for every image?)')

    def prepare_data(self, idx) -> Optional[dict]:
        if not isinstance(idx, SampleKey):
            return super().prepare_data(idx)
        data_info = self.get_data_info(idx.index)
        data_info['sample_key'] = idx
        return self.pipeline(data_info)
