"""Comparisons and logical operations: not differentiable, they return boolean arrays.

Under a differentiating transformation they return plain boolean arrays (a
condition has no tangent); on PyTorch-style tensors they return tensors that
do not require grad.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..core import Tracer, bind
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
    from ..core import primal_value

    return bool(np.allclose(primal_value(a), primal_value(b), rtol=rtol, atol=atol))


def array_equal(a: Any, b: Any) -> bool:
    from ..core import primal_value

    return bool(np.array_equal(primal_value(a), primal_value(b)))


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
