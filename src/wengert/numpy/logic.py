"""Comparisons and logical operations: not differentiable, they return boolean arrays.

Under a differentiating transformation they return plain boolean arrays (a
condition has no tangent); on PyTorch-style tensors they return tensors that
do not require grad.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..core import BatchTracer, Tracer, bind, primal_value
from ..core.staging import is_abstract
from ._primitives import EMPTY, as_array_arg, dtype, primitive, shape


def _not_differentiable(name: str, numpy_function: Callable[..., Any]) -> Callable[..., Any]:
    prim = primitive(name, numpy_function, differentiable=False)

    def function(*args: Any) -> Any:
        for arg in args:
            if isinstance(arg, Tracer):
                return bind(prim, args, EMPTY)
        return numpy_function(*args)

    function.__name__ = name
    function.__qualname__ = name
    function.__doc__ = f"``numpy.{name}`` (boolean result, not differentiable)."
    function.primitive = prim
    return function


equal = _not_differentiable("equal", np.equal)
not_equal = _not_differentiable("not_equal", np.not_equal)
less = _not_differentiable("less", np.less)
less_equal = _not_differentiable("less_equal", np.less_equal)
greater = _not_differentiable("greater", np.greater)
greater_equal = _not_differentiable("greater_equal", np.greater_equal)
logical_and = _not_differentiable("logical_and", np.logical_and)
logical_or = _not_differentiable("logical_or", np.logical_or)
logical_xor = _not_differentiable("logical_xor", np.logical_xor)
logical_not = _not_differentiable("logical_not", np.logical_not)
isfinite = _not_differentiable("isfinite", np.isfinite)
isinf = _not_differentiable("isinf", np.isinf)
isnan = _not_differentiable("isnan", np.isnan)
signbit = _not_differentiable("signbit", np.signbit)
isclose = _not_differentiable("isclose", np.isclose)
bitwise_and = _not_differentiable("bitwise_and", np.bitwise_and)
bitwise_or = _not_differentiable("bitwise_or", np.bitwise_or)
bitwise_xor = _not_differentiable("bitwise_xor", np.bitwise_xor)
invert = _not_differentiable("invert", np.invert)


def _axis_function(name: str, numpy_function: Callable[..., Any]) -> Callable[..., Any]:
    prim = primitive(name, lambda x, **params: numpy_function(x, **params), differentiable=False)

    def function(x: Any, axis: Any = None, **params: Any) -> Any:
        if isinstance(x, Tracer):
            return bind(prim, (x,), {"axis": axis, **params})
        return numpy_function(x, axis=axis, **params)

    function.__name__ = name
    function.__doc__ = f"``numpy.{name}`` (not differentiable)."
    function.primitive = prim
    return function


argmax = _axis_function("argmax", np.argmax)
argmin = _axis_function("argmin", np.argmin)
any = _axis_function("any", np.any)  # noqa: A001
all = _axis_function("all", np.all)  # noqa: A001
count_nonzero = _axis_function("count_nonzero", np.count_nonzero)


def isneginf(x: Any) -> Any:
    """Where ``x`` is -inf (a boolean array, not differentiable).

    Example:
        >>> isneginf(np.array([-np.inf, 0.0, np.inf]))
        array([ True, False, False])
    """
    x = as_array_arg(x)
    if not isinstance(x, Tracer):
        return np.isneginf(x)
    return logical_and(isinf(x), signbit(x))


def isposinf(x: Any) -> Any:
    """Where ``x`` is +inf (a boolean array, not differentiable).

    Example:
        >>> isposinf(np.array([-np.inf, 0.0, np.inf]))
        array([False, False,  True])
    """
    x = as_array_arg(x)
    if not isinstance(x, Tracer):
        return np.isposinf(x)
    return logical_and(isinf(x), logical_not(signbit(x)))


# -- order: argsort, argpartition, searchsorted ---------------------------------------------------

_argsort_p = primitive("argsort", lambda x, **params: np.argsort(x, **params), differentiable=False)


def argsort(a: Any, axis: Any = -1, kind: Any = None, order: Any = None, *, stable: Any = None) -> Any:
    """The indices that sort ``a`` along ``axis`` (``numpy.argsort``; integer, not differentiable).

    ``axis=None`` sorts the flattened array. Under ``vmap`` each example is sorted on its own.

    Example:
        >>> argsort(np.array([[3.0, 1.0, 2.0]]))
        array([[1, 2, 0]])
    """
    a = as_array_arg(a)
    if not isinstance(a, Tracer):
        return np.argsort(a, axis=axis, kind=kind, order=order, stable=stable)
    if order is not None:
        raise ValueError("argsort: order= applies to structured arrays, which cannot be traced")
    params: dict[str, Any] = {"axis": axis}
    if kind is not None:
        params["kind"] = kind
    if stable is not None:
        params["stable"] = stable
    return bind(_argsort_p, (a,), params)


argsort.primitive = _argsort_p


def _kth_param(kth: Any) -> int | tuple[int, ...]:
    """``kth`` of argpartition/partition as an int or a tuple of ints (a static parameter)."""
    values = np.asarray(static_value(kth, "partition: kth"))
    if values.dtype.kind not in "iu":
        raise TypeError(f"partition: kth must be an integer or a sequence of integers, got {kth!r}")
    if values.ndim > 1:
        raise ValueError(f"partition: kth must be an integer or a 1-D sequence of integers, got {kth!r}")
    return int(values) if values.ndim == 0 else tuple(int(k) for k in values)


_argpartition_p = primitive(
    "argpartition",
    lambda x, axis, kth, kind: np.argpartition(x, kth, axis=axis, kind=kind),
    differentiable=False,
)


def argpartition(a: Any, kth: Any, axis: Any = -1, kind: str = "introselect", order: Any = None) -> Any:
    """Indices that partition ``a`` around its ``kth`` smallest element(s) (``numpy.argpartition``).

    Not differentiable (integer result); under ``vmap`` each example is partitioned on its own.

    Example:
        >>> int(argpartition(np.array([3.0, 1.0, 2.0]), 0)[0])
        1
    """
    a = as_array_arg(a)
    if not isinstance(a, Tracer):
        return np.argpartition(a, kth, axis=axis, kind=kind, order=order)
    if order is not None:
        raise ValueError("argpartition: order= applies to structured arrays, which cannot be traced")
    return bind(_argpartition_p, (a,), {"axis": axis, "kth": _kth_param(kth), "kind": kind})


argpartition.primitive = _argpartition_p


# Batched by batching._searchsorted_rule: many queries into one sorted array in one call.
searchsorted_p = primitive(
    "searchsorted",
    lambda a, v, side: np.searchsorted(a, v, side=side),
    differentiable=False,
)


def searchsorted(a: Any, v: Any, side: str = "left", sorter: Any = None) -> Any:
    """Where ``v``'s elements would be inserted into the sorted 1-D ``a`` (``numpy.searchsorted``).

    Not differentiable (integer result). Under ``vmap`` the queries ``v`` may vary
    across the batch in one call; a sorted array ``a`` that varies is searched
    one example at a time.

    Example:
        >>> searchsorted(np.array([1.0, 2.0, 3.0]), np.array([2.0, 2.5]), side="right")
        array([2, 2])
    """
    a, v = as_array_arg(a), as_array_arg(v)
    if not (isinstance(a, Tracer) or isinstance(v, Tracer)):
        return np.searchsorted(a, v, side=side, sorter=sorter)
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
    if len(shape(a)) != 1:
        raise ValueError(f"searchsorted: a must be 1-D, got shape {tuple(shape(a))}")
    if sorter is not None:
        from .indexing import take

        a = take(a, sorter)
    return bind(searchsorted_p, (a, v), {"side": side})


searchsorted.primitive = searchsorted_p


# -- questions about type and size --------------------------------------------------------------------


def iscomplexobj(x: Any) -> bool:
    """Whether ``x`` has a complex dtype (for traced values: the dtype of their value).

    Example:
        >>> iscomplexobj(np.array([1.0]))
        False
    """
    return dtype(x).kind == "c" if isinstance(x, Tracer) else np.iscomplexobj(x)


def isrealobj(x: Any) -> bool:
    """Whether ``x`` has a dtype that is not complex.

    Example:
        >>> isrealobj(np.array([1.0]))
        True
    """
    return not iscomplexobj(x)


def iscomplex(x: Any) -> Any:
    """Where ``x`` has a nonzero imaginary part: nowhere, for the real values wengert traces.

    Example:
        >>> iscomplex(np.array([1.0, 2.0]))
        array([False, False])
    """
    if isinstance(x, Tracer) and dtype(x).kind != "c":
        return np.zeros(shape(x), dtype=bool)
    return np.iscomplex(x)


def isreal(x: Any) -> Any:
    """Where ``x`` has a zero imaginary part: everywhere, for the real values wengert traces.

    Example:
        >>> isreal(np.array([1.0, 2.0]))
        array([ True,  True])
    """
    if isinstance(x, Tracer) and dtype(x).kind != "c":
        return np.ones(shape(x), dtype=bool)
    return np.isreal(x)


def isscalar(element: Any) -> bool:
    """Whether ``element`` is a scalar type (a traced value, like an array, is not).

    Example:
        >>> isscalar(1.0), isscalar(np.array(1.0))
        (True, False)
    """
    return np.isscalar(element)


def size(a: Any, axis: Any = None) -> int:
    """The number of elements of ``a`` (along ``axis`` when given); one example's under vmap.

    Example:
        >>> size(np.zeros((2, 3))), size(np.zeros((2, 3)), 1)
        (6, 3)
    """
    a_shape = tuple(shape(a)) if isinstance(a, Tracer) else np.shape(a)
    if axis is None:
        return int(np.prod(a_shape, dtype=np.int64))
    if isinstance(axis, tuple):
        return int(np.prod([a_shape[i] for i in axis], dtype=np.int64))
    return a_shape[axis]


def allclose(a: Any, b: Any, rtol: float = 1e-5, atol: float = 1e-8) -> bool:
    """Whether two values agree elementwise within tolerances (a plain bool)."""
    a, b = _one_answer(a, "allclose"), _one_answer(b, "allclose")
    return bool(np.allclose(a, b, rtol=rtol, atol=atol))


def array_equal(a: Any, b: Any) -> bool:
    """Whether two values have the same shape and elements (a plain bool)."""
    return bool(np.array_equal(_one_answer(a, "array_equal"), _one_answer(b, "array_equal")))


def array_equiv(a1: Any, a2: Any) -> Any:
    """Whether two values are shape-consistent (broadcastable) and equal elementwise (not differentiable).

    A Python bool for plain values; for traced ones a boolean scalar (one per example under vmap).

    Example:
        >>> array_equiv(np.array([1.0, 2.0]), np.array([[1.0, 2.0], [1.0, 2.0]]))
        True
    """
    a1, a2 = as_array_arg(a1), as_array_arg(a2)
    if not (isinstance(a1, Tracer) or isinstance(a2, Tracer)):
        return np.array_equiv(a1, a2)
    try:
        np.broadcast_shapes(tuple(shape(a1)), tuple(shape(a2)))
    except ValueError:
        return False
    return all(equal(a1, a2))


def concrete_value(x: Any, batched: str, staged: str) -> Any:
    """``x``'s plain value, where a function needs the numbers themselves.

    Refused under vmap (NotImplementedError ``batched``: the examples may differ) and
    while jit stages ``x`` (TypeError ``staged``: there are no numbers yet).
    """
    if is_batched(x):
        raise NotImplementedError(batched)
    if is_abstract(x):
        raise TypeError(staged)
    return primal_value(x)


def _one_answer(x: Any, name: str) -> Any:
    """The plain value of an argument of a function that returns one Python bool for all of it."""
    advice = "(compare with isclose/equal and reduce with all instead)"
    return concrete_value(
        x,
        f"{name} returns one Python bool, which cannot differ between the examples of a vmap batch {advice}",
        f"{name} returns one Python bool, which is not known while jit compiles the program {advice}",
    )


# -- values without their derivatives, for masks and guards inside derivative rules ------------
#
# A rule that needs a mask or a constant (where x == 0, the peak of a softmax) must not strip
# *every* tracer from its inputs: under ``vmap`` the batch lives in a batch tracer, and the
# raw array underneath has one more axis than the example the rule reasons about. The
# comparisons above are non-differentiable primitives, so they already give plain boolean
# arrays under differentiating transformations and batched booleans under ``vmap``;
# `detach` does the same for any value. Fast-path tests ("no zero anywhere") may look at
# the raw array through `primal_value`: a test true of the whole batch is true of each example.


def _detach_batch(values: list, batched: tuple) -> Any:
    return bind(detach_p, values, EMPTY)


detach_p = primitive("detach", lambda x: x, differentiable=False, batch=_detach_batch)


def detach(x: Any) -> Any:
    """``x``'s value, a constant to every differentiating transformation but still batched under vmap.

    Example:
        >>> detach(np.array([1.0, 2.0]))
        array([1., 2.])
    """
    if isinstance(x, Tracer):
        return bind(detach_p, (x,), EMPTY)
    return x


def is_batched(x: Any) -> bool:
    """Whether ``x`` carries a ``vmap`` batch (a batch tracer at any depth)."""
    while isinstance(x, Tracer):
        if isinstance(x, BatchTracer):
            return True
        x = x.primal
    return False


def stays_traced(x: Any) -> bool:
    """Whether ``x``'s plain value would lose something: a vmap batch, or a value jit is staging."""
    while isinstance(x, Tracer):
        if isinstance(x, BatchTracer) or x._trace.staged:
            return True
        x = x.primal
    return False


def mask_value(condition: Any) -> Any:
    """A condition with its derivative parts removed: a plain array, or a batched (or staged) one."""
    if isinstance(condition, Tracer):
        return detach(condition) if stays_traced(condition) else primal_value(condition)
    return condition


def static_value(x: Any, what: str) -> Any:
    """The plain value of a static argument (a shift, an index); it cannot vary across a vmap batch."""
    if isinstance(x, Tracer):
        return concrete_value(
            x,
            f"{what} varies across the vmap batch; it must be the same for every example "
            "(pass it with in_axes=None, or loop over the examples)",
            f"{what} must be known when jit compiles the program; make it a static argument "
            "(jit(f, static_argnums=...))",
        )
    return x


__all__ = [
    "all",
    "allclose",
    "any",
    "argmax",
    "argmin",
    "argpartition",
    "argsort",
    "array_equiv",
    "array_equal",
    "bitwise_and",
    "bitwise_or",
    "bitwise_xor",
    "count_nonzero",
    "equal",
    "greater",
    "greater_equal",
    "invert",
    "iscomplex",
    "iscomplexobj",
    "isclose",
    "isfinite",
    "isinf",
    "isnan",
    "isneginf",
    "isposinf",
    "isreal",
    "isrealobj",
    "isscalar",
    "less",
    "less_equal",
    "logical_and",
    "logical_not",
    "logical_or",
    "logical_xor",
    "not_equal",
    "searchsorted",
    "signbit",
    "size",
]
