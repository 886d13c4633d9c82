"""``wengert.nn``: modules, layers, activations, losses and initialisers for small neural networks.

Models are `Module` objects holding `Parameter` tensors; gradients come from
``loss.backward()`` (PyTorch dialect) or, through `functional_call`, from
``wg.grad`` and the other transforms (JAX dialect). A `Linear` layer's weight
has PyTorch's shape ``(out_features, in_features)`` and PyTorch's default
initialisation, so a PyTorch model's ``state_dict()`` (as NumPy arrays) loads
into the same wengert model.

Example:
    >>> import numpy as np
    >>> import wengert.nn as nn
    >>> model = nn.MLP([2, 8, 3], activation="relu", seed=0)
    >>> x, labels = np.ones((4, 2)), np.array([0, 1, 2, 1])
    >>> loss = nn.cross_entropy(model(x), labels)
    >>> loss.backward()
    >>> sorted({p.grad.shape for p in model.parameters()})
    [(3,), (3, 8), (8,), (8, 2)]
"""

from . import init
from .activations import (
    ACTIVATIONS,
    GELU,
    Identity,
    Lambda,
    ReLU,
    Sigmoid,
    SiLU,
    Sin,
    Softplus,
    Tanh,
    gelu,
    get_activation,
)
from .layers import MLP, Linear, ModuleList, Sequential
from .losses import binary_cross_entropy_with_logits, cross_entropy, mse_loss, nll_loss
from .module import IncompatibleKeys, Module, Parameter, functional_call

__all__ = [
    "ACTIVATIONS",
    "GELU",
    "MLP",
    "Identity",
    "IncompatibleKeys",
    "Lambda",
    "Linear",
    "Module",
    "ModuleList",
    "Parameter",
    "ReLU",
    "Sequential",
    "SiLU",
    "Sigmoid",
    "Sin",
    "Softplus",
    "Tanh",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "functional_call",
    "gelu",
    "get_activation",
    "init",
    "mse_loss",
    "nll_loss",
]
