"""mmssl_det.proposals.io: the one reader/writer of the proposals json, and its errors."""
import json

import numpy as np
import pytest

from mmssl_det.cli import UserError
from mmssl_det.proposals.io import (ProposalsFileError, find_image, read_proposals,
                                    write_proposals, xywh_to_xyxy, xyxy_to_xywh)

BOXES = np.array([[10, 20, 40, 60], [0.5, 1.25, 399.75, 400]], np.float32)


def _write(tmp_path, images=None):
    path = tmp_path / 'p.json'
    images = images or [('b/x.jpg', 400, 300, BOXES[:1], np.array([0.5])),
                        ('x.jpg', 400, 400, BOXES, np.array([1.0, 0.25])),
                        ('empty.png', 64, 48, np.zeros((0, 4)), np.zeros(0))]
    return path, write_proposals(str(path), images, info=dict(generator='test'))


def test_write_then_read_round_trips_boxes_sizes_and_order(tmp_path):
    path, count = _write(tmp_path)
    assert count == 3
    data = json.loads(path.read_text())
    assert [(i['id'], i['file_name']) for i in data['images']] == \
        [(1, 'b/x.jpg'), (2, 'x.jpg'), (3, 'empty.png')]
    assert data['annotations'][0] == dict(id=1, image_id=1, bbox=[10.0, 20.0, 30.0, 40.0],
                                          score=0.5, category_id=1)
    assert data['categories'] == [dict(id=1, name='object')] and data['info'] == \
        dict(generator='test')
    read = read_proposals(str(path))
    assert list(read) == ['b/x.jpg', 'x.jpg', 'empty.png']
    x = read['x.jpg']
    assert (x.index, x.id, x.width, x.height) == (1, 2, 400, 400)
    np.testing.assert_allclose(x.boxes, BOXES, atol=0.01)
    np.testing.assert_allclose(x.scores, [1.0, 0.25])
    assert x.boxes.dtype == np.float32 and read['empty.png'].boxes.shape == (0, 4)
    assert not list(tmp_path.glob('*.tmp*'))  # written atomically


def test_boxes_within_tolerance_are_clipped(tmp_path):
    path = tmp_path / 'p.json'
    path.write_text(json.dumps(dict(
        images=[dict(id=5, file_name='a.jpg', width=100, height=50)],
        annotations=[dict(image_id=5, bbox=[-0.5, 10, 20, 40.75])])))
    np.testing.assert_allclose(read_proposals(str(path)).get('a.jpg').boxes,
                               [[0, 10, 19.5, 50]])
    with pytest.raises(ProposalsFileError, match=r'annotations\[0\] .* outside its 100x50'):
        read_proposals(str(path), box_tolerance=0.25)


def test_missing_file_names_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=f'{tmp_path}/gone.json does not exist.*'
                                                'generate_proposals'):
        read_proposals(str(tmp_path / 'gone.json'))


@pytest.mark.parametrize('data, match', [
    ([], r"key 'images' is missing or not a list"),
    (dict(images=[]), r"key 'annotations' is missing or not a list"),
    (dict(images=[], annotations={}), r"key 'annotations' is missing or not a list"),
    (dict(images=[dict(id=1, file_name='a.jpg', width=4)], annotations=[]),
     r'images\[0\] .* is malformed'),
    (dict(images=[dict(id=1, file_name='a.jpg', width=4, height=4),
                  dict(id=2, file_name='a.jpg', width=4, height=4)], annotations=[]),
     r"images\[1\] repeats file_name 'a.jpg'"),
    (dict(images=[dict(id=1, file_name='a.jpg', width=4, height=4)],
          annotations=[dict(image_id=1, bbox=[0, 0, 1, 1]), dict(image_id=2, bbox=[0, 0, 1, 1])]),
     r'annotations\[1\] has unknown image_id 2'),
    (dict(images=[dict(id=1, file_name='a.jpg', width=4, height=4)],
          annotations=[dict(image_id=1, bbox=[0, 0, 1, 1], score='high')]),
     r"annotations\[0\] has score 'high'"),
])
def test_malformed_files_name_the_file_and_key(tmp_path, data, match):
    path = tmp_path / 'p.json'
    path.write_text(json.dumps(data))
    with pytest.raises(ProposalsFileError, match=r'p\.json: ' + match) as info:
        read_proposals(str(path))
    assert isinstance(info.value, ValueError) and isinstance(info.value, UserError)


def test_find_image_takes_the_longest_listed_path_suffix(tmp_path):
    path, _ = _write(tmp_path)
    read = read_proposals(str(path))
    assert find_image(read, str(path), '/data/imgs/b/x.jpg').file_name == 'b/x.jpg'
    assert find_image(read, str(path), '/data/imgs/c/x.jpg').file_name == 'x.jpg'
    with pytest.raises(ProposalsFileError, match=r"/data/y.jpg: no entry with file name "
                                                 r"'y.jpg' .* in .*p\.json"):
        find_image(read, str(path), '/data/y.jpg')


def test_box_format_conversions_invert_each_other():
    xywh = xyxy_to_xywh(BOXES.astype(np.float64))
    np.testing.assert_allclose(xywh[0], [10, 20, 30, 40])
    np.testing.assert_allclose(xywh_to_xyxy(xywh), BOXES)
