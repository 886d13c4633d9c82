"""Sorting and order statistics: sort, partition, median, quantile, percentile.

Each is a composition. The permutation that orders the values (a stable
``argsort``, or ``argpartition``) is an integer array with no derivative;
the values are gathered through it with `take_along_axis`, whose JVP gathers
the tangent the same way and whose VJP scatters the cotangent back. So an
order statistic's derivative is the derivative of the element that holds it,
at every order, in both modes and under ``vmap`` (where each example is
sorted on its own).

Ties: among equal values the cotangent goes where a stable sort puts it. The
i-th output position of ``sort`` belongs to the input element that
``argsort(kind="stable")`` places there, so of k equal values the first (in
input order) receives the cotangent of the first of their k output positions,
and so on; it is not split between them (unlike ``max``/``min``, whose ties
share it equally). JAX's ``sort`` follows the same rule. ``partition`` follows
``numpy.argpartition``'s placement, which among equal values is unspecified.
"""

from __future__ import annotations

import math
import operator
from typing import Any

import numpy as np

from ..core import Tracer, primal_value
from ..core.staging import is_abstract
from ._primitives import as_array_arg, dtype, shape
from .elementwise import astype, floor, maximum, minimum, round, where
from .indexing import take, take_along_axis
from .logic import argpartition, argsort, concrete_value, equal, greater_equal, isnan, less, logical_and
from .reductions import keepdims_shape, mean, normalize_axis
from .shape import moveaxis, reshape

# The virtual index h of Hyndman and Fan's sample quantiles, as NumPy writes it
# (``numpy.quantile``'s methods): the quantile is the sorted values interpolated at h.
_CONTINUOUS = {  # method: (alpha, beta) of h = n·q + alpha + q·(1 − alpha − beta) − 1
    "interpolated_inverted_cdf": (0.0, 1.0),
    "hazen": (0.5, 0.5),
    "weibull": (0.0, 0.0),
    "median_unbiased": (1 / 3.0, 1 / 3.0),
    "normal_unbiased": (3 / 8.0, 3 / 8.0),
}
_METHODS = (
    "inverted_cdf",
    "averaged_inverted_cdf",
    "closest_observation",
    "interpolated_inverted_cdf",
    "hazen",
    "weibull",
    "linear",
    "median_unbiased",
    "normal_unbiased",
    "lower",
    "higher",
    "midpoint",
    "nearest",
)


def _check_real(a: Any, name: str) -> None:
    if dtype(a).kind == "c":
        raise TypeError(f"{name}: complex values are not supported by wengert yet")


def _axis_index(axis: Any, ndim: int, name: str) -> int:
    axis = operator.index(axis)
    if not -ndim <= axis < max(ndim, 1):
        raise np.exceptions.AxisError(axis, ndim, msg_prefix=name)
    return axis % max(ndim, 1)


# -- sort and partition ------------------------------------------------------------------------------


def sort(a: Any, axis: Any = -1, kind: Any = None, order: Any = None, *, stable: Any = None) -> Any:
    """A sorted copy of ``a`` along ``axis`` (the flattened array when None), as ``numpy.sort``.

    Differentiable: each output element carries the derivative of the input
    element sorted into its place; among equal values the places are those of
    a stable sort (see the module's note on ties). NaNs sort last, as in NumPy.
    ``kind`` does not change the values; ``order`` (structured arrays) is not
    supported on traced values.

    Example:
        >>> sort(np.array([[3.0, 1.0, 2.0]]))
        array([[1., 2., 3.]])
    """
    a = as_array_arg(a)
    if not isinstance(a, Tracer):
        return np.sort(a, axis=axis, kind=kind, order=order, stable=stable)
    if order is not None:
        raise ValueError("sort: order= applies to structured arrays, which cannot be traced")
    _check_real(a, "sort")
    if axis is None:
        a, axis = reshape(a, (-1,)), 0
    axis = _axis_index(axis, len(shape(a)), "sort")
    if len(shape(a)) == 0:
        raise np.exceptions.AxisError(axis, 0)
    return take_along_axis(a, argsort(a, axis=axis, kind="stable"), axis)


def partition(a: Any, kth: Any, axis: Any = -1, kind: str = "introselect", order: Any = None) -> Any:
    """``a`` rearranged so that its ``kth`` position(s) hold the values a sort would put there.

    Smaller values come before each kth position and larger ones after, in an
    unspecified order (NumPy's, as ``numpy.partition`` gives it). Differentiable:
    every output element carries the derivative of the input element moved into
    its place by ``numpy.argpartition``.

    Example:
        >>> float(partition(np.array([3.0, 1.0, 2.0]), 1)[1])
        2.0
    """
    a = as_array_arg(a)
    if not isinstance(a, Tracer):
        return np.partition(a, kth, axis=axis, kind=kind, order=order)
    if order is not None:
        raise ValueError("partition: order= applies to structured arrays, which cannot be traced")
    _check_real(a, "partition")
    if axis is None:
        a, axis = reshape(a, (-1,)), 0
    axis = _axis_index(axis, len(shape(a)), "partition")
    return take_along_axis(a, argpartition(a, kth, axis=axis, kind=kind), axis)


# -- median and quantiles -------------------------------------------------------------------------------


def _reduced_last(a: Any, axis: Any) -> tuple[Any, tuple[int, ...], tuple[int, ...]]:
    """``a`` with the reduced axes merged into one last axis; also the kept axes' shape and keepdims' shape."""
    a_shape = tuple(shape(a))
    axes = normalize_axis(axis, len(a_shape))
    if axes is None:
        axes = tuple(range(len(a_shape)))
    kept = tuple(size for i, size in enumerate(a_shape) if i not in axes)
    merged = math.prod(a_shape[i] for i in axes)
    moved = moveaxis(a, axes, tuple(range(-len(axes), 0))) if axes else a
    return reshape(moved, (*kept, merged)), kept, keepdims_shape(a_shape, axes if axes else ())


def _nan_wins(sorted_values: Any, result: Any, q_ndim: int = 0) -> Any:
    """``result``, but NaN for the slices holding a NaN (sorted last), as NumPy's quantiles give."""
    if not is_abstract(sorted_values) and not np.any(np.isnan(primal_value(sorted_values))):
        return result
    last = sorted_values[..., -1]
    if q_ndim:
        last = reshape(last, (*shape(last), *(1,) * q_ndim))
    return where(isnan(last), last, result)


def median(a: Any, axis: Any = None, out: Any = None, overwrite_input: bool = False, keepdims: bool = False) -> Any:
    """The median along ``axis`` (an int, a tuple, or None for all), as ``numpy.median``.

    The middle element of the sorted values, or the mean of the two middle
    ones: its derivative goes to that element (1) or to those two (1/2 each),
    chosen among equal values as a stable sort orders them. A slice holding a
    NaN has median NaN.

    Example:
        >>> float(median(np.array([3.0, 1.0, 4.0, 2.0])))
        2.5
    """
    a = as_array_arg(a)
    if not isinstance(a, Tracer):
        return np.median(a, axis=axis, out=out, overwrite_input=overwrite_input, keepdims=keepdims)
    if out is not None:
        raise TypeError("median: out= cannot hold a traced result; use the returned value")
    _check_real(a, "median")
    values, kept, kept_dims = _reduced_last(a, axis)
    count = shape(values)[-1]
    if count == 0:
        raise ValueError("median of an empty array is NaN and has no derivative; wengert refuses it")
    ordered = sort(values, axis=-1)
    middle = count // 2
    result = mean(ordered[..., middle - 1 + count % 2 : middle + 1], axis=-1)
    result = _nan_wins(ordered, result)
    return reshape(result, kept_dims) if keepdims else result


def _virtual_index(q: Any, count: int, method: str) -> Any:
    """Where in the sorted values (a float position) ``method`` puts quantile ``q``, as NumPy computes it."""
    if method == "linear":
        return (count - 1) * q
    if method in _CONTINUOUS:
        alpha, beta = _CONTINUOUS[method]
        return count * q + (alpha + q * (1 - alpha - beta)) - 1
    if method == "averaged_inverted_cdf":
        return count * q - 1
    if method == "midpoint":
        position = (count - 1) * q
        return 0.5 * (floor(position) + _ceil(position))
    raise AssertionError(method)


def _ceil(x: Any) -> Any:
    from .elementwise import ceil

    return ceil(x)


def _integer_index(q: Any, count: int, method: str) -> Any:
    """The sorted position that a method without interpolation picks for quantile ``q``."""
    if method == "lower":
        index = floor((count - 1) * q)
    elif method == "higher":
        index = _ceil((count - 1) * q)
    elif method == "nearest":
        index = round((count - 1) * q)
    else:  # inverted_cdf, closest_observation: steps of the empirical distribution function
        position = count * q - 1 if method == "inverted_cdf" else count * q - 1 - 0.5
        previous = floor(position)
        at_step = equal(position - previous, 0)
        if method == "closest_observation":  # the nearest even order statistic at a step
            at_step = logical_and(at_step, equal(previous % 2, 1))
        index = maximum(where(at_step, previous, previous + 1), 0)
    return minimum(astype(index, np.int64), count - 1)


def _interpolation_indexes(h: Any, count: int, continuous: bool) -> tuple[Any, Any]:
    """The sorted positions either side of the virtual index ``h`` (NumPy's, but see below).

    Outside [0, n − 1] both are the nearest end. For the continuous methods,
    h = n − 1 takes the last interval (n − 2, n − 1) with weight 1 rather than
    the last point twice: the same value, and its derivative in q is the slope
    of that interval (at q = 1 under "linear", the only one-sided derivative
    inside [0, 1]).
    """
    below_next = astype(floor(h), np.int64)
    top = count - 1
    above = greater_equal(h, top)
    if continuous and count >= 2:
        previous = where(equal(h, top), top - 1, where(above, top, below_next))
    else:
        previous = where(above, top, below_next)
    following = where(above, top, below_next + 1)
    below = less(h, 0)
    return where(below, 0, previous), where(below, 0, following)


def _lerp(a: Any, b: Any, t: Any) -> Any:
    """a + (b − a)·t, written from b's side where t ≥ 1/2 (NumPy's rounding: exactly b at t = 1)."""
    difference = b - a
    return where(greater_equal(t, 0.5), b - difference * (1 - t), a + difference * t)


def _quantile(a: Any, q: Any, axis: Any, method: str, keepdims: bool, weak_q: bool) -> Any:
    values, kept, kept_dims = _reduced_last(a, axis)
    count = shape(values)[-1]
    if count == 0:
        raise ValueError("quantiles of an empty array are NaN and have no derivative; wengert refuses them")
    ordered = sort(values, axis=-1)
    q_shape = tuple(shape(q))
    if method in ("lower", "higher", "nearest", "inverted_cdf", "closest_observation"):
        result = take(ordered, _integer_index(q, count, method), axis=-1)
    else:
        h = _virtual_index(q, count, method)
        previous, following = _interpolation_indexes(h, count, method == "linear" or method in _CONTINUOUS)
        # The weight keeps the virtual index's dtype, as in NumPy (float32 q: float32 weights, and
        # float32 derivatives: the integer position is converted, not the difference).
        gamma = h - (astype(previous, dtype(h)) if dtype(h).kind == "f" else previous)
        if method == "averaged_inverted_cdf":
            gamma = where(equal(gamma, 0), 0.5, 1.0)
        elif method == "midpoint":
            gamma = where(equal(h % 1, 0), 0.0, 0.5)
        if weak_q:  # a Python number q keeps a's dtype (NumPy's weak promotion)
            gamma = float(gamma)
        result = _lerp(take(ordered, previous, axis=-1), take(ordered, following, axis=-1), gamma)
    result = _nan_wins(ordered, result, len(q_shape))
    # NumPy puts q's axes first.
    if q_shape:
        lead = len(kept)
        result = moveaxis(result, tuple(range(lead, lead + len(q_shape))), tuple(range(len(q_shape))))
    if keepdims:
        result = reshape(result, (*q_shape, *kept_dims))
    return result


def _quantile_call(
    name: str,
    a: Any,
    q: Any,
    scale: float,
    axis: Any,
    out: Any,
    overwrite_input: bool,
    method: str,
    keepdims: bool,
    weights: Any,
) -> Any:
    a, q = as_array_arg(a), as_array_arg(q)
    numpy_function = np.quantile if scale == 1 else np.percentile
    if not (isinstance(a, Tracer) or isinstance(q, Tracer)):
        return numpy_function(a, q, axis, out, overwrite_input, method, keepdims, weights=weights)
    if out is not None:
        raise TypeError(f"{name}: out= cannot hold a traced result; use the returned value")
    if weights is not None:
        raise NotImplementedError(f"{name}: weights= is not implemented in wengert.numpy (NumPy's weighted quantiles)")
    if method not in _METHODS:
        raise ValueError(f"{name}: {method!r} is not a valid method; use one of {', '.join(_METHODS)}")
    _check_real(a, name)
    weak_q = type(q) in (int, float)
    if is_abstract(q):
        raise TypeError(
            f"{name}: q must be known when jit compiles the program (the elements it picks depend on it); "
            "make q a static argument (jit(f, static_argnums=...))"
        )
    q_value = np.asarray(primal_value(q), dtype=float) / scale
    if q_value.ndim > 2:
        raise ValueError(f"{name}: q must be a scalar or 1d")
    if not (np.all(q_value >= 0) and np.all(q_value <= 1)):
        bound = "[0, 1]" if scale == 1 else "[0, 100]"
        kind = "Quantiles" if scale == 1 else "Percentiles"
        raise ValueError(f"{name}: {kind} must be in the range {bound}, got q={primal_value(q)!r}")
    if isinstance(q, Tracer):
        if dtype(q).kind not in "f":
            from .elementwise import astype

            q = astype(q, np.float64)
        q = q / scale if scale != 1 else q
    else:
        q = np.true_divide(q, scale) if scale != 1 else np.asarray(q)
        if weak_q:
            q = float(q)
    return _quantile(a, q, axis, method, keepdims, weak_q)


def quantile(
    a: Any,
    q: Any,
    axis: Any = None,
    out: Any = None,
    overwrite_input: bool = False,
    method: str = "linear",
    keepdims: bool = False,
    *,
    weights: Any = None,
) -> Any:
    """The ``q``-th quantile(s) of ``a`` along ``axis``, by any of NumPy's 13 ``method`` names.

    Differentiable in ``a``: the derivative goes to the one or two sorted
    elements that the method interpolates (weights 1 − γ and γ), chosen among
    equal values as a stable sort orders them. Differentiable in ``q`` too, when
    ``q`` is traced: the slope of the interpolation, (next − previous)·dh/dq; at
    a point where the slope changes (h an integer) it is the slope of the piece
    to the right, except at h = n − 1 where it is the piece to the left (so
    q = 1 under "linear" gets the last interval's slope). Methods that pick one
    element ("lower", "higher", "nearest", "inverted_cdf",
    "closest_observation") and the step-wise "midpoint" and
    "averaged_inverted_cdf" are piecewise constant in q: derivative 0.
    ``weights`` (NumPy's weighted "inverted_cdf") is not supported on traced values.

    Example:
        >>> float(quantile(np.array([1.0, 2.0, 3.0, 4.0]), 0.25))
        1.75
    """
    return _quantile_call("quantile", a, q, 1, axis, out, overwrite_input, method, keepdims, weights)


def percentile(
    a: Any,
    q: Any,
    axis: Any = None,
    out: Any = None,
    overwrite_input: bool = False,
    method: str = "linear",
    keepdims: bool = False,
    *,
    weights: Any = None,
) -> Any:
    """The ``q``-th percentile(s) of ``a``: `quantile` of ``q / 100``, with the same derivatives.

    Example:
        >>> float(percentile(np.array([1.0, 2.0, 3.0, 4.0]), 50))
        2.5
    """
    return _quantile_call("percentile", a, q, 100, axis, out, overwrite_input, method, keepdims, weights)


# -- searching: positions of nonzero elements (shapes that depend on the values) -------------------------


def _unbatched(x: Any, name: str) -> Any:
    """The plain value of ``x`` for a function whose result shape depends on the data."""
    return concrete_value(
        x,
        f"{name} has a result whose shape depends on the values, which cannot vary across the examples "
        "of a vmap batch (use where with a mask instead)",
        f"{name} has a result whose shape depends on the values, which jit cannot know while it compiles "
        "(use where with a mask instead, or call it outside jit)",
    )


def nonzero(a: Any) -> tuple[np.ndarray, ...]:
    """The indices of the nonzero elements, one integer array per axis (``numpy.nonzero``; not differentiable).

    Example:
        >>> nonzero(np.array([0.0, 2.0, 3.0]))
        (array([1, 2]),)
    """
    return np.nonzero(_unbatched(as_array_arg(a), "nonzero"))


def flatnonzero(a: Any) -> np.ndarray:
    """The indices of the nonzero elements of the flattened array (not differentiable).

    Example:
        >>> flatnonzero(np.array([[0.0, 2.0], [3.0, 0.0]]))
        array([1, 2])
    """
    return np.flatnonzero(_unbatched(as_array_arg(a), "flatnonzero"))


def argwhere(a: Any) -> np.ndarray:
    """The indices of the nonzero elements, one row per element (``numpy.argwhere``; not differentiable).

    Example:
        >>> argwhere(np.array([0.0, 2.0]))
        array([[1]])
    """
    return np.argwhere(_unbatched(as_array_arg(a), "argwhere"))


__all__ = ["argwhere", "flatnonzero", "median", "nonzero", "partition", "percentile", "quantile", "sort"]
