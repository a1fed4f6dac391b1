from . import algorithms, data_preprocessors, detectors, heads, necks  # noqa: F401  (registration)
