# Runtime of every transfer config: mmdet's default runtime, iteration-based logging, SyncBN
# on GPUs, and load_from required (the point of these configs is fine-tuning a checkpoint).
_base_ = ['mmdet::_base_/default_runtime.py']

# The configs write BN (type='BN', requires_grad=True, norm_eval=False) everywhere; mmengine
# converts every BN layer (backbone, C4 res5 head, FPN, RoI heads) to torch SyncBN when the
# run is distributed (tools/dist_train.sh on GPUs). Single-process runs keep plain BN, and
# tools/train.py drops `sync_bn` for distributed CPU (gloo has no SyncBN). An explicit
# norm_cfg type='SyncBN' would instead crash there ("SyncBatchNorm expected input tensor to be
# on GPU"), which is why the configs do not write it.
sync_bn = 'torch'

# Fine-tuning starts from tools/export_detector.py's output; a run that forgets it must not
# silently train from scratch (random init is the explicit *_scratch.py variant).
load_from = ('MISSING load_from: add --cfg-options load_from=EXPORTED.pth (the output of '
             'tools/export_detector.py for this config), or use the *_scratch.py variant '
             'for random init')

# Right after load_from, a per-part table of what loaded (backbone, neck, rpn_head, roi_head);
# the run stops when a part the checkpoint provides (its meta.parts) did not fully load, or a
# tensor is NaN/inf. A run without load_from (*_scratch.py) logs that it is random init.
custom_imports = dict(imports=['mmssl_det'], allow_failed_imports=False)
custom_hooks = [dict(type='mmssl_det.LoadReportHook', min_loaded=1.0)]

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=5000, max_keep_ckpts=3))
log_processor = dict(by_epoch=False)
