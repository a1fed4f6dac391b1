"""Format-faithful dataset trees built from the real photos in ``tests/data``.

The two 400x400 aerial photos (OSBS_029: 61 tree boxes, SOAP_061: 37) are cut into their four
200x200 quadrants, ``q0`` top-left, ``q1`` top-right, ``q2`` bottom-left, ``q3`` bottom-right.
A box belongs to the quadrant holding its centre and is clipped to it. The quadrants go to::

    train  q0, q1, q2 of both photos (6 images)     val/test  q3 of both photos (2 images)

and each tree becomes an object of a class the dataset knows (the class name is the only
invented thing; the pixels and boxes are real):

================  =================  ======================================================
format            'tree' becomes     written
================  =================  ======================================================
VOC               ``pottedplant``    ``VOCdevkit/VOC2007`` (trainval: OSBS q0-q2, test: q3 of
                                     both) and ``VOC2012`` (trainval: SOAP q0-q2), each with
                                     ``JPEGImages/*.jpg``, ``Annotations/*.xml`` (1-based
                                     pixel corners, ``truncated``/``difficult`` flags) and
                                     ``ImageSets/Main/{trainval,test}.txt``
COCO              ``potted plant``   ``coco/{train2017,val2017}/*.jpg`` and
                  (id 64)            ``coco/annotations/instances_{train,val}2017.json`` with
                                     polygon masks (a 16-gon ellipse inscribed in each box)
                                     and all 80 COCO categories
Cityscapes        ``car`` (id 26)    ``cityscapes/leftImg8bit/{train,val,test}/<city>/
                                     <city>_<seq>_<frame>_leftImg8bit.png``, ``gtFine`` with
                                     ``_gtFine_polygons.json`` (a ``terrain`` ground, then one
                                     polygon per tree) and, rasterised from those by
                                     cityscapesscripts, ``_gtFine_instanceIds.png`` and
                                     ``_gtFine_labelIds.png``; then mmdet's own converter
                                     (``mmdet/.mim/tools/dataset_converters/cityscapes.py``)
                                     writes ``annotations/instancesonly_filtered_gtFine_*.json``
================  =================  ======================================================

Cityscapes trains on q0, q1 (4 images, two iterations of batch 2), keeps q3 for val and q2
for test (mmdet's converter insists every split exists).

VOC ``difficult``: a clipped box that keeps less than half of its area is marked
``truncated`` and ``difficult`` (VOC's evaluation then ignores it) — so the fixture exercises
VOC's difficult handling. In the other formats every box is a normal instance.
"""
import json
import math
import runpy
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import cv2
import numpy as np

DATA_DIR = Path(__file__).resolve().parent / 'data'
PHOTOS = ('OSBS_029', 'SOAP_061')
TILE = 200
TRAIN_QUADRANTS = (0, 1, 2)
VAL_QUADRANTS = (3, )
VOC_CLASS = 'pottedplant'
COCO_CLASS = dict(id=64, name='potted plant', supercategory='furniture')
# COCO's 80 category ids (1-90 with gaps), in the order of mmdet's CocoDataset classes: a
# COCO json lists every category, also those without an instance in it.
COCO_IDS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24,
            25, 27, 28, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 46, 47, 48, 49,
            50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 67, 70, 72, 73, 74,
            75, 76, 77, 78, 79, 80, 81, 82, 84, 85, 86, 87, 88, 89, 90)
CITYSCAPES_CLASS = 'car'
CITYSCAPES_GROUND = 'terrain'  # a stuff class (no instances) under every tree
ELLIPSE_POINTS = 16

Box = Tuple[float, float, float, float]  # x1, y1, x2, y2 in pixel-edge coordinates


def _voc_boxes(xml_path: Path) -> List[Box]:
    """Boxes of a VOC XML as pixel-edge ``x1, y1, x2, y2`` (VOC corners are 1-based pixel
    indices, inclusive: edge x1 = xmin - 1, x2 = xmax)."""
    boxes = []
    for obj in ET.parse(xml_path).getroot().iter('object'):
        bb = obj.find('bndbox')
        xmin, ymin, xmax, ymax = (float(bb.find(k).text) for k in ('xmin', 'ymin', 'xmax', 'ymax'))
        boxes.append((xmin - 1, ymin - 1, xmax, ymax))
    return boxes


def tile(photo: str, quadrant: int) -> Tuple[np.ndarray, List[dict]]:
    """Quadrant ``quadrant`` (0-3, row-major) of ``tests/data/images/<photo>.jpg`` and its
    objects: ``dict(box=(x1, y1, x2, y2), truncated=bool, difficult=bool)`` in tile pixels."""
    img = cv2.imread(str(DATA_DIR / 'images' / f'{photo}.jpg'))
    ox, oy = (quadrant % 2) * TILE, (quadrant // 2) * TILE
    crop = np.ascontiguousarray(img[oy:oy + TILE, ox:ox + TILE])
    objects = []
    for x1, y1, x2, y2 in _voc_boxes(DATA_DIR / 'annotations' / f'{photo}.xml'):
        cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
        if not (ox <= cx < ox + TILE and oy <= cy < oy + TILE):
            continue
        c = (max(x1 - ox, 0), max(y1 - oy, 0), min(x2 - ox, TILE), min(y2 - oy, TILE))
        kept = (c[2] - c[0]) * (c[3] - c[1]) / ((x2 - x1) * (y2 - y1))
        truncated = kept < 1
        objects.append(dict(box=c, truncated=truncated, difficult=kept < 0.5))
    return crop, objects


def all_tiles() -> Dict[str, Tuple[np.ndarray, List[dict]]]:
    """``{'OSBS_029_q0': (image, objects), ...}`` for both photos and all four quadrants."""
    return {f'{p}_q{q}': tile(p, q) for p in PHOTOS for q in range(4)}


def ellipse_polygon(box: Box, n: int = ELLIPSE_POINTS) -> List[float]:
    """A flat COCO polygon ``[x0, y0, x1, y1, ...]``: ``n`` points on the ellipse inscribed
    in ``box`` (a tree crown is round; its mask is not its box)."""
    x1, y1, x2, y2 = box
    cx, cy, rx, ry = (x1 + x2) / 2, (y1 + y2) / 2, (x2 - x1) / 2, (y2 - y1) / 2
    pts = []
    for k in range(n):
        a = 2 * math.pi * k / n
        pts += [round(cx + rx * math.cos(a), 2), round(cy + ry * math.sin(a), 2)]
    return pts


def polygon_area(flat: Sequence[float]) -> float:
    xs, ys = flat[0::2], flat[1::2]
    return abs(sum(xs[i] * ys[i - 1] - xs[i - 1] * ys[i] for i in range(len(xs)))) / 2


# ----------------------------------------------------------------------------------- VOC
def _voc_xml(name: str, folder: str, objects: List[dict]) -> ET.ElementTree:
    ann = ET.Element('annotation')
    ET.SubElement(ann, 'folder').text = folder
    ET.SubElement(ann, 'filename').text = f'{name}.jpg'
    source = ET.SubElement(ann, 'source')
    ET.SubElement(source, 'database').text = 'DeepForest tree crowns (tests/data)'
    size = ET.SubElement(ann, 'size')
    for key, value in (('width', TILE), ('height', TILE), ('depth', 3)):
        ET.SubElement(size, key).text = str(value)
    ET.SubElement(ann, 'segmented').text = '0'
    for obj in objects:
        o = ET.SubElement(ann, 'object')
        ET.SubElement(o, 'name').text = VOC_CLASS
        ET.SubElement(o, 'pose').text = 'Unspecified'
        ET.SubElement(o, 'truncated').text = str(int(obj['truncated']))
        ET.SubElement(o, 'difficult').text = str(int(obj['difficult']))
        bb = ET.SubElement(o, 'bndbox')
        x1, y1, x2, y2 = obj['box']
        # back to VOC's 1-based inclusive pixel corners
        for key, value in (('xmin', x1 + 1), ('ymin', y1 + 1), ('xmax', x2), ('ymax', y2)):
            ET.SubElement(bb, key).text = str(int(round(value)))
    tree = ET.ElementTree(ann)
    ET.indent(tree)
    return tree


def make_vocdevkit(root: Path) -> Path:
    """Write ``root/VOCdevkit`` (see the module docstring); returns the VOCdevkit path."""
    tiles = all_tiles()
    devkit = Path(root) / 'VOCdevkit'
    # VOC's own id styles: '000001' in VOC2007, '2012_000001' in VOC2012
    plan = {
        'VOC2007': {'trainval': [('OSBS_029', q) for q in TRAIN_QUADRANTS],
                    'test': [(p, q) for p in PHOTOS for q in VAL_QUADRANTS]},
        'VOC2012': {'trainval': [('SOAP_061', q) for q in TRAIN_QUADRANTS]},
    }
    for year, splits in plan.items():
        base = devkit / year
        for sub in ('JPEGImages', 'Annotations', 'ImageSets/Main'):
            (base / sub).mkdir(parents=True, exist_ok=True)
        n = 0
        for split, members in splits.items():
            ids = []
            for photo, q in members:
                n += 1
                img_id = f'{n:06d}' if year == 'VOC2007' else f'2012_{n:06d}'
                image, objects = tiles[f'{photo}_q{q}']
                cv2.imwrite(str(base / 'JPEGImages' / f'{img_id}.jpg'), image)
                _voc_xml(img_id, year, objects).write(base / 'Annotations' / f'{img_id}.xml')
                ids.append(img_id)
            (base / 'ImageSets' / 'Main' / f'{split}.txt').write_text('\n'.join(ids) + '\n')
    return devkit


# ---------------------------------------------------------------------------------- COCO
def _coco_json(entries: List[Tuple[str, np.ndarray, List[dict]]]) -> dict:
    images, annotations = [], []
    for img_id, (file_name, image, objects) in enumerate(entries, start=1):
        h, w = image.shape[:2]
        images.append(dict(id=img_id, file_name=file_name, width=w, height=h))
        for obj in objects:
            x1, y1, x2, y2 = obj['box']
            poly = ellipse_polygon(obj['box'])
            annotations.append(dict(
                id=len(annotations) + 1, image_id=img_id, category_id=COCO_CLASS['id'],
                bbox=[x1, y1, x2 - x1, y2 - y1], area=round(polygon_area(poly), 2),
                segmentation=[poly], iscrowd=0))
    return dict(info=dict(description='mmssl_det format fixture from tests/data'),
                licenses=[], images=images, annotations=annotations,
                categories=coco_categories())


def coco_categories() -> List[dict]:
    """COCO's 80 categories (ids and names; supercategory only for ours)."""
    from mmdet.datasets import CocoDataset
    names = CocoDataset.METAINFO['classes']
    assert len(names) == len(COCO_IDS) and names[COCO_IDS.index(COCO_CLASS['id'])] == \
        COCO_CLASS['name']
    return [dict(COCO_CLASS) if i == COCO_CLASS['id'] else dict(id=i, name=n)
            for i, n in zip(COCO_IDS, names)]


def make_coco(root: Path) -> Path:
    """Write ``root/coco`` (train2017 / val2017 images, instances_*.json); returns it."""
    tiles = all_tiles()
    coco = Path(root) / 'coco'
    (coco / 'annotations').mkdir(parents=True, exist_ok=True)
    image_id = 0
    for split, quadrants in (('train2017', TRAIN_QUADRANTS), ('val2017', VAL_QUADRANTS)):
        (coco / split).mkdir(exist_ok=True)
        entries = []
        for photo in PHOTOS:
            for q in quadrants:
                image_id += 1
                name = f'{image_id:012d}.jpg'  # COCO's file naming
                image, objects = tiles[f'{photo}_q{q}']
                cv2.imwrite(str(coco / split / name), image)
                entries.append((name, image, objects))
        out = coco / 'annotations' / f'instances_{split}.json'
        out.write_text(json.dumps(_coco_json(entries)))
    return coco


# ---------------------------------------------------------------------------- Cityscapes
CITYSCAPES_SPLITS = {'train': (0, 1), 'val': (3, ), 'test': (2, )}


def make_cityscapes(root: Path) -> Path:
    """Write ``root/cityscapes`` as Cityscapes ships it (leftImg8bit + gtFine polygons,
    instanceIds, labelIds), then run mmdet's converter; returns the cityscapes path.

    Needs ``cityscapesscripts`` (it rasterises the polygons exactly as the official gtFine
    PNGs were made, and mmdet's converter and ``CityScapesMetric`` import it).
    """
    from cityscapesscripts.helpers.annotation import Annotation
    from cityscapesscripts.preparation.json2instanceImg import createInstanceImage
    from cityscapesscripts.preparation.json2labelImg import createLabelImage

    tiles = all_tiles()
    cs = Path(root) / 'cityscapes'
    for split, quadrants in CITYSCAPES_SPLITS.items():
        for photo in PHOTOS:
            city = photo.split('_')[0].lower()  # 'osbs', 'soap'
            img_dir = cs / 'leftImg8bit' / split / city
            gt_dir = cs / 'gtFine' / split / city
            img_dir.mkdir(parents=True, exist_ok=True)
            gt_dir.mkdir(parents=True, exist_ok=True)
            for q in quadrants:
                stem = f'{city}_{int(photo.split("_")[1]):06d}_{19 + q:06d}'
                image, objects = tiles[f'{photo}_q{q}']
                cv2.imwrite(str(img_dir / f'{stem}_leftImg8bit.png'), image)
                h, w = image.shape[:2]
                # back to front, as Cityscapes lists them: the ground first (a real frame has
                # no void background; void pixels make the evaluation ignore predictions),
                # then one polygon per tree
                ground = dict(label=CITYSCAPES_GROUND,
                              polygon=[[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]])
                polygons = dict(imgHeight=h, imgWidth=w, objects=[ground] + [
                    dict(label=CITYSCAPES_CLASS,
                         polygon=[[round(x), round(y)] for x, y in zip(p[0::2], p[1::2])])
                    for p in (ellipse_polygon(o['box']) for o in objects)])
                poly_file = gt_dir / f'{stem}_gtFine_polygons.json'
                poly_file.write_text(json.dumps(polygons, indent=1))
                annotation = Annotation()
                annotation.fromJsonFile(str(poly_file))
                # cityscapesscripts draws the PIL images; its json2*Img savers fail on
                # Pillow >= 12 ("cannot write mode I as PNG"), so OpenCV writes the 16-bit
                # (instanceIds) and 8-bit (labelIds) PNGs the official gtFine has.
                inst = np.asarray(createInstanceImage(annotation, 'ids'), dtype=np.int64)
                cv2.imwrite(str(gt_dir / f'{stem}_gtFine_instanceIds.png'),
                            inst.astype(np.uint16))
                label = np.asarray(createLabelImage(annotation, 'ids'), dtype=np.int64)
                cv2.imwrite(str(gt_dir / f'{stem}_gtFine_labelIds.png'), label.astype(np.uint8))
    _run_mmdet_cityscapes_converter(cs, cs / 'annotations')
    return cs


def mmdet_cityscapes_converter() -> Path:
    """mmdet's ``tools/dataset_converters/cityscapes.py`` as installed with mmdet (.mim)."""
    import mmdet
    return Path(mmdet.__file__).parent / '.mim' / 'tools' / 'dataset_converters' / 'cityscapes.py'


def _run_mmdet_cityscapes_converter(cs: Path, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    conv = runpy.run_path(str(mmdet_cityscapes_converter()))
    for split in CITYSCAPES_SPLITS:
        files = conv['collect_files'](str(cs / 'leftImg8bit' / split), str(cs / 'gtFine' / split))
        infos = conv['collect_annotations'](files, nproc=1)
        conv['cvt_annotations'](infos, str(out_dir / f'instancesonly_filtered_gtFine_{split}.json'))
