"""Per-image annotations of a multi-view pretraining sample, and the batch of them."""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmdet.structures.bbox import HorizontalBoxes
from mmengine.structures import BaseDataElement, InstanceData
from torch import Tensor

# Per-view image meta an mmdet head reads (``batch_img_metas``), set by the data preprocessor.
BATCH_SHAPES_KEY = 'batch_input_shapes'


class MultiViewDataSample(BaseDataElement):
    """View geometry and pseudo boxes of one image's ``V`` views (made by
    ``PackMultiViewInputs``).

    Data fields:
        coords (Tensor): ``(V, 4)`` float32, each view's box ``[x1, y1, x2, y2]`` in
            normalised original-image coordinates; ``x1 > x2`` marks a flipped view
            (PixPro, arXiv 2011.10043, Sec. 3.1).
        pseudo_instances (list[InstanceData]): one per view, mmdet's ground-truth form:
            ``bboxes`` :class:`HorizontalBoxes` ``(K_v, 4)`` xyxy in the view's pixels,
            ``labels`` ``(K_v,)`` int64 zeros (one class-agnostic "object" class, as mmdet's
            RPN uses) and ``ids`` ``(K_v,)`` int64 — equal ids across views are the same
            pseudo box. Absent when the dataset gave no proposals.
        shared_boxes (dict): ``(a, b) → (M, 2)`` int64 for every view pair ``a < b``: row
            ``[i, j]`` says ``pseudo_instances[a][i]`` and ``pseudo_instances[b][j]`` are the
            same pseudo box, in view ``a``'s order. Present with ``pseudo_instances``; stays
            on the CPU (a sampler drawing from it keeps the CPU generator's stream).

    Metainfo: ``view_shapes`` (V ``(h, w)``, set by the packing), ``batch_input_shapes``
    (V ``(H, W)`` of the padded batch, set by ``MultiViewDataPreprocessor``), and the
    packing's ``meta_keys`` (``img_path``, ``ori_shape`` …).
    """

    @property
    def coords(self) -> Tensor:
        return self._coords

    @coords.setter
    def coords(self, value: Tensor) -> None:
        if not isinstance(value, Tensor) or value.dim() != 2 or value.shape[1] != 4:
            shape = tuple(value.shape) if isinstance(value, Tensor) else type(value).__name__
            raise ValueError(f'MultiViewDataSample.coords must be a (V, 4) tensor, got {shape}')
        self.set_field(value, '_coords', dtype=Tensor)

    @coords.deleter
    def coords(self) -> None:
        del self._coords

    @property
    def pseudo_instances(self) -> List[InstanceData]:
        return self._pseudo_instances

    @pseudo_instances.setter
    def pseudo_instances(self, value: Sequence[InstanceData]) -> None:
        if not isinstance(value, (list, tuple)) or \
                not all(isinstance(v, InstanceData) for v in value):
            raise TypeError(f'MultiViewDataSample.pseudo_instances must be a list with one '
                            f'InstanceData per view, got {type(value).__name__}')
        for v, inst in enumerate(value):
            if not isinstance(inst.get('bboxes'), HorizontalBoxes) or \
                    not isinstance(inst.get('ids'), Tensor) or inst.ids.dtype != torch.long:
                raise ValueError(f'MultiViewDataSample.pseudo_instances[{v}] needs bboxes '
                                 f'(HorizontalBoxes) and int64 ids, got fields '
                                 f'{sorted(inst.keys())}')
        self.set_field(list(value), '_pseudo_instances', dtype=list)

    @pseudo_instances.deleter
    def pseudo_instances(self) -> None:
        del self._pseudo_instances

    def view_meta(self, v: int) -> dict:
        """mmdet's image meta of view ``v`` (``img_shape``, ``pad_shape``,
        ``batch_input_shape``), for a head's ``loss_by_feat(..., batch_img_metas)``."""
        if BATCH_SHAPES_KEY not in self:
            raise ValueError('MultiViewDataSample has no batch_input_shapes: pass the batch '
                             'through MultiViewDataPreprocessor (the model\'s '
                             'data_preprocessor) first')
        batch_shape = tuple(self.batch_input_shapes[v])
        return dict(img_shape=tuple(self.view_shapes[v]), pad_shape=batch_shape,
                    batch_input_shape=batch_shape)

    def to(self, *args, **kwargs) -> 'MultiViewDataSample':
        """Also moves every view's ``pseudo_instances`` (a list, which
        :meth:`BaseDataElement.to` leaves alone)."""
        new = super().to(*args, **kwargs)
        if 'pseudo_instances' in new:
            new.pseudo_instances = [inst.to(*args, **kwargs) for inst in new.pseudo_instances]
        return new


class MultiViewSampleList(list):
    """The batch's N :class:`MultiViewDataSample` (a list, as mmengine hands data samples
    to a model) and what ``MultiViewDataPreprocessor`` stacked from them.

    Attributes:
        coords: ``(N, V, 4)`` float32 view boxes on the model's device, or None when the
            samples carry no ``coords``.
    """

    def __init__(self, samples: Sequence[BaseDataElement] = (),
                 coords: Optional[Tensor] = None) -> None:
        super().__init__(samples)
        self.coords = coords


def shared_box_pairs(ids: Sequence[Tensor]) -> Dict[Tuple[int, int], Tensor]:
    """For every view pair ``a < b``, the ``(M, 2)`` indices ``[i, j]`` with
    ``ids[a][i] == ids[b][j]``, ordered by ``i`` (ids are unique within a view)."""
    pairs = {}
    for a in range(len(ids)):
        for b in range(a + 1, len(ids)):
            pairs[(a, b)] = (ids[a][:, None] == ids[b][None, :]).nonzero()
    return pairs
