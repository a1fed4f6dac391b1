"""Pure tensor functions (no modules, no registries) shared by heads, necks and losses."""
from .correspondence import (bin_diagonal, feature_bin_centers, pairwise_center_distance,
                             positive_pixel_mask)
from .propagation import pixel_propagation
from .scale import layer_norm, renormalize_relu_chain_
from .similarity_losses import byol_loss, pixcontrast_loss, pixpro_loss

__all__ = [
    'feature_bin_centers', 'bin_diagonal', 'pairwise_center_distance', 'positive_pixel_mask',
    'pixel_propagation', 'pixpro_loss', 'pixcontrast_loss', 'byol_loss', 'layer_norm',
    'renormalize_relu_chain_'
]
