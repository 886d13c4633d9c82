"""The learning-rate schedulers under their earlier name; they live in `wengert.optim.lr_scheduler` (PyTorch's name).

Example:
    >>> from wengert.optim import lr_scheduler, schedulers
    >>> schedulers.StepLR is lr_scheduler.StepLR
    True
"""

from .lr_scheduler import *  # noqa: F403  (every scheduler, under this module's name too)
from .lr_scheduler import __all__  # noqa: F401
