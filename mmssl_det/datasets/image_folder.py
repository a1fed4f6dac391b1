"""Unlabelled images for self-supervised pretraining, optionally with unsupervised proposals."""
import os
from typing import List, Optional, Sequence

import numpy as np
from mmengine import fileio
from mmengine.dataset import BaseDataset
from mmengine.utils import is_abs

from mmssl_det.proposals.io import read_proposals
from mmssl_det.registry import DATASETS
from .random_streams import SeededSampleMixin

IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp')


def list_image_files(folder: str, extensions: Sequence[str] = IMG_EXTENSIONS,
                     backend_args: Optional[dict] = None) -> List[str]:
    """Sorted relative paths ('/'-separated) of the image files under ``folder``, recursive.

    The one image lister of the project: the dataset and tools/generate_proposals.py must
    agree on which files are images, or a proposals json will not match its folder.
    """
    files = fileio.list_dir_or_file(folder, list_dir=False, recursive=True,
                                    backend_args=backend_args)
    return sorted(f.replace(os.sep, '/') for f in files
                  if f.lower().endswith(tuple(extensions)))


@DATASETS.register_module()
class ImageFolderDataset(SeededSampleMixin, BaseDataset):
    """Images listed from a folder (recursively) or from a COCO json, labels ignored.

    The image list is either every file under ``data_root/data_prefix['img']`` whose
    extension is in ``extensions`` (case-insensitive, sorted by relative path, so the order
    is the same on every machine), or the ``images`` list of the COCO-style ``ann_file``
    (its annotations are ignored; every listed file must exist in the folder).

    With ``proposals_file`` (class-agnostic COCO json written by
    ``tools/generate_proposals.py``, see the data contract) each sample also carries its
    proposals as pseudo boxes. The file must describe exactly the dataset's images (matched
    by ``file_name`` relative to the image folder); boxes may exceed the image by at most
    ``box_tolerance`` px and are then clipped. An image may have zero proposals.

    Each data info holds ``img_path``, ``img_id`` (position in the sorted listing, or the
    json id), ``file_name`` and, when known from a json, ``width``/``height``; with
    proposals also ``pseudo_boxes`` (K, 4) float32 xyxy pixels and ``pseudo_box_ids`` (K,)
    int64 (0..K-1 in file order, the identity kept across views).

    With ``SeededSampler`` each sample's augmentation replays exactly (seeded by run seed,
    epoch, index and view; see :mod:`mmssl_det.datasets.random_streams`).

    Args:
        data_root: Root joined to relative ``ann_file``, ``proposals_file`` and prefixes.
        data_prefix: ``dict(img=folder)``, the image folder relative to ``data_root``.
        ann_file: Optional COCO json whose ``images`` list defines the dataset.
        proposals_file: Optional proposals json (relative to ``data_root`` unless absolute).
        extensions: Image file extensions listed in folder mode (lower case, with dot).
        box_tolerance: Pixels a proposal may exceed the image bounds before it is an error.
        backend_args: mmengine file backend arguments (local disk by default).
        **kwargs: Forwarded to :class:`mmengine.dataset.BaseDataset` (``pipeline``,
            ``indices``, ``serialize_data``, ``lazy_init``, ``test_mode`` ...).
    """

    def __init__(self,
                 data_root: str = '',
                 data_prefix: dict = dict(img=''),
                 ann_file: str = '',
                 proposals_file: Optional[str] = None,
                 extensions: Sequence[str] = IMG_EXTENSIONS,
                 box_tolerance: float = 1.0,
                 backend_args: Optional[dict] = None,
                 **kwargs) -> None:
        if 'img' not in data_prefix:
            raise ValueError(f"ImageFolderDataset: data_prefix={data_prefix} has no 'img' key; "
                             "set data_prefix=dict(img='path/to/images/')")
        self.proposals_file = proposals_file
        self.extensions = tuple(e.lower() for e in extensions)
        self.box_tolerance = float(box_tolerance)
        self.backend_args = backend_args
        self._given_prefix = dict(data_prefix)  # for error messages; BaseDataset joins it
        super().__init__(ann_file=ann_file, data_root=data_root, data_prefix=data_prefix,
                         **kwargs)

    def _join_prefix(self) -> None:
        super()._join_prefix()
        if self.proposals_file and not is_abs(self.proposals_file) and self.data_root:
            self.proposals_file = fileio.join_path(self.data_root, self.proposals_file,
                                                   backend_args=self.backend_args)

    # ------------------------------------------------------------------ image list
    def _list_folder(self, folder: str) -> List[str]:
        """Sorted relative paths ('/'-separated) of the image files under ``folder``."""
        if not folder or not fileio.isdir(folder, backend_args=self.backend_args):
            raise FileNotFoundError(
                f'ImageFolderDataset: image folder {folder!r} does not exist (data_root='
                f'{self.data_root!r}, data_prefix={self._given_prefix!r}); set data_root and '
                "data_prefix=dict(img=...) to a folder of images (e.g. python "
                'tools/prepare_demo_data.py writes data/demo/unlabeled/)')
        names = list_image_files(folder, self.extensions, self.backend_args)
        if not names:
            raise FileNotFoundError(
                f'ImageFolderDataset: no images with extensions {self.extensions} under '
                f'{folder!r}; put images there or point data_root/data_prefix elsewhere')
        return names

    def _read_ann_images(self) -> List[dict]:
        """The ``images`` entries of ``ann_file``, checked for id/file_name."""
        if not fileio.exists(self.ann_file, backend_args=self.backend_args):
            raise FileNotFoundError(f'ImageFolderDataset: ann_file {self.ann_file!r} does not '
                                    'exist; fix ann_file/data_root')
        data = fileio.load(self.ann_file, backend_args=self.backend_args)
        images = data.get('images') if isinstance(data, dict) else None
        if not isinstance(images, list):
            raise ValueError(f"{self.ann_file}: expected a COCO dict with an 'images' list")
        seen = set()
        for i, img in enumerate(images):
            if not (isinstance(img, dict) and isinstance(img.get('file_name'), str)
                    and isinstance(img.get('id'), int)):
                raise ValueError(f'{self.ann_file}: images[{i}] = {img!r} needs an int "id" '
                                 'and a str "file_name"')
            if img['file_name'] in seen:
                raise ValueError(f'{self.ann_file}: images[{i}] repeats file_name '
                                 f'{img["file_name"]!r}; list each image once')
            seen.add(img['file_name'])
        if not images:
            raise ValueError(f'{self.ann_file}: the images list is empty')
        return images

    def load_data_list(self) -> List[dict]:
        folder = self.data_prefix['img']
        listed = self._list_folder(folder)
        if self.ann_file:
            in_folder = set(listed)
            data_list = []
            for img in self._read_ann_images():
                if img['file_name'] not in in_folder:
                    raise FileNotFoundError(
                        f'{self.ann_file}: image {img["file_name"]!r} (id {img["id"]}) is not '
                        f'in the image folder {folder!r}; fix data_prefix or the json')
                info = dict(img_id=img['id'], file_name=img['file_name'])
                info.update({k: img[k] for k in ('width', 'height') if k in img})
                data_list.append(info)
        else:
            data_list = [dict(img_id=i, file_name=name) for i, name in enumerate(listed)]
        for info in data_list:
            info['img_path'] = fileio.join_path(folder, info['file_name'],
                                                backend_args=self.backend_args)
        if self.proposals_file:
            self._attach_proposals(data_list, set(listed))
        return data_list

    # ------------------------------------------------------------------ proposals
    def _attach_proposals(self, data_list: List[dict], in_folder: set) -> None:
        """Add ``pseudo_boxes``/``pseudo_box_ids`` to every data info (see the class doc);
        the json itself is read and validated by :func:`read_proposals`."""
        path = self.proposals_file
        try:
            proposals = read_proposals(path, self.box_tolerance, self.backend_args)
        except FileNotFoundError as e:
            raise FileNotFoundError(f'ImageFolderDataset: {e} (proposals_file)') from e
        for name, img in proposals.items():
            where = f'{path}: images[{img.index}]'
            if not name.lower().endswith(self.extensions):
                raise ValueError(f'{where} {name!r} is not one of extensions='
                                 f'{self.extensions}; add its extension to the dataset\'s '
                                 'extensions or drop the image from the json')
            if name not in in_folder:
                raise ValueError(
                    f'{where} file_name {name!r} is not in the image folder '
                    f'{self.data_prefix["img"]!r}; the proposals were made for other images: '
                    're-run tools/generate_proposals.py on this folder or fix data_root')
        for info in data_list:
            img = proposals.get(info['file_name'])
            if img is None:
                raise ValueError(f'{path} has no entry for image {info["file_name"]!r} of the '
                                 'dataset; re-run tools/generate_proposals.py on this image '
                                 'folder')
            known = (info.get('width'), info.get('height'))
            if None not in known and known != (img.width, img.height):
                raise ValueError(f'{path}: images[{img.index}] {img.file_name!r} is '
                                 f'{img.width}x{img.height} but {self.ann_file} says '
                                 f'{known[0]}x{known[1]}; regenerate the proposals')
            info.update(width=img.width, height=img.height, pseudo_boxes=img.boxes,
                        pseudo_box_ids=np.arange(len(img.boxes), dtype=np.int64))
