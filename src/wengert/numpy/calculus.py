"""Discrete calculus on sampled values: diff, gradient, trapezoid, cumulative_trapezoid, interp, polyval.

All are compositions of slices, arithmetic, concatenation and (for ``interp``)
gathers through integer positions found by ``searchsorted``; they follow
NumPy's own arithmetic step by step, so their values are NumPy's, and their
derivatives follow from the rules of those operations at every order, in both
modes and under ``vmap``. Every argument that holds numbers is differentiable:
the samples, and also the spacings and coordinates (``gradient``'s varargs,
``trapezoid``'s ``x``/``dx``), ``interp``'s ``x``, ``xp``, ``fp``, ``left`` and
``right``, and ``polyval``'s coefficients and points.

``cumulative_trapezoid`` is SciPy's (``scipy.integrate.cumulative_trapezoid``),
which NumPy does not have; NumPy 2 removed ``trapz`` in favour of ``trapezoid``,
so wengert has no ``trapz`` either.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from ..core import Tracer
from ._primitives import as_array_arg, dtype, shape
from .elementwise import astype, remainder, where
from .indexing import take
from .logic import argsort, equal, greater, is_batched, less, searchsorted, static_value
from .reductions import cumsum
from .reductions import sum as reduce_sum
from .shape import broadcast_to, concatenate, reshape


def _any_traced(*values: Any) -> bool:
    return any(isinstance(v, Tracer) for v in values)


def _axis_index(axis: Any, ndim: int, name: str) -> int:
    axis = operator.index(axis)
    if not -ndim <= axis < ndim:
        raise np.exceptions.AxisError(axis, ndim, msg_prefix=name)
    return axis % ndim


def _along(axis: int, ndim: int, item: Any) -> tuple:
    """An index that applies ``item`` to ``axis`` and takes everything on the other axes."""
    return (slice(None),) * axis + (item,) + (slice(None),) * (ndim - axis - 1)


def _floating(x: Any) -> Any:
    """``x`` itself when it is floating (traced or not), else as float64, as NumPy's difference formulas do."""
    if isinstance(x, Tracer):
        return x if dtype(x).kind == "f" else astype(x, np.float64)
    x = np.asarray(x)
    return x if x.dtype.kind in "fc" else x.astype(np.float64)


# -- diff ------------------------------------------------------------------------------------------


def diff(a: Any, n: int = 1, axis: int = -1, prepend: Any = np._NoValue, append: Any = np._NoValue) -> Any:
    """The ``n``-th forward difference ``a[1:] - a[:-1]`` along ``axis``, as ``numpy.diff``.

    ``prepend``/``append`` (scalars are broadcast to one slice) are joined on
    before differencing and are differentiable too.

    Example:
        >>> diff(np.array([1.0, 4.0, 9.0, 16.0]), n=2)
        array([2., 2.])
    """
    a, prepend, append = as_array_arg(a), as_array_arg(prepend), as_array_arg(append)
    if not _any_traced(a, prepend, append):
        return np.diff(a, n=n, axis=axis, prepend=prepend, append=append)
    n = operator.index(n)
    if n < 0:
        raise ValueError(f"diff: order must be non-negative but got {n}")
    if n == 0:
        return a
    ndim = len(shape(a))
    if ndim == 0:
        raise ValueError("diff requires input that is at least one dimensional")
    axis = _axis_index(axis, ndim, "diff")
    pieces = []
    for extra in (prepend, None, append):
        if extra is None:
            pieces.append(a)
        elif extra is not np._NoValue:
            if len(shape(extra)) == 0:
                slice_shape = tuple(1 if i == axis else size for i, size in enumerate(shape(a)))
                extra = broadcast_to(extra, slice_shape)
            pieces.append(extra)
    if len(pieces) > 1:
        a = concatenate(pieces, axis)
    if dtype(a) == np.bool_:
        from .logic import not_equal

        for _ in range(n):
            a = not_equal(a[_along(axis, ndim, slice(1, None))], a[_along(axis, ndim, slice(None, -1))])
        return a
    for _ in range(n):
        a = a[_along(axis, ndim, slice(1, None))] - a[_along(axis, ndim, slice(None, -1))]
    return a


# -- gradient ----------------------------------------------------------------------------------------


def _spacings(f_shape: tuple[int, ...], axes: tuple[int, ...], varargs: tuple) -> list[tuple[Any, bool]]:
    """For each axis: (spacing, uniform): a scalar step, or the differences of 1-D coordinates."""
    count = len(varargs)
    if count == 0:
        return [(1.0, True)] * len(axes)
    if count == 1 and len(shape(varargs[0])) == 0:
        return [(varargs[0], True)] * len(axes)
    if count != len(axes):
        raise TypeError("gradient: invalid number of arguments (give no spacing, one scalar, or one per axis)")
    spacings = []
    for axis, distances in zip(axes, varargs):
        distances = as_array_arg(distances)
        if len(shape(distances)) == 0:
            spacings.append((distances, True))
            continue
        if len(shape(distances)) != 1:
            raise ValueError("gradient: distances must be either scalars or 1d")
        if shape(distances)[0] != f_shape[axis]:
            raise ValueError("gradient: when 1d, distances must match the length of the corresponding dimension")
        steps = diff(_floating(distances))
        if not isinstance(steps, Tracer) and (steps == steps[0]).all():
            # Plain, evenly spaced coordinates: NumPy's scalar formula (and its rounding).
            spacings.append((steps[0], True))
        else:
            # Traced coordinates always take the general formula: its derivative in the
            # coordinates is exact even where they happen to be evenly spaced.
            spacings.append((steps, False))
    return spacings


def _one_axis_gradient(f: Any, axis: int, spacing: Any, uniform: bool, edge_order: int) -> Any:
    ndim = len(shape(f))

    def at(item: Any) -> Any:
        return f[_along(axis, ndim, item)]

    def column(values: Any) -> Any:  # 1-D spacing terms, shaped to broadcast along ``axis``
        return reshape(values, tuple(-1 if i == axis else 1 for i in range(ndim)))

    if uniform:
        interior = (at(slice(2, None)) - at(slice(None, -2))) / (2.0 * spacing)
    else:
        dx1, dx2 = spacing[0:-1], spacing[1:]
        a = column(-(dx2) / (dx1 * (dx1 + dx2)))
        b = column((dx2 - dx1) / (dx1 * dx2))
        c = column(dx1 / (dx2 * (dx1 + dx2)))
        interior = a * at(slice(None, -2)) + b * at(slice(1, -1)) + c * at(slice(2, None))
    if edge_order == 1:
        first_step = spacing if uniform else spacing[0:1]
        last_step = spacing if uniform else spacing[-1:]
        first = (at(slice(1, 2)) - at(slice(0, 1))) / (first_step if uniform else column(first_step))
        last = (at(slice(-1, None)) - at(slice(-2, -1))) / (last_step if uniform else column(last_step))
    else:
        if uniform:
            a, b, c = -1.5 / spacing, 2.0 / spacing, -0.5 / spacing
        else:
            dx1, dx2 = spacing[0:1], spacing[1:2]
            a = column(-(2.0 * dx1 + dx2) / (dx1 * (dx1 + dx2)))
            b = column((dx1 + dx2) / (dx1 * dx2))
            c = column(-dx1 / (dx2 * (dx1 + dx2)))
        first = a * at(slice(0, 1)) + b * at(slice(1, 2)) + c * at(slice(2, 3))
        if uniform:
            a, b, c = 0.5 / spacing, -2.0 / spacing, 1.5 / spacing
        else:
            dx1, dx2 = spacing[-2:-1], spacing[-1:]
            a = column(dx2 / (dx1 * (dx1 + dx2)))
            b = column(-(dx2 + dx1) / (dx1 * dx2))
            c = column((2.0 * dx2 + dx1) / (dx2 * (dx1 + dx2)))
        last = a * at(slice(-3, -2)) + b * at(slice(-2, -1)) + c * at(slice(-1, None))
    # NumPy writes every piece into an array of f's dtype.
    pieces = [p if dtype(p) == dtype(f) else astype(p, dtype(f)) for p in (first, interior, last)]
    return concatenate(pieces, axis)


def gradient(f: Any, *varargs: Any, axis: Any = None, edge_order: int = 1) -> Any:
    """Central differences inside, one-sided at the ends, as ``numpy.gradient``.

    ``varargs`` gives the spacing: nothing (1), one scalar for every axis, or
    one scalar or 1-D coordinate array per axis. ``edge_order`` 1 or 2 sets the
    accuracy at the boundaries. Several axes give a tuple of arrays. Differentiable
    in ``f`` and in traced spacings or coordinates; traced coordinates always
    use the unevenly spaced formula (so their derivative is exact even where
    they are evenly spaced), which agrees with NumPy's values to rounding.

    Example:
        >>> gradient(np.array([1.0, 4.0, 9.0, 16.0]))
        array([3., 4., 6., 7.])
    """
    f = as_array_arg(f)
    varargs = tuple(as_array_arg(v) for v in varargs)
    if not _any_traced(f, *varargs):
        return np.gradient(f, *varargs, axis=axis, edge_order=edge_order)
    ndim = len(shape(f))
    f_shape = tuple(shape(f))
    if axis is None:
        axes = tuple(range(ndim))
    else:
        axes = tuple(_axis_index(a, ndim, "gradient") for a in (axis if isinstance(axis, (tuple, list)) else (axis,)))
        if len(set(axes)) != len(axes):
            raise ValueError("gradient: repeated axis")
    spacings = _spacings(f_shape, axes, varargs)
    if edge_order > 2:
        raise ValueError("'edge_order' greater than 2 not supported")
    if edge_order < 1:
        raise ValueError(f"gradient: edge_order must be 1 or 2, got {edge_order}")
    if not isinstance(f, Tracer):
        f = np.asarray(f)
    if dtype(f).kind not in "fc":
        f = astype(f, np.float64)
    results = []
    for axis_, (spacing, uniform) in zip(axes, spacings):
        if f_shape[axis_] < edge_order + 1:
            raise ValueError(
                "Shape of array too small to calculate a numerical gradient, "
                "at least (edge_order + 1) elements are required."
            )
        results.append(_one_axis_gradient(f, axis_, spacing, uniform, edge_order))
    return results[0] if len(results) == 1 else tuple(results)


# -- integrals ----------------------------------------------------------------------------------------


def _trapezoid_terms(name: str, y: Any, x: Any, dx: Any, axis: Any) -> tuple[Any, int]:
    """The areas of the trapezoids between neighbouring samples along ``axis``, and that axis."""
    ndim = len(shape(y))
    axis = _axis_index(axis, ndim, name)
    if x is None:
        step = dx
    elif len(shape(x)) == 1:
        step = diff(_plain_or_traced(x))
        step = reshape(step, tuple(shape(step)[0] if i == axis else 1 for i in range(ndim)))
    else:
        step = diff(_plain_or_traced(x), axis=axis)
    upper = y[_along(axis, ndim, slice(1, None))]
    lower = y[_along(axis, ndim, slice(None, -1))]
    return step * (upper + lower) / 2.0, axis


def _plain_or_traced(x: Any) -> Any:
    return x if isinstance(x, Tracer) else np.asarray(x)


def trapezoid(y: Any, x: Any = None, dx: Any = 1.0, axis: int = -1) -> Any:
    """The integral of ``y`` by the trapezoidal rule along ``axis``, as ``numpy.trapezoid``.

    Sample points ``x`` (1-D, or shaped like ``y``) or a constant spacing
    ``dx``; all three arguments are differentiable.

    Example:
        >>> float(trapezoid(np.array([0.0, 1.0, 4.0]), dx=0.5))
        1.5
    """
    y, x, dx = as_array_arg(y), as_array_arg(x), as_array_arg(dx)
    if not _any_traced(y, x, dx):
        return np.trapezoid(y, x=x, dx=dx, axis=axis)
    if not isinstance(y, Tracer):
        y = np.asarray(y)
    terms, axis = _trapezoid_terms("trapezoid", y, x, dx, axis)
    return reduce_sum(terms, axis)


def cumulative_trapezoid(y: Any, x: Any = None, dx: Any = 1.0, axis: int = -1, initial: Any = None) -> Any:
    """The running trapezoidal integral of ``y`` along ``axis``, as SciPy's ``cumulative_trapezoid``.

    NumPy has no such function; this is ``scipy.integrate.cumulative_trapezoid``
    (same arguments and values). The result has one element fewer along ``axis``
    than ``y``, unless ``initial=0`` puts a zero first (SciPy accepts only None
    or 0). Differentiable in ``y``, ``x`` and ``dx``.

    Example:
        >>> cumulative_trapezoid(np.array([0.0, 1.0, 4.0]), dx=0.5, initial=0)
        array([0.  , 0.25, 1.5 ])
    """
    y, x, dx = as_array_arg(y), as_array_arg(x), as_array_arg(dx)
    if not isinstance(y, Tracer):
        y = np.asarray(y)
    ndim = len(shape(y))
    axis_ = _axis_index(axis, ndim, "cumulative_trapezoid")
    if shape(y)[axis_] == 0:
        raise ValueError("At least one point is required along `axis`.")
    if x is not None:
        if len(shape(x)) != 1 and len(shape(x)) != ndim:
            raise ValueError("If given, shape of x must be 1-D or the same as y.")
        length = shape(x)[0] if len(shape(x)) == 1 else shape(x)[axis_]
        if length != shape(y)[axis_]:
            raise ValueError("If given, length of x along axis must be the same as y.")
    if initial is not None:
        if not np.isscalar(initial):
            raise ValueError("`initial` parameter should be a scalar.")
        if initial != 0:
            raise ValueError("`initial` must be `None` or `0`.")
    terms, axis_ = _trapezoid_terms("cumulative_trapezoid", y, x, dx, axis_)
    total = cumsum(terms, axis_) if _any_traced(terms) else np.cumsum(terms, axis=axis_)
    if initial is None:
        return total
    first_shape = tuple(1 if i == axis_ else size for i, size in enumerate(shape(total)))
    zeros = np.full(first_shape, initial, dtype=dtype(total))
    if not _any_traced(total):
        return np.concatenate([zeros, total], axis=axis_)
    return concatenate([zeros, total], axis_)


# -- interpolation ---------------------------------------------------------------------------------------


def _check_real(name: str, *values: Any) -> None:
    for value in values:
        if value is not None and dtype(value).kind == "c":
            raise TypeError(f"{name}: complex values are not supported by wengert yet")


def interp(x: Any, xp: Any, fp: Any, left: Any = None, right: Any = None, period: Any = None) -> Any:
    """Piecewise-linear interpolation of the points (``xp``, ``fp``) at ``x``, as ``numpy.interp``.

    ``xp`` must increase (NumPy does not check; neither does wengert). Outside
    [xp[0], xp[-1]] the value is ``left``/``right`` (default fp[0]/fp[-1]);
    ``period`` makes the points periodic instead. Differentiable in ``x``,
    ``fp``, ``xp``, ``left`` and ``right``. At a knot x == xp[i] the derivative
    in ``x`` is the slope of the segment to its right (the segment that
    ``searchsorted(xp, x, side="right")`` picks), except at the last knot
    xp[-1], where it is the slope of the last segment; outside the range it is
    0. Segments of zero width (repeated xp) never carry x's derivative. These
    are JAX's choices too.

    Example:
        >>> interp(np.array([0.5, 2.5]), np.array([0.0, 1.0, 2.0]), np.array([0.0, 10.0, 0.0]))
        array([5., 0.])
    """
    x, xp, fp = as_array_arg(x), as_array_arg(xp), as_array_arg(fp)
    left, right, period = as_array_arg(left), as_array_arg(right), as_array_arg(period)
    if not _any_traced(x, xp, fp, left, right, period):
        return np.interp(x, xp, fp, left=left, right=right, period=period)
    _check_real("interp", x, xp, fp, left, right)
    if len(shape(xp)) != 1 or len(shape(fp)) != 1:
        raise ValueError("interp: xp and fp must be 1-D sequences")
    if shape(xp)[0] != shape(fp)[0]:
        raise ValueError("fp and xp are not of the same length.")
    if shape(xp)[0] == 0:
        raise ValueError("array of sample points is empty")
    # NumPy interpolates in float64 whatever the inputs' dtype.
    x, xp, fp, left, right = (_float64(v) for v in (x, xp, fp, left, right))
    if period is not None:
        if isinstance(period, Tracer) and not is_batched(period):
            raise TypeError("interp: period is not differentiable; pass a plain number (or wg.stop_gradient(period))")
        period = static_value(period, "interp: period")
        if period == 0:
            raise ValueError("period must be a non-zero value")
        period = abs(float(period))
        # As NumPy: points and queries brought into [0, period), the points sorted and wrapped round.
        x = remainder(x, period)
        xp = remainder(xp, period)
        order = argsort(xp)
        xp, fp = take(xp, order), take(fp, order)
        xp = concatenate([xp[-1:] - period, xp, xp[0:1] + period])
        fp = concatenate([fp[-1:], fp, fp[0:1]])
        left = right = None
    count = shape(xp)[0]
    if count == 1:
        value = broadcast_to(fp[0], tuple(shape(x)))
    else:
        # The segment [xp[j], xp[j+1]] with xp[j] <= x < xp[j+1]; the last one for x >= xp[-2].
        j = searchsorted(xp, x, side="right") - 1
        j = _clip_index(j, count - 2)
        x0, x1 = take(xp, j), take(xp, j + 1)
        f0, f1 = take(fp, j), take(fp, j + 1)
        width = x1 - x0
        flat = equal(width, 0)
        slope = where(flat, 0.0, (f1 - f0) / where(flat, 1.0, width))
        # NumPy's formula from the left end; from the right end at and past x1 (exactly fp[-1] at xp[-1]).
        value = where(less(x, x1), slope * (x - x0) + f0, slope * (x - x1) + f1)
    first, last = xp[0], xp[count - 1]
    below = fp[0] if left is None else left
    above = fp[count - 1] if right is None else right
    value = where(less(x, first), below, value)
    value = where(greater(x, last), above, value)
    return value


def _float64(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, Tracer):
        return value if dtype(value) == np.float64 else astype(value, np.float64)
    return np.asarray(value, dtype=np.float64)


def _clip_index(j: Any, top: int) -> Any:
    from .elementwise import maximum, minimum

    return minimum(maximum(j, 0), top)


# -- polynomials ------------------------------------------------------------------------------------------


def polyval(p: Any, x: Any) -> Any:
    """The polynomial with coefficients ``p`` (highest degree first) at ``x``, by Horner's rule, as ``numpy.polyval``.

    Differentiable in the coefficients and in ``x``.

    Example:
        >>> polyval(np.array([3.0, 0.0, 1.0]), np.array([1.0, 2.0]))
        array([ 4., 13.])
    """
    p, x = as_array_arg(p), as_array_arg(x)
    if not _any_traced(p, x):
        return np.polyval(p, x)
    if not isinstance(x, Tracer):
        x = np.asanyarray(x)
    if not isinstance(p, Tracer):
        p = np.asarray(p)
    y: Any = np.zeros(shape(x), dtype=dtype(x))
    for index in range(shape(p)[0]):
        y = y * x + p[index]
    return y


__all__ = ["cumulative_trapezoid", "diff", "gradient", "interp", "polyval", "trapezoid"]
