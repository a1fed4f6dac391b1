"""Proposals of a detector's RPN on one image (for AR evaluation and visualisation)."""
import numpy as np
import torch
from mmengine.dataset import pseudo_collate
from torch import nn


@torch.no_grad()
def predict_rpn_proposals(detector: nn.Module, sample: dict, top: int = 100) -> np.ndarray:
    """Top-``top`` proposals of ``detector.rpn_head`` for one packed sample.

    Args:
        detector: an mmdet two-stage detector in eval mode.
        sample: the output of its test pipeline (``inputs`` + ``data_samples``).

    Returns:
        ``(K, 5)`` ``[x1, y1, x2, y2, score]`` in original-image pixels, best first.
    """
    data = detector.data_preprocessor(pseudo_collate([sample]), False)
    feats = detector.extract_feat(data['inputs'])
    result = detector.rpn_head.predict(feats, data['data_samples'], rescale=True)[0]
    order = result.scores.argsort(descending=True)[:top]
    return torch.cat([result.bboxes[order], result.scores[order, None]], dim=1).cpu().numpy()
