from . import algorithms, data_preprocessors, heads, necks, pretexts  # noqa: F401  (registration)
from . import pretrainer  # noqa: F401,E402  (registration)
