"""Reductions: sum, mean, prod, max/min, var/std, cumulative sums and products, logsumexp.

The reduced axes are always normalised to a sorted tuple of non-negative
integers (or ``None`` for all axes) before a primitive is applied, so rules
can restore the reduced dimensions with `keepdims_shape`.
"""

from __future__ import annotations

import builtins
import math
from typing import Any

import numpy as np

from ..core import Tracer, bind, primal_value
from ..core.staging import is_abstract
from ._primitives import as_array_arg, dtype, primitive, shape, wraps_primitive
from .elementwise import astype, exp, sqrt, where
from .indexing import getitem
from .logic import equal, isnan, logical_and, logical_or
from .shape import broadcast_to, concatenate, flip, moveaxis, reshape


def normalize_axis(axis: Any, ndim: int) -> tuple[int, ...] | None:
    """``axis`` as a sorted tuple of non-negative axes, or None for every axis."""
    if axis is None:
        return None
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    normalized = []
    for a in axes:
        a = int(a)
        if not -ndim <= a < builtins.max(ndim, 1):
            raise ValueError(f"axis {a} is out of bounds for a value with {ndim} dimensions")
        normalized.append(a % ndim if ndim else 0)
    return tuple(sorted(set(normalized)))


def keepdims_shape(x_shape: tuple[int, ...], axis: tuple[int, ...] | None) -> tuple[int, ...]:
    """The shape of a reduction of ``x_shape`` over ``axis`` with keepdims=True."""
    if axis is None:
        return (1,) * len(x_shape)
    return tuple(1 if i in axis else size for i, size in enumerate(x_shape))


def expand_reduced(g: Any, x_shape: tuple[int, ...], axis: tuple[int, ...] | None, keepdims: bool) -> Any:
    """Broadcast a reduction's cotangent ``g`` back to the input shape."""
    if not keepdims:
        g = reshape(g, keepdims_shape(x_shape, axis))
    return broadcast_to(g, x_shape)


def _count(x_shape: tuple[int, ...], axis: tuple[int, ...] | None) -> int:
    if axis is None:
        return math.prod(x_shape)
    return math.prod(x_shape[a] for a in axis)


def _reduce(prim: Any, numpy_function: Any, x: Any, axis: Any, keepdims: bool, **extra: Any) -> Any:
    if isinstance(x, Tracer):
        params = {"axis": normalize_axis(axis, len(x.shape)), "keepdims": bool(keepdims), **extra}
        return x._trace.process(prim, (x,), params)
    return numpy_function(x, axis=axis, keepdims=keepdims, **extra)


# -- sum and mean ----------------------------------------------------------------------

sum_p = primitive(
    "sum",
    lambda x, axis, keepdims: np.sum(x, axis=axis, keepdims=keepdims),
    jvp=(lambda t, ans, x, axis, keepdims: sum(t, axis, keepdims=keepdims),),
    vjp=(lambda g, ans, x, axis, keepdims: expand_reduced(g, shape(x), axis, keepdims),),
    linear=True,
)
sum_p.fresh = True  # a new array (never a view of x): jit may reuse its memory, and x's after it


@wraps_primitive(sum_p)
def _positional_dtype(name: str, keepdims: Any) -> None:
    """NumPy's third positional argument of sum/mean/prod is dtype; wengert's is keepdims: refuse a dtype there."""
    if isinstance(keepdims, (type, np.dtype, str)):
        raise TypeError(
            f"{name}: the third positional argument is keepdims in wengert.numpy, got the dtype {keepdims!r}; "
            "pass dtype= by keyword"
        )


def sum(x: Any, axis: Any = None, keepdims: bool = False, *, dtype: Any = None) -> Any:  # noqa: A001
    """Sum of elements over ``axis`` (all of them by default), accumulated in ``dtype`` if given.

    Example:
        >>> sum(np.ones((2, 3)), axis=0)
        array([2., 2., 2.])
    """
    if keepdims is not False and keepdims is not True:
        _positional_dtype("sum", keepdims)
    if dtype is not None:
        if not isinstance(x, Tracer):
            return np.sum(x, axis=axis, keepdims=keepdims, dtype=dtype)
        x = _in_dtype(x, dtype)
    return _reduce(sum_p, np.sum, x, axis, keepdims)


def mean(x: Any, axis: Any = None, keepdims: bool = False, *, dtype: Any = None) -> Any:
    """Arithmetic mean over ``axis``, computed in ``dtype`` if given.

    Example:
        >>> mean(np.array([1.0, 2.0, 6.0]))
        np.float64(3.0)
    """
    if keepdims is not False and keepdims is not True:
        _positional_dtype("mean", keepdims)
    if not isinstance(x, Tracer):
        return np.mean(x, axis=axis, keepdims=keepdims, dtype=dtype)
    x = _in_dtype(x, dtype)
    count = _count(x.shape, normalize_axis(axis, len(x.shape)))
    return sum(x, axis, keepdims) / count


def _delta_degrees(ddof: Any, correction: Any) -> Any:
    """NumPy 2's ``correction`` is another name for ``ddof``; giving both is an error."""
    if correction is None:
        return ddof
    if ddof != 0:
        raise ValueError("ddof and correction can't be provided simultaneously.")
    return correction


def var(
    x: Any, axis: Any = None, ddof: int = 0, keepdims: bool = False, *, dtype: Any = None, correction: Any = None
) -> Any:
    """Variance over ``axis`` with ``ddof`` (or ``correction``) delta degrees of freedom.

    Example:
        >>> float(var(np.array([1.0, 3.0]), ddof=1))
        2.0
    """
    ddof = _delta_degrees(ddof, correction)
    if not isinstance(x, Tracer):
        return np.var(x, axis=axis, ddof=ddof, keepdims=keepdims, dtype=dtype)
    x = _in_dtype(x, dtype)
    count = _count(x.shape, normalize_axis(axis, len(x.shape)))
    centred = x - mean(x, axis, keepdims=True)
    return sum(centred * centred, axis, keepdims) / (count - ddof)


def std(
    x: Any, axis: Any = None, ddof: int = 0, keepdims: bool = False, *, dtype: Any = None, correction: Any = None
) -> Any:
    """Standard deviation over ``axis`` (zero subgradient where it is 0).

    Example:
        >>> float(std(np.array([1.0, 3.0])))
        1.0
    """
    ddof = _delta_degrees(ddof, correction)
    if not isinstance(x, Tracer):
        return np.std(x, axis=axis, ddof=ddof, keepdims=keepdims, dtype=dtype)
    return sqrt(var(x, axis, ddof, keepdims, dtype=dtype))


# -- products ----------------------------------------------------------------------------


def _products_of_others(x: Any, axis: tuple[int, ...] | None) -> Any:
    """For each element, the product of the other elements of its reduction group."""
    x_shape = shape(x)
    axes = tuple(range(len(x_shape))) if axis is None else axis
    moved = moveaxis(x, axes, tuple(range(-len(axes), 0)))
    moved_shape = shape(moved)
    group = math.prod(x_shape[a] for a in axes)
    flat = reshape(moved, (*moved_shape[: len(moved_shape) - len(axes)], group))
    ones = np.ones((*shape(flat)[:-1], 1), dtype=_dtype_of(flat))
    before = cumprod(concatenate_last(ones, flat[..., :-1]), axis=-1)
    after = flip(cumprod(concatenate_last(ones, flip(flat, -1)[..., :-1]), axis=-1), -1)
    others = reshape(before * after, moved_shape)
    return moveaxis(others, tuple(range(-len(axes), 0)), axes)


def _dtype_of(x: Any) -> Any:
    while isinstance(x, Tracer):
        x = x.primal
    kind = dtype(x)
    return np.result_type(kind, np.float64) if kind.kind in "iub" else kind


def concatenate_last(a: Any, b: Any) -> Any:
    from .shape import concatenate

    return concatenate([a, b], axis=-1)


def _prod_factor(ans: Any, x: Any, axis: tuple[int, ...] | None, keepdims: bool) -> Any:
    # A test of the raw values, batch included: no zero in the batch means none in any example.
    if not is_abstract(x) and np.all(primal_value(x) != 0):
        return expand_reduced(ans, shape(x), axis, keepdims) / x
    return _products_of_others(x, axis)


prod_p = primitive(
    "prod",
    lambda x, axis, keepdims: np.prod(x, axis=axis, keepdims=keepdims),
    jvp=(lambda t, ans, x, axis, keepdims: sum(t * _prod_factor(ans, x, axis, keepdims), axis, keepdims),),
    vjp=(
        lambda g, ans, x, axis, keepdims: (
            expand_reduced(g, shape(x), axis, keepdims) * _prod_factor(ans, x, axis, keepdims)
        ),
    ),
)


@wraps_primitive(prod_p)
def prod(x: Any, axis: Any = None, keepdims: bool = False, *, dtype: Any = None) -> Any:
    """Product of elements over ``axis`` (exact derivative even where elements are zero).

    Example:
        >>> float(prod(np.array([2.0, 3.0])))
        6.0
    """
    if keepdims is not False and keepdims is not True:
        _positional_dtype("prod", keepdims)
    if dtype is not None:
        if not isinstance(x, Tracer):
            return np.prod(x, axis=axis, keepdims=keepdims, dtype=dtype)
        x = _in_dtype(x, dtype)
    return _reduce(prod_p, np.prod, x, axis, keepdims)


# -- extrema -------------------------------------------------------------------------------


def _extremum_weights(ans: Any, x: Any, axis: tuple[int, ...] | None, keepdims: bool) -> Any:
    """1/k at each of the k positions attaining the extremum, 0 elsewhere (ties split).

    The hits are comparisons (constants to differentiation, batched under vmap).
    """
    weight_dtype = np.result_type(dtype(x), np.float32)
    expanded = ans if keepdims else reshape(ans, keepdims_shape(tuple(shape(x)), axis))
    # A NaN is the extremum: the NaNs are the hits (unknown while staging: test for NaN hits as well).
    nan_extremum = is_abstract(ans) or np.any(np.isnan(primal_value(ans)))
    if not (isinstance(x, Tracer) or isinstance(expanded, Tracer)):  # plain arrays: NumPy directly
        hits = x == expanded
        if nan_extremum:
            hits |= np.isnan(x) & np.isnan(expanded)
        return (hits / np.sum(hits, axis=axis, keepdims=True)).astype(weight_dtype)
    hits = equal(x, expanded)
    if nan_extremum:
        hits = logical_or(hits, logical_and(isnan(x), isnan(expanded)))
    weights = astype(hits, weight_dtype)
    return weights / sum(weights, axis, keepdims=True)


def _extremum(name: str, numpy_function: Any) -> Any:
    prim = primitive(
        name,
        lambda x, axis, keepdims: numpy_function(x, axis=axis, keepdims=keepdims),
        jvp=(lambda t, ans, x, axis, keepdims: sum(t * _extremum_weights(ans, x, axis, keepdims), axis, keepdims),),
        vjp=(
            lambda g, ans, x, axis, keepdims: (
                expand_reduced(g, shape(x), axis, keepdims) * _extremum_weights(ans, x, axis, keepdims)
            ),
        ),
    )

    def function(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
        return _reduce(prim, numpy_function, x, axis, keepdims)

    function.__name__ = name
    function.__doc__ = f"``numpy.{name}`` over ``axis``; tied extrema share the derivative equally."
    function.primitive = prim
    return function


amax = _extremum("amax", np.max)
amin = _extremum("amin", np.min)
max = amax  # noqa: A001
min = amin  # noqa: A001

# -- cumulative ------------------------------------------------------------------------------


def _cumulative_axis(x: Any, axis: Any) -> tuple[Any, int]:
    if axis is None:
        return reshape(x, (-1,)), 0
    return x, int(axis) % builtins.max(len(shape(x)), 1)


def _reverse_cumsum(g: Any, axis: int) -> Any:
    return flip(cumsum(flip(g, axis), axis), axis)


cumsum_p = primitive(
    "cumsum",
    lambda x, axis: np.cumsum(x, axis=axis),
    jvp=(lambda t, ans, x, axis: cumsum(t, axis),),
    vjp=(lambda g, ans, x, axis: _reverse_cumsum(g, axis),),
    linear=True,
)


@wraps_primitive(cumsum_p)
def cumsum(x: Any, axis: Any = None, dtype: Any = None) -> Any:
    """Running sum along ``axis`` (of the flattened array when axis is None), in ``dtype`` if given.

    Example:
        >>> cumsum(np.array([1.0, 2.0, 3.0]))
        array([1., 3., 6.])
    """
    if not isinstance(x, Tracer):
        return np.cumsum(x, axis=axis, dtype=dtype)
    x = _in_dtype(x, dtype)
    x, axis = _cumulative_axis(x, axis)
    return x._trace.process(cumsum_p, (x,), {"axis": axis}) if isinstance(x, Tracer) else np.cumsum(x, axis)


def _in_dtype(x: Any, kind: Any) -> Any:
    """``x`` converted to ``kind`` (NumPy's ``dtype=`` of a reduction or scan), or as it is."""
    if kind is None or dtype(x) == np.dtype(kind):
        return x
    from .elementwise import astype

    return astype(x, kind)


def _cumulative(function: Any, x: Any, axis: Any, kind: Any, include_initial: bool, initial: float) -> Any:
    ndim = len(shape(x))
    if axis is None:
        if ndim > 1:
            raise ValueError("axis must be specified for multi-dimensional arrays")
        axis = 0
    x = reshape(x, (1,)) if ndim == 0 else x
    axis = normalize_axis(axis, len(shape(x)))[0]
    result = function(x, axis, kind)
    if not include_initial:
        return result
    first_shape = tuple(1 if i == axis else size for i, size in enumerate(shape(result)))
    return concatenate([np.full(first_shape, initial, dtype=dtype(result)), result], axis=axis)


def cumulative_sum(
    x: Any, /, *, axis: Any = None, dtype: Any = None, out: Any = None, include_initial: bool = False
) -> Any:
    """The running sum along ``axis`` (NumPy 2's array-API ``cumulative_sum``), optionally starting with 0.

    Example:
        >>> cumulative_sum(np.array([1.0, 2.0]), include_initial=True)
        array([0., 1., 3.])
    """
    if not isinstance(x, Tracer):
        return np.cumulative_sum(x, axis=axis, dtype=dtype, out=out, include_initial=include_initial)
    if out is not None:
        raise TypeError("cumulative_sum: out= cannot hold a traced result; use the returned value")
    return _cumulative(cumsum, x, axis, dtype, include_initial, 0.0)


def cumulative_prod(
    x: Any, /, *, axis: Any = None, dtype: Any = None, out: Any = None, include_initial: bool = False
) -> Any:
    """The running product along ``axis`` (NumPy 2's array-API ``cumulative_prod``), optionally starting with 1.

    Example:
        >>> cumulative_prod(np.array([2.0, 3.0]), include_initial=True)
        array([1., 2., 6.])
    """
    if not isinstance(x, Tracer):
        return np.cumulative_prod(x, axis=axis, dtype=dtype, out=out, include_initial=include_initial)
    if out is not None:
        raise TypeError("cumulative_prod: out= cannot hold a traced result; use the returned value")
    return _cumulative(cumprod, x, axis, dtype, include_initial, 1.0)


def _has_zero(x: Any) -> bool:
    return is_abstract(x) or bool(np.any(primal_value(x) == 0))


def _shifted(v: Any, distance: int, axis: int, fill: float) -> Any:
    """``v`` moved ``distance`` places along ``axis``; the vacated places hold ``fill``."""
    v_shape = shape(v)
    pad_shape = tuple(distance if i == axis else size for i, size in enumerate(v_shape))
    kept = getitem(v, (slice(None),) * axis + (slice(0, v_shape[axis] - distance),))
    return concatenate([np.full(pad_shape, fill, dtype=dtype(v)), kept], axis=axis)


def _shifted_back(v: Any, distance: int, axis: int) -> Any:
    """The transpose of ``_shifted(v, distance, axis, 0)``: move back, pad the end with zeros."""
    v_shape = shape(v)
    pad_shape = tuple(distance if i == axis else size for i, size in enumerate(v_shape))
    kept = getitem(v, (slice(None),) * axis + (slice(distance, v_shape[axis]),))
    return concatenate([kept, np.zeros(pad_shape, dtype=dtype(v))], axis=axis)


def _scan_levels(x: Any, axis: int) -> list[tuple[Any, int]]:
    """The steps of a doubling (Hillis-Steele) prefix product: (y, distance) with y' = y·shift(y)."""
    levels = []
    y, distance = x, 1
    while distance < shape(x)[axis]:
        levels.append((y, distance))
        y = y * _shifted(y, distance, axis, 1.0)
        distance *= 2
    return levels


# With zeros among the elements, dividing the running product by x is impossible. The
# rules then differentiate the prefix product computed by repeated doubling instead: it
# uses only products, so it is exact at zeros and again differentiable at every order.


def _cumprod_jvp(t: Any, ans: Any, x: Any, axis: int) -> Any:
    if not _has_zero(x):
        return cumsum(t / x, axis) * ans
    for y, distance in _scan_levels(x, axis):
        t = t * _shifted(y, distance, axis, 1.0) + y * _shifted(t, distance, axis, 0.0)
    return t


def _cumprod_vjp(g: Any, ans: Any, x: Any, axis: int) -> Any:
    if not _has_zero(x):
        return _reverse_cumsum(g * ans, axis) / x
    for y, distance in reversed(_scan_levels(x, axis)):
        g = g * _shifted(y, distance, axis, 1.0) + _shifted_back(g * y, distance, axis)
    return g


cumprod_p = primitive(
    "cumprod",
    lambda x, axis: np.cumprod(x, axis=axis),
    jvp=(_cumprod_jvp,),
    vjp=(_cumprod_vjp,),
)


@wraps_primitive(cumprod_p)
def cumprod(x: Any, axis: Any = None, dtype: Any = None) -> Any:
    """Running product along ``axis`` (exact derivatives even where elements are zero).

    Example:
        >>> cumprod(np.array([1.0, 2.0, 3.0]))
        array([1., 2., 6.])
    """
    if not isinstance(x, Tracer):
        return np.cumprod(x, axis=axis, dtype=dtype)
    x = _in_dtype(x, dtype)
    x, axis = _cumulative_axis(x, axis)
    return x._trace.process(cumprod_p, (x,), {"axis": axis})


# -- logsumexp ---------------------------------------------------------------------------------


def stable_peak(x: Any, axis: tuple[int, ...] | None) -> np.ndarray:
    """The maximum of plain ``x`` over ``axis`` (kept), or 0 where it is not finite.

    Subtracting it leaves softmax and log-softmax unchanged and keeps exp from overflowing.
    """
    x = np.asarray(x)
    if not x.size:
        return np.zeros(keepdims_shape(x.shape, axis), dtype=x.dtype)
    peak = np.max(x, axis=axis, keepdims=True)
    return np.where(np.isfinite(peak), peak, 0.0)


def _logsumexp_impl(x: Any, axis: tuple[int, ...] | None, keepdims: bool) -> Any:
    x = np.asarray(x)
    peak = stable_peak(x, axis)
    with np.errstate(divide="ignore"):
        total = np.log(np.sum(np.exp(x - peak), axis=axis, keepdims=True)) + peak
    if not keepdims:
        total = np.reshape(total, np.sum(x, axis=axis).shape) if axis is not None else total.reshape(())
    return total if np.ndim(total) else total[()]


# The peak as a primitive without a derivative: a constant to differentiation, but batched
# under vmap (where the raw array would hold every example's values at once).
stable_peak_p = primitive("stable_peak", stable_peak, differentiable=False)


def peak(x: Any, axis: tuple[int, ...] | None) -> Any:
    """`stable_peak` of a plain or traced ``x`` (a constant to every differentiating transformation)."""
    if isinstance(x, Tracer):
        return bind(stable_peak_p, (x,), {"axis": axis})
    return stable_peak(x, axis)


def _softmax_weights(x: Any, axis: tuple[int, ...] | None) -> Any:
    """softmax(x) over ``axis``, the derivative of logsumexp.

    Normalised from x itself rather than exp(x - logsumexp(x)): near ±1e308 the
    log of the sum is below the resolution of logsumexp(x), and the weights would be 1.
    The peak is a constant shift, so the rule is exact at every order.
    """
    shifted = exp(x - peak(x, axis))
    total = sum(shifted, axis, keepdims=True)
    if is_abstract(total) or np.any(primal_value(total) == 0):  # -inf there: its derivative is 0
        total = where(total == 0, 1.0, total)
    return shifted / total


logsumexp_p = primitive(
    "logsumexp",
    _logsumexp_impl,
    jvp=(lambda t, ans, x, axis, keepdims: sum(t * _softmax_weights(x, axis), axis, keepdims),),
    vjp=(lambda g, ans, x, axis, keepdims: expand_reduced(g, shape(x), axis, keepdims) * _softmax_weights(x, axis),),
)


@wraps_primitive(logsumexp_p)
def logsumexp(a: Any, axis: Any = None, b: Any = None, keepdims: bool = False, return_sign: bool = False) -> Any:
    """log(sum(b·exp(a))) over ``axis``, computed without overflow, as SciPy's ``scipy.special.logsumexp``.

    Without ``b`` it is a primitive with its own stable rules (finite at ±1e308,
    -inf entries allowed). With weights ``b`` (broadcast against ``a``; zeros
    exclude their terms, negative weights are allowed) it is a stable
    composition: d/da = b·exp(a − out)·sign, d/db = exp(a − out)·sign, at every
    order. A negative sum gives NaN unless ``return_sign=True``, which returns
    (log|sum|, sign of the sum) with the sign as a constant (-inf and 0 for a
    zero sum, as SciPy).

    Example:
        >>> float(logsumexp(np.array([1e308, 1e308])))  # doctest: +ELLIPSIS
        1e+308
        >>> float(logsumexp(np.array([0.0, 0.0]), b=np.array([1.0, 3.0])))  # doctest: +ELLIPSIS
        1.386294...
    """
    if type(b) is bool or isinstance(b, np.bool_):
        raise TypeError(
            f"logsumexp: the third argument is b, the weights (SciPy's order), got {b!r}; pass keepdims= by keyword"
        )
    a, b = as_array_arg(a), as_array_arg(b)
    if b is not None or return_sign:
        return _weighted_logsumexp(a, axis, b, keepdims, return_sign)
    if isinstance(a, Tracer):
        return _reduce(logsumexp_p, None, a, axis, keepdims)
    a = np.asarray(a, dtype=np.result_type(a, np.float64) if np.asarray(a).dtype.kind in "iub" else None)
    return _logsumexp_impl(a, normalize_axis(axis, a.ndim), keepdims)


def _weighted_logsumexp(a: Any, axis: Any, b: Any, keepdims: bool, return_sign: bool) -> Any:
    """log|Σ b·exp(a)| (and its sign), from the largest exponent whose weight is nonzero."""
    from .elementwise import abs as absolute
    from .elementwise import astype, log, sign
    from .logic import less, not_equal

    if not isinstance(a, Tracer):
        a = np.asarray(a)
        if a.dtype.kind in "iub":
            a = a.astype(np.float64)
    if b is not None:
        if not isinstance(b, Tracer):
            b = np.asarray(b)
        common = np.broadcast_shapes(tuple(shape(a)), tuple(shape(b)))
        a = broadcast_to(a, common) if tuple(shape(a)) != common else a
        b = broadcast_to(b, common) if tuple(shape(b)) != common else b
        kind = np.result_type(dtype(a), dtype(b))
        if kind.kind in "iub":
            kind = np.dtype(np.float64)
        a = a if dtype(a) == kind else astype(a, kind)
        b = b if dtype(b) == kind else astype(b, kind)
    axes = normalize_axis(axis, len(shape(a)))
    # Terms with zero weight do not count; the others are scaled by their largest exponent.
    counted = a if b is None else where(not_equal(b, 0), a, -np.inf)
    shift = peak(counted, axes)
    exponent = a - shift
    overflow = np.log(np.finfo(dtype(a)).max)
    if b is not None and (is_abstract(exponent) or np.any(primal_value(exponent) > overflow)):
        # A zero-weight term far above the others: cap its exp at the largest finite value, so that its
        # term is 0·max = 0 (not 0·inf = NaN); its derivative in b is then that value, not inf.
        from .elementwise import minimum

        exponent = minimum(exponent, np.log(np.finfo(dtype(a)).max))
    scaled = exp(exponent)
    total = sum(scaled if b is None else b * scaled, axes, keepdims=True)
    with np.errstate(divide="ignore"):
        out = log(absolute(total)) + shift
    signs = sign(total)
    if not return_sign:
        out = where(less(total, 0), np.nan, out)
    if not keepdims:
        reduced_shape = tuple(size for i, size in enumerate(shape(a)) if axes is not None and i not in axes)
        out = reshape(out, reduced_shape)
        signs = reshape(signs, reduced_shape)
    return (out, signs) if return_sign else out


__all__ = [
    "amax",
    "amin",
    "cumprod",
    "cumsum",
    "cumulative_prod",
    "cumulative_sum",
    "logsumexp",
    "max",
    "mean",
    "min",
    "prod",
    "std",
    "sum",
    "var",
]
