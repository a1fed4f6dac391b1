"""Image loading that fails with the file's name and the fix instead of a bare assert."""
from typing import Optional

import mmcv
import mmengine.fileio as fileio
import numpy as np
from mmcv.transforms import LoadImageFromFile

from mmssl_det.registry import TRANSFORMS

_FIX = ('delete or replace the file (for data/demo re-run tools/prepare_demo_data.py '
        '--force), or drop it from the annotation/proposals json')


@TRANSFORMS.register_module()
class LoadImageChecked(LoadImageFromFile):
    """:class:`mmcv.transforms.LoadImageFromFile` that raises ``IOError`` naming the file.

    mmcv reports a missing file as a backend error, an empty file as an OpenCV assertion
    (``!buf.empty()``) and an undecodable one as ``AssertionError: failed to load image``
    (which disappears under ``python -O``). Here each case raises ``IOError`` with the path
    and how to fix it; ``ignore_empty=True`` still returns ``None`` instead (the dataset then
    re-samples another index).

    Required keys: ``img_path``. Added keys: ``img`` (H, W, 3) uint8 BGR (float32 with
    ``to_float32``), ``img_shape``, ``ori_shape``. Arguments as for ``LoadImageFromFile``.
    """

    def _read_bytes(self, filename: str) -> bytes:
        if self.file_client_args is not None:
            client = fileio.FileClient.infer_client(self.file_client_args, filename)
            return client.get(filename)
        return fileio.get(filename, backend_args=self.backend_args)

    def _load(self, filename: str) -> np.ndarray:
        try:
            img_bytes = self._read_bytes(filename)
        except FileNotFoundError as e:
            raise IOError(f'image file {filename} does not exist; {_FIX}') from e
        except OSError as e:
            raise IOError(f'cannot read image file {filename} ({e}); {_FIX}') from e
        if len(img_bytes) == 0:
            raise IOError(f'image file {filename} is empty (0 bytes); {_FIX}')
        try:
            img = mmcv.imfrombytes(img_bytes, flag=self.color_type,
                                   backend=self.imdecode_backend)
        except Exception as e:  # decoders raise their own error types on garbage
            raise IOError(f'image file {filename} ({len(img_bytes)} bytes) cannot be decoded '
                          f'({type(e).__name__}: {e}); it is corrupt or truncated; {_FIX}') from e
        if img is None or img.size == 0:
            raise IOError(f'image file {filename} ({len(img_bytes)} bytes) cannot be decoded: '
                          f'it is corrupt, truncated or not an image; {_FIX}')
        return img

    def transform(self, results: dict) -> Optional[dict]:
        """Load ``results['img_path']`` into ``results['img']``.

        Raises:
            IOError: the file is missing, empty or cannot be decoded (unless ``ignore_empty``).
        """
        filename = results['img_path']
        try:
            img = self._load(filename)
        except IOError:
            if self.ignore_empty:
                return None
            raise
        if self.to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results
