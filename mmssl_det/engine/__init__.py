from . import hooks, optimizers  # noqa: F401  (registration)
