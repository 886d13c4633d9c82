"""Creating arrays: not differentiable, except that `array` and `asarray` of a nested
list that holds traced values stack them (so ``wnp.array([x, 2 * x])`` is differentiable).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core import Tracer, primal_value
from ._primitives import dtype as _dtype
from ._primitives import shape
from .logic import detach, is_batched

random = np.random
pi = np.pi
e = np.e
inf = np.inf
nan = np.nan
newaxis = None
float32 = np.float32
float64 = np.float64
int32 = np.int32
int64 = np.int64
bool_ = np.bool_


def _contains_tracer(data: Any) -> bool:
    if isinstance(data, Tracer):
        return True
    if isinstance(data, (list, tuple)):
        return any(_contains_tracer(item) for item in data)
    return False


def _stack_nested(data: Any, dtype: Any) -> Any:
    from .elementwise import astype
    from .shape import stack

    if isinstance(data, (list, tuple)):
        return stack([_stack_nested(item, dtype) for item in data])
    if isinstance(data, Tracer):
        return astype(data, dtype) if dtype is not None else data
    return np.asarray(data, dtype=dtype if dtype is not None else float)


def array(data: Any, dtype: Any = None, copy: bool = True) -> Any:
    """``numpy.array``; nested lists holding traced values are stacked differentiably.

    Example:
        >>> array([1.0, 2.0])
        array([1., 2.])
    """
    if isinstance(data, Tracer):
        from .elementwise import astype

        return astype(data, dtype) if dtype is not None else data
    if _contains_tracer(data):
        return _stack_nested(data, dtype)
    return np.array(data, dtype=dtype, copy=copy)


def asarray(data: Any, dtype: Any = None) -> Any:
    """``numpy.asarray``; traced values pass through."""
    if isinstance(data, Tracer) or _contains_tracer(data):
        return array(data, dtype)
    return np.asarray(data, dtype=dtype)


def _like(x: Any, dtype: Any) -> tuple[tuple[int, ...], Any]:
    """The shape and dtype of a constant made like ``x``: one example's shape under vmap."""
    return tuple(shape(x)), dtype if dtype is not None else _dtype(x)


def zeros_like(x: Any, dtype: Any = None) -> np.ndarray:
    """Zeros shaped like ``x`` (a constant)."""
    if isinstance(x, Tracer):
        return np.zeros(*_like(x, dtype))
    return np.zeros_like(x, dtype=dtype)


def ones_like(x: Any, dtype: Any = None) -> np.ndarray:
    """Ones shaped like ``x`` (a constant)."""
    if isinstance(x, Tracer):
        return np.ones(*_like(x, dtype))
    return np.ones_like(x, dtype=dtype)


def full_like(x: Any, fill_value: Any, dtype: Any = None) -> Any:
    """``fill_value`` shaped like ``x`` (a constant; it varies across a vmap batch if the fill value does)."""
    if not isinstance(x, Tracer) and not isinstance(fill_value, Tracer):
        return np.full_like(x, fill_value, dtype=dtype)
    x_shape, kind = _like(x, dtype)
    if is_batched(fill_value):
        from .elementwise import astype
        from .shape import broadcast_to

        return broadcast_to(astype(detach(fill_value), kind), x_shape)
    return np.full(x_shape, primal_value(fill_value), dtype=kind)


def empty_like(x: Any, dtype: Any = None) -> np.ndarray:
    if isinstance(x, Tracer):
        return np.empty(*_like(x, dtype))
    return np.empty_like(x, dtype=dtype)


zeros = np.zeros
ones = np.ones
full = np.full
empty = np.empty
eye = np.eye
identity = np.identity
arange = np.arange
linspace = np.linspace
logspace = np.logspace
meshgrid = np.meshgrid
ndarray = np.ndarray
result_type = np.result_type
finfo = np.finfo
iinfo = np.iinfo

__all__ = [
    "arange",
    "array",
    "asarray",
    "bool_",
    "e",
    "empty",
    "empty_like",
    "eye",
    "finfo",
    "float32",
    "float64",
    "full",
    "full_like",
    "identity",
    "iinfo",
    "inf",
    "int32",
    "int64",
    "linspace",
    "logspace",
    "meshgrid",
    "nan",
    "ndarray",
    "newaxis",
    "ones",
    "ones_like",
    "pi",
    "random",
    "result_type",
    "zeros",
    "zeros_like",
]
