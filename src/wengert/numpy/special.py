"""Numerically stable special functions with their own rules.

Each is written so that neither the value nor the derivative overflows:
``sigmoid`` through tanh, ``softplus`` through logaddexp, ``log_softmax`` and
``softmax`` through logsumexp, with rules that reuse the stable output.
``erf`` and ``erfc`` (NumPy has neither) use SciPy's ufuncs when SciPy is
installed and Python's ``math.erf`` / ``math.erfc`` element by element
otherwise: the same values, the second slower on large arrays.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..core import Tracer, bind
from ._primitives import EMPTY, dtype, primitive, shape, unary_function, wraps_primitive
from .elementwise import exp, log, unary, where
from .logic import equal, logical_and
from .reductions import normalize_axis, stable_peak, sum
from .shape import broadcast_like, reshape, unbroadcast


def _sigmoid_impl(x: Any) -> Any:
    """1 / (1 + e^-x) from e^-|x| ≤ 1, which neither overflows nor loses the far negative tail
    (0.5·(1 + tanh(x/2)) kept about four digits of sigmoid(-30) ≈ 9.4e-14)."""
    if type(x) is float:
        if x >= 0.0:
            return 1.0 / (1.0 + math.exp(-x))
        small = math.exp(x)
        return small / (1.0 + small)
    small = np.exp(np.negative(np.abs(x)))
    large = np.reciprocal(np.add(small, 1.0))
    out = np.where(np.greater_equal(x, 0), large, np.multiply(small, large))
    return out[()] if out.ndim == 0 else out


sigmoid = unary_function(
    primitive(
        "sigmoid",
        _sigmoid_impl,
        jvp=(lambda t, ans, x: t * (ans * (1.0 - ans)),),
        vjp=(lambda g, ans, x: g * (ans * (1.0 - ans)),),
    ),
    _sigmoid_impl,
)


def _sigmoid_derivatives(x: Any, y: Any) -> tuple[Any, Any, bool]:
    return y * (1.0 - y), 1.0 - 2.0 * y, True


sigmoid.primitive.elementwise_derivatives = _sigmoid_derivatives  # second-order Taylor mode
sigmoid.__doc__ = """The logistic function 1 / (1 + exp(-x)), stable for large |x|.

Example:
    >>> float(sigmoid(0.0))
    0.5
"""
expit = sigmoid


def _softplus_impl(x: Any) -> Any:
    return np.logaddexp(0.0, x)


softplus = unary_function(
    primitive(
        "softplus",
        _softplus_impl,
        jvp=(lambda t, ans, x: t * sigmoid(x),),
        vjp=(lambda g, ans, x: g * sigmoid(x),),
    ),
    _softplus_impl,
)
softplus.__doc__ = "log(1 + exp(x)) without overflow; its derivative is sigmoid(x)."


def _softplus_derivatives(x: Any, y: Any) -> tuple[Any, Any, bool]:
    slope = sigmoid(x)
    return slope, 1.0 - slope, True


softplus.primitive.elementwise_derivatives = _softplus_derivatives  # second-order Taylor mode


def _relu_impl(x: Any) -> Any:
    if type(x) is float:
        return x if x > 0.0 else 0.0
    return np.maximum(x, 0)


def _relu_scale(g: Any, ans: Any, x: Any) -> Any:
    """``g`` where relu's output is positive, +0 elsewhere (even where ``g`` is inf or NaN).

    It reads the output rather than the input (``ans > 0`` exactly where
    ``x > 0``), so reverse mode keeps one array per relu, the one the next
    layer keeps anyway. ``where``'s implementation makes the selection a
    bitwise AND on float arrays, eagerly and in compiled programs alike.
    """
    if type(ans) is float:
        return g if ans > 0.0 else 0.0
    return where(ans > 0, g, 0.0)


relu = unary_function(primitive("relu", _relu_impl, jvp=(_relu_scale,), vjp=(_relu_scale,)), _relu_impl)
relu.__doc__ = "max(x, 0), with relu'(0) = 0."


def _relu_into(x: Any, out: Any) -> Any:
    return np.maximum(x, 0, out=out)


relu.primitive.ufunc = _relu_into  # jit may write a relu into a dying temporary


# -- the error function ---------------------------------------------------------------------

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_scipy_special: Any = None  # scipy.special once looked for; False when SciPy is not installed


def _scipy_ufunc(name: str) -> Callable[[Any], Any] | None:
    """SciPy's ufunc ``name`` when SciPy is installed (imported on first use), else None."""
    global _scipy_special
    if _scipy_special is None:
        try:
            import scipy.special as special
        except ImportError:
            special = False
        _scipy_special = special
    return getattr(_scipy_special, name) if _scipy_special is not False else None


def _from_math(math_function: Callable[[float], float], x: Any) -> Any:
    """``math_function`` on every element of a real array, in the array's float dtype (float64 for integers)."""
    array = np.asarray(x)
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"{math_function.__name__} of a {array.dtype} array needs SciPy (pip install scipy): "
            "without it wengert computes it with Python's math module, for real values only"
        )
    kind = array.dtype if array.dtype.kind == "f" else np.dtype(np.float64)
    values = np.frompyfunc(math_function, 1, 1)(array.astype(np.float64))
    result = np.asarray(values, dtype=np.float64).astype(kind, copy=False)
    return result[()] if result.ndim == 0 else result


def _numpy_error_function(name: str, math_function: Callable[[float], float]) -> Callable[[Any], Any]:
    """The array version of ``name``: SciPy's ufunc when SciPy is installed, else ``math_function`` per element."""

    def function(x: Any) -> Any:
        ufunc = _scipy_ufunc(name)
        return ufunc(x) if ufunc is not None else _from_math(math_function, x)

    return function


def _gaussian_slope(x: Any) -> Any:
    """erf'(x) = 2/√π·exp(−x²)."""
    return _TWO_OVER_SQRT_PI * exp(-(x * x))


erf = unary("erf", _numpy_error_function("erf", math.erf), lambda g, ans, x: g * _gaussian_slope(x), math.erf)
erf.__doc__ = """The error function 2/√π·∫₀ˣ exp(−t²) dt; erf'(x) = 2/√π·exp(−x²).

Example:
    >>> round(float(erf(1.0)), 12)
    0.842700792950
"""

erfc = unary("erfc", _numpy_error_function("erfc", math.erfc), lambda g, ans, x: -(g * _gaussian_slope(x)), math.erfc)
erfc.__doc__ = """1 − erf(x), accurate where erf(x) is close to 1 (erfc(10) ≈ 2.1e-45, not 0).

Example:
    >>> float(erfc(0.0))
    1.0
"""


def _axis_param(x: Any, axis: Any) -> tuple[int, ...] | None:
    ndim = len(np.shape(x)) if not isinstance(x, Tracer) else len(x.shape)
    return normalize_axis(axis, ndim)


def _log_softmax_impl(x: Any, axis: Any) -> Any:
    # Subtract the peak before the log of the sum: x - logsumexp(x) would round
    # log(2) away next to 1e308 (log_softmax([1e308, 1e308]) must be -log 2, not 0).
    shifted = np.asarray(x) - stable_peak(x, axis)
    with np.errstate(divide="ignore"):
        return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


log_softmax_p = primitive(
    "log_softmax",
    _log_softmax_impl,
    jvp=(lambda t, ans, x, axis: t - sum(exp(ans) * t, axis, keepdims=True),),
    vjp=(lambda g, ans, x, axis: g - exp(ans) * sum(g, axis, keepdims=True),),
)


@wraps_primitive(log_softmax_p)
def log_softmax(x: Any, axis: Any = -1) -> Any:
    """x - logsumexp(x) along ``axis``: log-probabilities, finite for finite inputs.

    Example:
        >>> np.round(np.exp(log_softmax(np.array([0.0, 0.0]))), 3)
        array([0.5, 0.5])
    """
    params = {"axis": _axis_param(x, axis)}
    if isinstance(x, Tracer):
        return bind(log_softmax_p, (x,), params)
    return _log_softmax_impl(x, **params)


def _softmax_impl(x: Any, axis: Any) -> Any:
    return np.exp(_log_softmax_impl(x, axis))


softmax_p = primitive(
    "softmax",
    _softmax_impl,
    jvp=(lambda t, ans, x, axis: ans * (t - sum(ans * t, axis, keepdims=True)),),
    vjp=(lambda g, ans, x, axis: ans * (g - sum(g * ans, axis, keepdims=True)),),
)


@wraps_primitive(softmax_p)
def softmax(x: Any, axis: Any = -1) -> Any:
    """exp(x) normalised to sum to one along ``axis``, without overflow."""
    params = {"axis": _axis_param(x, axis)}
    if isinstance(x, Tracer):
        return bind(softmax_p, (x,), params)
    return _softmax_impl(x, **params)


# -- softmax cross-entropy of integer labels, as one primitive ---------------------------------------
#
# nn.cross_entropy's common case. As a composition (log_softmax, pick the labels, negate, mean) it
# records five nodes whose rules make a zero array, scatter into it and subtract a product; fused,
# the backward pass is the textbook (softmax - onehot) · g / N in one rule.

_REDUCTIONS = ("mean", "sum", "none")


def _one_hot(labels: np.ndarray, scores_shape: tuple[int, ...], scores_dtype: np.dtype) -> np.ndarray:
    """1 at each example's label along the last axis of ``scores_shape``, 0 elsewhere (a constant)."""
    out = np.zeros(scores_shape, dtype=scores_dtype)
    np.put_along_axis(out, labels[..., None], 1, axis=-1)
    return out


def _softmax_cross_entropy_impl(logits: Any, labels: np.ndarray, reduction: str) -> Any:
    logits = np.asarray(logits)
    shifted = logits - stable_peak(logits, (logits.ndim - 1,))
    with np.errstate(divide="ignore"):
        log_normaliser = np.log(np.sum(np.exp(shifted), axis=-1))
    # -log_softmax at the label, rounded as log_normaliser - shifted (the same as -(shifted - log_normaliser)).
    losses = log_normaliser - np.take_along_axis(shifted, labels[..., None], axis=-1)[..., 0]
    if reduction == "mean":
        return np.mean(losses)
    if reduction == "sum":
        return np.sum(losses)
    return losses


def _softmax_minus_one_hot(logits: Any, labels: np.ndarray) -> Any:
    return softmax(logits, axis=-1) - _one_hot(labels, tuple(shape(logits)), dtype(logits))


def _softmax_cross_entropy_vjp(g: Any, ans: Any, logits: Any, labels: np.ndarray, reduction: str) -> Any:
    difference = _softmax_minus_one_hot(logits, labels)
    if reduction == "mean":
        return difference * (g / labels.size)
    if reduction == "sum":
        return difference * g
    return difference * reshape(g, (*shape(g), 1))


def _softmax_cross_entropy_jvp(t: Any, ans: Any, logits: Any, labels: np.ndarray, reduction: str) -> Any:
    per_example = sum(_softmax_minus_one_hot(logits, labels) * t, axis=-1)
    if reduction == "mean":
        return sum(per_example) / labels.size
    if reduction == "sum":
        return sum(per_example)
    return per_example


def _softmax_cross_entropy_batch(values: list, batched: tuple, labels: np.ndarray, reduction: str) -> Any:
    """Every example's losses at once: the labels repeated along the batch axis, reduced per example."""
    (logits,) = values
    size = shape(logits)[0]
    repeated = np.broadcast_to(labels, (size, *labels.shape))
    losses = bind(softmax_cross_entropy_p, (logits,), {"labels": repeated, "reduction": "none"})
    if reduction == "none":
        return losses
    total = sum(losses, axis=tuple(range(1, len(shape(losses)))))
    return total / labels.size if reduction == "mean" else total


softmax_cross_entropy_p = primitive(
    "softmax_cross_entropy",
    _softmax_cross_entropy_impl,
    jvp=(_softmax_cross_entropy_jvp,),
    vjp=(_softmax_cross_entropy_vjp,),
    batch=_softmax_cross_entropy_batch,
)


def softmax_cross_entropy(logits: Any, labels: np.ndarray, reduction: str = "mean") -> Any:
    """-log_softmax(logits)[..., label], reduced: ``nn.cross_entropy`` of integer labels, checked by the caller.

    ``logits`` has shape ``(..., classes)``, ``labels`` is a non-empty integer
    array of shape ``(...)`` with entries in ``[0, classes)``, and
    ``reduction`` is "mean", "sum" or "none".

    Example:
        >>> round(float(softmax_cross_entropy(np.array([[2.0, 0.0], [0.0, 2.0]]), np.array([0, 1]))), 6)
        0.126928
    """
    if reduction not in _REDUCTIONS:
        raise ValueError(f"softmax_cross_entropy: reduction must be one of {_REDUCTIONS}, got {reduction!r}")
    params = {"labels": labels, "reduction": reduction}
    if isinstance(logits, Tracer):
        return logits._trace.process(softmax_cross_entropy_p, (logits,), params)
    return _softmax_cross_entropy_impl(logits, **params)


softmax_cross_entropy.primitive = softmax_cross_entropy_p


def _xlogy_impl(x: Any, y: Any) -> Any:
    x, y = np.asarray(x), np.asarray(y)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(x == 0, 0.0, x * np.log(np.where(x == 0, 1.0, y)))
    return out if out.ndim else out[()]


def _both_zero(x: Any, y: Any) -> Any:
    """Where x == y == 0: the one point where x·log(y) is defined (as 0) by convention.

    A comparison: a constant to differentiation, batched under vmap.
    """
    return logical_and(equal(x, 0), equal(y, 0))


def _safe_log(x: Any, y: Any) -> Any:
    """d/dx x·log(y) = log(y), read as 0 where x == y == 0 (so there is no -inf there).

    Where only x is 0 this is the true log(y): the derivative in x does not vanish.
    """
    zero = _both_zero(x, y)
    return where(zero, 0.0, log(where(zero, 1.0, y)))


def _safe_ratio(x: Any, y: Any) -> Any:
    """d/dy x·log(y) = x / y, written so that it is exactly 0 (not NaN) at x == y == 0.

    Dividing x itself (rather than selecting 0 where x == 0) keeps the derivative
    of this rule in x, 1/y, exact for higher orders.
    """
    return x / where(_both_zero(x, y), 1.0, y)


xlogy_p = primitive(
    "xlogy",
    _xlogy_impl,
    jvp=(
        lambda t, ans, x, y: broadcast_like(t * _safe_log(x, y), ans),
        lambda t, ans, x, y: broadcast_like(t * _safe_ratio(x, y), ans),
    ),
    vjp=(
        lambda g, ans, x, y: unbroadcast(g * _safe_log(x, y), x),
        lambda g, ans, x, y: unbroadcast(g * _safe_ratio(x, y), y),
    ),
)


@wraps_primitive(xlogy_p)
def xlogy(x: Any, y: Any) -> Any:
    """x·log(y), defined as 0 where x == 0 (even at y == 0)."""
    if isinstance(x, Tracer) or isinstance(y, Tracer):
        return bind(xlogy_p, (x, y), EMPTY)
    return _xlogy_impl(x, y)


__all__ = ["erf", "erfc", "expit", "log_softmax", "relu", "sigmoid", "softmax", "softplus", "xlogy"]
