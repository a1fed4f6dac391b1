from typing import Dict, List

import torch.nn.functional as F
from torch import Tensor, nn

from mmssl_det.models.utils import rotation_batch, rotation_labels
from mmssl_det.registry import MODELS
from .base import BasePretext, PretextBatch


@MODELS.register_module()
class RotationPretext(BasePretext):
    """RotNet (Gidaris, Singh & Komodakis, "Unsupervised Representation Learning by
    Predicting Image Rotations", arXiv 1803.07728): predict which of the four rotations
    (0°, 90°, 180°, 270°) an image went through.

    One view per image (``num_views = 1``). The encoder runs on the four rotations of every
    view, all in one batch as the paper found best (Sec. 2.2; exact transposes and flips,
    :func:`rotation_batch`): :meth:`encoder_inputs` gives the pretrainer that batch, so the
    features the pretext receives are already those of the ``4N`` rotated images. A linear
    4-way classifier on the pooled level predicts the rotation; the loss is the cross entropy
    of eq. 1-2 (averaged over the four rotations and the images). Views must be square (a
    90° rotation of a non-square view changes its shape). Use it in a pretrainer with
    ``with_target=False``; a pretext composed with it reads the rotated batch too.

    Args:
        in_channels: channels of the level read (2048 for ResNet-50 C5).
        level: encoder level. from_backbone: read the backbone's level, not the neck's.
    """

    num_views = 1

    def __init__(self, in_channels: int, level: int = -1, from_backbone: bool = False,
                 init_cfg=None) -> None:
        super().__init__((level, ), from_backbone, init_cfg)
        self.classifier = nn.Linear(in_channels, 4)

    def encoder_inputs(self, inputs: List[Tensor]) -> List[Tensor]:
        """The view ``(N, 3, S, S)`` → its four rotations ``(4N, 3, S, S)``, image-major."""
        height, width = inputs[0].shape[-2:]
        if height != width:
            raise ValueError(f'pretext {self.name!r} (RotationPretext) rotates its view by '
                             f'90°, which needs square views, got {height}×{width}: make the '
                             f'pipeline\'s crop size a square')
        return [rotation_batch(inputs[0])[0]]

    def loss(self, batch: PretextBatch, target=None) -> Dict[str, Tensor]:
        feats = self.features(batch)[0][self.levels[0]]  # (4N, C, H, W)
        if feats.shape[1] != self.classifier.in_features:
            raise ValueError(f'pretext {self.name!r} (RotationPretext): in_channels='
                             f'{self.classifier.in_features}, but level {self.levels[0]} has '
                             f'{feats.shape[1]} channels; set in_channels to match')
        logits = self.classifier(feats.mean(dim=(2, 3)))
        return {'': F.cross_entropy(logits, rotation_labels(feats.shape[0] // 4,
                                                            feats.device))}
