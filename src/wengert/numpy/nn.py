"""JAX's ``jax.nn`` activations on wengert: ``import wengert.numpy.nn as jnn`` (also ``wnp.nn``).

The functions take JAX's arguments with JAX's defaults (``gelu`` is the tanh
approximation unless ``approximate=False``; ``softmax`` normalises the last axis;
``one_hot`` of an out-of-range label is a row of zeros) and have JAX's derivatives
at the kinks (``relu'(0) = 0``, ``leaky_relu'(0) = 1``, ``relu6'(6) = 0``...). Where
wengert.numpy already has the function (``relu``, ``sigmoid``, ``softplus``,
``softmax``, ``log_softmax``, ``logsumexp``) it is called, with its stable rules.
Arrays are float64 unless given otherwise (JAX's default is float32).

Example:
    >>> import numpy as np
    >>> import wengert as wg
    >>> import wengert.numpy.nn as jnn
    >>> jnn.relu(np.array([-1.0, 2.0]))
    array([0., 2.])
    >>> float(wg.grad(jnn.silu)(0.0))
    0.5
    >>> jnn.one_hot(np.array([0, 2]), 3)
    array([[1., 0., 0.],
           [0., 0., 1.]])
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from .. import numpy as wnp
from ..core import Tracer

__all__ = [
    "celu",
    "elu",
    "gelu",
    "glu",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "hard_tanh",
    "leaky_relu",
    "log_sigmoid",
    "log_softmax",
    "logsumexp",
    "mish",
    "one_hot",
    "relu",
    "relu6",
    "selu",
    "sigmoid",
    "silu",
    "soft_sign",
    "softmax",
    "softplus",
    "squareplus",
    "swish",
    "tanh",
]

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def relu(x: Any) -> Any:
    """max(x, 0); its derivative at 0 is 0, as JAX's.

    Example:
        >>> relu(np.array([-2.0, 0.0, 3.0]))
        array([0., 0., 3.])
    """
    return wnp.relu(x)


def relu6(x: Any) -> Any:
    """min(max(x, 0), 6); its derivative is 0 at 0 and at 6, as JAX's.

    Example:
        >>> relu6(np.array([-1.0, 3.0, 9.0]))
        array([0., 3., 6.])
    """
    return wnp.where(wnp.greater_equal(x, 6.0), 6.0, wnp.relu(x))


def sigmoid(x: Any) -> Any:
    """The logistic function 1 / (1 + exp(−x)), stable for large |x|.

    Example:
        >>> float(sigmoid(0.0))
        0.5
    """
    return wnp.sigmoid(x)


def softplus(x: Any) -> Any:
    """log(1 + exp(x)), without overflow.

    Example:
        >>> round(float(softplus(0.0)), 6)
        0.693147
    """
    return wnp.softplus(x)


def log_sigmoid(x: Any) -> Any:
    """log(sigmoid(x)) = −softplus(−x), finite for very negative x.

    Example:
        >>> float(log_sigmoid(-1000.0))
        -1000.0
    """
    return wnp.negative(wnp.softplus(wnp.negative(x)))


def silu(x: Any) -> Any:
    """x·sigmoid(x) (also called swish).

    Example:
        >>> round(float(silu(1.0)), 6)
        0.731059
    """
    return wnp.multiply(x, wnp.sigmoid(x))


swish = silu


def tanh(x: Any, /) -> Any:
    """The hyperbolic tangent (``wnp.tanh``).

    Example:
        >>> float(tanh(0.0))
        0.0
    """
    return wnp.tanh(x)


def gelu(x: Any, approximate: bool = True) -> Any:
    """The Gaussian error linear unit x·Φ(x): its tanh approximation by default (as JAX), exact if not ``approximate``.

    Example:
        >>> round(float(gelu(1.0)), 6), round(float(gelu(1.0, approximate=False)), 6)
        (0.841192, 0.841345)
    """
    if approximate is not True and approximate is not False:
        raise TypeError(
            f"gelu: approximate must be True (the tanh approximation, JAX's default) or False (exact), got "
            f"{approximate!r}; PyTorch's spelling 'tanh'/'none' belongs to wengert.nn.functional.gelu"
        )
    from ..nn.activations import gelu as torch_style_gelu

    return torch_style_gelu(x, "tanh" if approximate else "none")


def elu(x: Any, alpha: Any = 1.0) -> Any:
    """x for x > 0, alpha·(exp(x) − 1) otherwise (derivative alpha at 0, as JAX).

    Example:
        >>> np.round(elu(np.array([-1.0, 2.0])), 6)
        array([-0.632121,  2.      ])
    """
    positive = wnp.greater(x, 0.0)
    safe = wnp.where(positive, 0.0, x)  # exp of the positive side never computed: no overflow, no NaN derivative
    return wnp.where(positive, x, wnp.multiply(alpha, wnp.expm1(safe)))


def celu(x: Any, alpha: Any = 1.0) -> Any:
    """max(x, 0) + alpha·(exp(min(x, 0)/alpha) − 1), continuously differentiable (derivative 1 at 0).

    Example:
        >>> np.round(celu(np.array([-1.0, 2.0]), alpha=2.0), 6)
        array([-0.786939,  2.      ])
    """
    positive = wnp.greater(x, 0.0)
    safe = wnp.where(positive, 0.0, x)
    return wnp.where(positive, x, wnp.multiply(alpha, wnp.expm1(wnp.divide(safe, alpha))))


def selu(x: Any) -> Any:
    """The scaled ELU, scale·elu(x, alpha) with the self-normalising constants of Klambauer et al. (2017).

    Example:
        >>> round(float(selu(1.0)), 6)
        1.050701
    """
    return wnp.multiply(_SELU_SCALE, elu(x, _SELU_ALPHA))


def leaky_relu(x: Any, negative_slope: Any = 0.01) -> Any:
    """x for x ≥ 0, negative_slope·x otherwise (derivative 1 at 0, as JAX).

    Example:
        >>> leaky_relu(np.array([-2.0, 3.0]))
        array([-0.02,  3.  ])
    """
    return wnp.where(wnp.greater_equal(x, 0.0), x, wnp.multiply(negative_slope, x))


def hard_tanh(x: Any) -> Any:
    """x clipped to [−1, 1] (derivative 1 on the closed interval, as JAX).

    Example:
        >>> hard_tanh(np.array([-3.0, 0.5, 3.0]))
        array([-1. ,  0.5,  1. ])
    """
    return wnp.where(wnp.greater(x, 1.0), 1.0, wnp.where(wnp.less(x, -1.0), -1.0, x))


def hard_sigmoid(x: Any) -> Any:
    """relu6(x + 3) / 6, a piecewise-linear sigmoid.

    Example:
        >>> hard_sigmoid(np.array([-4.0, 0.0, 4.0]))
        array([0. , 0.5, 1. ])
    """
    return wnp.divide(relu6(wnp.add(x, 3.0)), 6.0)


def hard_silu(x: Any) -> Any:
    """x·hard_sigmoid(x) (also called hard_swish).

    Example:
        >>> hard_silu(np.array([-4.0, 0.0, 4.0]))
        array([-0.,  0.,  4.])
    """
    return wnp.multiply(x, hard_sigmoid(x))


hard_swish = hard_silu


def soft_sign(x: Any) -> Any:
    """x / (|x| + 1).

    Example:
        >>> soft_sign(np.array([-1.0, 3.0]))
        array([-0.5 ,  0.75])
    """
    return wnp.divide(x, wnp.add(wnp.abs(x), 1.0))


def mish(x: Any) -> Any:
    """x·tanh(softplus(x)).

    Example:
        >>> round(float(mish(1.0)), 6)
        0.865098
    """
    return wnp.multiply(x, wnp.tanh(wnp.softplus(x)))


def squareplus(x: Any, b: Any = 4) -> Any:
    """(x + √(x² + b)) / 2, a smooth relu.

    Example:
        >>> float(squareplus(0.0))
        1.0
    """
    return wnp.divide(wnp.add(x, wnp.sqrt(wnp.add(wnp.multiply(x, x), b))), 2.0)


def glu(x: Any, axis: int = -1) -> Any:
    """The gated linear unit: x split in two halves a, b along ``axis``, a·sigmoid(b).

    Example:
        >>> glu(np.array([2.0, 4.0, 0.0, 0.0]))
        array([1., 2.])
    """
    size = wnp.shape(x)[axis] if wnp.ndim(x) else None
    if size is None or size % 2:
        raise ValueError(f"glu: the axis {axis} must have an even length, got shape {tuple(wnp.shape(x))}")
    first, second = wnp.split(x, 2, axis)
    return wnp.multiply(first, wnp.sigmoid(second))


def _masked(x: Any, where: Any, fill: float) -> Any:
    return x if where is None else wnp.where(where, x, fill)


def softmax(x: Any, axis: Any = -1, where: Any = None) -> Any:
    """exp(x) normalised to sum to one along ``axis``; entries outside ``where`` (a mask) count as −inf and give 0.

    Example:
        >>> softmax(np.array([0.0, 0.0]))
        array([0.5, 0.5])
        >>> softmax(np.array([0.0, 5.0, 0.0]), where=np.array([True, False, True]))
        array([0.5, 0. , 0.5])
    """
    result = wnp.softmax(_masked(x, where, -np.inf), axis)
    return _masked(result, where, 0.0)


def log_softmax(x: Any, axis: Any = -1, where: Any = None) -> Any:
    """x − logsumexp(x) along ``axis``; entries outside ``where`` (a mask) give −inf.

    Example:
        >>> np.exp(log_softmax(np.array([0.0, 0.0])))
        array([0.5, 0.5])
    """
    result = wnp.log_softmax(_masked(x, where, -np.inf), axis)
    return _masked(result, where, -np.inf)


def logsumexp(
    a: Any, axis: Any = None, b: Any = None, keepdims: bool = False, return_sign: bool = False, where: Any = None
) -> Any:
    """log(Σ b·exp(a)) over ``axis`` without overflow (``wnp.logsumexp``); entries outside ``where`` do not count.

    Example:
        >>> round(float(logsumexp(np.array([0.0, 0.0]))), 6)
        0.693147
    """
    return wnp.logsumexp(_masked(a, where, -np.inf), axis, b, keepdims, return_sign)


def one_hot(x: Any, num_classes: int, *, dtype: Any = np.float64, axis: int = -1) -> Any:
    """1 where the new axis's index equals the label, 0 elsewhere (an out-of-range label gives zeros, as in JAX).

    The new axis of length ``num_classes`` is placed at ``axis`` (last by default).

    Example:
        >>> one_hot(np.array([1, 5]), 3)
        array([[0., 1., 0.],
               [0., 0., 0.]])
    """
    if isinstance(num_classes, Tracer):
        raise TypeError("one_hot: num_classes must be a concrete int (it fixes the shape of the result), not traced")
    try:
        if isinstance(num_classes, bool):
            raise TypeError
        num_classes = operator.index(num_classes)
    except TypeError:
        raise TypeError(f"one_hot: num_classes must be an int, got {num_classes!r}") from None
    if num_classes < 0:
        raise ValueError(f"one_hot: num_classes must be non-negative, got {num_classes}")
    x = x if isinstance(x, Tracer) else np.asarray(x)
    rank = wnp.ndim(x) + 1
    if not -rank <= axis < rank:
        raise ValueError(f"one_hot: axis {axis} is out of bounds for a result of {rank} dimensions")
    hot = wnp.astype(wnp.equal(wnp.expand_dims(x, -1), np.arange(num_classes)), dtype)
    return hot if axis % rank == rank - 1 else wnp.moveaxis(hot, -1, axis)
