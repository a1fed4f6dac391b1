"""PixPro, PixContrast and BYOL: configurations of :class:`SelfSupervisedPretrainer`.

They keep the flat keyword arguments of the configs that name them (``projector``,
``pixel_head``, ``levels`` …) and translate them into pretexts: ``pixel``
(:class:`PixelPretext`) and ``instance`` (:class:`InstancePretext`). New configs compose
pretexts directly (``type='SelfSupervisedPretrainer', pretexts=dict(...)``).
"""
from typing import Optional, Sequence

from mmssl_det.registry import MODELS
from ..pretrainer import SelfSupervisedPretrainer

# Key prefixes of checkpoints written before the pretexts (PixPro, BYOL, DetectorPretrainer
# held their projectors and heads at the top), and where those modules live now.
LEGACY_PREFIXES = (
    ('projectors.', 'pretexts.pixel.projectors.'), ('pixel_head.', 'pretexts.pixel.head.'),
    ('instance_projector.', 'pretexts.instance.projector.'),
    ('instance_head.', 'pretexts.instance.head.'),
    ('roi_projector.', 'pretexts.roi.projector.'), ('roi_byol_head.', 'pretexts.roi.head.'),
)


def legacy_key(key: str) -> str:
    """A pre-pretext checkpoint key (online or ``target.module.``) in today's naming."""
    head = 'target.module.' if key.startswith('target.module.') else ''
    rest = key[len(head):]
    for old, new in LEGACY_PREFIXES:
        if rest.startswith(old):
            return head + new + rest[len(old):]
    return key


def _rename_legacy_keys(state_dict, prefix, *args) -> None:
    """Load-state-dict pre-hook: resume / ``load_from`` of a checkpoint from before the
    pretexts finds its projectors and heads under their new names."""
    for key in [k for k in state_dict if k.startswith(prefix)]:
        new = prefix + legacy_key(key[len(prefix):])
        if new != key and new not in state_dict:
            state_dict[new] = state_dict.pop(key)


@MODELS.register_module()
class PixPro(SelfSupervisedPretrainer):
    """Pixel-level pretraining of a backbone and, optionally, its FPN.

    Xie et al., "Propagate Yourself: Exploring Pixel-Level Consistency for Unsupervised
    Visual Representation Learning", arXiv 2011.10043 (CVPR 2021): the ``pixel`` pretext
    (PPM + cosine, eq. 3-5, or pixel InfoNCE, eq. 2) on ``levels``, plus an optional BYOL
    ``instance`` pretext (Sec. 3.4) on ``levels[-1]``.

    With P3-P5 (FPN outputs 1-3, our FPN design) P2's own convs get no gradient here (DDP runs
    with ``find_unused_parameters``); the RPN and RoI pretexts of :class:`DetectorPretrainer`
    train them.

    Args:
        projector / pixel_head / levels / level_weights / share_projector: the ``pixel``
            pretext (:class:`PixelPretext`'s ``projector`` / ``head`` / …); both or neither.
        instance_projector / instance_head: the ``instance`` pretext; both or neither.
        pretexts: further pretexts, after these two.
        **kwargs: :class:`SelfSupervisedPretrainer`'s (backbone, neck, base_momentum …).
    """

    def __init__(self,
                 projector: Optional[dict] = None,
                 pixel_head: Optional[dict] = None,
                 levels: Sequence[int] = (-1, ),
                 level_weights: Optional[Sequence[float]] = None,
                 share_projector: bool = True,
                 instance_projector: Optional[dict] = None,
                 instance_head: Optional[dict] = None,
                 pretexts: Optional[dict] = None,
                 **kwargs) -> None:
        if (pixel_head is None) != (projector is None):
            raise ValueError('pixel_head and projector must be given together')
        if (instance_head is None) != (instance_projector is None):
            raise ValueError('instance_head and instance_projector must be given together')
        own = {}
        if pixel_head is not None:
            own['pixel'] = dict(type='PixelPretext', projector=projector, head=pixel_head,
                                levels=levels, level_weights=level_weights,
                                share_projector=share_projector)
        if instance_head is not None:
            own['instance'] = dict(type='InstancePretext', projector=instance_projector,
                                   head=instance_head, level=tuple(levels)[-1])
        super().__init__(pretexts={**own, **(pretexts or {})}, **kwargs)
        self._register_load_state_dict_pre_hook(_rename_legacy_keys)


@MODELS.register_module()
class PixContrast(PixPro):
    """PixContrast (arXiv 2011.10043, Sec. 3.1, eq. 2): :class:`PixPro` with a
    ``PixContrastHead`` (no PPM; pixel InfoNCE, τ = 0.3)."""

    def __init__(self, pixel_head: dict = dict(type='PixContrastHead'), **kwargs) -> None:
        super().__init__(pixel_head=pixel_head, **kwargs)


@MODELS.register_module()
class BYOL(PixPro):
    """BYOL (Grill et al., arXiv 2006.07733): the ``instance`` pretext alone, on the pooled
    last level. Shares PixPro's network so the two are compared on equal terms."""

    def __init__(self, instance_projector: dict, instance_head: dict,
                 pixel_head: Optional[dict] = None, projector: Optional[dict] = None,
                 **kwargs) -> None:
        if pixel_head is not None or projector is not None:
            raise ValueError('BYOL has no pixel branch: set pixel_head=None and projector=None '
                             '(or use type="PixPro" with an instance branch)')
        super().__init__(instance_projector=instance_projector, instance_head=instance_head,
                         **kwargs)
