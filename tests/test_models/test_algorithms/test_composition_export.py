"""The composition configs, trained a few iterations and exported into mmdet's Faster R-CNN
R50-FPN (at the tiny test width): configs/mocov2_rpn_fpn.py (MoCo v2 on the pooled C5 + the
RPN pretext on the FPN) and configs/densecl_pixpro_fpn.py (DenseCL + PixPro on one FPN
encoder and one EMA target)."""
import re
import subprocess
import sys
from pathlib import Path

import torch
from mmengine.optim import build_optim_wrapper

from mmssl_det.export import build_detector

REPO = Path(__file__).resolve().parents[3]
BOXES = [[[4., 4., 30., 30.], [20., 10., 60., 50.], [1., 1., 12., 14.]], [[8., 8., 40., 48.]]]
FRCNN = 'mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py'
TINY_FRCNN = {'model.backbone.depth': 18, 'model.backbone.base_channels': 8,
              'model.neck.in_channels': [8, 16, 32, 64], 'model.neck.out_channels': 16,
              'model.rpn_head.in_channels': 16, 'model.rpn_head.feat_channels': 16,
              'model.roi_head.bbox_roi_extractor.out_channels': 16,
              'model.roi_head.bbox_head.in_channels': 16}

TINY_PRETEXTS = dict(
    densecl=dict(queue_size=16, projector=dict(in_channels=16, hid_channels=32, out_channels=8),
                 dense_projector=dict(in_channels=16, hid_channels=32, out_channels=8)),
    pixel=dict(projector=dict(in_channels=16, hid_channels=32, out_channels=16),
               head=dict(ppm=dict(channels=16))))


def _assert_exports(model, tmp_path, parts) -> None:
    """tools/export_detector.py into the tiny Faster R-CNN: the table shows exactly ``parts``
    at 100 %, and every exported tensor is the online pretrained one."""
    ckpt, out = tmp_path / 'pretrain.pth', tmp_path / 'exported.pth'
    torch.save(dict(state_dict=model.state_dict(), meta=dict(epoch=1)), ckpt)
    proc = subprocess.run([sys.executable, 'tools/export_detector.py', str(ckpt), '--config',
                           FRCNN, '--out', str(out), '--cfg-options',
                           *(f'{k}={v}'.replace(' ', '') for k, v in TINY_FRCNN.items())],
                          capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    table = {m.group(1): float(m.group(2))
             for m in re.finditer(r'^(\w+)\s+yes\s+\S+\s+\S+\s+([\d.]+)%', proc.stdout, re.M)}
    assert table == {part: 100.0 for part in parts}, proc.stdout
    exported = torch.load(out)['state_dict']
    assert {k.split('.')[0] for k in exported} == set(parts)
    detector = build_detector(FRCNN, TINY_FRCNN)
    detector.load_state_dict(exported, strict=False)
    det, online = detector.state_dict(), model.state_dict()
    for key in det:
        if key.startswith(tuple(f'{p}.' for p in parts)):
            assert torch.equal(det[key], online[key]), key


def test_mocov2_rpn_fpn_trains_and_exports_backbone_neck_rpn(tmp_path, tiny_cfg, build_model,
                                                             batch_of):
    model = build_model(tiny_cfg('configs/mocov2_rpn_fpn.py', pretexts=dict(moco=dict(
        queue_size=16, projector=dict(in_channels=64, hid_channels=32, out_channels=8)))))
    assert model.pretexts.moco.from_backbone and list(model.pretexts) == ['moco', 'rpn']
    ow = build_optim_wrapper(model, dict(optimizer=dict(type='SGD', lr=0.02, momentum=0.9)))
    seen = []
    hook = model.pretexts.moco.projector.register_forward_hook(
        lambda m, i, o: seen.append(i[0].shape))
    for _ in range(3):
        losses = model.train_step(batch_of(boxes=BOXES), ow)
        assert {'loss_moco', 'loss_rpn_cls', 'loss_rpn_bbox'} <= set(losses)
        assert all(torch.isfinite(v) for v in losses.values()), losses
    hook.remove()
    assert seen[0] == (2, 64, 2, 2)  # C5 of the 64 px views (the FPN has 16 channels)

    _assert_exports(model, tmp_path, ('backbone', 'neck', 'rpn_head'))


def test_densecl_pixpro_fpn_trains_and_exports_backbone_neck(tmp_path, tiny_cfg, build_model,
                                                             batch_of):
    model = build_model(tiny_cfg('configs/densecl_pixpro_fpn.py', pretexts=TINY_PRETEXTS))
    assert list(model.pretexts) == ['densecl', 'pixel']
    assert model.pretexts.densecl.levels == model.pretexts.pixel.levels == (1, 2, 3)
    # one EMA target holding both pretexts' projectors
    assert set(model.target.module['pretexts']) == {'densecl', 'pixel'}
    ow = build_optim_wrapper(model, dict(optimizer=dict(type='SGD', lr=0.02, momentum=0.9)))
    before = model.neck.fpn_convs[3].conv.weight.clone()
    for _ in range(3):
        losses = model.train_step(batch_of(), ow)
        assert {'loss_densecl_global', 'loss_densecl_dense', 'loss_pixel_l1', 'loss_pixel_l2',
                'loss_pixel_l3'} <= set(losses)
        assert all(torch.isfinite(v) for v in losses.values()), losses
    assert not torch.equal(model.neck.fpn_convs[3].conv.weight, before)
    assert model.pretexts.densecl.dense_queue_ptr.tolist() == [6, 6, 6]

    _assert_exports(model, tmp_path, ('backbone', 'neck'))
