"""Fine-tuning pieces mmdet lacks (registered in mmssl_det's scope)."""
from .cosine_sim_bbox_head import CosineSimBBoxHead, CosineSimLinear, cosine_similarity_logits
from .defrcn import DeFRCN
from .dropout_linear import DropoutLinear
from .frozen_faster_rcnn import FrozenFasterRCNN
from .gradient_decoupled import GradientDecoupledLayer, decouple_gradient
from .res_layer_extra_norm import ResLayerExtraNorm

__all__ = ['CosineSimBBoxHead', 'CosineSimLinear', 'DeFRCN', 'DropoutLinear', 'FrozenFasterRCNN',
           'GradientDecoupledLayer', 'ResLayerExtraNorm', 'cosine_similarity_logits',
           'decouple_gradient']
