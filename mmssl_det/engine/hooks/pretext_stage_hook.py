from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmssl_det.registry import HOOKS


@HOOKS.register_module()
class PretextStageHook(Hook):
    """Switches a staged pretrainer (``model.stages``, ``model.set_stage``) by epoch.

    The stage is derived from ``runner.epoch`` before every epoch, so a resumed run lands in
    the right stage. Used by the *separate* strategy of ``DetectorPretrainer``.
    """

    priority = 'NORMAL'

    def before_train(self, runner) -> None:
        if not getattr(runner.train_loop, 'max_epochs', None):
            raise TypeError('PretextStageHook switches stages by epoch; use an '
                            'EpochBasedTrainLoop (train_cfg.type) or a single stage')

    def before_train_epoch(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        begins = [stage['begin'] for stage in model.stages]
        index = max(i for i, begin in enumerate(begins) if begin <= runner.epoch)
        if index != model.stage or runner.epoch == 0:
            runner.logger.info(f'pretext stage {index} from epoch {runner.epoch}: losses '
                               f'{model.stages[index]["losses"]}, frozen '
                               f'{model.stages[index]["frozen"]}')
        model.set_stage(index)
