from .multi_view import MultiViewDataPreprocessor

__all__ = ['MultiViewDataPreprocessor']
