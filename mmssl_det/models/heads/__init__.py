from .instance_head import InstanceBYOLHead
from .pixel_head import PixContrastHead, PixelCorrespondenceHead, PixProHead

__all__ = ['InstanceBYOLHead', 'PixContrastHead', 'PixelCorrespondenceHead', 'PixProHead']
