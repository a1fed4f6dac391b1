"""Unsupervised region proposals (pseudo boxes for detector pretraining, issue 4)."""
from .box_filters import (aspect_ratio_mask, filter_proposals, min_side_mask, nms_indices,
                          relative_size_mask, topk_indices)
from .generator import PRESETS, SelectiveSearchProposals
from .io import (ProposalImage, ProposalsFileError, find_image, read_proposals,
                 write_proposals)
from .selective_search import MODES, selective_search

__all__ = [
    'MODES', 'PRESETS', 'ProposalImage', 'ProposalsFileError', 'SelectiveSearchProposals',
    'aspect_ratio_mask', 'filter_proposals', 'find_image', 'min_side_mask', 'nms_indices',
    'read_proposals', 'relative_size_mask', 'selective_search', 'topk_indices',
    'write_proposals'
]
