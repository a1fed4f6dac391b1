from . import algorithms, data_preprocessors, heads, necks  # noqa: F401  (registration)
