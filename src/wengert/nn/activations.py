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

import numpy as np

from .. import numpy as wnp
from ..core import Tracer, primal_value
from ..tensor import Tensor
from ._checks import closest, real_number
from .module import Module


def in_place(input: Any, result: Any, inplace: bool, name: str) -> Any:
    """``result``, or (``inplace``) ``input`` made to hold it, as PyTorch's in-place activations.

    A tensor gets the new values as a new version (a leaf that requires grad
    refuses, as in PyTorch); a NumPy array is overwritten; a value traced by a
    transformation cannot change, and the result is returned.
    """
    if not inplace:
        return result
    if isinstance(input, Tensor):
        return input._update_in_place(result, name + "_")
    if isinstance(input, np.ndarray) and not isinstance(result, Tracer):
        np.copyto(input, result, casting="same_kind")
        return input
    return result


def _value_dtype(value: Any) -> np.dtype:
    value = primal_value(value)
    dtype = getattr(value, "dtype", None)
    return dtype if dtype is not None else np.asarray(value).dtype


def leaky_relu(input: Any, negative_slope: float = 0.01, inplace: bool = False) -> Any:
    """``x`` where ``x > 0``, else ``negative_slope·x`` (derivative ``negative_slope`` at 0, as PyTorch's).

    Example:
        >>> leaky_relu(np.array([-2.0, 3.0]), 0.1).tolist()
        [-0.2, 3.0]
    """
    # One recorded product with a constant factor (so the in-place form has no earlier node holding the input)
    dtype = _value_dtype(input)
    factor = wnp.where(input > 0, np.ones((), dtype), np.asarray(negative_slope, dtype))
    return in_place(input, input * factor, inplace, "leaky_relu")


def elu(input: Any, alpha: float = 1.0, inplace: bool = False) -> Any:
    """``x`` where ``x > 0``, else ``alpha·(exp(x) - 1)``.

    Example:
        >>> elu(np.array([-1.0, 2.0])).round(6).tolist()
        [-0.632121, 2.0]
    """
    # exp of the clamped input (no overflow on the branch not taken); the clamp passes the derivative at 0
    negative_part = alpha * wnp.expm1(wnp.where(input > 0, 0.0, input))
    return in_place(input, wnp.where(input > 0, input, negative_part), inplace, "elu")


def silu(input: Any, inplace: bool = False) -> Any:
    """``x·sigmoid(x)`` (swish).

    Example:
        >>> round(float(silu(1.0)), 6)
        0.731059
    """
    return in_place(input, input * wnp.sigmoid(input), inplace, "silu")


class Identity(Module):
    """Returns its input unchanged."""

    def forward(self, x: Any) -> Any:
        return x


class Tanh(Module):
    """``tanh(x)``."""

    def forward(self, x: Any) -> Any:
        return wnp.tanh(x)


class Dropout(Module):
    """Zero each element with probability ``p`` in training mode, scaling the rest by 1/(1 − p) (PyTorch's).

    Off in evaluation mode (``model.eval()``). See `wengert.nn.functional.dropout`.

    Example:
        >>> import wengert as wg
        >>> layer = Dropout(0.5).eval()
        >>> bool((layer(wg.ones(4)) == 1).all())
        True
    """

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= float(p) <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p!r}")
        self.p = float(p)
        self.inplace = bool(inplace)

    def forward(self, x: Any) -> Any:
        from .functional import dropout

        return dropout(x, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class ReLU(Module):
    """``max(x, 0)``, with derivative 0 at 0 (``inplace=True``: the input tensor takes the result, as PyTorch's)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = bool(inplace)

    def forward(self, x: Any) -> Any:
        return in_place(x, wnp.relu(x), True, "relu") if self.inplace else wnp.relu(x)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class Sigmoid(Module):
    """``1 / (1 + exp(-x))``, without overflow."""

    def forward(self, x: Any) -> Any:
        return wnp.sigmoid(x)


class SiLU(Module):
    """``x · sigmoid(x)`` (also called swish)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = bool(inplace)

    def forward(self, x: Any) -> Any:
        return silu(x, self.inplace)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """``x`` where ``x > 0``, else ``negative_slope·x`` (see `leaky_relu`).

    Example:
        >>> LeakyReLU(0.2)(np.array([-1.0, 1.0])).tolist()
        [-0.2, 1.0]
    """

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = real_number(negative_slope, "LeakyReLU", "negative_slope")
        self.inplace = bool(inplace)

    def forward(self, x: Any) -> Any:
        return leaky_relu(x, self.negative_slope, self.inplace)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class ELU(Module):
    """``x`` where ``x > 0``, else ``alpha·(exp(x) - 1)`` (see `elu`)."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha = real_number(alpha, "ELU", "alpha")
        self.inplace = bool(inplace)

    def forward(self, x: Any) -> Any:
        return elu(x, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class Softmax(Module):
    """``exp(x)`` normalised to sum to one along ``dim``, without overflow.

    Example:
        >>> Softmax(dim=1)(np.zeros((1, 4))).tolist()
        [[0.25, 0.25, 0.25, 0.25]]
    """

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x: Any) -> Any:
        from .functional import softmax

        return softmax(x, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """``x - logsumexp(x)`` along ``dim``: log-probabilities."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, x: Any) -> Any:
        from .functional import log_softmax

        return log_softmax(x, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


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
    "leaky_relu": LeakyReLU,
    "elu": ELU,
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
    "ELU",
    "GELU",
    "Identity",
    "Lambda",
    "LeakyReLU",
    "LogSoftmax",
    "ReLU",
    "Dropout",
    "SiLU",
    "Sigmoid",
    "Sin",
    "Softmax",
    "Softplus",
    "Tanh",
    "elu",
    "gelu",
    "get_activation",
    "in_place",
    "leaky_relu",
    "silu",
]
