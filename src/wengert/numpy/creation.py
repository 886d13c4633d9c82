"""Creating arrays: not differentiable, except that `array` and `asarray` of a nested
list that holds traced values stack them (so ``wnp.array([x, 2 * x])`` is differentiable).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core import Tracer, primal_value
from ..core.staging import is_abstract
from ._primitives import as_array_arg, shape
from ._primitives import dtype as _dtype

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


def array(data: Any, dtype: Any = None, copy: bool = True, *, ndmin: int = 0) -> Any:
    """``numpy.array``; nested lists holding traced values are stacked differentiably.

    ``ndmin`` prepends axes of length one, as in NumPy.

    Example:
        >>> array([1.0, 2.0], ndmin=2)
        array([[1., 2.]])
    """
    if isinstance(data, Tracer):
        from .elementwise import astype

        result = astype(data, dtype) if dtype is not None else data
    elif _contains_tracer(data):
        result = _stack_nested(data, dtype)
    else:
        return np.array(data, dtype=dtype, copy=copy, ndmin=ndmin)
    missing = ndmin - len(shape(result))
    if missing > 0:
        from .shape import reshape

        result = reshape(result, (1,) * missing + tuple(shape(result)))
    return result


def asarray(data: Any, dtype: Any = None) -> Any:
    """``numpy.asarray``; traced values pass through."""
    if isinstance(data, Tracer) or _contains_tracer(data):
        return array(data, dtype)
    return np.asarray(data, dtype=dtype)


def _like(x: Any, dtype: Any) -> tuple[tuple[int, ...], Any]:
    """The shape and dtype of a constant made like ``x``: one example's shape under vmap."""
    return tuple(shape(x)), dtype if dtype is not None else _dtype(x)


def _like_shape(x: Any, dtype: Any, shape_: Any) -> tuple[tuple[int, ...], Any]:
    x_shape, kind = _like(x, dtype)
    if shape_ is not None:
        x_shape = (int(shape_),) if isinstance(shape_, (int, np.integer)) else tuple(shape_)
    return x_shape, kind


def zeros_like(x: Any, dtype: Any = None, *, shape: Any = None) -> np.ndarray:
    """Zeros shaped like ``x`` (or of ``shape``), a constant.

    Example:
        >>> zeros_like(np.ones(2))
        array([0., 0.])
    """
    if isinstance(x, Tracer):
        return np.zeros(*_like_shape(x, dtype, shape))
    return np.zeros_like(x, dtype=dtype, shape=shape)


def ones_like(x: Any, dtype: Any = None, *, shape: Any = None) -> np.ndarray:
    """Ones shaped like ``x`` (or of ``shape``), a constant.

    Example:
        >>> ones_like(np.zeros(2))
        array([1., 1.])
    """
    if isinstance(x, Tracer):
        return np.ones(*_like_shape(x, dtype, shape))
    return np.ones_like(x, dtype=dtype, shape=shape)


def full_like(x: Any, fill_value: Any, dtype: Any = None, *, shape: Any = None) -> Any:
    """``fill_value`` shaped like ``x`` (or of ``shape``); differentiable in a traced ``fill_value``.

    ``x`` gives only a shape and a dtype: no derivative flows to it. The fill
    value's derivative is the sum of the output's (it is broadcast).

    Example:
        >>> full_like(np.zeros(2), 3.0)
        array([3., 3.])
    """
    fill_value = as_array_arg(fill_value)
    if not isinstance(x, Tracer) and not isinstance(fill_value, Tracer):
        return np.full_like(x, fill_value, dtype=dtype, shape=shape)
    x_shape, kind = _like_shape(x, dtype, shape)
    if not isinstance(fill_value, Tracer):
        return np.full(x_shape, fill_value, dtype=kind)
    from .elementwise import astype
    from .shape import broadcast_to

    return broadcast_to(astype(fill_value, kind), x_shape)


def empty_like(x: Any, dtype: Any = None, *, shape: Any = None) -> np.ndarray:
    """An uninitialised array shaped like ``x`` (or of ``shape``), a constant.

    Example:
        >>> empty_like(np.zeros(2)).shape
        (2,)
    """
    if isinstance(x, Tracer):
        return np.empty(*_like_shape(x, dtype, shape))
    return np.empty_like(x, dtype=dtype, shape=shape)


def full(shape: Any, fill_value: Any, dtype: Any = None, order: str = "C") -> Any:
    """An array of ``shape`` filled with ``fill_value``; differentiable in a traced fill value.

    The fill value may be an array that broadcasts to ``shape``; its derivative
    is the output's summed over the broadcast.

    Example:
        >>> full((2,), 1.5)
        array([1.5, 1.5])
    """
    fill_value = as_array_arg(fill_value)
    if not isinstance(fill_value, Tracer):
        return np.full(shape, fill_value, dtype=dtype, order=order)
    from .elementwise import astype
    from .shape import broadcast_to

    target = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(s) for s in shape)
    if dtype is not None:
        fill_value = astype(fill_value, dtype)
    return broadcast_to(fill_value, target)


def linspace(
    start: Any,
    stop: Any,
    num: int = 50,
    endpoint: bool = True,
    retstep: bool = False,
    dtype: Any = None,
    axis: int = 0,
    *,
    device: Any = None,
) -> Any:
    """``num`` evenly spaced values from ``start`` to ``stop``; differentiable in traced endpoints.

    NumPy's arithmetic (i·step + start, the last value exactly ``stop`` when
    ``endpoint``), so the values are NumPy's; the derivative of the i-th value
    is 1 − i/div in ``start`` and i/div in ``stop`` (div = num − 1, or num
    without the endpoint). Array endpoints give one sequence per element, along ``axis``.

    Example:
        >>> linspace(0.0, 1.0, 5)
        array([0.  , 0.25, 0.5 , 0.75, 1.  ])
    """
    start, stop = as_array_arg(start), as_array_arg(stop)
    if not (isinstance(start, Tracer) or isinstance(stop, Tracer)):
        return np.linspace(start, stop, num, endpoint, retstep, dtype, axis, device=device)
    import operator

    from .elementwise import astype, floor
    from .shape import broadcast_to, concatenate, moveaxis, reshape

    num = operator.index(num)
    if num < 0:
        raise ValueError(f"Number of samples, {num}, must be non-negative.")
    div = (num - 1) if endpoint else num
    kinds = [v if type(v) in (int, float) else _dtype(v) for v in (start, stop)]
    kind = np.result_type(*kinds, 0.0)  # ensure inexact; Python numbers stay weak
    start = start if not isinstance(start, Tracer) or _dtype(start) == kind else astype(start, kind)
    stop = stop if not isinstance(stop, Tracer) or _dtype(stop) == kind else astype(stop, kind)
    delta = stop - start
    if not isinstance(delta, Tracer):
        delta = np.asarray(delta, dtype=kind)
    elif _dtype(delta) != kind:
        delta = astype(delta, kind)
    rank = len(shape(delta))
    y: Any = np.arange(0, num, dtype=kind).reshape((-1,) + (1,) * rank)
    if div > 0:
        step = delta / div
        # NumPy's order of operations for steps that underflow to 0 (denormals), else i·step.
        if is_abstract(step):  # staged: both orders, chosen per element as NumPy would
            from .elementwise import where
            from .logic import equal

            y = where(equal(step, 0), (y / div) * delta, y * step)
        else:
            y = (y / div) * delta if np.any(primal_value(step) == 0) else y * step
    else:
        step = np.nan
        y = y * delta
    y = y + start
    if endpoint and num > 1:
        last = reshape(broadcast_to(stop, tuple(shape(delta))), (1, *shape(delta)))
        last = last if _dtype(last) == kind else astype(last, kind)
        y = concatenate([y[:-1], last], 0)
    if axis != 0:
        y = moveaxis(y, 0, axis)
    if dtype is not None:
        if np.issubdtype(dtype, np.integer):
            y = floor(y)
        y = astype(y, dtype)
    return (y, step) if retstep else y


zeros = np.zeros
ones = np.ones
empty = np.empty
eye = np.eye
identity = np.identity
arange = np.arange
logspace = np.logspace
meshgrid = np.meshgrid
ndarray = np.ndarray


def result_type(*arrays_and_dtypes: Any) -> np.dtype:
    """The dtype NumPy's promotion gives these values and dtypes (a traced value counts as an array of its dtype).

    Example:
        >>> result_type(np.ones(2, dtype=np.float32), 1.0)
        dtype('float32')
    """
    return np.result_type(*(_dtype(a) if isinstance(a, Tracer) else a for a in arrays_and_dtypes))


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
