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
from ._primitives import EMPTY, primitive


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
argsort = _axis_function("argsort", np.argsort)
any = _axis_function("any", np.any)  # noqa: A001
all = _axis_function("all", np.all)  # noqa: A001
count_nonzero = _axis_function("count_nonzero", np.count_nonzero)


def allclose(a: Any, b: Any, rtol: float = 1e-5, atol: float = 1e-8) -> bool:
    """Whether two values agree elementwise within tolerances (a plain bool)."""
    a, b = _one_answer(a, "allclose"), _one_answer(b, "allclose")
    return bool(np.allclose(a, b, rtol=rtol, atol=atol))


def array_equal(a: Any, b: Any) -> bool:
    """Whether two values have the same shape and elements (a plain bool)."""
    return bool(np.array_equal(_one_answer(a, "array_equal"), _one_answer(b, "array_equal")))


def _one_answer(x: Any, name: str) -> Any:
    """The plain value of an argument of a function that returns one Python bool for all of it."""
    if is_batched(x):
        raise NotImplementedError(
            f"{name} returns one Python bool, which cannot differ between the examples of a vmap batch "
            "(compare with isclose/equal and reduce with all instead)"
        )
    return primal_value(x)


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


def mask_value(condition: Any) -> Any:
    """A condition with its derivative parts removed: a plain array, or a batched one under vmap."""
    if isinstance(condition, Tracer):
        return detach(condition) if is_batched(condition) else primal_value(condition)
    return condition


def static_value(x: Any, what: str) -> Any:
    """The plain value of a static argument (a shift, an index); it cannot vary across a vmap batch."""
    if isinstance(x, Tracer):
        if is_batched(x):
            raise NotImplementedError(
                f"{what} varies across the vmap batch; it must be the same for every example "
                "(pass it with in_axes=None, or loop over the examples)"
            )
        return primal_value(x)
    return x


__all__ = [
    "all",
    "allclose",
    "any",
    "argmax",
    "argmin",
    "argsort",
    "array_equal",
    "bitwise_and",
    "bitwise_or",
    "bitwise_xor",
    "count_nonzero",
    "equal",
    "greater",
    "greater_equal",
    "invert",
    "isclose",
    "isfinite",
    "isinf",
    "isnan",
    "less",
    "less_equal",
    "logical_and",
    "logical_not",
    "logical_or",
    "logical_xor",
    "not_equal",
    "signbit",
]
