"""Per-image annotations of a multi-view pretraining sample."""
from typing import List, Sequence

import torch
from mmengine.structures import BaseDataElement
from torch import Tensor


def _tensor_list(value: Sequence[Tensor], name: str, trailing: tuple,
                 shape: str) -> List[Tensor]:
    """Validate a per-view list of tensors shaped ``(K_v, *trailing)`` (``shape`` in words)."""
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, Tensor) for v in value):
        raise TypeError(f'MultiViewDataSample.{name} must be a list with one tensor per view, '
                        f'got {type(value).__name__}')
    for v, tensor in enumerate(value):
        if tensor.dim() != 1 + len(trailing) or tuple(tensor.shape[1:]) != trailing:
            raise ValueError(f'MultiViewDataSample.{name}[{v}] must have shape {shape}, '
                             f'got {tuple(tensor.shape)}')
    return list(value)


class MultiViewDataSample(BaseDataElement):
    """View geometry and pseudo boxes of one image's ``V`` views.

    Data fields:
        coords (Tensor): ``(V, 4)`` float32, each view's box ``[x1, y1, x2, y2]`` in
            normalised original-image coordinates; ``x1 > x2`` marks a flipped view
            (PixPro, arXiv 2011.10043, Sec. 3.1).
        boxes (list[Tensor]): V tensors ``(K_v, 4)`` float32, pseudo boxes xyxy in each
            view's pixels. Absent when the dataset gave no proposals.
        box_ids (list[Tensor]): V tensors ``(K_v,)`` int64; equal ids across views are
            the same pseudo box.

    Metainfo (set by ``PackMultiViewInputs``): ``img_path``, ``ori_shape``, ``img_shape``
    (view 0), ``view_shapes``.
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
    def boxes(self) -> List[Tensor]:
        return self._boxes

    @boxes.setter
    def boxes(self, value: Sequence[Tensor]) -> None:
        self.set_field(_tensor_list(value, 'boxes', (4,), '(K, 4)'), '_boxes', dtype=list)

    @boxes.deleter
    def boxes(self) -> None:
        del self._boxes

    @property
    def box_ids(self) -> List[Tensor]:
        return self._box_ids

    @box_ids.setter
    def box_ids(self, value: Sequence[Tensor]) -> None:
        ids = _tensor_list(value, 'box_ids', (), '(K,)')
        if any(t.dtype != torch.long for t in ids):
            raise ValueError(f'MultiViewDataSample.box_ids must be int64 tensors, got '
                             f'{[t.dtype for t in ids]}')
        self.set_field(ids, '_box_ids', dtype=list)

    @box_ids.deleter
    def box_ids(self) -> None:
        del self._box_ids
