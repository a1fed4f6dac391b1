from typing import Sequence

import torch
from mmengine.model import ImgDataPreprocessor

from mmssl_det.registry import MODELS
from mmssl_det.structures import MultiViewSampleList
from mmssl_det.structures.multi_view_data_sample import BATCH_SHAPES_KEY


@MODELS.register_module()
class MultiViewDataPreprocessor(ImgDataPreprocessor):
    """Normalise and batch every view of a multi-view sample; stack the view boxes.

    ``PackMultiViewInputs`` yields per sample a list of V ``(3, H_v, W_v)`` tensors;
    after collation ``data['inputs']`` is a list of V lists of N tensors. Views may have
    different sizes (e.g. SoCo's 224 + 112 crops), so each view is stacked on its own by
    mmengine's :class:`ImgDataPreprocessor` (cast, BGR→RGB, mean/std, padding). As mmdet's
    ``DetDataPreprocessor`` does for one image, every sample's metainfo gets the padded
    batch shape of each view (``batch_input_shapes``, read by
    :meth:`MultiViewDataSample.view_meta` for mmdet heads).

    Returns:
        dict: ``inputs`` = list of V tensors ``(N, 3, H_v, W_v)``; ``data_samples`` = a
        :class:`MultiViewSampleList` of the N samples on the device, with ``coords`` the
        ``(N, V, 4)`` float32 view boxes (None when the samples have no ``coords``).
    """

    def forward(self, data: dict, training: bool = False) -> dict:
        views: Sequence[Sequence[torch.Tensor]] = data['inputs']
        if not views or not isinstance(views[0], (list, tuple)):
            raise TypeError('MultiViewDataPreprocessor expects data["inputs"] as a list of '
                            'views, each a list of image tensors; did the pipeline end with '
                            'PackMultiViewInputs after MultiView?')
        inputs = [super(MultiViewDataPreprocessor, self).forward(
            dict(inputs=list(view)), training)['inputs'] for view in views]
        samples = data.get('data_samples')
        if samples is None:
            return dict(inputs=inputs, data_samples=None)
        samples = self.cast_data(list(samples))
        batch_shapes = [tuple(view.shape[-2:]) for view in inputs]
        for sample in samples:
            sample.set_metainfo({BATCH_SHAPES_KEY: batch_shapes})
        coords = None
        if samples and all('coords' in s for s in samples):
            coords = torch.stack([s.coords for s in samples]).to(torch.float32)
        return dict(inputs=inputs, data_samples=MultiViewSampleList(samples, coords))
