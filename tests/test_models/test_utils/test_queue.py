"""MoCo's FIFO queue update (arXiv 1911.05722, Sec. 3.2), pointer and wrap-around."""
import pytest
import torch

from mmssl_det.models.utils import enqueue_


def rows(*values):
    return torch.tensor([[float(v)] for v in values])


def test_fifo_with_pointer_and_divisible_size():
    queue = torch.zeros(4, 1)
    ptr = enqueue_(queue, rows(1, 2), 0)
    assert ptr == 2 and torch.equal(queue, rows(1, 2, 0, 0))
    ptr = enqueue_(queue, rows(3, 4), ptr)
    assert ptr == 0 and torch.equal(queue, rows(1, 2, 3, 4))
    ptr = enqueue_(queue, rows(5, 6), ptr)  # the oldest two are replaced
    assert ptr == 2 and torch.equal(queue, rows(5, 6, 3, 4))


def test_batch_not_dividing_queue_wraps_around():
    queue = torch.zeros(5, 1)
    ptr = 0
    for batch in (rows(1, 2), rows(3, 4), rows(5, 6)):
        ptr = enqueue_(queue, batch, ptr)
    # 1..5 fill rows 0..4, 6 overwrites row 0 (the oldest, 1).
    assert ptr == 1 and torch.equal(queue, rows(6, 2, 3, 4, 5))
    ptr = enqueue_(queue, rows(7, 8, 9, 10, 11), ptr)  # M == K: a full turn
    assert ptr == 1 and torch.equal(queue, rows(11, 7, 8, 9, 10))


def test_keys_detached_cast_and_tensor_pointer():
    queue = torch.zeros(3, 2, dtype=torch.float64)
    keys = torch.ones(2, 2, requires_grad=True)
    ptr = enqueue_(queue, keys * 2, torch.tensor(2))  # a module's pointer buffer
    assert ptr == 1 and isinstance(ptr, int)
    assert not queue.requires_grad and queue.dtype == torch.float64
    assert torch.equal(queue, torch.tensor([[2., 2.], [0., 0.], [2., 2.]], dtype=torch.float64))


@pytest.mark.parametrize('queue, keys, ptr, match', [
    (torch.zeros(4), torch.zeros(1, 1), 0, r'queue must be \(K, C\)'),
    (torch.zeros(4, 2), torch.zeros(5, 2), 0, r'5 keys do not fit a queue of K = 4'),
    (torch.zeros(4, 2), torch.zeros(2, 3), 0, r'C = 2 \(the queue\'s\), got \(2, 3\)'),
    (torch.zeros(4, 2), torch.zeros(2, 2), 4, r'ptr must be an int in \[0, 4\), got 4'),
    (torch.zeros(4, 2), torch.zeros(2, 2), 1.5, 'got 1.5'),
])
def test_bad_inputs(queue, keys, ptr, match):
    with pytest.raises(ValueError, match=match):
        enqueue_(queue, keys, ptr)
