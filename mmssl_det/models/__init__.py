from . import algorithms, data_preprocessors, detectors, heads, necks, pretexts  # noqa: F401
from . import pretrainer  # noqa: F401,E402  (registration)
