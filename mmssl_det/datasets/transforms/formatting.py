"""Pack the output of :class:`MultiView` into model inputs and a data sample."""
from typing import Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform

from mmssl_det.registry import TRANSFORMS
from mmssl_det.structures import MultiViewDataSample


@TRANSFORMS.register_module()
class PackMultiViewInputs(BaseTransform):
    """Turn ``MultiView``'s lists into tensors.

    Returns ``dict(inputs=[V tensors (3, H_v, W_v)], data_samples=MultiViewDataSample)``;
    images keep their dtype (uint8 from the mmcv pipeline; ``MultiViewDataPreprocessor``
    normalises) and channel order (BGR). The sample gets ``coords`` ``(V, 4)`` float32 and,
    when the pipeline carried pseudo boxes, ``boxes`` (V × ``(K_v, 4)`` float32) and
    ``box_ids`` (V × ``(K_v,)`` int64); its metainfo holds the ``meta_keys`` present in
    ``results``.

    Required keys: ``img`` (list), ``view_coords``. Optional: ``view_boxes``,
    ``view_box_ids``, the ``meta_keys``.

    Args:
        meta_keys: keys of ``results`` copied into the sample's metainfo.
    """

    def __init__(self, meta_keys: Sequence[str] = ('img_path', 'ori_shape', 'img_shape',
                                                    'view_shapes')) -> None:
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
        sample = MultiViewDataSample(
            metainfo={k: results[k] for k in self.meta_keys if k in results})
        sample.coords = torch.from_numpy(
            np.stack(results['view_coords']).astype(np.float32).reshape(-1, 4))
        if 'view_boxes' in results:
            sample.boxes = [torch.from_numpy(np.asarray(b, dtype=np.float32).reshape(-1, 4))
                            for b in results['view_boxes']]
            sample.box_ids = [torch.from_numpy(np.asarray(i, dtype=np.int64).reshape(-1))
                              for i in results['view_box_ids']]
        return dict(inputs=inputs, data_samples=sample)

    def __repr__(self) -> str:
        return f'{type(self).__name__}(meta_keys={self.meta_keys})'
