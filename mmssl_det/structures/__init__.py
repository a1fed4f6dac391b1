from .multi_view_data_sample import MultiViewDataSample, MultiViewSampleList, shared_box_pairs

__all__ = ['MultiViewDataSample', 'MultiViewSampleList', 'shared_box_pairs']
