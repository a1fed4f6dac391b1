"""Pure tensor functions (no modules, no registries) shared by heads, necks and losses."""
from .contrastive import infonce_loss, nt_xent_loss
from .correspondence import (bin_diagonal, feature_bin_centers, pairwise_center_distance,
                             pixel_pair_rows, positive_pixel_index,
                             positive_pixel_mask, positive_pixel_pairs)
from .dense_correspondence import argmax_correspondence, dense_infonce_loss
from .distributed import all_gather_with_grad
from .propagation import pixel_propagation
from .queue import enqueue_
from .rotation import rotation_batch, rotation_labels
from .scale import layer_norm, renormalize_relu_chain_
from .similarity_losses import (byol_loss, negative_cosine, pixcontrast_loss, pixpro_loss,
                                pixpro_loss_pairs)
from .sinkhorn import sinkhorn_knopp
from .swapped_prediction import swapped_prediction_loss

__all__ = [
    'feature_bin_centers', 'bin_diagonal', 'pairwise_center_distance', 'positive_pixel_mask',
    'positive_pixel_pairs', 'positive_pixel_index', 'pixel_pair_rows', 'pixpro_loss_pairs',
    'pixel_propagation', 'pixpro_loss', 'pixcontrast_loss', 'byol_loss', 'negative_cosine', 'layer_norm',
    'renormalize_relu_chain_',
    'sinkhorn_knopp', 'nt_xent_loss', 'infonce_loss', 'enqueue_', 'all_gather_with_grad',
    'argmax_correspondence', 'dense_infonce_loss', 'rotation_batch', 'rotation_labels',
    'swapped_prediction_loss'
]
