"""Per-sample random streams: the same augmentation whatever the workers, new ones each epoch."""
import random
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmengine.runner import Runner

from mmssl_det.datasets import ImageFolderDataset, SampleKey, SeededSampler, random_stream

REPO = Path(__file__).resolve().parents[2]


def test_random_stream_is_keyed_and_restores_the_global_state():
    np.random.seed(5)
    random.seed(5)
    with random_stream(0, 1, 7, 0):
        a = (np.random.rand(3), random.random())
    after = (np.random.rand(), random.random())
    np.random.seed(5)
    random.seed(5)
    assert after == (np.random.rand(), random.random())  # untouched by the block
    with random_stream(0, 1, 7, 0):
        again = (np.random.rand(3), random.random())
    np.testing.assert_array_equal(a[0], again[0])
    assert a[1] == again[1]
    for other in ((0, 2, 7, 0), (0, 1, 8, 0), (0, 1, 7, 1), (1, 1, 7, 0), (-1, 1, 7, 0)):
        with random_stream(*other):
            assert not np.array_equal(np.random.rand(3), a[0]), other


def test_seeded_sampler_keeps_default_order_and_tags_epoch_and_seed():
    dataset = list(range(10))
    sampler = SeededSampler(dataset, shuffle=True, seed=3)
    sampler.set_epoch(4)
    keys = list(sampler)
    assert all(isinstance(k, SampleKey) and k.epoch == 4 and k.seed == 3 for k in keys)
    assert sorted(k.index for k in keys) == list(range(10))
    from mmengine.dataset import DefaultSampler
    plain = DefaultSampler(dataset, shuffle=True, seed=3)
    plain.set_epoch(4)
    assert [k.index for k in keys] == list(plain)


def _loader_cfg(num_workers: int, persistent: bool) -> dict:
    cfg = Config.fromfile(str(REPO / 'configs/pixpro_fpn_demo.py')).train_dataloader
    cfg.dataset.data_root = str(REPO / 'tests/data/')
    cfg.dataset.data_prefix = dict(img='images/')
    for view in cfg.dataset.pipeline[1].transforms:
        view[0].size = 48
    cfg.update(batch_size=2, num_workers=num_workers, persistent_workers=persistent)
    return cfg.to_dict()


def _epochs(num_workers: int, persistent: bool, n: int = 2) -> list:
    """Per epoch: {img_path: (views, coords)} of every sample the loader gives."""
    with DefaultScope.overwrite_default_scope('mmssl_det'):
        loader = Runner.build_dataloader(_loader_cfg(num_workers, persistent), seed=0)
    out = []
    for epoch in range(n):
        loader.sampler.set_epoch(epoch)
        seen = {}
        for batch in loader:
            for v0, v1, sample in zip(*batch['inputs'], batch['data_samples']):
                seen[sample.img_path] = ((v0, v1), sample.coords)
        out.append(seen)
    return out


def test_batches_identical_with_0_2_and_2_persistent_workers_and_new_each_epoch():
    runs = [_epochs(0, False), _epochs(2, False), _epochs(2, True)]
    reference = runs[0]
    for run in runs[1:]:
        for epoch, seen in enumerate(run):
            assert seen.keys() == reference[epoch].keys()
            for path, ((v0, v1), coords) in seen.items():
                (r0, r1), rcoords = reference[epoch][path]
                assert torch.equal(v0, r0) and torch.equal(v1, r1), (epoch, path)
                assert torch.equal(coords, rcoords)
    # Two epochs draw different augmentations of the same image; the two views differ.
    for path, (_, coords) in reference[0].items():
        assert not torch.equal(coords, reference[1][path][1]), path
        assert not torch.equal(coords[0], coords[1])


def test_dropped_sample_is_replaced_from_the_keys_stream(tmp_path):
    for name in ('a', 'b', 'c'):
        (tmp_path / f'{name}.png').write_bytes((REPO / 'tests/data/images/OSBS_029.jpg')
                                               .read_bytes())
    # The pipeline drops 'a': the replacement depends only on the key.
    pipeline = [lambda r: None if r['img_path'].endswith('a.png') else r]
    dataset = ImageFolderDataset(data_root=str(tmp_path), pipeline=pipeline)
    key = SampleKey(index=0, epoch=2, seed=9)
    first = dataset[key]['img_path']
    np.random.seed(0)
    assert dataset[key]['img_path'] == first and not first.endswith('a.png')
    assert dataset[key._replace(index=1)]['sample_key'].index == 1
    with pytest.raises(RuntimeError, match='dropped sample'):
        ImageFolderDataset(data_root=str(tmp_path), pipeline=[lambda r: None])[key]
