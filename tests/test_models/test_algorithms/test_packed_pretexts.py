"""The RPN / RoI pretexts on the packed batch (InstanceData per view, stacked coords, batch
shapes) compute what the former per-loss path computed: DetDataSamples built from the raw
boxes and mmdet's ``RPNHead.loss``, boxes matched by id inside the loss."""
import numpy as np
import pytest
import torch
from mmdet.structures import DetDataSample
from mmengine.structures import InstanceData

from mmssl_det.datasets.transforms import PackMultiViewInputs
from mmssl_det.models.pretexts import PretextBatch

BOXES = [[[4., 4., 30., 30.], [20., 10., 60., 50.], [1., 1., 12., 14.], [30., 30., 62., 62.]],
         [[8., 2., 40., 33.], [2., 40., 20., 63.]]]


def _batch(model, data):
    """The PretextBatch the pretrainer hands its pretexts (online + target features)."""
    online, target = model.encode_views(data['inputs'])
    parts = dict(rpn_head=model.rpn_head, roi_head=model.roi_head)
    return PretextBatch(data['inputs'], data['data_samples'], online, target, parts)


def _old_rpn_loss(rpn_head, batch, raw_boxes):
    """Former RPNPretext.loss: per view, DetDataSamples made from the raw boxes (img_shape
    = pad_shape = batch_input_shape = the view tensor's size), mmdet's RPNHead.loss."""
    totals = {}
    for v, (feats, img) in enumerate(zip(batch.online, batch.inputs)):
        shape = tuple(img.shape[-2:])
        samples = []
        for boxes in raw_boxes:
            s = DetDataSample(metainfo=dict(img_shape=shape, pad_shape=shape,
                                            batch_input_shape=shape))
            b = torch.tensor(boxes, dtype=torch.float32).reshape(-1, 4) + 2 * v
            s.gt_instances = InstanceData(bboxes=b, labels=torch.zeros(len(b),
                                                                       dtype=torch.long))
            samples.append(s)
        for name, value in rpn_head.loss(feats, samples).items():
            totals[name] = totals.get(name, 0) + sum(value) / len(batch.online)
    return totals


def test_rpn_pretext_loss_equals_the_former_det_data_sample_path(tiny_cfg, build_model,
                                                                  batch_of):
    torch.manual_seed(0)
    model = build_model(tiny_cfg('configs/rpn_pretext_r50_fpn.py'))
    data = model.data_preprocessor(batch_of(boxes=BOXES), True)
    with torch.no_grad():
        batch = _batch(model, data)
        torch.manual_seed(1)  # the RPN's RandomSampler draws anchors
        new = model.pretexts.rpn.loss(batch)
        torch.manual_seed(1)
        old = _old_rpn_loss(model.rpn_head, batch, BOXES)
    assert new['cls'] > 0 and new['bbox'] > 0  # positives exist: the regression is tested
    torch.testing.assert_close(new['cls'], old['loss_rpn_cls'], rtol=0, atol=0)
    torch.testing.assert_close(new['bbox'], old['loss_rpn_bbox'], rtol=0, atol=0)


def test_rpn_pretext_reads_each_views_own_shape_under_padding(tiny_cfg, build_model):
    """Views of different sizes in one batch: mmdet's anchor validity follows each image's
    img_shape inside the padded batch (what DetDataPreprocessor gives a detector)."""
    rng = np.random.RandomState(0)
    samples, views = [], [[], []]
    for h in (64, 48):
        imgs = [rng.randint(0, 256, (h, 64, 3)).astype(np.uint8) for _ in range(2)]
        packed = PackMultiViewInputs()(dict(
            img=imgs, view_coords=[np.array([0, 0, 1, 1], np.float32)] * 2,
            view_boxes=[np.array([[4, 4, 30, 30]], np.float32)] * 2,
            view_box_ids=[np.arange(1)] * 2))
        samples.append(packed['data_samples'])
        for v in (0, 1):
            views[v].append(packed['inputs'][v])
    model = build_model(tiny_cfg('configs/rpn_pretext_r50_fpn.py'))
    data = model.data_preprocessor(dict(inputs=views, data_samples=samples), True)
    batch = _batch(model, data)
    assert batch.img_metas(1) == [
        dict(img_shape=(64, 64), pad_shape=(64, 64), batch_input_shape=(64, 64)),
        dict(img_shape=(48, 64), pad_shape=(64, 64), batch_input_shape=(64, 64))]
    assert all(torch.isfinite(v) for v in model.pretexts.rpn.loss(batch).values())


@pytest.mark.parametrize('k', [None, 2])
def test_roi_pretext_boxes_are_the_id_matches_of_the_former_loss(k, tiny_cfg, build_model):
    """Pairs packed from the ids give the boxes (and, subsampled, the random draws) that
    the former in-loss id matching gave."""
    rng = np.random.RandomState(0)
    samples, views = [], [[], []]
    for ids in (([3, 0, 2, 1], [1, 3, 2]), ([5, 6], [6, 5, 9])):
        packed = PackMultiViewInputs()(dict(
            img=[rng.randint(0, 256, (64, 64, 3)).astype(np.uint8) for _ in range(2)],
            view_coords=[np.array([0, 0, 1, 1], np.float32)] * 2,
            view_boxes=[rng.uniform(0, 64, (len(i), 4)).astype(np.float32) for i in ids],
            view_box_ids=[np.array(i) for i in ids]))
        samples.append(packed['data_samples'])
        for v in (0, 1):
            views[v].append(packed['inputs'][v])
    model = build_model(tiny_cfg('configs/pixpro_fpn_rpn.py', roi_boxes_per_image=k))
    data = model.data_preprocessor(dict(inputs=views, data_samples=samples), True)
    batch = PretextBatch(data['inputs'], data['data_samples'], [], [], {})
    torch.manual_seed(5)
    new = model.pretexts.roi._shared_boxes(batch)
    torch.manual_seed(5)
    for n, s in enumerate(batch.data_samples):  # the former loss, on the same tensors
        ids = [s.pseudo_instances[v].ids for v in (0, 1)]
        i0, i1 = (ids[0][:, None] == ids[1][None, :]).nonzero(as_tuple=True)
        if k is not None and len(i0) > k:
            pick = torch.randperm(len(i0), device=i0.device)[:k]
            i0, i1 = i0[pick], i1[pick]
        for v, idx in ((0, i0), (1, i1)):
            torch.testing.assert_close(new[v][n], s.pseudo_instances[v].bboxes.tensor[idx])
    assert [len(b) for b in new[0]] == ([3, 2] if k is None else [2, 2])
