"""Pack the output of :class:`MultiView` into model inputs and a data sample."""
from typing import Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmdet.structures.bbox import HorizontalBoxes
from mmengine.structures import InstanceData

from mmssl_det.registry import TRANSFORMS
from mmssl_det.structures import MultiViewDataSample, shared_box_pairs


@TRANSFORMS.register_module()
class PackMultiViewInputs(BaseTransform):
    """Turn ``MultiView``'s lists into tensors, and pseudo boxes into mmdet's instance form.

    Returns ``dict(inputs=[V tensors (3, H_v, W_v)], data_samples=MultiViewDataSample)``;
    images keep their dtype (uint8 from the mmcv pipeline; ``MultiViewDataPreprocessor``
    normalises) and channel order (BGR). The sample gets ``coords`` ``(V, 4)`` float32 (the
    view boxes) and ``view_shapes``; when the pipeline carried pseudo boxes, per view an
    ``InstanceData`` (``bboxes`` as :class:`HorizontalBoxes`, zero ``labels``, ``ids``) in
    ``pseudo_instances`` and, from the ids, the boxes each view pair shares
    (``shared_boxes``) — so no loss re-matches boxes. See :class:`MultiViewDataSample`.

    Required keys: ``img`` (list), ``view_coords``. Optional: ``view_boxes``,
    ``view_box_ids``, the ``meta_keys``.

    Args:
        meta_keys: keys of ``results`` copied into the sample's metainfo.
    """

    def __init__(self, meta_keys: Sequence[str] = ('img_path', 'ori_shape',
                                                    'img_shape')) -> None:
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        where = results.get('img_path', 'an in-memory image')
        imgs = results.get('img')
        if not isinstance(imgs, (list, tuple)) or 'view_coords' not in results:
            raise ValueError(f'PackMultiViewInputs needs the lists made by MultiView '
                             f"(results['img'] as a list and results['view_coords']) for "
                             f'{where}; put MultiView before it in the pipeline')
        inputs = []
        for v, img in enumerate(imgs):
            if img.ndim != 3 or img.shape[2] != 3:
                raise ValueError(f'PackMultiViewInputs: view {v} of {where} has shape '
                                 f'{img.shape}, expected (H, W, 3); mmcv RandomGrayscale '
                                 f'needs keep_channels=True to keep 3 channels')
            inputs.append(torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1))))
        meta = {k: results[k] for k in self.meta_keys if k in results}
        meta['view_shapes'] = [tuple(img.shape[:2]) for img in imgs]
        sample = MultiViewDataSample(metainfo=meta)
        sample.coords = torch.from_numpy(
            np.stack(results['view_coords']).astype(np.float32).reshape(-1, 4))
        if 'view_boxes' in results:
            instances = []
            for boxes, ids in zip(results['view_boxes'], results['view_box_ids']):
                ids = torch.from_numpy(np.asarray(ids, dtype=np.int64).reshape(-1))
                instances.append(InstanceData(
                    bboxes=HorizontalBoxes(np.asarray(boxes, np.float32).reshape(-1, 4)),
                    labels=torch.zeros_like(ids), ids=ids))
            sample.pseudo_instances = instances
            sample.shared_boxes = shared_box_pairs([inst.ids for inst in instances])
        return dict(inputs=inputs, data_samples=sample)

    def __repr__(self) -> str:
        return f'{type(self).__name__}(meta_keys={self.meta_keys})'
