"""Selective search: class-agnostic object proposals by hierarchical grouping of superpixels.

Reimplemented from J. R. R. Uijlings, K. E. A. van de Sande, T. Gevers, A. W. M. Smeulders,
"Selective Search for Object Recognition", IJCV 104(2):154-171, 2013.

- Sec. 3.1 (Algorithm 1): the initial regions are the graph-based segmentation of
  Felzenszwalb & Huttenlocher (IJCV 2004, parameter ``k`` = ``scale``); the two most similar
  *neighbouring* regions are merged until one region covers the image. Every region ever
  formed (initial and merged) is a proposal.
- Sec. 3.2 (complementary similarity measures, each in [0, 1]):
  ``s_colour(ri, rj) = sum_k min(c_i^k, c_j^k)`` over L1-normalised 25-bin-per-channel colour
  histograms (75-d); ``s_texture`` likewise over 10-bin histograms of Gaussian derivatives
  (sigma 1) in 8 orientations per channel (240-d); a merged region's histogram is the
  size-weighted mean ``C_t = (size(ri) C_i + size(rj) C_j) / (size(ri) + size(rj))``;
  ``s_size = 1 - (size(ri) + size(rj)) / size(im)``;
  ``s_fill = 1 - (size(BB_ij) - size(ri) - size(rj)) / size(im)``;
  ``s = a1 s_colour + a2 s_texture + a3 s_size + a4 s_fill`` with ``a in {0, 1}``.
- Sec. 3.2 (diversification) and the evaluation's "Selective Search Fast" configuration:
  colour spaces HSV and Lab, starting regions from ``k in {k0, 2 k0}`` and the similarity
  sets C+T+S+F and T+S+F, i.e. 8 hierarchies. "Single" is one of them (HSV, C+T+S+F, k0).
- Sec. 3.3 (combining locations): the region at position ``i`` of a hierarchy (``i = 1`` is the
  region covering the whole image) gets ``v = RND x i`` with ``RND ~ U[0, 1]``; all regions
  are sorted by ``v`` and duplicate boxes are removed, keeping the best-ranked copy.

Only numpy, OpenCV (colour conversion, Gaussian derivatives), scipy (bounding boxes) and
scikit-image (Felzenszwalb segmentation, compiled) are used; the grouping is a heap over
neighbouring pairs whose similarities are updated with vectorised numpy per merge.
"""
import heapq
from typing import Dict, List, Sequence, Tuple

import cv2
import numpy as np
from scipy import ndimage

COLOUR_BINS = 25
TEXTURE_BINS = 10
TEXTURE_ORIENTATIONS = 8

# Which of (colour, texture, size, fill) a similarity set sums (Sec. 3.2, eq. for s).
SIMILARITY_SETS: Dict[str, Tuple[bool, bool, bool, bool]] = {
    'CTSF': (True, True, True, True),
    'TSF': (False, True, True, True),
    'F': (False, False, False, True),
    'S': (False, False, True, False),
}

# Diversification strategies (Sec. 3.2): colour spaces, multiples of the base ``k``,
# similarity sets. Their product is the list of hierarchies.
MODES: Dict[str, Dict[str, tuple]] = {
    'single': dict(colour_spaces=('hsv', ), k_multipliers=(1, ), similarities=('CTSF', )),
    'fast': dict(colour_spaces=('hsv', 'lab'), k_multipliers=(1, 2),
                 similarities=('CTSF', 'TSF')),
}

# 8-bit OpenCV ranges of each channel, for histogram binning (OpenCV stores hue as 0..179).
_CHANNEL_RANGES = {'hsv': (180, 256, 256), 'lab': (256, 256, 256), 'rgb': (256, 256, 256)}


def convert_colour(img_bgr: np.ndarray, space: str) -> np.ndarray:
    """Convert a ``(H, W, 3)`` uint8 BGR image to ``space`` ('hsv', 'lab' or 'rgb'), uint8."""
    if space == 'hsv':
        return cv2.cvtColor(img_bgr, cv2.COLOR_BGR2HSV)
    if space == 'lab':
        return cv2.cvtColor(img_bgr, cv2.COLOR_BGR2LAB)
    if space == 'rgb':
        return np.ascontiguousarray(img_bgr[..., ::-1])
    raise ValueError(f'unknown colour space {space!r}; use one of {sorted(_CHANNEL_RANGES)}')


def felzenszwalb_segmentation(img: np.ndarray, scale: float, sigma: float,
                              min_size: int) -> Tuple[np.ndarray, int]:
    """Graph-based segmentation (Felzenszwalb & Huttenlocher 2004) of a ``(H, W, 3)`` image.

    Returns:
        labels ``(H, W)`` int64 in ``0..n-1`` (consecutive) and ``n``.
    """
    try:
        from skimage.segmentation import felzenszwalb
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError('selective search needs scikit-image for the Felzenszwalb '
                          'segmentation; install it with `pip install scikit-image==0.26.0`'
                          ) from e
    labels = felzenszwalb(img, scale=scale, sigma=sigma, min_size=min_size, channel_axis=-1)
    # skimage's labels are already consecutive; relabelling makes that a guarantee.
    uniq, inverse = np.unique(labels, return_inverse=True)
    return inverse.reshape(labels.shape).astype(np.int64), len(uniq)


def _histograms(bins: np.ndarray, labels: np.ndarray, n: int, n_bins: int) -> np.ndarray:
    """Per-region histograms of ``D`` quantised maps, concatenated and L1-normalised.

    Args:
        bins: ``(D, H, W)`` integer bin indices in ``0..n_bins-1``.
        labels: ``(H, W)`` region labels in ``0..n-1``.

    Returns:
        ``(n, D * n_bins)`` float64, each row summing to 1.
    """
    d = bins.shape[0]
    offsets = (np.arange(d) * n_bins)[:, None, None]
    index = labels[None] * (d * n_bins) + offsets + bins
    hist = np.bincount(index.ravel(), minlength=n * d * n_bins).reshape(n, d * n_bins)
    return hist / hist.sum(axis=1, keepdims=True)


def colour_histograms(img: np.ndarray, labels: np.ndarray, n: int,
                      ranges: Sequence[int]) -> np.ndarray:
    """``(n, 75)`` colour histograms: 25 bins per channel of the ``(H, W, 3)`` image."""
    bins = np.stack([img[..., c].astype(np.int64) * COLOUR_BINS // ranges[c]
                     for c in range(img.shape[2])])
    return _histograms(np.minimum(bins, COLOUR_BINS - 1), labels, n, COLOUR_BINS)


def texture_histograms(img: np.ndarray, labels: np.ndarray, n: int) -> np.ndarray:
    """``(n, 240)`` texture histograms: 8 orientations x 10 bins per channel.

    A Gaussian derivative (sigma 1) along orientation ``theta_o = o * 45 deg`` is
    ``cos(theta_o) d/dx + sin(theta_o) d/dy`` of the Gaussian-smoothed channel; its positive
    part is kept, so opposite orientations split the sign. Magnitudes are normalised by their
    image maximum before binning, so the histogram does not depend on the image contrast.
    """
    angles = np.arange(TEXTURE_ORIENTATIONS) * (2 * np.pi / TEXTURE_ORIENTATIONS)
    bins = []
    for c in range(img.shape[2]):
        smooth = cv2.GaussianBlur(img[..., c].astype(np.float32), (0, 0), 1.0)
        gx = cv2.Sobel(smooth, cv2.CV_32F, 1, 0, ksize=1)
        gy = cv2.Sobel(smooth, cv2.CV_32F, 0, 1, ksize=1)
        for a in angles:
            d = np.maximum(np.cos(a) * gx + np.sin(a) * gy, 0.0)
            peak = float(d.max())
            scaled = d * (TEXTURE_BINS / peak) if peak > 0 else d
            bins.append(np.minimum(scaled.astype(np.int64), TEXTURE_BINS - 1))
    return _histograms(np.stack(bins), labels, n, TEXTURE_BINS)


def region_boxes(labels: np.ndarray, n: int) -> np.ndarray:
    """``(n, 4)`` float64 xyxy boxes (pixel edges: ``x2 = last column + 1``) of each label."""
    slices = ndimage.find_objects(labels + 1, max_label=n)
    return np.array([[s[1].start, s[0].start, s[1].stop, s[0].stop] for s in slices],
                    dtype=np.float64)


def adjacent_pairs(labels: np.ndarray, n: int) -> np.ndarray:
    """``(P, 2)`` int64 pairs ``i < j`` of labels that touch (4-connectivity), sorted."""
    a = np.concatenate([labels[:, :-1].ravel(), labels[:-1, :].ravel()])
    b = np.concatenate([labels[:, 1:].ravel(), labels[1:, :].ravel()])
    diff = a != b
    lo, hi = np.minimum(a[diff], b[diff]), np.maximum(a[diff], b[diff])
    keys = np.unique(lo * n + hi)
    return np.stack([keys // n, keys % n], axis=1)


def similarity(size_i: np.ndarray, size_j: np.ndarray, box_i: np.ndarray, box_j: np.ndarray,
               colour_i: np.ndarray, colour_j: np.ndarray, texture_i: np.ndarray,
               texture_j: np.ndarray, img_area: float,
               use: Tuple[bool, bool, bool, bool]) -> np.ndarray:
    """Similarity ``s(ri, rj)`` of Sec. 3.2 for ``P`` pairs (arguments broadcast over ``P``).

    Args:
        size_i, size_j: ``(P,)`` region sizes in pixels.
        box_i, box_j: ``(P, 4)`` xyxy boxes.
        colour_i, colour_j: ``(P, 75)``; texture_i, texture_j: ``(P, 240)`` histograms.
        img_area: ``size(im)``.
        use: which of (colour, texture, size, fill) are summed.

    Returns:
        ``(P,)`` similarities in ``[0, sum(use)]``.
    """
    s = np.zeros(np.broadcast(size_i, size_j).shape, dtype=np.float64)
    if use[0]:
        s = s + np.minimum(colour_i, colour_j).sum(axis=-1)
    if use[1]:
        s = s + np.minimum(texture_i, texture_j).sum(axis=-1)
    if use[2]:
        s = s + 1.0 - (size_i + size_j) / img_area
    if use[3]:
        bb_w = np.maximum(box_i[..., 2], box_j[..., 2]) - np.minimum(box_i[..., 0], box_j[..., 0])
        bb_h = np.maximum(box_i[..., 3], box_j[..., 3]) - np.minimum(box_i[..., 1], box_j[..., 1])
        s = s + 1.0 - (bb_w * bb_h - size_i - size_j) / img_area
    return s


def hierarchical_grouping(sizes: np.ndarray, boxes: np.ndarray, colour: np.ndarray,
                          texture: np.ndarray, pairs: np.ndarray, img_area: float,
                          use: Tuple[bool, bool, bool, bool]) -> np.ndarray:
    """Algorithm 1 of the paper: greedily merge the most similar neighbouring regions.

    Args:
        sizes: ``(n,)`` initial region sizes; boxes: ``(n, 4)`` xyxy;
        colour: ``(n, 75)``; texture: ``(n, 240)`` L1-normalised histograms.
        pairs: ``(P, 2)`` neighbouring initial regions ``i < j``.
        img_area: image area in pixels.
        use: the similarity set, see :data:`SIMILARITY_SETS`.

    Returns:
        ``(m, 4)`` boxes of every region in creation order: the ``n`` initial ones, then one
        per merge (``m = 2n - 1`` for a connected image; the last one covers the image).
    """
    n = len(sizes)
    total = 2 * n - 1
    size = np.zeros(total)
    size[:n] = sizes
    box = np.zeros((total, 4))
    box[:n] = boxes
    col = np.zeros((total, colour.shape[1]))
    col[:n] = colour
    tex = np.zeros((total, texture.shape[1]))
    tex[:n] = texture

    i, j = pairs[:, 0], pairs[:, 1]
    sims = similarity(size[i], size[j], box[i], box[j], col[i], col[j], tex[i], tex[j],
                      img_area, use)
    # A min-heap on -s; ties break on the (smaller) region ids, so the order is deterministic.
    heap: List[Tuple[float, int, int]] = list(zip((-sims).tolist(), i.tolist(), j.tolist()))
    heapq.heapify(heap)
    neighbours: List[set] = [set() for _ in range(n)]
    for a, b in pairs.tolist():
        neighbours[a].add(b)
        neighbours[b].add(a)
    alive = [True] * n

    t = n
    while heap:
        _, a, b = heapq.heappop(heap)
        if not (alive[a] and alive[b]):
            continue  # stale entry: one of the pair was merged already (lazy deletion)
        size[t] = size[a] + size[b]
        col[t] = (size[a] * col[a] + size[b] * col[b]) / size[t]
        tex[t] = (size[a] * tex[a] + size[b] * tex[b]) / size[t]
        box[t, :2] = np.minimum(box[a, :2], box[b, :2])
        box[t, 2:] = np.maximum(box[a, 2:], box[b, 2:])
        alive[a] = alive[b] = False
        alive.append(True)
        nb = (neighbours[a] | neighbours[b]) - {a, b}
        for k in nb:
            neighbours[k].discard(a)
            neighbours[k].discard(b)
            neighbours[k].add(t)
        neighbours.append(nb)
        if nb:
            k = np.fromiter(sorted(nb), dtype=np.int64, count=len(nb))
            s = similarity(size[k], size[t], box[k], box[t], col[k], col[t], tex[k], tex[t],
                           img_area, use)
            for sk, kk in zip((-s).tolist(), k.tolist()):
                heapq.heappush(heap, (sk, kk, t))
        t += 1
    return box[:t]


def selective_search(img_bgr: np.ndarray, mode: str = 'fast', scale: float = 150.0,
                     sigma: float = 0.8, min_size: int = 50,
                     seed: int = 0) -> Tuple[np.ndarray, np.ndarray]:
    """Ranked selective-search boxes of one image (no filtering).

    Args:
        img_bgr: ``(H, W, 3)`` uint8 BGR image.
        mode: a key of :data:`MODES` ('fast': 8 hierarchies, 'single': 1).
        scale: base ``k`` of the Felzenszwalb segmentation (larger -> larger initial regions);
            'fast' also uses ``2 * scale``.
        sigma: Gaussian pre-smoothing of the segmentation.
        min_size: minimum initial region size in pixels.
        seed: seed of the ``RND`` in the ranking (Sec. 3.3): fixed, so results are
            reproducible across runs and processes.

    Returns:
        boxes ``(K, 4)`` float32 xyxy in pixels, best first, without duplicates, and
        scores ``(K,)`` float32 = ``1 / (1 + rank)``.
    """
    if mode not in MODES:
        raise ValueError(f'unknown selective search mode {mode!r}; use one of {sorted(MODES)}')
    if img_bgr.ndim != 3 or img_bgr.shape[2] != 3 or img_bgr.dtype != np.uint8:
        raise ValueError('selective search needs an (H, W, 3) uint8 BGR image, got '
                         f'shape {img_bgr.shape} dtype {img_bgr.dtype}')
    strategy = MODES[mode]
    img_area = float(img_bgr.shape[0] * img_bgr.shape[1])
    rng = np.random.default_rng(seed)
    all_boxes, all_values = [], []
    for space in strategy['colour_spaces']:
        img = convert_colour(img_bgr, space)
        for mult in strategy['k_multipliers']:
            labels, n = felzenszwalb_segmentation(img, scale * mult, sigma, min_size)
            sizes = np.bincount(labels.ravel(), minlength=n).astype(np.float64)
            boxes = region_boxes(labels, n)
            colour = colour_histograms(img, labels, n, _CHANNEL_RANGES[space])
            texture = texture_histograms(img, labels, n)
            pairs = adjacent_pairs(labels, n)
            for name in strategy['similarities']:
                hier = hierarchical_grouping(sizes, boxes, colour, texture, pairs, img_area,
                                             SIMILARITY_SETS[name])
                # position 1 = the last region formed (the whole image), Sec. 3.3
                position = np.arange(len(hier), 0, -1, dtype=np.float64)
                all_boxes.append(hier)
                all_values.append(position * rng.random(len(hier)))
    boxes = np.concatenate(all_boxes)
    order = np.argsort(np.concatenate(all_values), kind='stable')
    boxes = boxes[order]
    _, first = np.unique(boxes, axis=0, return_index=True)
    boxes = boxes[np.sort(first)].astype(np.float32)
    scores = (1.0 / (1.0 + np.arange(len(boxes)))).astype(np.float32)
    return boxes, scores
