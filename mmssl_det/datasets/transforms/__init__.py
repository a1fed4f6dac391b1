from .formatting import PackMultiViewInputs
from .geometric import RandomFlipWithCoord, RandomResizedCropWithCoord
from .loading import LoadImageChecked
from .multi_view import MultiView
from .photometric import ColorJitter, RandomGaussianBlur, RandomSolarize

__all__ = [
    'ColorJitter', 'LoadImageChecked', 'MultiView', 'PackMultiViewInputs',
    'RandomFlipWithCoord', 'RandomGaussianBlur', 'RandomResizedCropWithCoord',
    'RandomSolarize',
]
