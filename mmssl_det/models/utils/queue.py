"""The FIFO queue of negative keys of MoCo (He et al., arXiv 1911.05722, Sec. 3.2
"Dictionary as a queue"), also used by SwAV's feature queue and DenseCL's dense queue.

The queue tensor is state that a module owns (a buffer, so checkpoints and resume carry it);
this function only writes into it and returns the new pointer for the module to store.
"""
import torch
from torch import Tensor


@torch.no_grad()
def enqueue_(queue: Tensor, keys: Tensor, ptr: int) -> int:
    """Write ``keys`` into ``queue`` at ``ptr`` (in place), replacing the oldest entries.

    Rows ``ptr, ptr + 1, …`` (mod ``K``) receive ``keys[0], keys[1], …``: the current
    mini-batch is enqueued and the oldest is dequeued (arXiv 1911.05722, Sec. 3.2). ``K``
    need not be divisible by the batch size ``M`` (MoCo's reference code requires it):
    a batch that reaches the end wraps around to row 0. In DDP the caller gathers the keys
    of all ranks first, so every rank's queue stays identical.

    Args:
        queue: ``(K, C)`` queue, modified in place.
        keys: ``(M, C)`` new keys, ``M ≤ K`` (detached; cast to the queue's dtype/device).
        ptr: row of the oldest entry, ``0 ≤ ptr < K``.

    Returns:
        The new pointer ``(ptr + M) mod K``.
    """
    if queue.dim() != 2 or queue.shape[0] == 0:
        raise ValueError(f'enqueue_: queue must be (K, C) with K ≥ 1, got '
                         f'{tuple(queue.shape)}')
    size = queue.shape[0]
    if keys.dim() != 2 or keys.shape[1] != queue.shape[1]:
        raise ValueError(f'enqueue_: keys must be (M, C) with C = {queue.shape[1]} (the '
                         f'queue\'s), got {tuple(keys.shape)}')
    if keys.shape[0] > size:
        raise ValueError(f'enqueue_: {keys.shape[0]} keys do not fit a queue of K = {size}: '
                         f'need M ≤ K, got keys {tuple(keys.shape)}; enlarge the queue or '
                         f'shrink the batch')
    if int(ptr) != ptr or not 0 <= ptr < size:
        raise ValueError(f'enqueue_: ptr must be an int in [0, {size}), got {ptr}')
    ptr = int(ptr)
    rows = (torch.arange(keys.shape[0], device=queue.device) + ptr) % size
    queue[rows] = keys.to(device=queue.device, dtype=queue.dtype)
    return (ptr + keys.shape[0]) % size
