"""tools/generate_proposals.py: json format, empty images, resume, determinism, CLI."""
import importlib.util
import json
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / 'tests' / 'data' / 'images'

pytest.importorskip('skimage', reason='selective search needs scikit-image')


def _load_tool():
    # Registered in sys.modules so pool workers can unpickle its functions by name.
    spec = importlib.util.spec_from_file_location('generate_proposals',
                                                  REPO / 'tools' / 'generate_proposals.py')
    module = importlib.util.module_from_spec(spec)
    sys.modules['generate_proposals'] = module
    spec.loader.exec_module(module)
    return module


tool = _load_tool()
PARAMS = dict(tool.PRESETS['demo'], topk=20)


@pytest.fixture
def img_dir(tmp_path):
    """Two real crops (one in a sub-folder, PNG) and a flat image whose only box is filtered."""
    root = tmp_path / 'imgs'
    (root / 'sub').mkdir(parents=True)
    cv2.imwrite(str(root / 'a.jpg'), cv2.imread(str(FIXTURES / 'OSBS_029.jpg'))[:160, :160])
    cv2.imwrite(str(root / 'sub' / 'b.png'), cv2.imread(str(FIXTURES / 'SOAP_061.jpg'))[:120])
    cv2.imwrite(str(root / 'flat.png'), np.full((48, 64, 3), 77, np.uint8))
    (root / 'notes.txt').write_text('not an image')
    return root


def test_json_is_valid_coco_with_sorted_ids(img_dir, tmp_path):
    from pycocotools.coco import COCO
    out = tmp_path / 'p.json'
    summary = tool.generate_proposals(str(img_dir), str(out), PARAMS)
    coco = COCO(str(out))
    data = json.loads(out.read_text())
    assert [(i['id'], i['file_name'], i['width'], i['height']) for i in data['images']] == [
        (1, 'a.jpg', 160, 160), (2, 'flat.png', 64, 48), (3, 'sub/b.png', 400, 120)]
    assert data['categories'] == [dict(id=1, name='object')]
    assert data['info']['generator'] == 'SelectiveSearchProposals'
    assert data['info']['params']['rel_size'] == list(PARAMS['rel_size'])
    anns = data['annotations']
    assert summary == dict(images=3, computed=3, boxes=len(anns))
    assert [a['id'] for a in anns] == list(range(1, len(anns) + 1))
    assert coco.getAnnIds(imgIds=[2]) == []  # everything on the flat image was filtered
    for img_id in (1, 3):
        img = coco.imgs[img_id]
        boxes = np.array([coco.anns[i]['bbox'] for i in coco.getAnnIds(imgIds=[img_id])])
        assert 0 < len(boxes) <= PARAMS['topk']
        assert (boxes[:, 2:] >= PARAMS['min_side']).all()
        assert (boxes[:, 0] + boxes[:, 2] <= img['width']).all()
        assert (boxes[:, 1] + boxes[:, 3] <= img['height']).all()
        scores = [coco.anns[i]['score'] for i in coco.getAnnIds(imgIds=[img_id])]
        assert scores == sorted(scores, reverse=True)
    assert {a['category_id'] for a in anns} == {1}


def test_rerun_skips_cached_images_and_resumes(img_dir, tmp_path):
    out = tmp_path / 'p.json'
    tool.generate_proposals(str(img_dir), str(out), PARAMS)
    first = out.read_bytes()
    parts = sorted((tmp_path / 'p.json.parts').rglob('*.npz'))
    assert [p.relative_to(tmp_path / 'p.json.parts').as_posix() for p in parts] == [
        'a.jpg.npz', 'flat.png.npz', 'sub/b.png.npz']
    mtimes = [p.stat().st_mtime_ns for p in parts]

    assert tool.generate_proposals(str(img_dir), str(out), PARAMS)['computed'] == 0
    assert [p.stat().st_mtime_ns for p in parts] == mtimes
    assert out.read_bytes() == first

    parts[2].unlink()  # as if the run had been interrupted before the last image
    assert tool.generate_proposals(str(img_dir), str(out), PARAMS)['computed'] == 1
    assert out.read_bytes() == first


def test_same_output_for_one_and_two_workers(img_dir, tmp_path):
    one, two = tmp_path / 'one.json', tmp_path / 'two.json'
    tool.generate_proposals(str(img_dir), str(one), PARAMS, workers=1)
    tool.generate_proposals(str(img_dir), str(two), PARAMS, workers=2)
    assert one.read_bytes() == two.read_bytes()


def test_cache_of_other_parameters_is_refused(img_dir, tmp_path):
    out = tmp_path / 'p.json'
    tool.generate_proposals(str(img_dir), str(out), PARAMS)
    with pytest.raises(ValueError, match='another --work-dir'):
        tool.generate_proposals(str(img_dir), str(out), dict(PARAMS, topk=5))


def test_cli_flags_override_preset():
    args = tool.parse_args(['imgs', 'out.json', '--preset', 'soco', '--rel-size', '0.1', '0.5',
                            '--nms-iou', '0', '--topk', '0', '--mode', 'single'])
    params = tool.params_from_args(args)
    assert params == dict(tool.PRESETS['soco'], rel_size=[0.1, 0.5], nms_iou=None, topk=None,
                          mode='single')


def test_missing_or_empty_folder_raises(tmp_path):
    with pytest.raises(FileNotFoundError, match='does not exist'):
        tool.list_images(str(tmp_path / 'nope'))
    with pytest.raises(FileNotFoundError, match='no images'):
        tool.list_images(str(tmp_path))
