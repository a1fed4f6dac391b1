from .multi_view_data_sample import MultiViewDataSample

__all__ = ['MultiViewDataSample']
