from .proposal_recall import proposal_recall

__all__ = ['proposal_recall']
