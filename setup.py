"""mmssl_det: self-supervised pretraining of whole object detectors on OpenMMLab.

The heavy stack (torch, mmcv with compiled ops) is installed by ``tools/install.sh``;
the pins here keep pip from silently swapping any of it.
"""
from pathlib import Path

from setuptools import find_packages, setup

version: dict = {}
exec(Path(__file__).with_name('mmssl_det').joinpath('version.py').read_text(), version)

setup(
    name='mmssl_det',
    version=version['__version__'],
    description='Self-supervised pretraining of whole object detectors '
    '(backbone, FPN, RPN, RoI head) for mmdet 3.x',
    long_description=Path(__file__).with_name('README.md').read_text(encoding='utf-8')
    if Path(__file__).with_name('README.md').exists() else '',
    long_description_content_type='text/markdown',
    license='Apache-2.0',
    python_requires='>=3.9,<3.13',
    packages=find_packages(include=['mmssl_det', 'mmssl_det.*']),
    install_requires=[
        'torch>=2.1',
        'mmengine==0.10.7',
        'mmcv>=2.0.0rc4,<2.2.0',
        'mmdet==3.3.0',
        'pycocotools>=2.0.7',
        'scikit-image==0.26.0',  # Felzenszwalb segmentation for selective search
        'numpy<2.3',
        'tqdm',
    ],
    extras_require={
        # cityscapesscripts: mmdet's CityscapesMetric, used by the Cityscapes transfer tests
        'dev': ['pytest>=7', 'pytest-timeout', 'matplotlib', 'cityscapesscripts==2.3.0'],
    },
    zip_safe=False,
)
