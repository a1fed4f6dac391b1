# Runtime of the few-shot configs: the transfer runtime (mmdet's default runtime, iteration
# logging, SyncBN on GPUs, load_from required, the load report) resolved in mmssl_det's scope,
# plus ClassCheckHook: a load_from whose classes (meta.dataset_meta.classes) or box-classifier
# rows differ from the training dataset's classes stops the run naming both lists (a
# base-trained checkpoint needs tools/fewshot_surgery.py before fine-tuning on all classes).
_base_ = ['../../transfer/_base_/ssl_runtime.py']
default_scope = 'mmssl_det'
custom_imports = dict(imports=['mmssl_det', 'mmssl_det.evaluation'], allow_failed_imports=False)
# FiniteLossHook: a diverged base training stops at its first NaN loss, naming it, instead of
# running on and saving NaN weights.
custom_hooks = [dict(type='LoadReportHook', min_loaded=1.0), dict(type='ClassCheckHook'),
                dict(type='FiniteLossHook')]
