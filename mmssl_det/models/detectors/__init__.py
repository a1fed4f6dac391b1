"""Fine-tuning pieces mmdet lacks (registered in mmssl_det's scope)."""
from .res_layer_extra_norm import ResLayerExtraNorm

__all__ = ['ResLayerExtraNorm']
