"""Discrete linear convolution and cross-correlation of 1-D sequences: convolve, correlate.

Two primitives carry the rules: the full convolution along the last axis
(``convolve_full``), and its transpose, the "valid" cross-correlation
(``correlate_valid``). The modes and ``correlate`` are slices of the full
convolution and flips of its arguments. Both primitives are bilinear, so each
JVP is the sum of the products of each tangent with the other argument, and
each VJP is the other primitive applied to the cotangent: the rules
differentiate again, and none of them costs more than O(n·m).

Both work on stacks (leading axes broadcast), which is how they batch under
``vmap``: one call for the whole batch. A pair of 1-D arrays goes to
``numpy.convolve``/``numpy.correlate`` themselves; stacks to shifted
multiply-adds over the shorter sequence (the same sums, which may round
differently in the last bit).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core import Tracer, bind
from ._primitives import EMPTY, as_array_arg, dtype, primitive, shape, wraps_primitive
from .batching import broadcasting
from .elementwise import product_taylor
from .shape import flip, unbroadcast

_MODES = ("full", "same", "valid")


def _convolve_full_impl(a: Any, v: Any) -> Any:
    a, v = np.asarray(a), np.asarray(v)
    if a.ndim == 1 and v.ndim == 1:
        return np.convolve(a, v)
    n, m = a.shape[-1], v.shape[-1]
    lead = np.broadcast_shapes(a.shape[:-1], v.shape[:-1])
    out = np.zeros((*lead, n + m - 1), dtype=np.result_type(a, v))
    if m <= n:  # loop over the shorter sequence
        for j in range(m):
            out[..., j : j + n] += a * v[..., j : j + 1]
    else:
        for i in range(n):
            out[..., i : i + m] += a[..., i : i + 1] * v
    return out


def _correlate_valid_impl(g: Any, w: Any) -> Any:
    g, w = np.asarray(g), np.asarray(w)
    length, width = g.shape[-1], w.shape[-1]
    count = length - width + 1
    if g.ndim == 1 and w.ndim == 1:
        return np.correlate(g, w, mode="valid")
    lead = np.broadcast_shapes(g.shape[:-1], w.shape[:-1])
    out = np.zeros((*lead, count), dtype=np.result_type(g, w))
    if width <= count:  # loop over the shorter of the kernel and the result
        for j in range(width):
            out += g[..., j : j + count] * w[..., j : j + 1]
    else:
        for i in range(count):
            out[..., i] = np.sum(g[..., i : i + width] * w, axis=-1)
    return out


# Two primitives, each the other's transpose: convolving with v is undone by correlating with v.
# Both cost O(n·m) (never a full convolution of two long sequences in a rule).
convolve_full_p = primitive(
    "convolve_full",
    _convolve_full_impl,
    jvp=(
        lambda t, ans, a, v: convolve_full(t, v),
        lambda t, ans, a, v: convolve_full(a, t),
    ),
    vjp=(
        lambda g, ans, a, v: unbroadcast(correlate_valid(g, v), a),
        lambda g, ans, a, v: unbroadcast(correlate_valid(g, a), v),
    ),
)
convolve_full_p.batch = broadcasting(convolve_full_p)

correlate_valid_p = primitive(
    "correlate_valid",
    _correlate_valid_impl,
    jvp=(
        lambda t, ans, g, w: correlate_valid(t, w),
        lambda t, ans, g, w: correlate_valid(g, t),
    ),
    vjp=(
        lambda c, ans, g, w: unbroadcast(convolve_full(c, w), g),
        lambda c, ans, g, w: unbroadcast(correlate_valid(g, c), w),
    ),
)
correlate_valid_p.batch = broadcasting(correlate_valid_p)
# Both are bilinear: Taylor mode's coefficients are Cauchy products of the two series.
convolve_full_p.taylor = product_taylor(lambda a, v: convolve_full(a, v))
correlate_valid_p.taylor = product_taylor(lambda g, w: correlate_valid(g, w))


@wraps_primitive(convolve_full_p)
def convolve_full(a: Any, v: Any) -> Any:
    """The full discrete convolution of ``a`` and ``v`` along their last axes (leading axes broadcast).

    Example:
        >>> convolve_full(np.array([[1.0, 2.0], [0.0, 1.0]]), np.array([1.0, 1.0]))
        array([[1., 3., 2.],
               [0., 1., 1.]])
    """
    if isinstance(a, Tracer) or isinstance(v, Tracer):
        return bind(convolve_full_p, (a, v), EMPTY)
    return _convolve_full_impl(a, v)


@wraps_primitive(correlate_valid_p)
def correlate_valid(g: Any, w: Any) -> Any:
    """Σₙ g[..., n + i]·w[..., n] for i = 0 … len(g) − len(w): where ``w`` fits inside ``g`` (leading axes broadcast).

    Example:
        >>> correlate_valid(np.array([1.0, 2.0, 3.0]), np.array([1.0, 1.0]))
        array([3., 5.])
    """
    if isinstance(g, Tracer) or isinstance(w, Tracer):
        return bind(correlate_valid_p, (g, w), EMPTY)
    return _correlate_valid_impl(g, w)


def _operands(name: str, a: Any, v: Any, mode: Any) -> tuple[Any, Any, int, int]:
    if mode not in _MODES:
        raise ValueError(f"{name}: mode must be one of 'valid', 'same', or 'full' (got {mode!r})")
    if not isinstance(a, Tracer):
        a = np.asarray(a)
    if not isinstance(v, Tracer):
        v = np.asarray(v)
    for value, what in ((a, "a"), (v, "v")):
        if len(shape(value)) != 1:
            raise ValueError(f"{name}: {what} must be one-dimensional, got shape {tuple(shape(value))}")
        if dtype(value).kind == "c":
            raise TypeError(f"{name}: complex values are not supported by wengert yet")
    n, m = shape(a)[0], shape(v)[0]
    if n == 0:
        raise ValueError("a cannot be empty")
    if m == 0:
        raise ValueError("v cannot be empty")
    return a, v, n, m


def _part(full: Any, mode: str, n: int, m: int, correlating: bool) -> Any:
    """The ``mode`` part of a full result, where NumPy puts it (centred as NumPy centres "same")."""
    if mode == "full":
        return full
    shorter, longer = min(n, m), max(n, m)
    if mode == "valid":
        return full[shorter - 1 : longer]
    # NumPy swaps the arguments when v is longer; a correlation is then reversed, which
    # moves its "same" window to the other side of the centre.
    start = n // 2 if correlating and m > n else (shorter - 1) // 2
    return full[start : start + longer]


def convolve(a: Any, v: Any, mode: str = "full") -> Any:
    """The discrete linear convolution of two 1-D sequences, as ``numpy.convolve``.

    ``mode`` is "full" (length n + m − 1), "same" (length max(n, m), centred as
    NumPy centres it) or "valid" (where the sequences overlap completely).
    Differentiable in both sequences; real values only.

    Example:
        >>> convolve(np.array([1.0, 2.0, 3.0]), np.array([0.0, 1.0, 0.5]))
        array([0. , 1. , 2.5, 4. , 1.5])
    """
    a, v = as_array_arg(a), as_array_arg(v)
    if not (isinstance(a, Tracer) or isinstance(v, Tracer)):
        return np.convolve(a, v, mode=mode)
    a, v, n, m = _operands("convolve", a, v, mode)
    return _part(convolve_full(a, v), mode, n, m, correlating=False)


def correlate(a: Any, v: Any, mode: str = "valid") -> Any:
    """The cross-correlation Σₖ a[k + i]·v[k] of two 1-D sequences, as ``numpy.correlate``.

    The convolution of ``a`` with ``v`` reversed, with NumPy's "valid" (the
    default), "same" and "full" modes. Differentiable in both sequences; real
    values only.

    Example:
        >>> correlate(np.array([1.0, 2.0, 3.0]), np.array([0.0, 1.0, 0.5]))
        array([3.5])
    """
    a, v = as_array_arg(a), as_array_arg(v)
    if not (isinstance(a, Tracer) or isinstance(v, Tracer)):
        return np.correlate(a, v, mode=mode)
    a, v, n, m = _operands("correlate", a, v, mode)
    return _part(convolve_full(a, flip(v, -1)), mode, n, m, correlating=True)


__all__ = ["convolve", "correlate"]
