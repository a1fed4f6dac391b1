from .instance_head import InstanceBYOLHead
from .pixel_head import PixContrastHead, PixelCorrespondenceHead, PixProHead
from .roi_pretext_head import RoIPretextHead

__all__ = ['InstanceBYOLHead', 'PixContrastHead', 'PixelCorrespondenceHead', 'PixProHead',
           'RoIPretextHead']
