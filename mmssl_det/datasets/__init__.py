"""Datasets for self-supervised detector pretraining; importing registers them."""
from . import transforms  # noqa: F401  (registers the data transforms)
from .image_folder import IMG_EXTENSIONS, ImageFolderDataset, list_image_files

__all__ = ['IMG_EXTENSIONS', 'ImageFolderDataset', 'list_image_files']
