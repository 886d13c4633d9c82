"""`jet`, the public Taylor-mode transformation: the core's interpreter behind JAX's checks of its inputs.

The core (`wengert.core.taylor.jet`) assumes well-formed series; this module
refuses what would otherwise come out silently wrong: integer or boolean
primals (whose series would be truncated to their dtype), complex or boolean
terms, terms of another shape than their primal (which would broadcast and
add up later), and primals or terms that are not arrays.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..core import taylor
from ..numpy._primitives import dtype as wnp_dtype
from ..numpy._primitives import shape as wnp_shape
from ._validate import convert_foreign
from .differentiate import _check_input


def jet(function: Callable[..., Any], primals: Sequence[Any], series: Sequence[Sequence[Any]]) -> tuple[Any, Any]:
    """JAX's ``jet``: ``function``'s value and output series for inputs moving along the given Taylor series.

    ``series[i]`` holds the derivatives of input i's path at t = 0, orders 1 … K
    (JAX's convention: x(t) = x0 + Σ series[i][k−1]·t^k / k!), each of input i's
    shape (None for a zero term). The output's series has the output's structure
    with a list of its K derivatives at each leaf: a list of K arrays for one array.

    Example:
        >>> import wengert.numpy as wnp
        >>> value, (first, second) = jet(wnp.sin, (0.5,), ((1.0, 0.0),))
        >>> round(float(first), 6), round(float(second), 6)  # cos 0.5, −sin 0.5
        (0.877583, -0.479426)
    """
    if not callable(function):
        raise TypeError(f"jet: the function to expand is not callable, got {type(function).__name__}")
    if not isinstance(primals, (tuple, list)) or not isinstance(series, (tuple, list)):
        raise TypeError("jet takes the primals and the series as tuples: jet(f, (x,), ((x1, x2, ...),))")
    if len(primals) != len(series):
        raise ValueError(f"jet: {len(primals)} primals but {len(series)} series; give one series per primal")
    if not primals:
        raise ValueError("jet: no primals; give at least one input and its series: jet(f, (x,), ((x1, ...),))")
    orders = {len(terms) if isinstance(terms, (tuple, list)) else None for terms in series}
    if None not in orders and (len(orders) != 1 or 0 in orders):
        raise ValueError(f"jet: every series must hold the same positive number of terms, got lengths {sorted(orders)}")
    checked_primals, checked_series = [], []
    for i, (primal, terms) in enumerate(zip(primals, series)):
        if isinstance(primal, (tuple, list, dict)) or primal is None:
            raise TypeError(f"jet: primal {i} is {type(primal).__name__}; each primal is one array or number")
        primal = _check_input(convert_foreign(primal, f"jet: primal {i}"), f"jet: primal {i}")
        if not isinstance(terms, (tuple, list)):
            raise TypeError(
                f"jet: series {i} is {type(terms).__name__}; a series is a tuple of the terms of orders 1 … K, "
                "such as ((x1, x2),) for one primal"
            )
        checked_primals.append(primal)
        checked_series.append(tuple(_term(term, primal, i, k) for k, term in enumerate(terms)))
    return taylor.jet(function, tuple(checked_primals), tuple(checked_series))


def _term(term: Any, primal: Any, i: int, k: int) -> Any:
    """Series i's term k, checked against its primal: same shape, real numbers (None: a zero term)."""
    if term is None:
        return None
    where = f"jet: term {k} (order {k + 1}) of series {i}"
    if isinstance(term, (tuple, list)):
        raise TypeError(f"{where} is a {type(term).__name__}; each term is one array of primal {i}'s shape")
    term = convert_foreign(term, where)
    kind = wnp_dtype(term).kind
    if kind not in "iuf":
        what = {"c": "complex", "b": "boolean"}.get(kind, f"of dtype {wnp_dtype(term)}")
        raise TypeError(f"{where} is {what}; series terms are real numbers, in primal {i}'s floating dtype")
    term_shape, primal_shape = tuple(wnp_shape(term)), tuple(wnp_shape(primal))
    if term_shape != primal_shape:
        raise ValueError(
            f"{where} has shape {term_shape} but primal {i} has shape {primal_shape}; a term has its primal's shape"
        )
    return term


__all__ = ["jet"]
