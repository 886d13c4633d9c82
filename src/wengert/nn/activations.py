"""Activation functions as modules (``Tanh()``, ``ReLU()``...), each a call of one ``wnp`` function.

They apply to arrays, tensors and traced values alike, keep the dtype, and
differentiate to any order through wengert's primitives.

Example:
    >>> import numpy as np
    >>> Tanh()(np.array([0.0])).tolist()
    [0.0]
    >>> get_activation("relu")
    ReLU()
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from .. import numpy as wnp
from ._checks import closest, real_number
from .module import Module


class Identity(Module):
    """Returns its input unchanged."""

    def forward(self, x: Any) -> Any:
        return x


class Tanh(Module):
    """``tanh(x)``."""

    def forward(self, x: Any) -> Any:
        return wnp.tanh(x)


class ReLU(Module):
    """``max(x, 0)``, with derivative 0 at 0."""

    def forward(self, x: Any) -> Any:
        return wnp.relu(x)


class Sigmoid(Module):
    """``1 / (1 + exp(-x))``, without overflow."""

    def forward(self, x: Any) -> Any:
        return wnp.sigmoid(x)


class SiLU(Module):
    """``x · sigmoid(x)`` (also called swish)."""

    def forward(self, x: Any) -> Any:
        return x * wnp.sigmoid(x)


class Softplus(Module):
    """``log(1 + exp(beta·x)) / beta``, without overflow.

    Example:
        >>> round(float(Softplus()(0.0)), 6)
        0.693147
    """

    def __init__(self, beta: float = 1.0) -> None:
        super().__init__()
        beta = real_number(beta, "Softplus", "beta")
        if beta <= 0:
            raise ValueError(f"Softplus: beta must be positive, got {beta}")
        self.beta = beta

    def forward(self, x: Any) -> Any:
        if self.beta == 1.0:
            return wnp.softplus(x)
        return wnp.softplus(x * self.beta) / self.beta

    def extra_repr(self) -> str:
        return f"beta={self.beta}" if self.beta != 1.0 else ""


class Sin(Module):
    """``sin(frequency·x)`` (SIREN-style networks use a frequency such as 30).

    Example:
        >>> round(float(Sin(2.0)(0.25)), 6)
        0.479426
    """

    def __init__(self, frequency: float = 1.0) -> None:
        super().__init__()
        self.frequency = real_number(frequency, "Sin", "frequency")

    def forward(self, x: Any) -> Any:
        return wnp.sin(x if self.frequency == 1.0 else x * self.frequency)

    def extra_repr(self) -> str:
        return f"frequency={self.frequency}" if self.frequency != 1.0 else ""


_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def gelu(x: Any, approximate: str = "none") -> Any:
    """The Gaussian error linear unit ``x·Φ(x)``.

    ``approximate="none"`` (the default, as in PyTorch) is the exact
    ``x/2·(1 + erf(x/√2))``; ``approximate="tanh"`` is
    ``x/2·(1 + tanh(√(2/π)(x + 0.044715x³)))``, within 5e-4 of it and the form
    GPT-2 and BERT used.

    Example:
        >>> round(float(gelu(1.0)), 6), round(float(gelu(1.0, approximate="tanh")), 6)
        (0.841345, 0.841192)
    """
    if approximate == "none":
        return 0.5 * x * (1.0 + wnp.erf(x * (1.0 / math.sqrt(2.0))))
    if approximate == "tanh":
        return 0.5 * x * (1.0 + wnp.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)))
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


class GELU(Module):
    """The Gaussian error linear unit; see `gelu` for ``approximate`` ("none", the default, or "tanh")."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x: Any) -> Any:
        return gelu(x, self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


ACTIVATIONS: dict[str, type[Module]] = {
    "identity": Identity,
    "linear": Identity,
    "tanh": Tanh,
    "relu": ReLU,
    "sigmoid": Sigmoid,
    "silu": SiLU,
    "swish": SiLU,
    "softplus": Softplus,
    "sin": Sin,
    "gelu": GELU,
}


class Lambda(Module):
    """A module that applies a function (for activations given as plain functions such as ``wnp.sin``)."""

    def __init__(self, function: Callable[[Any], Any]) -> None:
        super().__init__()
        if not callable(function):
            raise TypeError(f"Lambda: expected a function, got {type(function).__name__} ({function!r})")
        self.function = function

    def forward(self, x: Any) -> Any:
        return self.function(x)

    def extra_repr(self) -> str:
        return getattr(self.function, "__name__", repr(self.function))


def get_activation(spec: str | Module | Callable[[Any], Any] | None) -> Module:
    """A new activation module from a name (``"tanh"``, ``"relu"``...), a module, a function, or None (identity).

    A module instance is returned as it is (so it is shared if given for several layers).
    """
    if spec is None:
        return Identity()
    if isinstance(spec, Module):
        return spec
    if isinstance(spec, type) and issubclass(spec, Module):
        return spec()
    if isinstance(spec, str):
        try:
            return ACTIVATIONS[spec.lower()]()
        except KeyError:
            raise ValueError(
                f"unknown activation {spec!r}{closest(spec.lower(), ACTIVATIONS)}; expected one of "
                f"{sorted(ACTIVATIONS)}, a Module or a function"
            ) from None
    if callable(spec):
        return Lambda(spec)
    raise TypeError(f"an activation must be a name, a Module or a function, got {spec!r} ({type(spec).__name__})")


__all__ = [
    "ACTIVATIONS",
    "GELU",
    "Identity",
    "Lambda",
    "ReLU",
    "SiLU",
    "Sigmoid",
    "Sin",
    "Softplus",
    "Tanh",
    "gelu",
    "get_activation",
]
