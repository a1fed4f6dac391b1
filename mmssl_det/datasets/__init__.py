"""Datasets for self-supervised detector pretraining; importing registers them."""
from . import transforms  # noqa: F401  (registers the data transforms)
from .image_folder import IMG_EXTENSIONS, ImageFolderDataset, list_image_files
from .fewshot import FewShotCocoDataset, FewShotVOCDataset
from .fewshot_splits import fewshot_classes
from .random_streams import SampleKey, SeededSampler, random_stream

__all__ = ['FewShotCocoDataset', 'FewShotVOCDataset', 'fewshot_classes',
           'IMG_EXTENSIONS', 'ImageFolderDataset', 'SampleKey', 'SeededSampler',
           'list_image_files', 'random_stream']
