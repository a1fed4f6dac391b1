from .fewshot_metric import FewShotCocoMetric, FewShotVOCMetric
from .proposal_recall import proposal_recall
from .rpn_proposals import predict_rpn_proposals

__all__ = ['FewShotCocoMetric', 'FewShotVOCMetric', 'predict_rpn_proposals', 'proposal_recall']
