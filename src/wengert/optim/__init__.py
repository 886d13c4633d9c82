"""``wengert.optim``: optimisers, learning-rate schedules, gradient clipping and a bridge to SciPy.

Two forms of the same optimisers: stateful ones on tensors, PyTorch's
(``optim.Adam(model.parameters())``, ``step()``), and pure ones over pytrees of
arrays, optax's (``opt = optim.adam(lr)``, ``opt.init``, ``opt.update``,
``optim.apply_updates``), which a jitted training step can call. Both run the
formulas of `wengert.optim.formulas`. `LBFGS` is PyTorch's quasi-Newton
optimiser, driven by a closure (``optimizer.step(closure)``); the schedulers
live in `wengert.optim.lr_scheduler`, as in PyTorch.

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

from . import lr_scheduler
from .clip import clip_grad_norm_, clip_grad_value_
from .functional import (
    AdamState,
    EmptyState,
    GradientTransformation,
    SGDState,
    adam,
    adamw,
    apply_updates,
    chain,
    clip_by_global_norm,
    global_norm,
    sgd,
)
from .lbfgs import LBFGS
from .lr_scheduler import (
    CosineAnnealingLR,
    ExponentialLR,
    LambdaLR,
    LRScheduler,
    MultiStepLR,
    ReduceLROnPlateau,
    StepLR,
)
from .optimizers import SGD, Adam, AdamW, Optimizer
from .scipy_bridge import scipy_minimize

__all__ = [
    "LBFGS",
    "SGD",
    "Adam",
    "AdamState",
    "AdamW",
    "EmptyState",
    "GradientTransformation",
    "SGDState",
    "adam",
    "adamw",
    "apply_updates",
    "chain",
    "clip_by_global_norm",
    "global_norm",
    "sgd",
    "CosineAnnealingLR",
    "ExponentialLR",
    "LRScheduler",
    "LambdaLR",
    "MultiStepLR",
    "Optimizer",
    "ReduceLROnPlateau",
    "StepLR",
    "clip_grad_norm_",
    "clip_grad_value_",
    "lr_scheduler",
    "scipy_minimize",
]
