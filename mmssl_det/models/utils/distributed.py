"""Gathering embeddings across ranks with gradient, for losses whose negatives are the
global batch (SimCLR, Chen et al. arXiv 2002.05709, Sec. 2 "Global BN" / large-batch
training: negatives from all devices).

Single-process (torch.distributed not initialised, or a world of one) every function is the
identity, so losses run unchanged on one CPU.
"""
import torch
import torch.distributed as torch_dist
from mmengine.dist import get_rank, get_world_size
from torch import Tensor


class _AllGatherWithGrad(torch.autograd.Function):
    """``(N, *)`` on each of ``W`` ranks → ``(W·N, *)``, rank-major, on every rank.

    Forward: ``torch.distributed.all_gather``. Backward: every rank's loss depends on every
    rank's embeddings, so the gradient of rank ``r``'s input is the sum over ranks of the
    gradient each rank computed for slice ``r`` of the gathered tensor: an all-reduce (sum)
    of the full ``(W·N, *)`` gradient, then rank ``r``'s slice. (A reduce-scatter would move
    less data, but gloo lacks it; embeddings are small.) Under DDP, which averages parameter
    gradients over ranks, this gives the gradient of the mean of the per-rank losses.
    """

    @staticmethod
    def forward(ctx, x: Tensor) -> Tensor:  # type: ignore[override]
        x = x.contiguous()
        parts = [torch.empty_like(x) for _ in range(torch_dist.get_world_size())]
        torch_dist.all_gather(parts, x)
        ctx.rank, ctx.n = torch_dist.get_rank(), x.shape[0]
        return torch.cat(parts)

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:  # type: ignore[override]
        grad = grad.contiguous()
        torch_dist.all_reduce(grad, torch_dist.ReduceOp.SUM)
        return grad[ctx.rank * ctx.n:(ctx.rank + 1) * ctx.n]


def all_gather_with_grad(x: Tensor) -> Tensor:
    """All-gather along dim 0, differentiable: the embeddings of every rank, rank-major.

    Used for NT-Xent's global-batch negatives (arXiv 2002.05709, Sec. 2). Rank ``r``'s own
    rows are ``out[r·N:(r + 1)·N]`` (``r`` = :func:`mmengine.dist.get_rank`). Every rank
    must pass the same shape (``drop_last`` batches); a mismatch raises a ``ValueError`` on
    all ranks instead of hanging in the collective.

    Args:
        x: ``(N, *)`` on each of the ``W`` ranks.

    Returns:
        ``(W·N, *)``; ``x`` itself when not distributed (identity, gradient unchanged).
    """
    if x.dim() == 0:
        raise ValueError('all_gather_with_grad: expected a tensor with a batch dim (N, *), '
                         'got a scalar')
    world_size = get_world_size()
    if world_size == 1:
        return x
    shape = torch.tensor(list(x.shape), dtype=torch.long, device=x.device)
    shapes = [torch.empty_like(shape) for _ in range(world_size)]
    torch_dist.all_gather(shapes, shape)
    shapes = [tuple(s.tolist()) for s in shapes]
    if len(set(shapes)) != 1:
        raise ValueError(f'all_gather_with_grad: every rank must pass the same shape, got '
                         f'{shapes} (rank {get_rank()}: {tuple(x.shape)}); use drop_last=True '
                         f'batches')
    return _AllGatherWithGrad.apply(x)
