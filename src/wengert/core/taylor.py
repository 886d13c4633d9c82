"""Taylor mode: a value carries the Taylor coefficients of its path, to order K, through every primitive.

A `JetTracer` holds ``x(t) = x0 + x1·t + … + xK·t^K`` (``primal`` = x0, the
coefficients x1…xK normalised, not scaled by k!). A primitive's output
coefficients come from its JVP rule, for every primitive that has one: with
y = f(x), y'(t) = J(x(t))·x'(t), so k·y_k is the (k−1)-th coefficient of the
JVP rule applied to the jets x(t), y(t) and the tangent x'(t), all truncated
at order k − 1. That is evaluated by a Taylor trace of order k − 1, so the
rule's own primitives propagate series too (Faà di Bruno, carried out by the
interpreter). A primitive may give a recurrence of its own instead
(``primitive.taylor``: Cauchy products for multiply and matmul, tanh's and
exp's differential equations), beside its JVP rule. A coefficient of None is
a symbolic zero.

Example:
    >>> import math
    >>> import wengert.numpy as wnp
    >>> primal, series = jet(wnp.exp, (0.0,), ((1.0, 0.0, 0.0),))  # x(t) = t: the derivatives of exp at 0
    >>> [round(float(s), 12) for s in series]
    [1.0, 1.0, 1.0]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from .batch import BatchTrace, BatchTracer, stack_values
from .primitive import Primitive, bind
from .pytree import tree_flatten, tree_unflatten
from .trace import Trace, Tracer, UnexpectedTracerError, next_level, running


class TaylorTrace(Trace):
    """The trace of one Taylor-mode transformation of order ``order``."""

    __slots__ = ("order",)
    default_name = "jet"

    def __init__(self, level: float, order: int, name: str | None = None) -> None:
        super().__init__(level, name)
        self.order = order

    def process(self, primitive: Primitive, args: tuple, params: dict) -> Any:
        if not self.active:
            raise UnexpectedTracerError(self, f"'{primitive.name}'")
        primals, series = [], []
        for arg in args:
            mine = isinstance(arg, Tracer) and arg._trace is self
            primals.append(arg.primal if mine else arg)
            series.append(arg.series if mine and any(c is not None for c in arg.series) else None)
        ans = bind(primitive, primals, params)
        if not primitive.differentiable or all(s is None for s in series):
            return ans
        rule = getattr(primitive, "taylor", None)
        if rule is not None and not params:  # a recurrence of its own (Cauchy products, tanh's ODE...)
            return JetTracer(ans, rule(primals, series, ans, self.order), self)
        coefficients: list[Any] = []
        for k in range(1, self.order + 1):
            coefficient = _coefficient(primitive, primals, series, ans, coefficients, params, k)
            coefficients.append(None if coefficient is None else coefficient / k)
        return JetTracer(ans, coefficients, self)


def _coefficient(primitive: Primitive, primals: list, series: list, ans: Any, known: list, params: dict, k: int) -> Any:
    """k·y_k: the (k−1)-th coefficient of J(x(t))·x'(t), from the JVP rule under a trace of order k − 1."""
    inner = TaylorTrace(next_level(), k - 1)
    with running(inner):
        inputs = [p if s is None else _jet(p, s[: k - 1], inner) for p, s in zip(primals, series)]
        tangents = [None if s is None else _derivative(p, s, k, inner) for p, s in zip(primals, series)]
        out = primitive.apply_jvp(tangents, _jet(ans, known, inner), inputs, params)
    inner.active = False
    if isinstance(out, Tracer) and out._trace is inner:
        return out.primal if k == 1 else out.series[k - 2]
    return out if k == 1 else None  # a constant: no higher coefficients


def _jet(primal: Any, coefficients: Sequence[Any], trace: TaylorTrace) -> Any:
    return JetTracer(primal, list(coefficients), trace) if trace.order else primal


def _derivative(primal: Any, series: Sequence[Any], k: int, trace: TaylorTrace) -> Any:
    """x'(t) to order k − 1: coefficients (j+1)·x_{j+1} for j = 0 … k − 1; None where all of them are zero."""
    scaled = [None if c is None else c * (j + 1) for j, c in enumerate(series[:k])]
    if all(c is None for c in scaled):
        return None
    first = _zero_like(primal) if scaled[0] is None else scaled[0]
    return _jet(first, scaled[1:], trace)


def _like(term: Any, primal: Any) -> Any:
    """A series term in its primal's precision (a float32 input moves along a float32 path, as in ``jvp``)."""
    dtype = getattr(primal, "dtype", None)
    if dtype is None or isinstance(term, Tracer) or getattr(term, "dtype", dtype) == dtype:
        return term
    return term.astype(dtype) if hasattr(term, "astype") else dtype.type(term)


def _zero_like(value: Any) -> Any:
    from .forward import zeros_like_value

    return zeros_like_value(value)


class JetTracer(Tracer):
    """A value with the Taylor coefficients x1…xK of its path (``series``; None is a zero coefficient)."""

    __slots__ = ("series",)

    def __init__(self, primal: Any, series: list, trace: TaylorTrace) -> None:
        self.primal = primal
        self.series = series
        self._trace = trace


class NoCollapsedRule(NotImplementedError):
    """A primitive without a collapsed second-order rule (the caller falls back to one jet per direction)."""


class CollapsedTrace(Trace):
    """Second-order Taylor mode along D directions at once, their second-order coefficients summed (collapsed).

    A `CollapsedTracer` holds x0, the D first-order coefficients on a leading axis, and
    the sum of the D second-order ones. The first order is one batched JVP; the summed
    second order is J·X2 plus the curvature term, which needs only the primitive's kind:
    none for a ``linear`` one, Σ_i f(a1_i, b1_i) for a ``bilinear`` one (multiply,
    matmul), ½ f''(x0)·Σ_i x1_i² for an elementwise one with a ``second_derivative``.
    """

    __slots__ = ("directions",)
    default_name = "collapsed jet"

    def __init__(self, level: float, directions: int) -> None:
        super().__init__(level)
        self.directions = directions

    def process(self, primitive: Primitive, args: tuple, params: dict) -> Any:
        if not self.active:
            raise UnexpectedTracerError(self, f"'{primitive.name}'")
        mine = [isinstance(arg, Tracer) and arg._trace is self for arg in args]
        primals = [arg.primal if own else arg for arg, own in zip(args, mine)]
        firsts = [arg.first if own else None for arg, own in zip(args, mine)]
        seconds = [arg.second if own else None for arg, own in zip(args, mine)]
        ans = bind(primitive, primals, params)
        if not primitive.differentiable or all(f is None and s is None for f, s in zip(firsts, seconds)):
            return ans
        moving = [f is not None for f in firsts]
        curvature = getattr(primitive, "second_derivative", None)
        if not (primitive.linear or getattr(primitive, "bilinear", False) or curvature is not None):
            raise NoCollapsedRule(f"'{primitive.name}' has no collapsed second-order rule")
        second = primitive.apply_jvp(seconds, ans, primals, params) if any(x is not None for x in seconds) else None
        batch = BatchTrace(next_level(), self.directions)
        with running(batch):
            tangents = [BatchTracer(f, batch) if move else None for f, move in zip(firsts, moving)]
            first = _batched(primitive.apply_jvp(tangents, ans, primals, params), batch)
            extra = None
            if getattr(primitive, "bilinear", False) and all(moving):
                extra = _batched(bind(primitive, tangents, params), batch).sum(axis=0)
            elif curvature is not None and any(moving):
                squares = _batched(tangents[0] * tangents[0], batch).sum(axis=0)
                extra = curvature(primals[0], ans) * squares * 0.5
        batch.active = False
        if extra is not None:
            second = extra if second is None else second + extra
        return CollapsedTracer(ans, first, second, self)


def _batched(value: Any, batch: BatchTrace) -> Any:
    """A value computed under ``batch`` with its directions on axis 0 (the same for all where it is unbatched)."""
    if isinstance(value, Tracer) and value._trace is batch:
        return value.primal
    return None if value is None else stack_values([value] * batch.size)


class CollapsedTracer(Tracer):
    """x0, the first-order coefficients of D directions (axis 0), and the sum of their second-order ones."""

    __slots__ = ("first", "second")

    def __init__(self, primal: Any, first: Any, second: Any, trace: CollapsedTrace) -> None:
        self.primal = primal
        self.first = first
        self.second = second
        self._trace = trace


def collapsed_jet(function: Callable[[Any], Any], x: Any, directions: Any) -> tuple[Any, Any, Any]:
    """``function(x)``, its derivative along each direction (axis 0), and Σ_i v_iᵀ·H·v_i, in one pass.

    ``directions`` has shape (D, *x.shape): collapsed Taylor mode (Dangel, Siebert,
    Zeinhofer, Walther 2025). A primitive without a collapsed rule raises `NoCollapsedRule`.

    Example:
        >>> import numpy as np
        >>> import wengert.numpy as wnp
        >>> value, slopes, curvature = collapsed_jet(lambda p: wnp.sum(wnp.exp(p)), np.zeros(2), np.eye(2))
        >>> slopes.tolist(), float(curvature)  # the gradient, and Δ Σ exp = Σ exp
        ([1.0, 1.0], 2.0)
    """
    trace = CollapsedTrace(next_level(), len(directions))
    with running(trace):
        out = function(CollapsedTracer(x, directions, None, trace))
    trace.active = False
    if not (isinstance(out, Tracer) and out._trace is trace):
        return out, None, None
    return out.primal, out.first, None if out.second is None else out.second * 2.0  # vᵀHv, not ½vᵀHv


def jet(function: Callable[..., Any], primals: Sequence[Any], series: Sequence[Sequence[Any]]) -> tuple[Any, list]:
    """JAX's ``jet``: ``function``'s value and output series for inputs moving along the given Taylor series.

    ``series[i]`` holds the derivatives of input i's path at t = 0, orders 1 … K
    (JAX's convention: x(t) = x0 + Σ series[i][k−1]·t^k / k!); the output's come
    back the same way, as a list of K arrays.

    Example:
        >>> import wengert.numpy as wnp
        >>> value, (first, second) = jet(wnp.sin, (0.5,), ((1.0, 0.0),))
        >>> round(float(first), 6), round(float(second), 6)  # cos 0.5, −sin 0.5
        (0.877583, -0.479426)
    """
    if not isinstance(primals, (tuple, list)) or not isinstance(series, (tuple, list)):
        raise TypeError("jet takes the primals and the series as tuples: jet(f, (x,), ((x1, x2, ...),))")
    if len(primals) != len(series):
        raise ValueError(f"jet: {len(primals)} primals but {len(series)} series; give one series per primal")
    orders = {len(s) for s in series}
    if len(orders) != 1 or 0 in orders:
        raise ValueError(f"jet: every series must hold the same positive number of terms, got lengths {sorted(orders)}")
    order = orders.pop()
    trace = TaylorTrace(next_level(), order)
    with running(trace):
        inputs = [
            JetTracer(
                p, [None if term is None else _like(term, p) / math.factorial(k + 1) for k, term in enumerate(s)], trace
            )
            for p, s in zip(primals, series)
        ]
        out = function(*inputs)
    trace.active = False
    leaves, tree = tree_flatten(out)
    values, terms = [], []
    for leaf in leaves:
        if isinstance(leaf, Tracer) and leaf._trace is trace:
            values.append(leaf.primal)
            terms.append(
                [_zero_like(leaf.primal) if c is None else c * math.factorial(k + 1) for k, c in enumerate(leaf.series)]
            )
        else:
            values.append(leaf)
            terms.append([_zero_like(leaf) for _ in range(order)])
    if len(leaves) == 1 and not isinstance(out, (tuple, list, dict)):
        return values[0], terms[0]
    return tree_unflatten(tree, values), [tree_unflatten(tree, [t[k] for t in terms]) for k in range(order)]


__all__ = ["CollapsedTrace", "CollapsedTracer", "JetTracer", "NoCollapsedRule", "TaylorTrace", "collapsed_jet", "jet"]
