"""``wengert.optim``: optimisers, learning-rate schedules, gradient clipping and a bridge to SciPy.

Example:
    >>> import numpy as np
    >>> import wengert.nn as nn
    >>> import wengert.optim as optim
    >>> model = nn.Linear(1, 1, seed=0)
    >>> x = np.linspace(-1, 1, 16)[:, None]
    >>> optimizer = optim.Adam(model.parameters(), lr=0.1)
    >>> for _ in range(200):
    ...     optimizer.zero_grad()
    ...     nn.mse_loss(model(x), 3 * x + 1).backward()
    ...     optimizer.step()
    >>> [round(model.weight.item(), 2), round(model.bias.item(), 2)]
    [3.0, 1.0]
"""

from .clip import clip_grad_norm_, clip_grad_value_
from .optimizers import SGD, Adam, AdamW, Optimizer
from .schedulers import CosineAnnealingLR, ExponentialLR, LambdaLR, LRScheduler, StepLR
from .scipy_bridge import scipy_minimize

__all__ = [
    "SGD",
    "Adam",
    "AdamW",
    "CosineAnnealingLR",
    "ExponentialLR",
    "LRScheduler",
    "LambdaLR",
    "Optimizer",
    "StepLR",
    "clip_grad_norm_",
    "clip_grad_value_",
    "scipy_minimize",
]
