"""``wengert.nn``: modules, layers, activations, losses and initialisers, as PyTorch's ``torch.nn``.

Models are `Module` objects holding `Parameter` tensors; gradients come from
``loss.backward()`` (PyTorch dialect) or, through `functional_call`, from
``wg.grad`` and the other transforms (JAX dialect). A `Linear` layer's weight
has PyTorch's shape ``(out_features, in_features)`` and PyTorch's default
initialisation, so a PyTorch model's ``state_dict()`` (as NumPy arrays) loads
into the same wengert model. ``nn.functional`` (``F``), ``nn.init`` and
``nn.utils`` are PyTorch's modules of the same names; the loss modules
(``nn.MSELoss()``, ``nn.CrossEntropyLoss()``...) call ``F``'s functions.

Example:
    >>> import numpy as np
    >>> import wengert.nn as nn
    >>> model = nn.MLP([2, 8, 3], activation="relu", seed=0)
    >>> x, labels = np.ones((4, 2)), np.array([0, 1, 2, 1])
    >>> loss = nn.CrossEntropyLoss()(model(x), labels)
    >>> loss.backward()
    >>> sorted({p.grad.shape for p in model.parameters()})
    [(3,), (3, 8), (8,), (8, 2)]
"""

from . import functional, init, utils
from .activations import (
    ACTIVATIONS,
    ELU,
    GELU,
    Dropout,
    Identity,
    Lambda,
    LeakyReLU,
    LogSoftmax,
    ReLU,
    Sigmoid,
    SiLU,
    Sin,
    Softmax,
    Softplus,
    Tanh,
    gelu,
    get_activation,
)
from .containers import ModuleDict, ParameterDict, ParameterList
from .layers import MLP, Linear, ModuleList, Sequential
from .loss_modules import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
)
from .losses import binary_cross_entropy_with_logits, cross_entropy, mse_loss, nll_loss
from .module import IncompatibleKeys, Module, Parameter, functional_call

__all__ = [
    "ACTIVATIONS",
    "BCELoss",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "ELU",
    "GELU",
    "HuberLoss",
    "Identity",
    "IncompatibleKeys",
    "L1Loss",
    "Lambda",
    "LeakyReLU",
    "Linear",
    "LogSoftmax",
    "MLP",
    "MSELoss",
    "Module",
    "ModuleDict",
    "ModuleList",
    "NLLLoss",
    "Parameter",
    "ParameterDict",
    "ParameterList",
    "ReLU",
    "Dropout",
    "Sequential",
    "SiLU",
    "Sigmoid",
    "Sin",
    "SmoothL1Loss",
    "Softmax",
    "Softplus",
    "Tanh",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "functional",
    "functional_call",
    "gelu",
    "get_activation",
    "init",
    "mse_loss",
    "nll_loss",
    "utils",
]
