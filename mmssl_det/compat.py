"""Every workaround the OpenMMLab stack needs on current torch / numpy, in one place.

Each function here is applied once when :mod:`mmssl_det` is imported and has a test that
fails without it (``tests/test_compat.py``).
"""
import numpy as np
import torch


def mmengine_checkpoint_safe_globals() -> list:
    """The exact non-tensor types inside an mmengine 0.10.x training checkpoint.

    torch >= 2.6 loads with ``weights_only=True``; mmengine's ``Runner.resume`` calls
    ``torch.load`` without the argument, so a checkpoint holding the message hub's
    ``HistoryBuffer`` (whose state is numpy arrays) fails with "Unsupported global".
    Allow-listing these types keeps resume working without re-opening arbitrary unpickling
    (``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1`` would).
    """
    from mmengine.logging.history_buffer import HistoryBuffer

    # numpy 2 moved the pickling helpers to numpy._core; checkpoints written by numpy 1
    # reference numpy.core, so allow both spellings when present.
    reconstructors = []
    for mod_name in ('numpy._core.multiarray', 'numpy.core.multiarray'):
        try:
            mod = __import__(mod_name, fromlist=['_reconstruct', 'scalar'])
        except ImportError:
            continue
        reconstructors += [mod._reconstruct, mod.scalar]
    dtype_classes = [type(np.dtype(t)) for t in (
        np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32,
        np.uint64, np.float16, np.float32, np.float64)]
    return [HistoryBuffer, np.ndarray, np.dtype, *reconstructors, *dtype_classes]


def allow_mmengine_checkpoints() -> None:
    """Register :func:`mmengine_checkpoint_safe_globals` with torch's weights-only loader."""
    add_safe_globals = getattr(torch.serialization, 'add_safe_globals', None)
    if add_safe_globals is not None:  # torch < 2.4 has no weights-only default to fix
        add_safe_globals(mmengine_checkpoint_safe_globals())


_DEFAULT_STATISTICS = ('min', 'max', 'current', 'mean')


def _history_buffer_getstate(self) -> dict:
    state = dict(self.__dict__)
    state.pop('statistics_methods', None)
    custom = {k: v for k, v in self._statistics_methods.items() if k not in _DEFAULT_STATISTICS}
    if custom:
        state['statistics_methods'] = custom
    return state


def slim_history_buffer_pickle() -> None:
    """Stop pickling HistoryBuffer's built-in statistics methods.

    mmengine 0.10.7's ``HistoryBuffer.__getstate__`` stores the ``min/max/current/mean``
    methods, which pickle as ``builtins.getattr(HistoryBuffer, 'min')``; allowing
    ``getattr`` in the weights-only loader would open attribute access on every allowed
    type. ``__setstate__`` re-creates those four anyway, so we drop them on save (methods
    a user registers with ``register_statistics`` are still saved).
    """
    from mmengine.logging.history_buffer import HistoryBuffer
    HistoryBuffer.__getstate__ = _history_buffer_getstate


def cpu_distributed_launch() -> None:
    """Let ``launcher='pytorch'`` (torchrun) initialise on machines without CUDA.

    mmengine 0.10.7's ``_init_dist_pytorch`` calls ``torch.cuda.set_device`` unconditionally,
    which raises on a CPU build of torch; without CUDA we skip only that call, so multi-process
    CPU training with the gloo backend works (tools/dist_train.sh on a laptop or CI).
    """
    import mmengine.dist.utils as dist_utils
    original = dist_utils._init_dist_pytorch
    if getattr(original, '_mmssl_det_cpu', False):
        return

    def init_dist_pytorch(backend, init_backend='torch', **kwargs):
        if torch.cuda.is_available() or init_backend != 'torch':
            return original(backend, init_backend=init_backend, **kwargs)
        torch.distributed.init_process_group(backend=backend, **kwargs)

    init_dist_pytorch._mmssl_det_cpu = True
    dist_utils._init_dist_pytorch = init_dist_pytorch


def apply_all() -> None:
    slim_history_buffer_pickle()
    allow_mmengine_checkpoints()
    cpu_distributed_launch()
