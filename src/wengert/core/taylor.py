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
import operator
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
        found = rule(primals, series, ans, self.order, **params) if rule is not None else None
        if found is not None:  # a recurrence of its own (Cauchy products, tanh's ODE...); None: not for these values
            return JetTracer(ans, found, self)
        if primitive.linear:  # y(t) = L(x(t)): each coefficient through L (not jets of its JVP: 2^K of them)
            terms = ([None if s is None else s[k] for s in series] for k in range(self.order))
            return JetTracer(ans, [primitive.apply_jvp(t, ans, primals, params) for t in terms], self)
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


class SecondOrderTrace(Trace):
    """Second-order Taylor mode along F directions at once, carrying S weighted sums of second derivatives.

    A `SecondOrderTracer` holds x0, its derivatives along the F input directions
    (``first``, stacked on axis 0) and S second-order streams (``second``, stacked on
    axis 0), stream k being Σ c·∂_i∂_j x over its terms (i, j, c): one stream per
    second derivative a PINN asks for, or one for a whole linear operator (collapsed
    Taylor mode, Dangel et al. 2025: the Laplacian's d terms travel as one stream).
    Both stacks go through a primitive as one batched JVP each. Each stream then adds
    the curvature Σ c·D²f[ẋ_i, ẋ_j], which needs only the primitive's kind:

    - ``linear``: none;
    - ``bilinear`` (multiply, matmul): Σ c·(f(ȧ_i, ḃ_j) + f(ȧ_j, ḃ_i)); ``multiaffine``
      (``linear``'s x·W + b, einsum): none while only one argument moves;
    - elementwise with ``elementwise_derivatives(x, y) -> (f'(x), f''(x), relative)``,
      computed together: ẏ_i = f'·ẋ_i, ÿ = f'·ẍ + f''·Σ c·ẋ_i·ẋ_j; with ``relative``
      the second entry r is f''/f' (tanh: f' = 1 − y², r = −2y), and ÿ = f'·(ẍ + r·Σ c·ẋ_i·ẋ_j);
      ``second_order_step(y, ẋ, ẍ, trace)`` may return (ÿ, a maker of ẏ) from one fused primitive instead;
    - any other: D²f[u, u] from a second-order jet along u (the JVP rule differentiated by
      `TaylorTrace`), for u = ẋ_i, and for i ≠ j by polarisation:
      4·D²f[a, b] = D²f[a + b, a + b] − D²f[a − b, a − b].

    The sums over terms are products with the streams' weight matrices (`contract`):
    the squares of the directions a diagonal term names, and the products of the pairs a
    mixed term names, each computed once for all streams.
    A first-order stack is made when read (a Laplacian never reads the last layers' ones).
    """

    __slots__ = ("directions", "count", "diagonal", "mixed")
    default_name = "second-order jet"

    def __init__(self, level: float, directions: int, streams: Sequence[Sequence[tuple[int, int, float]]]) -> None:
        super().__init__(level)
        self.directions = directions
        self.count = len(streams)
        merged: list[dict[tuple[int, int], float]] = []
        for terms in streams:
            stream: dict[tuple[int, int], float] = {}
            for i, j, c in terms:
                pair = (min(i, j), max(i, j))
                stream[pair] = stream.get(pair, 0.0) + float(c)
            merged.append(stream)
        used = sorted({pair for stream in merged for pair, c in stream.items() if c != 0.0})
        squares = [i for i, j in used if i == j]
        pairs = [(i, j) for i, j in used if i != j]

        def weights(chosen: list[tuple[int, int]], scale: float) -> tuple[tuple[float, ...], ...]:
            return tuple(tuple(scale * stream.get(pair, 0.0) for pair in chosen) for stream in merged)

        # Σ_n weights[k][n]·ẋ_squares[n]² is stream k's diagonal part (twice that for a bilinear primitive,
        # whose f(ȧ_i, ḃ_i) counts once for the two orders of the pair); the tuples let `contract` cache its matrix.
        diagonal = [(i, i) for i in squares]
        self.diagonal = (squares, weights(diagonal, 1.0), weights(diagonal, 2.0)) if squares else None
        # the mixed part: the pairs' products, or for a primitive by jets ½·(jet along a + b − jet along a − b)
        left, right = [i for i, _ in pairs], [j for _, j in pairs]
        self.mixed = (left, right, weights(pairs, 1.0), weights(pairs, 0.5)) if pairs else None

    def process(self, primitive: Primitive, args: tuple, params: dict) -> Any:
        if not self.active:
            raise UnexpectedTracerError(self, f"'{primitive.name}'")
        mine = [isinstance(arg, Tracer) and arg._trace is self for arg in args]
        primals = [arg.primal if own else arg for arg, own in zip(args, mine)]
        if not primitive.differentiable or not any(mine):
            return bind(primitive, primals, params)
        movers = [arg if own else None for arg, own in zip(args, mine)]
        seconds = [arg.second if own else None for arg, own in zip(args, mine)]
        ans = bind(primitive, primals, params)
        derivatives = getattr(primitive, "elementwise_derivatives", None)
        if derivatives is not None and len(args) == 1 and not params and movers[0].first is not None:
            step = getattr(primitive, "second_order_step", lambda *_: None)(ans, movers[0].first, seconds[0], self)
            if step is not None:
                return SecondOrderTracer(ans, None, step[0], self, step[1])
            return self._elementwise(derivatives(primals[0], ans), ans, movers[0].first, seconds[0])
        second = _batched_jvp(primitive, seconds, ans, primals, params, self.count)
        curvature = self._curvature(primitive, primals, movers, params)
        if curvature is not None:
            second = curvature if second is None else second + curvature
        compute = lambda: _batched_jvp(primitive, _firsts(movers), ans, primals, params, self.directions)  # noqa: E731
        return SecondOrderTracer(ans, None, second, self, compute, movers)

    def _elementwise(self, derivatives: tuple[Any, Any, bool], ans: Any, first: Any, second: Any) -> Any:
        """y = f(x) from f' and f'' (or r = f''/f' when ``relative``): ẏ = f'·ẋ, ÿ = f'·ẍ + f''·Σ c·ẋ_i·ẋ_j."""
        slope, curvature, relative = derivatives
        quadratic = self._quadratic(first)
        if quadratic is None:  # no second-order terms
            out = None if second is None else slope * second
        else:
            quadratic = curvature * quadratic
            if second is None:
                out = slope * quadratic if relative else quadratic
            elif relative:  # ÿ = f'·(ẍ + r·Σ c·ẋ_i·ẋ_j)
                out = slope * (second + quadratic)
            else:
                out = slope * second + quadratic
        return SecondOrderTracer(ans, None, out, self, lambda: _ARRAY_RULES["scale"](slope, first))

    def _quadratic(self, first: Any) -> Any:
        """Σ c·ẋ_i·ẋ_j for every stream, stacked (S, …)."""
        total = None
        if self.diagonal is not None:
            index, weights, _ = self.diagonal
            total = contract(weights, _take(first, index), squared=True)
        if self.mixed is not None:
            left, right, weights, _ = self.mixed
            term = contract(weights, _take(first, left) * _take(first, right))
            total = term if total is None else total + term
        return total

    def _curvature(self, primitive: Primitive, primals: list, movers: list, params: dict) -> Any:
        """Σ c·D²f[ẋ_i, ẋ_j] for every stream, stacked (S, …); None where it vanishes."""
        bilinear = getattr(primitive, "bilinear", False)
        affine = bilinear or getattr(primitive, "multiaffine", False)  # no curvature while one argument moves
        one_moves = sum(m is not None for m in movers) == 1
        if primitive.linear or (self.diagonal is None and self.mixed is None) or (affine and one_moves):
            return None
        firsts = _firsts(movers)  # read only now: a product by a constant leaves its input's stack unmade
        moving = sum(f is not None for f in firsts)
        if moving == 0 or (affine and moving == 1):
            return None
        if bilinear:
            return self._bilinear(primitive, firsts, params)
        return self._by_jets(primitive, primals, firsts, params)

    def _bilinear(self, primitive: Primitive, firsts: list, params: dict) -> Any:
        """Σ c·(f(ȧ_i, ḃ_j) + f(ȧ_j, ḃ_i)): for i = j that is 2c·f(ȧ_i, ḃ_i)."""
        total = None
        if self.diagonal is not None:
            index, _, doubled = self.diagonal
            products = _batched_bind(primitive, [_take(f, index) for f in firsts], params, len(index))
            total = contract(doubled, products)
        if self.mixed is not None:
            left, right, weights, _ = self.mixed
            a, b = firsts
            products = _batched_bind(primitive, [_take(a, left), _take(b, right)], params, len(left))
            products = products + _batched_bind(primitive, [_take(a, right), _take(b, left)], params, len(left))
            term = contract(weights, products)
            total = term if total is None else total + term
        return total

    def _by_jets(self, primitive: Primitive, primals: list, firsts: list, params: dict) -> Any:
        """Σ c·D²f[ẋ_i, ẋ_j] from second-order jets of the primitive (its JVP rule differentiated)."""
        total = None
        if self.diagonal is not None:
            index, _, doubled = self.diagonal
            chosen = [None if f is None else _take(f, index) for f in firsts]
            halves = _half_curvatures(primitive, primals, chosen, params)
            total = None if halves is None else contract(doubled, halves)  # D²f[u, u] = 2·(the jet's coefficient)
        if self.mixed is not None:
            left, right, _, halved = self.mixed
            plus = [None if f is None else _take(f, left) + _take(f, right) for f in firsts]
            minus = [None if f is None else _take(f, left) - _take(f, right) for f in firsts]
            up = _half_curvatures(primitive, primals, plus, params)
            down = _half_curvatures(primitive, primals, minus, params)
            if up is not None:  # c·D²f[a, b] = c/4·(D²f[a+b, a+b] − D²f[a−b, a−b]) = c/2·(jet₊ − jet₋)
                term = contract(halved, up - down)
                total = term if total is None else total + term
        return total


def _batched_jvp(primitive: Primitive, stacks: list, ans: Any, primals: list, params: dict, size: int) -> Any:
    """The primitive's JVP applied to each of ``size`` stacked tangents at once (None: all zero)."""
    if all(t is None for t in stacks):
        return None
    return _batched_call(size, stacks, lambda tangents: primitive.apply_jvp(tangents, ans, primals, params))


def _batched_bind(primitive: Primitive, stacks: list, params: dict, size: int) -> Any:
    return _batched_call(size, stacks, lambda args: bind(primitive, args, params))


def _batched_call(size: int, stacks: list, call: Callable[[list], Any]) -> Any:
    """``call`` on the stacks' ``size`` entries at once (a batch trace over axis 0); the result stacked."""
    batch = BatchTrace(next_level(), size)
    with running(batch):
        out = _batched(call([None if t is None else BatchTracer(t, batch) for t in stacks]), batch)
    batch.active = False
    return out


def _half_curvatures(primitive: Primitive, primals: list, directions: list, params: dict) -> Any:
    """½·D²f[u_n, u_n] for each stacked direction u_n: a second-order jet along each, batched."""
    size = len(next(d for d in directions if d is not None))
    batch = BatchTrace(next_level(), size)
    with running(batch):
        taylor = TaylorTrace(next_level(), 2)
        with running(taylor):
            inputs = [
                p if d is None else JetTracer(p, [BatchTracer(d, batch), None], taylor)
                for p, d in zip(primals, directions)
            ]
            out = bind(primitive, inputs, params)
        taylor.active = False
        half = out.series[1] if isinstance(out, JetTracer) and out._trace is taylor else None
        half = None if half is None else _batched(half, batch)
    batch.active = False
    return half


def _take(values: Any, index: list[int]) -> Any:
    """values[index] along axis 0, as a view when the index is a range."""
    start = index[0]
    if index == list(range(start, start + len(index))):
        return values if start == 0 and len(index) == len(values) else values[start : start + len(index)]
    return values[index]


def _missing_contract(weights: tuple, values: Any, squared: bool = False) -> Any:
    raise RuntimeError("no array library has installed a contraction for second-order Taylor mode")


_ARRAY_RULES: dict[str, Callable[..., Any]] = {"contract": _missing_contract, "scale": operator.mul}


def contract(weights: tuple[tuple[float, ...], ...], values: Any, squared: bool = False) -> Any:
    """Σ_n weights[k][n]·values[n] (or values[n]² when ``squared``) for each k, stacked on axis 0.

    The array library's (`set_contract`), in the values' precision."""
    return _ARRAY_RULES["contract"](weights, values, squared)


def set_contract(function: Callable[..., Any], scale: Callable[[Any, Any], Any] = operator.mul) -> None:
    """Install the array library's weighted sum over axis 0 and its ``scale(factor, stack)``: factor·stack[k], all k."""
    # the core knows no array library: numpy's scale keeps a stack's memory order (`numpy.products._scale`)
    _ARRAY_RULES.update(contract=function, scale=scale)


def _batched(value: Any, batch: BatchTrace) -> Any:
    """A value computed under ``batch`` with its directions on axis 0 (the same for all where it is unbatched)."""
    if isinstance(value, Tracer) and value._trace is batch:
        return value.primal
    return None if value is None else stack_values([value] * batch.size)


def _firsts(movers: list) -> list:
    return [None if mover is None else mover.first for mover in movers]


class SecondOrderTracer(Tracer):
    """x0, its derivatives along F directions and its S second-order streams, each stacked on axis 0 (None: zero).

    With ``compute``, ``first`` is ``compute()`` (from the tracers ``inputs``), made when first read;
    a chain of those is cut every 16 primitives, so that reading its end never recurses deeply.
    """

    __slots__ = ("_first", "second", "_compute", "_pending")

    def __init__(
        self, primal: Any, first: Any, second: Any, trace: SecondOrderTrace, compute: Any = None, inputs: list = ()
    ) -> None:
        self.primal = primal
        self.second = second
        self._trace = trace
        self._first, self._compute, self._pending = first, compute, 0
        if compute is not None:
            self._pending = 1 + max((mover._pending for mover in inputs if mover is not None), default=0)
            if self._pending > 16:
                _firsts(inputs)
                self._pending = 1

    @property
    def first(self) -> Any:
        if self._compute is not None:
            self._first, self._compute, self._pending = self._compute(), None, 0
        return self._first


def second_order_jet(
    function: Callable[[Any], Any],
    x: Any,
    directions: Any,
    streams: Sequence[Sequence[tuple[int, int, float]]],
    first_order: bool = True,
) -> tuple[Any, Any, Any]:
    """``function(x)``, its derivatives along each direction, and Σ c·D²f[v_i, v_j] per stream, in one pass.

    ``directions`` has shape (F, *x.shape); ``streams`` lists the second-order outputs,
    each a sequence of terms (i, j, c) over direction indices. The derivatives come
    back stacked, (F, *y.shape) and (S, *y.shape) (None for no streams). A stream of
    many terms costs about as much as one (collapsed Taylor mode). With
    ``first_order=False`` the output's first derivatives are not computed (None).

    Example:
        >>> import numpy as np
        >>> import wengert.numpy as wnp
        >>> f = lambda p: p[0] ** 2 * wnp.sin(p[1])
        >>> value, slopes, (mixed, laplace) = second_order_jet(
        ...     f, np.array([1.0, 0.0]), np.eye(2), [[(0, 1, 1.0)], [(0, 0, 1.0), (1, 1, 1.0)]])
        >>> float(mixed), float(laplace)  # 2x·cos y; 2 sin y − x² sin y
        (2.0, 0.0)
    """
    trace = SecondOrderTrace(next_level(), len(directions), streams)
    with running(trace):
        out = function(SecondOrderTracer(x, directions, None, trace))
    trace.active = False
    if isinstance(out, Tracer) and out._trace is trace:
        value, first, second = out.primal, out.first if first_order else None, out.second
    else:
        value, first, second = out, None, None
    if first is None and first_order:
        first = stack_values([_zero_like(value)] * len(directions))
    if second is None and streams:
        second = stack_values([_zero_like(value)] * len(streams))
    return value, first, second


def jet(function: Callable[..., Any], primals: Sequence[Any], series: Sequence[Sequence[Any]]) -> tuple[Any, list]:
    """JAX's ``jet``: ``function``'s value and output series for inputs moving along the given Taylor series.

    ``series[i]`` holds the derivatives of input i's path at t = 0, orders 1 … K
    (JAX's convention: x(t) = x0 + Σ series[i][k−1]·t^k / k!); the output's come
    back the same way: the output's structure with a list of K arrays at each leaf.

    Example:
        >>> import wengert.numpy as wnp
        >>> value, (first, second) = jet(wnp.sin, (0.5,), ((1.0, 0.0),))
        >>> round(float(first), 6), round(float(second), 6)  # cos 0.5, −sin 0.5
        (0.877583, -0.479426)
    """
    order = len(series[0])  # checked by the public `wengert.transforms.jets.jet`
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
    return tree_unflatten(tree, values), tree_unflatten(tree, terms)  # JAX's layout: K terms at each leaf


__all__ = [
    "JetTracer",
    "SecondOrderTrace",
    "SecondOrderTracer",
    "TaylorTrace",
    "contract",
    "jet",
    "second_order_jet",
    "set_contract",
]
