"""mmssl_det's registries: children of mmdet's (themselves children of mmengine's).

Everything we register lives under the scope ``mmssl_det`` and never in mmdet's own
registries, so importing this package cannot change how a stock mmdet config builds.
With ``default_scope = 'mmssl_det'`` a config still reaches every mmdet/mmengine module
(``ResNet``, ``FPN``, ``RPNHead``, ``CocoDataset``, ``LoadImageFromFile`` ...) through the
parent chain.
"""
from mmdet.registry import DATA_SAMPLERS as MMDET_DATA_SAMPLERS
from mmdet.registry import DATASETS as MMDET_DATASETS
from mmdet.registry import EVALUATOR as MMDET_EVALUATOR
from mmdet.registry import HOOKS as MMDET_HOOKS
from mmdet.registry import LOG_PROCESSORS as MMDET_LOG_PROCESSORS
from mmdet.registry import LOOPS as MMDET_LOOPS
from mmdet.registry import METRICS as MMDET_METRICS
from mmdet.registry import MODEL_WRAPPERS as MMDET_MODEL_WRAPPERS
from mmdet.registry import MODELS as MMDET_MODELS
from mmdet.registry import OPTIM_WRAPPER_CONSTRUCTORS as MMDET_OPTIM_WRAPPER_CONSTRUCTORS
from mmdet.registry import OPTIM_WRAPPERS as MMDET_OPTIM_WRAPPERS
from mmdet.registry import OPTIMIZERS as MMDET_OPTIMIZERS
from mmdet.registry import PARAM_SCHEDULERS as MMDET_PARAM_SCHEDULERS
from mmdet.registry import RUNNERS as MMDET_RUNNERS
from mmdet.registry import TASK_UTILS as MMDET_TASK_UTILS
from mmdet.registry import TRANSFORMS as MMDET_TRANSFORMS
from mmdet.registry import VISBACKENDS as MMDET_VISBACKENDS
from mmdet.registry import VISUALIZERS as MMDET_VISUALIZERS
from mmdet.registry import WEIGHT_INITIALIZERS as MMDET_WEIGHT_INITIALIZERS
from mmengine.registry import Registry

SCOPE = 'mmssl_det'


def _child(name: str, parent: Registry, *locations: str) -> Registry:
    # The parents' locations are listed too: mmengine's lookup walks up to a parent's
    # module dict without importing that parent's modules, so we import them on first use.
    return Registry(name, parent=parent, scope=SCOPE, locations=list(locations))


RUNNERS = _child('runner', MMDET_RUNNERS, 'mmdet.engine.runner')
LOOPS = _child('loop', MMDET_LOOPS, 'mmdet.engine.runner')
HOOKS = _child('hook', MMDET_HOOKS, 'mmssl_det.engine.hooks', 'mmdet.engine.hooks')
LOG_PROCESSORS = _child('log_processor', MMDET_LOG_PROCESSORS)
DATASETS = _child('dataset', MMDET_DATASETS, 'mmssl_det.datasets', 'mmdet.datasets')
DATA_SAMPLERS = _child('data sampler', MMDET_DATA_SAMPLERS, 'mmssl_det.datasets',
                       'mmdet.datasets.samplers')
TRANSFORMS = _child('transform', MMDET_TRANSFORMS, 'mmssl_det.datasets.transforms',
                    'mmdet.datasets.transforms')
MODELS = _child('model', MMDET_MODELS, 'mmssl_det.models', 'mmdet.models')
MODEL_WRAPPERS = _child('model_wrapper', MMDET_MODEL_WRAPPERS, 'mmdet.models')
WEIGHT_INITIALIZERS = _child('weight initializer', MMDET_WEIGHT_INITIALIZERS, 'mmdet.models')
TASK_UTILS = _child('task util', MMDET_TASK_UTILS, 'mmssl_det.proposals', 'mmdet.models')
OPTIMIZERS = _child('optimizer', MMDET_OPTIMIZERS, 'mmssl_det.engine.optimizers',
                    'mmdet.engine.optimizers')
OPTIM_WRAPPERS = _child('optim_wrapper', MMDET_OPTIM_WRAPPERS, 'mmdet.engine.optimizers')
OPTIM_WRAPPER_CONSTRUCTORS = _child('optimizer wrapper constructor',
                                    MMDET_OPTIM_WRAPPER_CONSTRUCTORS,
                                    'mmdet.engine.optimizers')
PARAM_SCHEDULERS = _child('parameter scheduler', MMDET_PARAM_SCHEDULERS,
                          'mmdet.engine.schedulers')
METRICS = _child('metric', MMDET_METRICS, 'mmssl_det.evaluation', 'mmdet.evaluation')
EVALUATOR = _child('evaluator', MMDET_EVALUATOR, 'mmdet.evaluation')
VISBACKENDS = _child('vis_backend', MMDET_VISBACKENDS, 'mmdet.visualization')
VISUALIZERS = _child('visualizer', MMDET_VISUALIZERS, 'mmdet.visualization')
