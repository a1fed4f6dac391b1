"""What the command-line tools share: user errors end in one line, not a traceback.

A tool's ``main()`` runs under :func:`run_tool`. Errors a user can fix — a path that does not
exist, a checkpoint that does not fit the detector — are :class:`UserError` (or
``FileNotFoundError``, which already names the path); they print ``error: <message>`` and exit
with status 2. Every other exception is a bug and keeps its traceback.
"""
import os.path as osp
import sys
from typing import Callable, Iterator, Mapping, Tuple

USER_ERROR_EXIT = 2


class UserError(Exception):
    """An input the user can fix; the message names it and says what to change."""


def run_tool(main: Callable[[], object]) -> None:
    """Run a tool's ``main()``; user errors print one ``error:`` line and exit 2."""
    try:
        main()
    except (UserError, FileNotFoundError) as e:
        print(f'error: {_one_message(e)}', file=sys.stderr)
        sys.exit(USER_ERROR_EXIT)


def _one_message(e: BaseException) -> str:
    # A DataLoader worker re-raises with the worker's traceback inside the message; keep the
    # last line, which is the original error.
    msg = str(e)
    if 'Traceback (most recent call last)' in msg:
        msg = [line for line in msg.splitlines() if line.strip()][-1]
    return msg


def _datasets(cfg: Mapping, where: str) -> Iterator[Tuple[str, Mapping]]:
    """The dataset dicts of a dataloader config, through wrappers (Repeat/Concat/...)."""
    if not isinstance(cfg, Mapping):
        return
    yield where, cfg
    if isinstance(cfg.get('dataset'), Mapping):
        yield from _datasets(cfg['dataset'], f'{where}.dataset')
    for i, sub in enumerate(cfg.get('datasets') or []):
        yield from _datasets(sub, f'{where}.datasets.{i}')


def check_data_paths(cfg: Mapping, loaders: Tuple[str, ...]) -> None:
    """Fail before building anything when a dataloader's data root, annotation file or image
    folder is missing, naming the path and the config key to change.

    Only local paths are checked (``data_root`` joined as mmengine's ``BaseDataset`` does);
    remote ones (``s3://`` ...) and unset fields are left to the dataset.
    """
    for loader in loaders:
        if not isinstance(cfg.get(loader), Mapping):
            continue
        for where, ds in _datasets(cfg[loader].get('dataset'), f'{loader}.dataset'):
            root = ds.get('data_root') or ''
            if not isinstance(root, str) or '://' in root:
                continue
            if root and not osp.isdir(root):
                raise FileNotFoundError(f'data root not found: {root} (set {where}.data_root)')
            ann = ds.get('ann_file')
            if isinstance(ann, str) and ann and '://' not in ann:
                path = osp.join(root, ann)
                if not osp.isfile(path):
                    raise FileNotFoundError(f'annotation file not found: {path} '
                                            f'(set {where}.data_root / {where}.ann_file)')
            prefix = ds.get('data_prefix')
            if isinstance(ann, str) and ann.endswith('.txt') and isinstance(prefix, Mapping) \
                    and 'sub_data_root' in prefix:
                _check_voc_list(osp.join(root, ann), osp.join(root, prefix['sub_data_root']),
                                where)
            img = prefix.get('img', prefix.get('img_path')) if isinstance(prefix, Mapping) \
                else None
            if isinstance(img, str) and img and '://' not in img:
                path = osp.join(root, img)
                if not osp.isdir(path):
                    raise FileNotFoundError(f'image folder not found: {path} '
                                            f'(set {where}.data_root / {where}.data_prefix.img)')


def _check_voc_list(list_path: str, sub_root: str, where: str) -> None:
    """Every id of a VOC image-set list (mmdet's ``VOCDataset``) has its JPEG and its XML:
    a missing one would otherwise fail at whichever iteration first draws it."""
    with open(list_path) as f:
        ids = [line.split()[0] for line in f if line.strip()]
    for img_id in ids:
        for sub, ext in (('JPEGImages', 'jpg'), ('Annotations', 'xml')):
            path = osp.join(sub_root, sub, f'{img_id}.{ext}')
            if not osp.isfile(path):
                raise FileNotFoundError(f'{list_path} lists {img_id}, but {path} does not '
                                        f'exist; restore it or remove the id from the list '
                                        f'({where})')
