"""Two gloo processes: all_gather_with_grad, NT-Xent with global-batch negatives (SimCLR,
arXiv 2002.05709) and SwAV's all-reduced Sinkhorn-Knopp (arXiv 2006.09882, App. A.1) equal
their single-process values on the concatenated batch."""
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from mmssl_det.models.utils import all_gather_with_grad, nt_xent_loss, sinkhorn_knopp

WORLD, N, C, K = 2, 3, 5, 4


def _worker(rank: int, init_file: str) -> None:
    torch.set_num_threads(1)
    dist.init_process_group('gloo', init_method=f'file://{init_file}', rank=rank,
                            world_size=WORLD)
    try:
        g = torch.Generator().manual_seed(0)  # the same global batch on every rank
        z_a, z_b = torch.randn(WORLD * N, C, generator=g), torch.randn(WORLD * N, C, generator=g)
        w = torch.randn(WORLD * N, C, generator=g)
        mine = slice(rank * N, (rank + 1) * N)

        # all_gather_with_grad: rank-major forward; backward sums every rank's gradient.
        x = z_a[mine].clone().requires_grad_()
        gathered = all_gather_with_grad(x)
        assert torch.equal(gathered, z_a)
        (gathered * w * (rank + 1)).sum().backward()  # rank r weighs by r + 1
        torch.testing.assert_close(x.grad, w[mine] * sum(range(1, WORLD + 1)))

        # NT-Xent: the mean of the per-rank losses is the loss of the global batch, and the
        # summed gradients (what DDP averages) are W × its gradient.
        a, b = z_a[mine].clone().requires_grad_(), z_b[mine].clone().requires_grad_()
        loss = nt_xent_loss(a, b, tau=0.3, gather=True)
        loss.backward()
        ga, gb = z_a.clone().requires_grad_(), z_b.clone().requires_grad_()
        reference = nt_xent_loss(ga, gb, tau=0.3, gather=False)
        reference.backward()
        mean = loss.detach().clone()
        dist.all_reduce(mean)
        torch.testing.assert_close(mean / WORLD, reference.detach())
        torch.testing.assert_close(a.grad / WORLD, ga.grad[mine])
        torch.testing.assert_close(b.grad / WORLD, gb.grad[mine])
        # gather=False keeps the negatives local even in a process group.
        assert not torch.allclose(nt_xent_loss(a, b, tau=0.3, gather=False), loss)

        # Sinkhorn: each rank's codes are its rows of the global batch's codes.
        scores = torch.rand(WORLD * N, K, generator=g) * 2 - 1
        codes = sinkhorn_knopp(scores[mine], num_iters=3)
        torch.testing.assert_close(codes, sinkhorn_knopp(scores, distributed=False)[mine])
        assert not torch.allclose(sinkhorn_knopp(scores[mine], distributed=False), codes)

        # Ranks with different batch sizes: a clear error on every rank, no hang.
        try:
            all_gather_with_grad(torch.zeros(rank + 1, C))
        except ValueError as e:
            assert 'same shape' in str(e) and '[(1, 5), (2, 5)]' in str(e), e
        else:
            raise AssertionError('mismatched shapes were gathered')
    finally:
        dist.destroy_process_group()


def test_two_gloo_processes_match_the_global_batch(tmp_path):
    # fork: the workers inherit the imported modules (no re-import, no pickling by name).
    mp.start_processes(_worker, args=(str(tmp_path / 'init'),), nprocs=WORLD, join=True,
                       start_method='fork')
