"""Several augmented views of one image, each with its recorded geometry."""
import copy
from contextlib import nullcontext
from typing import Callable, List, Optional, Sequence, Union

from mmcv.transforms import BaseTransform, Compose
from mmengine.registry import DefaultScope

from mmssl_det.registry import SCOPE, TRANSFORMS
from ..random_streams import random_stream
from .geometric import get_pseudo_boxes, get_view_coord


@TRANSFORMS.register_module()
class MultiView(BaseTransform):
    """Run view pipelines on copies of one sample and gather the views as lists.

    ``transforms=[p1, p2], num_views=[1, 1]`` gives PixPro/BYOL's two asymmetric views;
    ``transforms=[p], num_views=[2]`` draws two views from one pipeline; SoCo-style
    ``[p224, p112], [2, 1]`` gives three. Views are ordered pipeline by pipeline.

    Every pipeline gets a deep copy of ``results``, so views never share buffers. When the
    dataset put a ``sample_key`` ``(index, epoch, seed)`` in ``results``
    (``SeededSampler``), view ``v`` draws all its randomness from its own stream seeded by
    ``(seed, epoch, index, v)`` (:func:`~mmssl_det.datasets.random_streams.random_stream`);
    otherwise from the global generators. Outputs (``V`` views):

    - ``img``: list of V images; ``img_shape``: view 0's ``(h, w)``;
      ``view_shapes``: list of V ``(h, w)``.
    - ``view_coords``: list of V ``(4,)`` float32 boxes in normalised original-image
      coordinates (``[0, 0, 1, 1]`` for a pipeline without crop or flip).
    - only when the input has ``pseudo_boxes``: ``view_boxes``, list of V ``(K_v, 4)``
      float32 xyxy pixels of each view, and ``view_box_ids``, list of V ``(K_v,)`` int64.
      Without pseudo boxes the two keys are absent (not empty lists), so a consumer can
      tell "no proposals given" from "no box survived the crops".

    A view pipeline that returns ``None`` drops the whole sample (mmengine's dataset then
    draws another one).

    Args:
        transforms: one list of transform configs (or callables) per pipeline, built in
            scope ``mmssl_det`` (our transforms, then mmdet's and mmcv's).
        num_views: views drawn from each pipeline; one each when ``None``.
    """

    def __init__(self, transforms: Sequence[Sequence[Union[dict, Callable]]],
                 num_views: Optional[Sequence[int]] = None) -> None:
        if not transforms or not all(isinstance(p, (list, tuple)) for p in transforms):
            raise ValueError('MultiView: transforms must be a non-empty list of pipelines, '
                             'each a list of transform configs, e.g. '
                             'transforms=[view_pipeline1, view_pipeline2]')
        num_views = [1] * len(transforms) if num_views is None else list(num_views)
        if len(num_views) != len(transforms):
            raise ValueError(f'MultiView: num_views {num_views} must give one count per '
                             f'pipeline ({len(transforms)} pipelines)')
        if any(not isinstance(n, int) or n < 0 for n in num_views) or sum(num_views) < 1:
            raise ValueError(f'MultiView: num_views must be non-negative ints with at least '
                             f'one view in total, got {num_views}')
        # Our scope resolves our transforms and, through the parents, mmdet's and mmcv's,
        # whatever scope the caller left current (a Runner sets its config's).
        with DefaultScope.overwrite_default_scope(SCOPE):
            self.pipelines = [
                Compose([TRANSFORMS.build(t) if isinstance(t, dict) else t for t in pipeline])
                for pipeline in transforms]
        self.num_views = num_views

    def transform(self, results: dict) -> Optional[dict]:
        views: List[dict] = []
        key = results.get('sample_key')
        for pipeline, n in zip(self.pipelines, self.num_views):
            for _ in range(n):
                stream = (random_stream(key.seed, key.epoch, key.index, len(views))
                          if key is not None else nullcontext())
                with stream:
                    view = pipeline(copy.deepcopy(results))
                if view is None:
                    return None
                views.append(view)
        results['img'] = [view['img'] for view in views]
        results['view_shapes'] = [tuple(view['img'].shape[:2]) for view in views]
        results['img_shape'] = results['view_shapes'][0]
        results['view_coords'] = [get_view_coord(view) for view in views]
        if 'pseudo_boxes' in results:
            boxes_and_ids = [get_pseudo_boxes(view) for view in views]
            results['view_boxes'] = [boxes for boxes, _ in boxes_and_ids]
            results['view_box_ids'] = [ids for _, ids in boxes_and_ids]
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(pipelines={self.pipelines}, num_views={self.num_views})'

