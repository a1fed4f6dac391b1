from .pixel_propagation import PixelPropagationModule
from .projection_mlp import ProjectionMLP

__all__ = ['PixelPropagationModule', 'ProjectionMLP']
