"""Initial values of weights, drawn with NumPy's ``Generator``.

wengert stores a dense layer's weight with shape ``(in_features, out_features)``
(so that the layer computes ``x @ W + b`` with no transpose): for a 2-D shape
the first axis is the fan-in and the second the fan-out. Every function returns
a new NumPy array. Values are drawn in float64 and then rounded to ``dtype``, so
a float32 model starts from the float64 model's values, rounded.

Example:
    >>> import numpy as np
    >>> w = glorot_normal((200, 300), rng=np.random.default_rng(0))
    >>> round(float(w.std() / np.sqrt(2 / 500)), 1)
    1.0
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

Shape = tuple[int, ...]


def make_rng(rng: np.random.Generator | int | None = None, seed: int | None = None) -> np.random.Generator:
    """A NumPy ``Generator`` from ``rng`` (a Generator or an integer seed) or ``seed``; fresh entropy if neither.

    Example:
        >>> int(make_rng(seed=3).integers(100)) == int(make_rng(3).integers(100))
        True
    """
    if rng is not None and seed is not None:
        raise ValueError("pass either rng= or seed=, not both")
    if rng is None:
        return np.random.default_rng(seed)
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise TypeError(
        f"rng must be a numpy.random.Generator or an integer seed, got {type(rng).__name__} "
        "(make one with np.random.default_rng(seed))"
    )


def fans(shape: Shape) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight of ``shape`` in wengert's ``(in, out)`` layout.

    Example:
        >>> fans((3, 5))
        (3, 5)
    """
    shape = tuple(int(n) for n in shape)
    if len(shape) == 2:
        return shape[0], shape[1]
    if len(shape) == 1:
        return shape[0], shape[0]
    raise ValueError(f"fans(): expected a 1-D or 2-D weight shape (in, out), got {shape}")


def _float_dtype(dtype: Any) -> np.dtype:
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"initial weights must have a floating dtype, got {dtype}")
    return dtype


def normal(shape: Shape, std: float = 1.0, rng: Any = None, dtype: Any = np.float64) -> np.ndarray:
    """Independent normal values of mean 0 and standard deviation ``std``."""
    return (std * make_rng(rng).standard_normal(shape)).astype(_float_dtype(dtype))


def uniform(shape: Shape, low: float = -1.0, high: float = 1.0, rng: Any = None, dtype: Any = np.float64) -> np.ndarray:
    """Independent values uniform on ``[low, high)``."""
    return make_rng(rng).uniform(low, high, shape).astype(_float_dtype(dtype))


def zeros(shape: Shape, rng: Any = None, dtype: Any = np.float64) -> np.ndarray:
    """Zeros (``rng`` is accepted and ignored, so that every initialiser has one signature)."""
    return np.zeros(shape, dtype=_float_dtype(dtype))


def glorot_normal(shape: Shape, rng: Any = None, dtype: Any = np.float64, gain: float = 1.0) -> np.ndarray:
    """Glorot (Xavier) normal: standard deviation ``gain·√(2 / (fan_in + fan_out))``."""
    fan_in, fan_out = fans(shape)
    return normal(shape, gain * math.sqrt(2.0 / (fan_in + fan_out)), rng, dtype)


def glorot_uniform(shape: Shape, rng: Any = None, dtype: Any = np.float64, gain: float = 1.0) -> np.ndarray:
    """Glorot (Xavier) uniform on ``±gain·√(6 / (fan_in + fan_out))``."""
    fan_in, fan_out = fans(shape)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform(shape, -bound, bound, rng, dtype)


def _kaiming_gain(a: float) -> float:
    """The gain of a leaky ReLU of negative slope ``a`` (√2 for ReLU, a = 0)."""
    return math.sqrt(2.0 / (1.0 + a * a))


def kaiming_normal(shape: Shape, rng: Any = None, dtype: Any = np.float64, a: float = 0.0) -> np.ndarray:
    """He (Kaiming) normal for (leaky) ReLU layers: standard deviation ``√(2 / (1 + a²)) / √fan_in``."""
    fan_in, _ = fans(shape)
    return normal(shape, _kaiming_gain(a) / math.sqrt(fan_in), rng, dtype)


def kaiming_uniform(shape: Shape, rng: Any = None, dtype: Any = np.float64, a: float = 0.0) -> np.ndarray:
    """He (Kaiming) uniform on ``±√(2 / (1 + a²))·√(3 / fan_in)``.

    With ``a = √5`` the bound is ``1/√fan_in``: PyTorch's default for ``nn.Linear`` weights.

    Example:
        >>> w = kaiming_uniform((4, 3), rng=0, a=np.sqrt(5))
        >>> bool(np.all(np.abs(w) <= 0.5))
        True
    """
    fan_in, _ = fans(shape)
    bound = _kaiming_gain(a) * math.sqrt(3.0 / fan_in)
    return uniform(shape, -bound, bound, rng, dtype)


LinearInit = Callable[[int, int, np.random.Generator, np.dtype, bool], tuple[np.ndarray, "np.ndarray | None"]]


def _with_zero_bias(weight_init: Callable[..., np.ndarray]) -> LinearInit:
    def init(
        fan_in: int, fan_out: int, rng: np.random.Generator, dtype: np.dtype, bias: bool
    ) -> tuple[np.ndarray, np.ndarray | None]:
        weight = weight_init((fan_in, fan_out), rng, dtype)
        return weight, (zeros((fan_out,), dtype=dtype) if bias else None)

    return init


def _pytorch_linear(
    fan_in: int, fan_out: int, rng: np.random.Generator, dtype: np.dtype, bias: bool
) -> tuple[np.ndarray, np.ndarray | None]:
    # PyTorch's nn.Linear: kaiming_uniform(a=√5) weights, i.e. U(±1/√fan_in), and a U(±1/√fan_in) bias.
    weight = kaiming_uniform((fan_in, fan_out), rng, dtype, a=math.sqrt(5.0))
    bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
    return weight, (uniform((fan_out,), -bound, bound, rng, dtype) if bias else None)


LINEAR_INITS: dict[str, LinearInit] = {
    "glorot_normal": _with_zero_bias(glorot_normal),
    "glorot_uniform": _with_zero_bias(glorot_uniform),
    "kaiming_normal": _with_zero_bias(kaiming_normal),
    "kaiming_uniform": _with_zero_bias(kaiming_uniform),
    "pytorch": _pytorch_linear,
}
"""Named initialisations of a dense layer: weight and bias arrays from ``(fan_in, fan_out, rng, dtype, bias)``."""


def linear_init(init: str | Callable[..., np.ndarray]) -> LinearInit:
    """The initialisation of a dense layer named ``init``, or one built from a weight initialiser.

    A callable ``init(shape, rng, dtype)`` draws the weight; the bias starts at zero.
    """
    if callable(init):
        return _with_zero_bias(init)
    try:
        return LINEAR_INITS[init]
    except (KeyError, TypeError):
        raise ValueError(f"unknown init {init!r}; expected one of {sorted(LINEAR_INITS)} or a callable") from None


__all__ = [
    "LINEAR_INITS",
    "fans",
    "glorot_normal",
    "glorot_uniform",
    "kaiming_normal",
    "kaiming_uniform",
    "linear_init",
    "make_rng",
    "normal",
    "uniform",
    "zeros",
]
