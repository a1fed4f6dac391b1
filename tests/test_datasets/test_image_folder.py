"""ImageFolderDataset: listing, COCO image lists, proposals and their validation."""
import json
import shutil

import numpy as np
import pytest
from mmengine.registry import DefaultScope

import mmssl_det  # noqa: F401
from mmssl_det.datasets import ImageFolderDataset
from mmssl_det.registry import DATASETS


def _folder(tmp_path, tree_images):
    """tmp_path/imgs with the fixture images under mixed-case names, nested, plus a text file."""
    root = tmp_path / 'imgs'
    (root / 'sub' / 'deeper').mkdir(parents=True)
    # Created in non-sorted order: the listing must not depend on the file system's order.
    shutil.copy(tree_images[1], root / 'z.png')
    shutil.copy(tree_images[0], root / 'sub' / 'deeper' / 'x.jpeg')
    shutil.copy(tree_images[0], root / 'A.JPG')
    (root / 'notes.txt').write_text('not an image')
    return root


def _proposals(images, anns):
    return dict(images=images, categories=[dict(id=1, name='object')],
                info=dict(generator='test', params={}),
                annotations=[dict(id=i + 1, score=0.9, category_id=1, **a)
                             for i, a in enumerate(anns)])


FIXTURE_IMAGES = [dict(id=7, file_name='SOAP_061.jpg', width=400, height=400),
                  dict(id=3, file_name='OSBS_029.jpg', width=400, height=400)]


def _with_proposals(tmp_path, data_dir, proposals, **kwargs):
    path = tmp_path / 'proposals.json'
    path.write_text(json.dumps(proposals))
    return ImageFolderDataset(data_root=str(data_dir), data_prefix=dict(img='images/'),
                              proposals_file=str(path), **kwargs)


def test_folder_listing_is_recursive_sorted_and_case_insensitive(tmp_path, tree_images):
    root = _folder(tmp_path, tree_images)
    ds = ImageFolderDataset(data_root=str(tmp_path), data_prefix=dict(img='imgs'))
    names = [ds.get_data_info(i)['file_name'] for i in range(len(ds))]
    assert names == ['A.JPG', 'sub/deeper/x.jpeg', 'z.png']
    assert [ds.get_data_info(i)['img_id'] for i in range(3)] == [0, 1, 2]
    assert ds.get_data_info(1)['img_path'] == str(root / 'sub' / 'deeper' / 'x.jpeg')
    again = ImageFolderDataset(data_root=str(tmp_path), data_prefix=dict(img='imgs'),
                               serialize_data=False)
    assert [again.get_data_info(i)['img_path'] for i in range(3)] == \
        [ds.get_data_info(i)['img_path'] for i in range(3)]
    only_png = ImageFolderDataset(data_root=str(tmp_path), data_prefix=dict(img='imgs'),
                                  extensions=('.PNG', ))
    assert len(only_png) == 1 and only_png.get_data_info(0)['file_name'] == 'z.png'


def test_build_from_registry_lazy_init_indices_and_pipeline(data_dir):
    cfg = dict(type='ImageFolderDataset', data_root=str(data_dir),
               data_prefix=dict(img='images/'), pipeline=[dict(type='LoadImageChecked')],
               lazy_init=True, indices=[1])
    with DefaultScope.overwrite_default_scope('mmssl_det'):
        ds = DATASETS.build(cfg)
        assert not ds._fully_initialized
        assert len(ds) == 1  # triggers full_init, then keeps only index 1
        sample = ds[0]
    assert sample['file_name'] == 'SOAP_061.jpg'
    assert sample['img'].shape == (400, 400, 3) and sample['img'].dtype == np.uint8
    assert 'pseudo_boxes' not in sample


def test_coco_ann_file_gives_ids_and_sizes_and_ignores_labels(data_dir, coco_trees):
    ds = ImageFolderDataset(data_root=str(data_dir), data_prefix=dict(img='images/'),
                            ann_file='coco_trees.json')
    infos = [ds.get_data_info(i) for i in range(len(ds))]
    assert [(i['img_id'], i['file_name'], i['width'], i['height']) for i in infos] == \
        [(1, 'OSBS_029.jpg', 400, 400), (2, 'SOAP_061.jpg', 400, 400)]
    assert all('instances' not in i for i in infos)


def test_missing_root_and_empty_folder_raise_naming_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match=r'nowhere/imgs.*set data_root'):
        ImageFolderDataset(data_root=str(tmp_path / 'nowhere'), data_prefix=dict(img='imgs'))
    with pytest.raises(FileNotFoundError, match='set data_root'):
        ImageFolderDataset()  # neither data_root nor prefix given
    (tmp_path / 'empty' / 'sub').mkdir(parents=True)
    (tmp_path / 'empty' / 'sub' / 'readme.txt').write_text('x')
    with pytest.raises(FileNotFoundError, match=r'no images .* under .*empty'):
        ImageFolderDataset(data_root=str(tmp_path), data_prefix=dict(img='empty'))
    with pytest.raises(ValueError, match="no 'img' key"):
        ImageFolderDataset(data_root=str(tmp_path), data_prefix=dict(img_path='empty'))


def test_ann_file_image_missing_from_folder(tmp_path, tree_images):
    root = _folder(tmp_path, tree_images)
    (tmp_path / 'ann.json').write_text(json.dumps(dict(images=[
        dict(id=1, file_name='z.png'), dict(id=2, file_name='gone.jpg')])))
    with pytest.raises(FileNotFoundError, match=r"'gone.jpg' \(id 2\) is not in"):
        ImageFolderDataset(data_root=str(tmp_path), data_prefix=dict(img=root.name),
                           ann_file='ann.json')


def test_valid_proposals_are_matched_by_file_name_and_clipped(tmp_path, data_dir):
    anns = [dict(image_id=3, bbox=[10, 20, 30, 40]),          # OSBS: xyxy 10,20,40,60
            dict(image_id=3, bbox=[-0.5, 390.5, 10.0, 10.0]),  # 0.5 px out: clipped
            dict(image_id=3, bbox=[100.25, 0, 0.5, 400])]      # thin but positive
    ds = _with_proposals(tmp_path, data_dir, _proposals(FIXTURE_IMAGES, anns))
    osbs, soap = ds.get_data_info(0), ds.get_data_info(1)
    assert osbs['file_name'] == 'OSBS_029.jpg'
    np.testing.assert_allclose(osbs['pseudo_boxes'], [[10, 20, 40, 60], [0, 390.5, 9.5, 400],
                                                      [100.25, 0, 100.75, 400]])
    assert osbs['pseudo_boxes'].dtype == np.float32
    np.testing.assert_array_equal(osbs['pseudo_box_ids'], [0, 1, 2])
    assert osbs['pseudo_box_ids'].dtype == np.int64
    # An image without proposals is allowed and gets an empty (0, 4) array.
    assert soap['pseudo_boxes'].shape == (0, 4) and soap['pseudo_box_ids'].shape == (0, )
    assert (soap['width'], soap['height']) == (400, 400)  # sizes come from the json


def test_proposals_file_without_any_box(tmp_path, data_dir):
    ds = _with_proposals(tmp_path, data_dir, _proposals(FIXTURE_IMAGES, []))
    for i in range(2):
        assert ds.get_data_info(i)['pseudo_boxes'].shape == (0, 4)
        assert ds.get_data_info(i)['pseudo_box_ids'].dtype == np.int64


def test_proposals_survive_the_pipeline(tmp_path, data_dir):
    anns = [dict(image_id=7, bbox=[1, 2, 3, 4])]
    with DefaultScope.overwrite_default_scope('mmssl_det'):
        ds = _with_proposals(tmp_path, data_dir, _proposals(FIXTURE_IMAGES, anns),
                             pipeline=[dict(type='LoadImageChecked')])
        sample = ds[1]
    assert sample['img'].shape == (400, 400, 3)
    np.testing.assert_array_equal(sample['pseudo_boxes'], [[1, 2, 4, 6]])


def test_proposals_for_a_coco_subset_may_cover_more_folder_images(tmp_path, data_dir):
    (tmp_path / 'ann.json').write_text(json.dumps(dict(images=[
        dict(id=1, file_name='SOAP_061.jpg', width=400, height=400)])))
    anns = [dict(image_id=3, bbox=[0, 0, 5, 5]), dict(image_id=7, bbox=[1, 1, 2, 2])]
    ds = _with_proposals(tmp_path, data_dir, _proposals(FIXTURE_IMAGES, anns),
                         ann_file=str(tmp_path / 'ann.json'))
    assert len(ds) == 1
    np.testing.assert_array_equal(ds.get_data_info(0)['pseudo_boxes'], [[1, 1, 3, 3]])


@pytest.mark.parametrize('images, anns, match', [
    (FIXTURE_IMAGES + [dict(id=9, file_name='nothere.jpg', width=4, height=4)], [],
     r"images\[2\] file_name 'nothere.jpg' is not in the image folder"),
    (FIXTURE_IMAGES[:1], [], r"no entry for image 'OSBS_029.jpg'"),
    (FIXTURE_IMAGES + [dict(id=9, file_name='scan.tif', width=4, height=4)], [],
     r"images\[2\] 'scan.tif' is not one of extensions"),
    (FIXTURE_IMAGES + [dict(id=7, file_name='x.jpg', width=4, height=4)], [],
     r'images\[2\] repeats image id 7'),
    ([dict(id=7, file_name='SOAP_061.jpg', width=0, height=400)], [],
     r'images\[0\] .* is malformed'),
    (FIXTURE_IMAGES, [dict(image_id=3, bbox=[0, 0, 1, 1]), dict(image_id=3, bbox=[390, 0, 12, 5]),
                      dict(image_id=99, bbox=[0, 0, 1, 1])],
     r'annotations\[1\] has bbox \[390, 0, 12, 5\] outside its 400x400 image'),
    (FIXTURE_IMAGES, [dict(image_id=7, bbox=[0, -1.5, 5, 5])], r'annotations\[0\] .* outside'),
    (FIXTURE_IMAGES, [dict(image_id=99, bbox=[0, 0, 1, 1])],
     r'annotations\[0\] has unknown image_id 99'),
    (FIXTURE_IMAGES, [dict(image_id=3, bbox=[0, 0, 1, 1]), dict(image_id=3, bbox=[0, 0, 1])],
     r'annotations\[1\] has bbox \[0, 0, 1\], not 4 finite numbers'),
    (FIXTURE_IMAGES, [dict(image_id=3, bbox=['0', '0', '1', '1'])], r'not 4 finite numbers'),
    (FIXTURE_IMAGES, [dict(image_id=3, bbox=[0, 0, 1, 1]), dict(image_id=3)],
     r'annotations\[1\] has bbox None'),
    (FIXTURE_IMAGES, [dict(image_id=3, bbox=[5, 5, 0, 3])],
     r'annotations\[0\] .* width/height <= 0'),
    (FIXTURE_IMAGES, [dict(image_id=7, bbox=[5, 5, 3, -2])], r'width/height <= 0'),
])
def test_invalid_proposals_name_the_first_offending_entry(tmp_path, data_dir, images, anns,
                                                          match):
    with pytest.raises(ValueError, match=r'proposals\.json.*' + match):
        _with_proposals(tmp_path, data_dir, _proposals(images, anns))


def test_proposals_file_missing_or_not_coco(tmp_path, data_dir):
    with pytest.raises(FileNotFoundError, match=r'gone\.json.*generate_proposals'):
        ImageFolderDataset(data_root=str(data_dir), data_prefix=dict(img='images/'),
                           proposals_file=str(tmp_path / 'gone.json'))
    with pytest.raises(ValueError, match="'images' and 'annotations' lists"):
        _with_proposals(tmp_path, data_dir, dict(images=FIXTURE_IMAGES))


def test_proposal_size_must_agree_with_ann_file(tmp_path, data_dir):
    wrong = [dict(FIXTURE_IMAGES[0]), dict(FIXTURE_IMAGES[1], width=200)]
    with pytest.raises(ValueError, match=r"'OSBS_029.jpg' is 200x400 but .* says 400x400"):
        _with_proposals(tmp_path, data_dir, _proposals(wrong, []),
                        ann_file='coco_trees.json')


def test_proposals_path_is_relative_to_data_root(tmp_path, tree_images):
    root = _folder(tmp_path, tree_images)
    (tmp_path / 'props').mkdir()
    images = [dict(id=i, file_name=n, width=400, height=400)
              for i, n in enumerate(['A.JPG', 'sub/deeper/x.jpeg', 'z.png'])]
    (tmp_path / 'props' / 'p.json').write_text(json.dumps(_proposals(
        images, [dict(image_id=1, bbox=[0, 0, 2, 2])])))
    ds = ImageFolderDataset(data_root=str(tmp_path), data_prefix=dict(img=root.name),
                            proposals_file='props/p.json')
    assert [len(ds.get_data_info(i)['pseudo_boxes']) for i in range(3)] == [0, 1, 0]
