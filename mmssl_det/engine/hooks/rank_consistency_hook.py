import torch
from mmengine.dist import broadcast, get_rank, get_world_size
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmssl_det.registry import HOOKS


@HOOKS.register_module()
class RankConsistencyHook(Hook):
    """Checks that every rank holds bit-identical parameters after training.

    DDP keeps replicas in sync only if every rank runs the same optimiser step; a rank-local
    code path (a schedule read from a local counter, an unsynchronised random choice) makes
    them drift silently. Rank 0's flattened parameters are broadcast and compared exactly;
    a mismatch raises, naming the first differing parameter. Buffers (BN running statistics)
    are rank-local by design and not compared.
    """

    priority = 'VERY_LOW'

    def after_train(self, runner) -> None:
        if get_world_size() == 1:
            return
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        named = [(n, p.detach()) for n, p in model.named_parameters()]
        local = torch.cat([p.reshape(-1).float() for _, p in named])
        reference = local.clone()
        broadcast(reference, src=0)
        if not torch.equal(local, reference):
            offset = 0
            for name, p in named:
                n = p.numel()
                if not torch.equal(local[offset:offset + n], reference[offset:offset + n]):
                    raise RuntimeError(f'rank {get_rank()}: parameter {name} differs from '
                                       f'rank 0 after training; the replicas diverged')
                offset += n
        runner.logger.info(f'RankConsistencyHook: {len(named)} parameters identical on all '
                           f'{get_world_size()} ranks')
