"""PyTorch's top-level functions (``torch.exp``, ``torch.sum(x, dim=1)``, ``torch.max``...) over `wengert.numpy`.

Each is a thin layer over the `wengert.numpy` function that computes it, with
PyTorch's argument names and meanings: reductions take ``dim=`` and
``keepdim=``, ``max``/``min`` along a dimension return ``(values, indices)``,
``var``/``std`` divide by N - 1 unless told otherwise, ``transpose`` swaps two
dimensions. On tensors they record for ``backward()``; inside the JAX
dialect's transformations they differentiate as the NumPy functions do.

Names that wengert's JAX dialect already uses at top level (``grad``, ``vmap``,
``jit``, ``trace``...) are not defined here: ``torch.trace`` is
``wengert.numpy.trace``.

Example:
    >>> from wengert import tensor
    >>> x = tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> y = sum(exp(x), dim=1)
    >>> y.shape
    (2,)
    >>> max(x, dim=0).indices
    tensor([1, 1])
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import numpy as wnp
from .core import Tracer
from .creation import cat
from .tensor import (
    Tensor,
    _arg_extremum,
    _extremum,
    _norm,
    _variance_arguments,
    from_numpy,
    tensor,  # noqa: F401  (the docstring examples make tensors)
)


def _unary(name: str, function: Callable[[Any], Any], example: str) -> Callable[[Any], Any]:
    def unary(input: Any) -> Any:  # noqa: A002  (PyTorch's argument name)
        return function(input)

    unary.__name__ = unary.__qualname__ = name
    unary.__doc__ = (
        f"``torch.{name}``: elementwise, differentiable (`wengert.numpy.{function.__name__}`).\n\n"
        f"Example:\n    >>> {name}(tensor([{'1.0' if name == 'acosh' else '0.5'}, 2.0]))\n    {example}\n"
    )
    return unary


# torch name, wengert.numpy function, the value at [0.5, 2.0] (acosh: [1.0, 2.0]).
_UNARY = [
    ("exp", wnp.exp, "tensor([1.64872127, 7.3890561 ])"),
    ("exp2", wnp.exp2, "tensor([1.41421356, 4.        ])"),
    ("expm1", wnp.expm1, "tensor([0.64872127, 6.3890561 ])"),
    ("log", wnp.log, "tensor([-0.69314718,  0.69314718])"),
    ("log2", wnp.log2, "tensor([-1.,  1.])"),
    ("log10", wnp.log10, "tensor([-0.30103,  0.30103])"),
    ("log1p", wnp.log1p, "tensor([0.40546511, 1.09861229])"),
    ("sin", wnp.sin, "tensor([0.47942554, 0.90929743])"),
    ("cos", wnp.cos, "tensor([ 0.87758256, -0.41614684])"),
    ("tan", wnp.tan, "tensor([ 0.54630249, -2.18503986])"),
    ("atan", wnp.arctan, "tensor([0.46364761, 1.10714872])"),
    ("sinh", wnp.sinh, "tensor([0.52109531, 3.62686041])"),
    ("cosh", wnp.cosh, "tensor([1.12762597, 3.76219569])"),
    ("tanh", wnp.tanh, "tensor([0.46211716, 0.96402758])"),
    ("asinh", wnp.arcsinh, "tensor([0.48121183, 1.44363548])"),
    ("acosh", wnp.arccosh, "tensor([0.       , 1.3169579])"),
    ("sigmoid", wnp.sigmoid, "tensor([0.62245933, 0.88079708])"),
    ("sqrt", wnp.sqrt, "tensor([0.70710678, 1.41421356])"),
    ("abs", wnp.abs, "tensor([0.5, 2. ])"),
    ("neg", wnp.negative, "tensor([-0.5, -2. ])"),
    ("negative", wnp.negative, "tensor([-0.5, -2. ])"),
    ("sign", wnp.sign, "tensor([1., 1.])"),
    ("floor", wnp.floor, "tensor([0., 2.])"),
    ("ceil", wnp.ceil, "tensor([1., 2.])"),
    ("trunc", wnp.trunc, "tensor([0., 2.])"),
    ("reciprocal", wnp.reciprocal, "tensor([2. , 0.5])"),
    ("square", wnp.square, "tensor([0.25, 4.  ])"),
    ("relu", wnp.relu, "tensor([0.5, 2. ])"),
    ("erf", wnp.erf, "tensor([0.52049988, 0.99532227])"),
    ("erfc", wnp.erfc, "tensor([0.47950012, 0.00467773])"),
    ("isnan", wnp.isnan, "tensor([False, False])"),
    ("isinf", wnp.isinf, "tensor([False, False])"),
    ("isfinite", wnp.isfinite, "tensor([ True,  True])"),
    ("logical_not", wnp.logical_not, "tensor([False, False])"),
]
for _name, _function, _example in _UNARY:
    globals()[_name] = _unary(_name, _function, _example)


def asin(input: Any) -> Any:  # noqa: A002
    """``torch.asin``: elementwise, differentiable (NaN outside [-1, 1]).

    Example:
        >>> asin(tensor([0.0, 1.0]))
        tensor([0.        , 1.57079633])
    """
    return wnp.arcsin(input)


def acos(input: Any) -> Any:  # noqa: A002
    """``torch.acos``: elementwise, differentiable (NaN outside [-1, 1]).

    Example:
        >>> acos(tensor([1.0]))
        tensor([0.])
    """
    return wnp.arccos(input)


def atanh(input: Any) -> Any:  # noqa: A002
    """``torch.atanh``: elementwise, differentiable.

    Example:
        >>> atanh(tensor([0.0]))
        tensor([0.])
    """
    return wnp.arctanh(input)


def rsqrt(input: Any) -> Any:  # noqa: A002
    """``1 / sqrt(input)``, elementwise.

    Example:
        >>> rsqrt(tensor([4.0]))
        tensor([0.5])
    """
    return wnp.reciprocal(wnp.sqrt(input))


def round(input: Any, *, decimals: int = 0) -> Any:  # noqa: A001, A002
    """Round to ``decimals`` decimal places, halves to even (as PyTorch and NumPy); derivative 0.

    Example:
        >>> round(tensor([0.5, 1.5, 2.25]), decimals=1)
        tensor([0.5, 1.5, 2.2])
    """
    return wnp.round(input, decimals)


# -- two arguments ---------------------------------------------------------------------------------


def add(input: Any, other: Any, *, alpha: Any = 1) -> Any:  # noqa: A002
    """``input + alpha * other``.

    Example:
        >>> add(tensor([1.0]), tensor([2.0]), alpha=10)
        tensor([21.])
    """
    return wnp.add(input, other if alpha == 1 else wnp.multiply(other, alpha))


def sub(input: Any, other: Any, *, alpha: Any = 1) -> Any:  # noqa: A002
    """``input - alpha * other`` (also named ``subtract``).

    Example:
        >>> sub(tensor([1.0]), tensor([2.0]))
        tensor([-1.])
    """
    return wnp.subtract(input, other if alpha == 1 else wnp.multiply(other, alpha))


subtract = sub


def mul(input: Any, other: Any) -> Any:  # noqa: A002
    """``input * other`` (also named ``multiply``).

    Example:
        >>> mul(tensor([3.0]), 2)
        tensor([6.])
    """
    return wnp.multiply(input, other)


multiply = mul


def div(input: Any, other: Any, *, rounding_mode: str | None = None) -> Any:  # noqa: A002
    """``input / other``; ``rounding_mode="trunc"`` or ``"floor"`` rounds the quotient (also named ``divide``).

    Example:
        >>> div(tensor([-7.0, 7.0]), 2, rounding_mode="trunc")
        tensor([-3.,  3.])
    """
    if rounding_mode is None:
        return wnp.divide(input, other)
    if rounding_mode == "floor":
        return wnp.floor_divide(input, other)
    if rounding_mode == "trunc":
        quotient = wnp.trunc(wnp.divide(input, other))
        kinds = [np.dtype(wnp.result_type(value)).kind for value in (input, other)]
        return wnp.astype(quotient, np.int64) if builtins.all(kind in "iub" for kind in kinds) else quotient
    raise ValueError(f"div: rounding_mode must be None, 'trunc' or 'floor', got {rounding_mode!r}")


divide = div
true_divide = wnp.true_divide


def pow(input: Any, exponent: Any) -> Any:  # noqa: A001, A002
    """``input ** exponent`` (either may be a number).

    Example:
        >>> pow(tensor([2.0, 3.0]), 2)
        tensor([4., 9.])
    """
    return wnp.power(input, exponent)


def maximum(input: Any, other: Any) -> Any:  # noqa: A002
    """The elementwise maximum (ties share the gradient).

    Example:
        >>> maximum(tensor([1.0, 5.0]), tensor([3.0, 2.0]))
        tensor([3., 5.])
    """
    return wnp.maximum(input, other)


def minimum(input: Any, other: Any) -> Any:  # noqa: A002
    """The elementwise minimum (ties share the gradient).

    Example:
        >>> minimum(tensor([1.0, 5.0]), tensor([3.0, 2.0]))
        tensor([1., 2.])
    """
    return wnp.minimum(input, other)


def atan2(input: Any, other: Any) -> Any:  # noqa: A002
    """The angle of the point (other, input): ``torch.atan2(y, x)``.

    Example:
        >>> atan2(tensor([1.0]), tensor([1.0]))
        tensor([0.78539816])
    """
    return wnp.arctan2(input, other)


def remainder(input: Any, other: Any) -> Any:  # noqa: A002
    """The remainder with the sign of the divisor (Python's ``%``).

    Example:
        >>> remainder(tensor([-3.0, 3.0]), 2)
        tensor([1., 1.])
    """
    return wnp.remainder(input, other)


def logaddexp(input: Any, other: Any) -> Any:  # noqa: A002
    """``log(exp(input) + exp(other))`` without overflow.

    Example:
        >>> logaddexp(tensor([0.0]), tensor([0.0]))
        tensor([0.69314718])
    """
    return wnp.logaddexp(input, other)


def clamp(input: Any, min: Any = None, max: Any = None) -> Any:  # noqa: A002
    """``input`` limited to [min, max] (either bound may be None or a tensor); also named ``clip``.

    Example:
        >>> clamp(tensor([-1.0, 0.5, 3.0]), min=0.0, max=1.0)
        tensor([0. , 0.5, 1. ])
    """
    if min is None and max is None:
        raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
    return wnp.clip(input, min, max)


clip = clamp


def where(condition: Any, input: Any = None, other: Any = None) -> Any:  # noqa: A002
    """``input`` where ``condition`` holds, else ``other``; ``where(condition)`` gives the indices of the true elements.

    Only the selected branch receives a gradient.

    Example:
        >>> where(tensor([True, False]), tensor([1.0, 2.0]), 0.0)
        tensor([1., 0.])
    """
    if input is None and other is None:
        return tuple(from_numpy(np.asarray(index)) for index in wnp.nonzero(condition))
    if input is None or other is None:
        raise TypeError("where: pass both input and other, or only the condition")
    return wnp.where(condition, input, other)


def allclose(input: Any, other: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> bool:  # noqa: A002
    """Whether ``|input - other| <= atol + rtol * |other|`` everywhere.

    Example:
        >>> allclose(tensor([1.0]), tensor([1.0 + 1e-9]))
        True
    """
    return bool(np.allclose(_values(input), _values(other), rtol=rtol, atol=atol, equal_nan=equal_nan))


def isclose(input: Any, other: Any, rtol: float = 1e-05, atol: float = 1e-08, equal_nan: bool = False) -> Tensor:  # noqa: A002
    """Where ``|input - other| <= atol + rtol * |other|`` (a boolean tensor).

    Example:
        >>> isclose(tensor([1.0, 2.0]), tensor([1.0, 2.1]))
        tensor([ True, False])
    """
    return from_numpy(np.isclose(_values(input), _values(other), rtol=rtol, atol=atol, equal_nan=equal_nan))


def equal(input: Any, other: Any) -> bool:  # noqa: A002
    """Whether the two have the same shape and the same elements.

    Example:
        >>> equal(tensor([1.0, 2.0]), tensor([1.0, 2.0]))
        True
    """
    a, b = _values(input), _values(other)
    return a.shape == b.shape and bool(np.array_equal(a, b))


def _values(value: Any) -> np.ndarray:
    """The values of a tensor (requiring grad or not) or array, for comparisons that are not differentiated."""
    while isinstance(value, Tracer):
        value = value.primal
    return np.asarray(value)


# -- products --------------------------------------------------------------------------------------


def matmul(input: Any, other: Any) -> Any:  # noqa: A002
    """The matrix product, with NumPy's (and PyTorch's) broadcasting of stacks.

    Example:
        >>> matmul(tensor([[1.0, 2.0]]), tensor([[3.0], [4.0]]))
        tensor([[11.]])
    """
    return wnp.matmul(input, other)


def mm(input: Any, mat2: Any) -> Any:  # noqa: A002
    """The product of two matrices (2-d only, as PyTorch's ``mm``).

    Example:
        >>> mm(tensor([[1.0, 2.0]]), tensor([[3.0], [4.0]])).shape
        (1, 1)
    """
    _check_ndim("mm", {"input": input, "mat2": mat2}, 2)
    return wnp.matmul(input, mat2)


def bmm(input: Any, mat2: Any) -> Any:  # noqa: A002
    """Batched matrix products of two 3-d tensors.

    Example:
        >>> bmm(tensor(np.ones((5, 2, 3))), tensor(np.ones((5, 3, 4)))).shape
        (5, 2, 4)
    """
    _check_ndim("bmm", {"input": input, "mat2": mat2}, 3)
    return wnp.matmul(input, mat2)


def dot(input: Any, other: Any) -> Any:  # noqa: A002
    """The dot product of two vectors (1-d only, as PyTorch's ``dot``).

    Example:
        >>> dot(tensor([1.0, 2.0]), tensor([3.0, 4.0]))
        tensor(11.)
    """
    _check_ndim("dot", {"input": input, "other": other}, 1)
    return wnp.dot(input, other)


def outer(input: Any, vec2: Any) -> Any:  # noqa: A002
    """The outer product of two vectors.

    Example:
        >>> outer(tensor([1.0, 2.0]), tensor([1.0, 0.0, 1.0])).shape
        (2, 3)
    """
    return wnp.outer(input, vec2)


def einsum(equation: str, *operands: Any) -> Any:
    """Einstein summation: ``einsum("ij,jk->ik", a, b)`` (the operands may also come as one list).

    Example:
        >>> einsum("i,i->", tensor([1.0, 2.0]), tensor([3.0, 4.0]))
        tensor(11.)
    """
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    return wnp.einsum(equation, *operands)


def _check_ndim(operation: str, arguments: dict[str, Any], ndim: int) -> None:
    for name, value in arguments.items():
        if len(wnp.shape(value)) != ndim:
            raise RuntimeError(f"{operation}: {name} must be a {ndim}-d tensor, got shape {wnp.shape(value)}")


# -- reductions ------------------------------------------------------------------------------------


def sum(input: Any, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Any:  # noqa: A001, A002
    """The sum of all elements, or over ``dim`` (an int or a tuple).

    Example:
        >>> sum(tensor([[1.0, 2.0], [3.0, 4.0]]), dim=1, keepdim=True)
        tensor([[3.],
                [7.]])
    """
    return wnp.sum(input, dim, keepdim, dtype=dtype)


def mean(input: Any, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Any:  # noqa: A002
    """The mean of all elements, or over ``dim``.

    Example:
        >>> mean(tensor([[1.0, 2.0], [3.0, 4.0]]), 0)
        tensor([2., 3.])
    """
    return wnp.mean(input, dim, keepdim, dtype=dtype)


def prod(input: Any, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Any:  # noqa: A002
    """The product of all elements, or over ``dim``.

    Example:
        >>> prod(tensor([1.0, 2.0, 3.0]))
        tensor(6.)
    """
    return wnp.prod(input, dim, keepdim, dtype=dtype)


def var(input: Any, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *, correction: Any = None) -> Any:  # noqa: A002
    """The variance, dividing by N - ``correction`` (PyTorch's default 1; ``unbiased=False`` means 0).

    Example:
        >>> var(tensor([1.0, 2.0, 3.0, 4.0]))
        tensor(1.66666667)
    """
    axis, correction = _variance_arguments(dim, unbiased, correction, None, None)
    return wnp.var(input, axis, correction, keepdim)


def std(input: Any, dim: Any = None, unbiased: Any = None, keepdim: bool = False, *, correction: Any = None) -> Any:  # noqa: A002
    """The standard deviation, dividing by N - ``correction`` (PyTorch's default 1).

    Example:
        >>> std(tensor([1.0, 3.0]), correction=0)
        tensor(1.)
    """
    axis, correction = _variance_arguments(dim, unbiased, correction, None, None)
    return wnp.std(input, axis, correction, keepdim)


def max(input: Any, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001, A002
    """The largest element; along ``dim`` the named tuple ``(values, indices)``; ``max(a, b)`` elementwise.

    Example:
        >>> max(tensor([[1.0, 5.0], [7.0, 2.0]]), 1)
        ValuesIndices(values=tensor([5., 7.]), indices=tensor([1, 0]))
    """
    return _extremum(_array_input(input, "max"), "max", dim, keepdim, None, None)


def min(input: Any, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001, A002
    """The smallest element; along ``dim`` the named tuple ``(values, indices)``; ``min(a, b)`` elementwise.

    Example:
        >>> min(tensor([3.0, 1.0, 2.0]))
        tensor(1.)
    """
    return _extremum(_array_input(input, "min"), "min", dim, keepdim, None, None)


def amax(input: Any, dim: Any = (), keepdim: bool = False) -> Any:  # noqa: A002
    """The largest values over ``dim`` (all dimensions by default); ties share the gradient.

    Example:
        >>> amax(tensor([[1.0, 5.0], [7.0, 2.0]]), dim=0)
        tensor([7., 5.])
    """
    return wnp.amax(input, None if dim == () else dim, keepdim)


def amin(input: Any, dim: Any = (), keepdim: bool = False) -> Any:  # noqa: A002
    """The smallest values over ``dim`` (all dimensions by default); ties share the gradient.

    Example:
        >>> amin(tensor([[1.0, 5.0], [7.0, 2.0]]), dim=1)
        tensor([1., 2.])
    """
    return wnp.amin(input, None if dim == () else dim, keepdim)


def argmax(input: Any, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A002
    """The index of the largest element (of the flattened tensor when ``dim`` is None).

    Example:
        >>> argmax(tensor([[1.0, 5.0], [7.0, 2.0]]))
        tensor(2)
    """
    return _arg_extremum(_array_input(input, "argmax"), wnp.argmax, "argmax", dim, keepdim)


def argmin(input: Any, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A002
    """The index of the smallest element (of the flattened tensor when ``dim`` is None).

    Example:
        >>> argmin(tensor([[1.0, 5.0], [7.0, 2.0]]), dim=1)
        tensor([0, 1])
    """
    return _arg_extremum(_array_input(input, "argmin"), wnp.argmin, "argmin", dim, keepdim)


def logsumexp(input: Any, dim: Any, keepdim: bool = False) -> Any:  # noqa: A002
    """``log(sum(exp(input), dim))`` without overflow.

    Example:
        >>> logsumexp(tensor([0.0, 0.0]), dim=0)
        tensor(0.69314718)
    """
    return wnp.logsumexp(input, dim, keepdims=keepdim)


def softmax(input: Any, dim: int) -> Any:  # noqa: A002
    """``exp(input) / sum(exp(input), dim)``, computed stably.

    Example:
        >>> softmax(tensor([0.0, 0.0]), dim=0)
        tensor([0.5, 0.5])
    """
    return wnp.softmax(input, dim)


def log_softmax(input: Any, dim: int) -> Any:  # noqa: A002
    """``log(softmax(input, dim))``, computed stably.

    Example:
        >>> log_softmax(tensor([0.0, 0.0]), dim=0)
        tensor([-0.69314718, -0.69314718])
    """
    return wnp.log_softmax(input, dim)


def cumsum(input: Any, dim: int, *, dtype: Any = None) -> Any:  # noqa: A002
    """Running sums along ``dim``.

    Example:
        >>> cumsum(tensor([1.0, 2.0, 3.0]), dim=0)
        tensor([1., 3., 6.])
    """
    return wnp.cumsum(input, dim, dtype)


def cumprod(input: Any, dim: int, *, dtype: Any = None) -> Any:  # noqa: A002
    """Running products along ``dim``.

    Example:
        >>> cumprod(tensor([1.0, 2.0, 3.0]), dim=0)
        tensor([1., 2., 6.])
    """
    return wnp.cumprod(input, dim, dtype)


def norm(input: Any, p: Any = "fro", dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A002
    """The ``p``-norm (``"fro"`` by default: the 2-norm of the elements) of all elements or over ``dim``.

    Example:
        >>> norm(tensor([3.0, 4.0]))
        tensor(5.)
    """
    return _norm(_array_input(input, "norm"), p, dim, keepdim)


def all(input: Any, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001, A002
    """Whether every element is true (over ``dim``).

    Example:
        >>> all(tensor([True, False]))
        tensor(False)
    """
    return wnp.all(input, dim, keepdims=keepdim)


def any(input: Any, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001, A002
    """Whether some element is true (over ``dim``).

    Example:
        >>> any(tensor([True, False]))
        tensor(True)
    """
    return wnp.any(input, dim, keepdims=keepdim)


# -- shapes ----------------------------------------------------------------------------------------


def _array_input(input: Any, operation: str) -> Any:  # noqa: A002
    """A tensor, a traced value or a NumPy array; anything else is refused by name."""
    if isinstance(input, (Tracer, np.ndarray)):
        return input
    raise TypeError(f"{operation}(): expected a tensor, got {type(input).__name__}; make one with wg.tensor(...)")


def reshape(input: Any, shape: Sequence[int]) -> Any:  # noqa: A002
    """The elements in a new shape (one entry may be -1).

    Example:
        >>> reshape(tensor([1.0, 2.0, 3.0, 4.0]), (2, -1)).shape
        (2, 2)
    """
    return wnp.reshape(input, shape)


def flatten(input: Any, start_dim: int = 0, end_dim: int = -1) -> Any:  # noqa: A002
    """Dimensions ``start_dim`` to ``end_dim`` merged into one.

    Example:
        >>> flatten(tensor(np.zeros((2, 3, 4))), 1).shape
        (2, 12)
    """
    return Tensor.flatten(_array_input(input, "flatten"), start_dim, end_dim)


def squeeze(input: Any, dim: Any = None) -> Any:  # noqa: A002
    """Dimensions of length 1 removed (only those of ``dim`` that have length 1, when given).

    Example:
        >>> squeeze(tensor(np.zeros((2, 1))), 1).shape
        (2,)
    """
    return Tensor.squeeze(_array_input(input, "squeeze"), dim)


def unsqueeze(input: Any, dim: int) -> Any:  # noqa: A002
    """A new dimension of length 1 at ``dim``.

    Example:
        >>> unsqueeze(tensor([1.0, 2.0]), 1).shape
        (2, 1)
    """
    return wnp.expand_dims(input, dim)


def transpose(input: Any, dim0: int, dim1: int) -> Any:  # noqa: A002
    """Dimensions ``dim0`` and ``dim1`` swapped (also named ``swapaxes``).

    Example:
        >>> transpose(tensor(np.zeros((2, 3, 4))), 0, 2).shape
        (4, 3, 2)
    """
    return wnp.swapaxes(input, dim0, dim1)


swapaxes = transpose


def t(input: Any) -> Any:  # noqa: A002
    """The transpose of a matrix (at most 2 dimensions).

    Example:
        >>> t(tensor([[1.0, 2.0]])).shape
        (2, 1)
    """
    return Tensor.t(_array_input(input, "t"))


def permute(input: Any, dims: Sequence[int]) -> Any:  # noqa: A002
    """The dimensions in the order ``dims``.

    Example:
        >>> permute(tensor(np.zeros((2, 3, 4))), (2, 0, 1)).shape
        (4, 2, 3)
    """
    return Tensor.permute(_array_input(input, "permute"), dims)


def split(tensor: Any, split_size_or_sections: Any, dim: int = 0) -> tuple[Any, ...]:  # noqa: F811  (torch's name)
    """Pieces of ``split_size`` (the last may be shorter), or of the listed sizes, along ``dim``.

    Example:
        >>> [piece.shape for piece in split(tensor(np.zeros(5)), 2)]
        [(2,), (2,), (1,)]
    """
    return Tensor.split(_array_input(tensor, "split"), split_size_or_sections, dim)


def chunk(input: Any, chunks: int, dim: int = 0) -> tuple[Any, ...]:  # noqa: A002
    """At most ``chunks`` pieces along ``dim``.

    Example:
        >>> len(chunk(tensor(np.zeros(6)), 3))
        3
    """
    return Tensor.chunk(_array_input(input, "chunk"), chunks, dim)


def unbind(input: Any, dim: int = 0) -> tuple[Any, ...]:  # noqa: A002
    """The slices along ``dim``, that dimension removed.

    Example:
        >>> a, b = unbind(tensor([[1.0, 2.0], [3.0, 4.0]]))
        >>> b
        tensor([3., 4.])
    """
    return Tensor.unbind(_array_input(input, "unbind"), dim)


def flip(input: Any, dims: Any) -> Any:  # noqa: A002
    """The elements in reverse order along each of ``dims``.

    Example:
        >>> flip(tensor([1.0, 2.0, 3.0]), (0,))
        tensor([3., 2., 1.])
    """
    return wnp.flip(input, tuple(dims) if isinstance(dims, (list, tuple)) else dims)


def roll(input: Any, shifts: Any, dims: Any = None) -> Any:  # noqa: A002
    """The elements shifted by ``shifts`` along ``dims`` (of the flattened tensor without ``dims``), cyclically.

    Example:
        >>> roll(tensor([1.0, 2.0, 3.0]), 1)
        tensor([3., 1., 2.])
    """
    return wnp.roll(input, shifts, dims)


def tril(input: Any, diagonal: int = 0) -> Any:  # noqa: A002
    """The lower triangle (below and on ``diagonal``); the rest zero.

    Example:
        >>> tril(tensor([[1.0, 2.0], [3.0, 4.0]]))
        tensor([[1., 0.],
                [3., 4.]])
    """
    return wnp.tril(input, diagonal)


def triu(input: Any, diagonal: int = 0) -> Any:  # noqa: A002
    """The upper triangle (above and on ``diagonal``); the rest zero.

    Example:
        >>> triu(tensor([[1.0, 2.0], [3.0, 4.0]]))
        tensor([[1., 2.],
                [0., 4.]])
    """
    return wnp.triu(input, diagonal)


def diag(input: Any, diagonal: int = 0) -> Any:  # noqa: A002
    """A vector's diagonal matrix, or a matrix's diagonal.

    Example:
        >>> diag(tensor([1.0, 2.0]))
        tensor([[1., 0.],
                [0., 2.]])
    """
    return wnp.diag(input, diagonal)


def diagonal(input: Any, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Any:  # noqa: A002
    """The diagonal of the matrices in dimensions ``dim1`` and ``dim2``.

    Example:
        >>> diagonal(tensor([[1.0, 2.0], [3.0, 4.0]]))
        tensor([1., 4.])
    """
    return wnp.diagonal(input, offset, dim1, dim2)


def clone(input: Any) -> Any:  # noqa: A002
    """A copy whose gradient flows back to ``input``.

    Example:
        >>> clone(tensor([1.0]))
        tensor([1.])
    """
    if isinstance(input, Tensor):
        return input.clone()
    return wnp.array(input, copy=True)


def numel(input: Any) -> int:  # noqa: A002
    """The number of elements.

    Example:
        >>> numel(tensor(np.zeros((2, 3))))
        6
    """
    return builtins.int(np.prod(wnp.shape(input), dtype=np.int64))


def is_tensor(obj: Any) -> bool:
    """Whether ``obj`` is a wengert tensor.

    Example:
        >>> is_tensor(tensor(1.0)), is_tensor(np.ones(1))
        (True, False)
    """
    return isinstance(obj, Tensor)


def is_floating_point(input: Any) -> bool:  # noqa: A002
    """Whether ``input``'s dtype is a floating-point one.

    Example:
        >>> is_floating_point(tensor(1.0)), is_floating_point(tensor(1))
        (True, False)
    """
    return np.dtype(wnp.result_type(input)).kind == "f"


def concat(tensors: Sequence[Any], dim: int = 0) -> Tensor:
    """`cat` under its other name.

    Example:
        >>> concat([tensor([1.0]), tensor([2.0])])
        tensor([1., 2.])
    """
    return cat(tensors, dim)


concatenate = concat


def hstack(tensors: Sequence[Any]) -> Tensor:
    """Tensors joined along the second dimension (the first for vectors).

    Example:
        >>> hstack([tensor([1.0]), tensor([2.0])])
        tensor([1., 2.])
    """
    first = tensors[0] if len(tensors) else None
    return cat(tensors, 0 if first is not None and len(wnp.shape(first)) == 1 else 1)


def vstack(tensors: Sequence[Any]) -> Tensor:
    """Tensors joined along the first dimension (vectors become rows).

    Example:
        >>> vstack([tensor([1.0, 2.0]), tensor([3.0, 4.0])]).shape
        (2, 2)
    """
    return cat([wnp.atleast_2d(t_) for t_ in tensors], 0)


__all__ = [
    *[name for name, _, _ in _UNARY],
    "acos",
    "add",
    "all",
    "allclose",
    "amax",
    "amin",
    "any",
    "argmax",
    "argmin",
    "asin",
    "atan2",
    "atanh",
    "bmm",
    "chunk",
    "clamp",
    "clip",
    "clone",
    "concat",
    "concatenate",
    "cumprod",
    "cumsum",
    "diag",
    "diagonal",
    "div",
    "divide",
    "dot",
    "einsum",
    "equal",
    "flatten",
    "flip",
    "hstack",
    "is_floating_point",
    "is_tensor",
    "isclose",
    "log_softmax",
    "logaddexp",
    "logsumexp",
    "matmul",
    "max",
    "maximum",
    "mean",
    "min",
    "minimum",
    "mm",
    "mul",
    "multiply",
    "norm",
    "numel",
    "outer",
    "permute",
    "pow",
    "prod",
    "remainder",
    "reshape",
    "roll",
    "round",
    "rsqrt",
    "softmax",
    "split",
    "squeeze",
    "std",
    "sub",
    "subtract",
    "sum",
    "swapaxes",
    "t",
    "transpose",
    "tril",
    "triu",
    "true_divide",
    "unbind",
    "unsqueeze",
    "var",
    "vstack",
    "where",
]
