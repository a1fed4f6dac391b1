from typing import Sequence

import torch
from mmengine.model import ImgDataPreprocessor

from mmssl_det.registry import MODELS


@MODELS.register_module()
class MultiViewDataPreprocessor(ImgDataPreprocessor):
    """Normalise and batch every view of a multi-view sample separately.

    ``PackMultiViewInputs`` yields per sample a list of V ``(3, H_v, W_v)`` tensors;
    after collation ``data['inputs']`` is a list of V lists of N tensors. Views may have
    different sizes (e.g. SoCo's 224 + 112 crops), so each view is stacked on its own by
    mmengine's :class:`ImgDataPreprocessor` (cast, BGR→RGB, mean/std, padding).

    Returns:
        dict: ``inputs`` = list of V tensors ``(N, 3, H_v, W_v)``, ``data_samples`` unchanged.
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
        if samples is not None:
            samples = self.cast_data(samples)
        return dict(inputs=inputs, data_samples=samples)
