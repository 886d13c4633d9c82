"""The learning-rate schedulers under their earlier name; they live in `wengert.optim.lr_scheduler` (PyTorch's name).

Example:
    >>> from wengert.optim import lr_scheduler, schedulers
    >>> schedulers.StepLR is lr_scheduler.StepLR
    True
"""

from .lr_scheduler import (
    CosineAnnealingLR,
    ExponentialLR,
    LambdaLR,
    LRScheduler,
    MultiStepLR,
    ReduceLROnPlateau,
    StepLR,
)

__all__ = [
    "CosineAnnealingLR",
    "ExponentialLR",
    "LRScheduler",
    "LambdaLR",
    "MultiStepLR",
    "ReduceLROnPlateau",
    "StepLR",
]
