"""Fused second-order Taylor steps: tanh's whole step through `SecondOrderTrace` as one primitive.

Second-order Taylor mode (`wengert.core.taylor.SecondOrderTrace`) carries, beside
y = σ(x), the stacks ẋ (F directions) and ẍ (S streams, stream k holding
Σ c·∂_i∂_j over its terms). Through tanh, with s = σ' = 1 − y² and σ''/σ' = −2y,

    ẏ_i = s·ẋ_i,        ÿ_k = s·(ẍ_k − 2y·Q_k),        Q_k = Σ_(i,j,c) c·ẋ_i·ẋ_j.

Composed of wengert operations ÿ is a dozen nodes on a tape, each a NumPy pass with a
temporary, and its backward pass twice as many. `tanh_second_order` computes it as one
primitive, chunk by chunk so that the temporaries stay in the core's cache; its VJP is a
second primitive of the same kind, `tanh_second_order_vjp`, so that jit stages each as
one node. With G_k the cotangent of ÿ_k and P_k = s·G_k:

    ẍ̄_k = P_k,    ẋ̄_i = Σ_k −2y·P_k·∂Q_k/∂ẋ_i,    ȳ = Σ_k G_k·((6y² − 2)·Q_k − 2y·ẍ_k).

(ȳ differentiates s·(ẍ − 2yQ) in y: −2y·(ẍ − 2yQ) − 2s·Q.) Both primitives are also
written in wengert operations (`_step_composed`, `_vjp_composed`); their own derivative
rules are those compositions differentiated, so the step differentiates to any order.
ẏ is `tanh_grad(ẋ, y)`, made only when read.

Example:
    >>> import numpy as np
    >>> y, first = np.array([0.5]), np.array([[2.0]])  # one point, one direction ẋ = 2, ẍ = 0
    >>> out = tanh_second_order(y, first, terms=(((0, 0, 1.0),),))
    >>> bool(np.allclose(out, [(1 - 0.25) * -2 * 0.5 * 4.0]))
    True
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..core import Dual, ForwardTrace, bind, next_level, running
from ..core.staging import is_abstract
from . import fused_kernels
from ._primitives import REGISTRY, column_major_stack, empty_column_major_stack, primitive, shape
from ._primitives import dtype as _dtype
from .elementwise import square, tanh_grad, tanh_grad_p
from .products import COLUMN_MAJOR_MIN_ROWS, matmul_p
from .shape import broadcast_to, moveaxis, reshape, reshape_p, stack, sum_to_p, unbroadcast

Terms = tuple[tuple[tuple[int, int, float], ...], ...]

# The elements of one chunk (128 KiB of float64): a chunk's temporaries (up to five) and its share
# of the operands stay in a 2 MiB cache across the passes over it. Measured at 2,000 × 64 and
# 1,000 × 128: 8,192 to 32,768 run alike, 65,536 and more 10-50% slower, whole arrays slowest.
CHUNK_ELEMENTS = 16384

# The most terms Σ c·ẋ_i·ẋ_j (over all streams) the fused step takes; beyond, the composed step's one
# einsum over the stack of squares is faster (forward at 1,000 × 128, column-major stacks: 2 terms
# 0.61 ms fused against 0.72 composed, 3 terms 0.73 / 0.80, 4 terms 0.87 / 0.84, 32 terms 3.6 / 2.0).
MAX_FUSED_TERMS = 3

# The same with the compiled loops (`fused_kernels`), which read each direction once per block whatever the
# number of terms: fused at 1,000 × 128 they beat the composed step at every count measured, up to B10's groups
# of 16 directions (eager Laplacian d = 8: 21 -> 18 ms; d = 32: 73-77 -> 67 ms; d = 128: 304 -> 284 ms).
MAX_COMPILED_TERMS = 16


def fused_term_limit() -> int:
    """The most terms Σ c·ẋ_i·ẋ_j the fused step takes now: more with the compiled loops than without."""
    return MAX_COMPILED_TERMS if fused_kernels.available() else MAX_FUSED_TERMS


def stream_terms(count: int, diagonal: Any, mixed: Any) -> Terms:
    """Each stream's terms (i, j, c), c ≠ 0, from `SecondOrderTrace`'s diagonal and mixed weights."""
    streams: list[list[tuple[int, int, float]]] = [[] for _ in range(count)]
    if diagonal is not None:
        squares, weights, _ = diagonal
        for k in range(count):
            streams[k] += [(i, i, w) for i, w in zip(squares, weights[k]) if w != 0.0]
    if mixed is not None:
        left, right, weights, _ = mixed
        for k in range(count):
            streams[k] += [(i, j, w) for i, j, w in zip(left, right, weights[k]) if w != 0.0]
    return tuple(tuple(stream) for stream in streams)


# -- the implementations: chunked NumPy ----------------------------------------------------------------------


class _Chunks:
    """The operands broadcast to one example shape, and the chunks of it to walk.

    Chunks run along the first axis, or along the last when the direction stack is
    column-major within each direction (`products.stacked_product`'s layout), so that
    each chunk of the largest operand lies together in memory."""

    def __init__(self, y: Any, stacks: list) -> None:
        arrays = [np.asarray(s) for s in stacks if s is not None]
        self.dtype = np.result_type(np.asarray(y), *arrays)
        if self.dtype.kind != "f":
            self.dtype = np.dtype(np.float64)
        self.example = np.broadcast_shapes(np.shape(y), *(a.shape[1:] for a in arrays))
        self.columns = len(self.example) == 2 and arrays[0].shape[1:] == self.example and column_major_stack(arrays[0])
        y = np.asfortranarray(y) if self.columns else np.asarray(y)
        self.y = np.broadcast_to(y, self.example)
        self.stacks = [None if s is None else [np.broadcast_to(e, self.example) for e in np.asarray(s)] for s in stacks]
        if not self.example:
            self.bounds, self.step = [(0, 1)], 1
            return
        axis_length = self.example[-1] if self.columns else self.example[0]
        per_step = math.prod(self.example[:-1]) if self.columns else math.prod(self.example[1:])
        self.step = max(1, CHUNK_ELEMENTS // max(per_step, 1))
        self.bounds = [(a, min(a + self.step, axis_length)) for a in range(0, axis_length, self.step)] or [(0, 0)]

    def index(self, start: int, stop: int) -> tuple:
        if not self.example:
            return (Ellipsis,)  # a 0-d view, not a scalar
        return (Ellipsis, slice(start, stop)) if self.columns else (slice(start, stop),)

    def buffers(self, count: int) -> list[np.ndarray]:
        """``count`` scratch arrays of one chunk's shape, in the chunks' memory order."""
        if not self.example:
            return [np.empty((), self.dtype) for _ in range(count)]
        if self.columns:
            chunk = (*self.example[:-1], min(self.step, self.example[-1]))
        else:
            chunk = (min(self.step, self.example[0]), *self.example[1:])
        return [np.empty(chunk, self.dtype, order="F" if self.columns else "C") for _ in range(count)]

    def output(self, count: int, out: np.ndarray | None) -> np.ndarray:
        """A stack of ``count`` arrays of the example's shape, in the chunks' memory order (or ``out``)."""
        if out is not None:
            if out.shape != (count, *self.example):
                raise ValueError(f"out= has shape {out.shape}; the result has shape {(count, *self.example)}")
            return out
        if self.columns:
            return empty_column_major_stack(count, *self.example, self.dtype)
        return np.empty((count, *self.example), self.dtype)


def _scaled_into(out: np.ndarray, piece: np.ndarray, coefficient: float, written: bool) -> None:
    """out ← coefficient·piece, or out += coefficient·piece once written (``piece`` may be overwritten)."""
    if not written:
        if coefficient != 1.0 or piece is not out:
            np.multiply(piece, coefficient, out=out)
    elif coefficient == 1.0:
        np.add(out, piece, out=out)
    elif coefficient == -1.0:
        np.subtract(out, piece, out=out)
    else:
        np.multiply(piece, coefficient, out=piece)
        np.add(out, piece, out=out)


def _quadratic_into(out: np.ndarray, first: list, terms: tuple, scratch: np.ndarray) -> bool:
    """out ← Σ c·ẋ_i·ẋ_j (a term with c = 1 first: it needs no scaling); False (out untouched) for no terms."""
    for position, (i, j, c) in enumerate(sorted(terms, key=lambda term: term[2] != 1.0)):
        target = out if position == 0 else scratch
        if i == j:
            np.square(first[i], out=target)
        else:
            np.multiply(first[i], first[j], out=target)
        _scaled_into(out, target, c, position > 0)
    return bool(terms)


def _forward_numpy(y: Any, first: Any, second: Any, terms: Terms, out: np.ndarray | None = None) -> np.ndarray:
    """ÿ_k = s·(ẍ_k − 2y·Q_k) for every stream, chunk by chunk (by a compiled loop where one applies)."""
    compiled = fused_kernels.step_forward(y, first, second, terms, out)
    if compiled is None:
        compiled = fused_kernels.step_forward_rows(y, first, second, terms, out)
    if compiled is not None:
        return compiled
    plan = _Chunks(y, [first, second])
    out = plan.output(len(terms), out)
    slope_buffer, scratch_buffer = plan.buffers(2)
    first_views, second_views = plan.stacks
    quadratics = _shared_quadratics(first, terms, plan)
    for start, stop in plan.bounds:
        part, local = plan.index(start, stop), plan.index(0, stop - start)
        slope, scratch = slope_buffer[local], scratch_buffer[local]
        value = plan.y[part]
        np.square(value, out=slope)
        np.subtract(1.0, slope, out=slope)
        chunk = [entry[part] for entry in first_views]
        for k, terms_k in enumerate(terms):
            target = out[(k, *part)]
            if terms_k and quadratics is not None:  # −2·Q_k, made once
                np.multiply(quadratics[k][part], value, out=target)
            elif _quadratic_into(target, chunk, terms_k, scratch):
                np.multiply(target, value, out=target)
                np.multiply(target, -2.0, out=target)
            if terms_k:
                if second_views is not None:
                    np.add(target, second_views[k][part], out=target)
            elif second_views is not None:
                np.copyto(target, second_views[k][part])
            else:
                target.fill(0.0)
            np.multiply(target, slope, out=target)
    return out


def _shared_quadratics(first: Any, terms: Terms, plan: _Chunks) -> list | None:
    """Each stream's −2·Q_k at the directions' own shape, broadcast, where that is much smaller than the
    result's (a first layer's directions are one row shared by every point); None otherwise."""
    first = np.asarray(first)
    if first.shape[1:] == plan.example or math.prod(first.shape[1:]) * 4 > math.prod(plan.example):
        return None
    return [np.broadcast_to(-2.0 * q, plan.example) for q in fused_kernels.quadratics(first, terms, plan.dtype)]


def _vjp_numpy(
    cotangent: Any, y: Any, first: Any, second: Any, terms: Terms, out: np.ndarray | None = None
) -> np.ndarray:
    """The cotangents [ȳ, ẋ̄_1 … ẋ̄_F, ẍ̄_1 … ẍ̄_S] at the example's full shape, stacked; chunk by chunk
    (by a compiled loop where one applies)."""
    compiled = fused_kernels.step_backward(cotangent, y, first, second, terms, out)
    if compiled is None:
        compiled = fused_kernels.step_backward_rows(cotangent, y, first, second, terms, out)
    if compiled is not None:
        return compiled
    plan = _Chunks(y, [first, second, cotangent])
    directions = len(plan.stacks[0])
    out = plan.output(1 + directions + (0 if second is None else len(terms)), out)
    buffers = plan.buffers(5)
    first_views, second_views, cotangent_views = plan.stacks
    contributions = [fused_kernels.contributions(terms_k) for terms_k in terms]
    for start, stop in plan.bounds:
        part, local = plan.index(start, stop), plan.index(0, stop - start)
        cubic, slope, quadratic, scratch, moved = (b[local] for b in buffers)
        value = plan.y[part]
        chunk = [entry[part] for entry in first_views]
        value_bar = out[(0, *part)]
        first_bars = [out[(1 + i, *part)] for i in range(directions)]
        written = [False] * directions
        value_written = False
        np.square(value, out=cubic)
        np.subtract(1.0, cubic, out=slope)
        np.multiply(cubic, 6.0, out=cubic)
        np.subtract(cubic, 2.0, out=cubic)  # 6y² − 2
        for k, terms_k in enumerate(terms):
            g = cotangent_views[k][part]
            # ȳ += G_k·((6y² − 2)·Q_k − 2y·ẍ_k)
            target = moved if value_written else value_bar
            has_terms = _quadratic_into(quadratic, chunk, terms_k, scratch)
            if has_terms:
                np.multiply(quadratic, cubic, out=target)
            if second_views is not None:
                np.multiply(value, second_views[k][part], out=scratch)
                _scaled_into(target, scratch, -2.0, has_terms)
            if has_terms or second_views is not None:
                np.multiply(target, g, out=target)
                if value_written:
                    np.add(value_bar, target, out=value_bar)
                value_written = True
            # ẍ̄_k = P_k = s·G_k; ẋ̄_i += −2y·P_k·∂Q_k/∂ẋ_i
            weighted = out[(1 + directions + k, *part)] if second_views is not None else scratch
            np.multiply(g, slope, out=weighted)
            if not has_terms or not contributions[k]:
                continue
            np.multiply(weighted, value, out=quadratic)  # y·P_k, each term's factor applied apart: coefficients
            for this, other, factor in contributions[k]:  # of any sizes (1e-160 beside 1e160) stay finite
                if written[this]:
                    np.multiply(quadratic, chunk[other], out=scratch)
                    _scaled_into(first_bars[this], scratch, factor, True)
                else:
                    np.multiply(quadratic, chunk[other], out=first_bars[this])
                    _scaled_into(first_bars[this], first_bars[this], factor, False)
                    written[this] = True
        if not value_written:
            value_bar.fill(0.0)
        for bar, done in zip(first_bars, written):
            if not done:
                bar.fill(0.0)
    return out


# -- the same in wengert operations (differentiable again) ---------------------------------------------------


def _full_shape(y: Any, first: Any, *stacks: Any) -> tuple[int, ...]:
    return tuple(np.broadcast_shapes(shape(y), shape(first)[1:], *(shape(s)[1:] for s in stacks)))


def _quadratic(first: Any, terms: tuple) -> Any:
    total = None
    for i, j, c in terms:
        product = square(first[i]) if i == j else first[i] * first[j]
        product = product * c if c != 1.0 else product
        total = product if total is None else total + product
    return total


def _step_composed(y: Any, first: Any, *second: Any, terms: Terms) -> Any:
    full = _full_shape(y, first, *second)
    slope = 1.0 - square(y)
    outs = []
    for k, terms_k in enumerate(terms):
        quadratic = _quadratic(first, terms_k)
        inner = None if quadratic is None else y * -2.0 * quadratic
        if second:
            inner = second[0][k] if inner is None else second[0][k] + inner
        outs.append(broadcast_to(slope * 0.0 if inner is None else slope * inner, full))
    return stack(outs)


def _vjp_composed(cotangent: Any, y: Any, first: Any, *second: Any, terms: Terms) -> Any:
    full = _full_shape(y, first, *second, cotangent)
    directions = shape(first)[0]
    y_squared = square(y)
    slope, cubic = 1.0 - y_squared, y_squared * 6.0 - 2.0
    value_bar, first_bars, second_bars = None, [None] * directions, []
    for k, terms_k in enumerate(terms):
        g = cotangent[k]
        quadratic = _quadratic(first, terms_k)
        moved = None if quadratic is None else cubic * quadratic
        if second:
            moved = y * second[0][k] * -2.0 if moved is None else moved - y * second[0][k] * 2.0
        if moved is not None:
            value_bar = g * moved if value_bar is None else value_bar + g * moved
        weighted = g * slope
        second_bars.append(weighted)
        scaled = weighted * y
        for this, other, factor in fused_kernels.contributions(terms_k):
            piece = scaled * first[other] * factor
            first_bars[this] = piece if first_bars[this] is None else first_bars[this] + piece
    zero = y * 0.0
    pieces = [value_bar, *first_bars, *(second_bars if second else [])]
    return stack([broadcast_to(zero if p is None else p, full) for p in pieces])


def _by_forward_mode(composed: Callable[..., Any]) -> Callable[..., Any]:
    """A JVP rule: ``composed`` (the primitive in wengert operations) pushed forward by forward mode."""

    def rule(tangents: tuple, ans: Any, *args: Any, **params: Any) -> Any:
        trace = ForwardTrace(next_level())
        with running(trace):
            out = composed(*(a if t is None else Dual(a, t, trace) for a, t in zip(args, tangents)), **params)
        trace.active = False
        return out._tangent if isinstance(out, Dual) and out._trace is trace else None

    return rule


def _by_reverse_mode(composed: Callable[..., Any]) -> Callable[..., Any]:
    """A joint VJP rule: ``composed`` pulled back by reverse mode."""

    def rule(cotangent: Any, ans: Any, *args: Any, **params: Any) -> tuple:
        from ..transforms import vjp

        _, pull_back = vjp(lambda *values: composed(*values, **params), *args)
        return pull_back(cotangent)

    return rule


def _step_vjp(cotangent: Any, ans: Any, y: Any, first: Any, *second: Any, terms: Terms) -> tuple:
    """The step's joint VJP: (ȳ, ẋ̄, ẍ̄) from one pass, each summed back to its argument's shape."""
    packed = bind(tanh_second_order_vjp_p, (cotangent, y, first, *second), {"terms": terms})  # plain: the impl
    directions = shape(first)[0]
    bars = [unbroadcast(packed[0], y), _stack_bar(packed[1 : 1 + directions], first)]
    if second:
        bars.append(_stack_bar(packed[1 + directions :], second[0]))
    return tuple(bars)


def _stack_bar(bar: Any, stack: Any) -> Any:
    """``bar`` (count, *full example) summed back to a stack's shape (count, *its example): the stack's
    axis stays, and the examples align from the right — (F, C) directions against (R, C) points sum over
    the points, where plain broadcasting rules would sum over the directions."""
    target, full = tuple(shape(stack)), tuple(shape(bar))
    if full == target:
        return bar
    padded = (target[0], *(1,) * (len(full) - len(target)), *target[1:])
    return reshape(bind(sum_to_p, (bar,), {"shape": padded}), target)


def _stacks_batched(values: list, batched: tuple, stack_positions: tuple) -> list:
    """Each value with the batch axis where the primitive's examples begin: y's axis 0, a stack's axis 1;
    unbatched values get a unit axis there, and every example part the same rank."""
    rank = max(
        len(shape(value)) - is_batched - (position in stack_positions)
        for position, (value, is_batched) in enumerate(zip(values, batched))
    )
    aligned = []
    for position, (value, is_batched) in enumerate(zip(values, batched)):
        lead = 1 if position in stack_positions else 0
        if is_batched and lead:
            value = moveaxis(value, 0, 1)
        s = shape(value)
        example = s[lead + (1 if is_batched else 0) :]
        batch = s[lead] if is_batched else 1
        aligned.append(reshape(value, (*s[:lead], batch, *(1,) * (rank - len(example)), *example)))
    return aligned


def _batch_rule(primitive: Any, stack_positions: tuple) -> Callable[..., Any]:
    """The primitive on the values so aligned; its output's batch axis (1, after the stack's) moved to 0."""

    def rule(values: list, batched: tuple, **params: Any) -> Any:
        return moveaxis(bind(primitive, _stacks_batched(values, batched, stack_positions), params), 1, 0)

    return rule


def _forward_impl(y: Any, first: Any, *second: Any, terms: Terms, out: np.ndarray | None = None) -> np.ndarray:
    return _forward_numpy(y, first, second[0] if second else None, terms, out)


def _vjp_impl(
    cotangent: Any, y: Any, first: Any, *second: Any, terms: Terms, out: np.ndarray | None = None
) -> np.ndarray:
    return _vjp_numpy(cotangent, y, first, second[0] if second else None, terms, out)


tanh_second_order_p = primitive(
    "tanh_second_order", _forward_impl, jvp_joint=_by_forward_mode(_step_composed), vjp_joint=_step_vjp
)
tanh_second_order_vjp_p = primitive(
    "tanh_second_order_vjp",
    _vjp_impl,
    jvp_joint=_by_forward_mode(_vjp_composed),
    vjp_joint=_by_reverse_mode(_vjp_composed),
)


def tanh_second_order(y: Any, first: Any, second: Any = None, *, terms: Terms) -> Any:
    """ÿ_k = (1 − y²)·(ẍ_k − 2y·Σ c·ẋ_i·ẋ_j) for each stream k of ``terms`` (one tuple of (i, j, c) each),
    stacked: tanh's second-order Taylor step, its output ``y``, its input's directions ``first`` (F, …)
    and second-order streams ``second`` (S, …; None for zero).

    Example:
        >>> y, first = np.array([0.0, 0.5]), np.array([[1.0, 1.0], [0.0, 2.0]])
        >>> out = tanh_second_order(y, first, terms=(((0, 1, 1.0),),))  # Q = ẋ_0·ẋ_1
        >>> bool(np.allclose(out[0], (1 - y**2) * -2 * y * first[0] * first[1]))
        True
    """
    return bind(tanh_second_order_p, (y, first) if second is None else (y, first, second), {"terms": terms})


tanh_second_order.primitive = tanh_second_order_p


# ẏ and ÿ of the same step as one stack [ẏ_1 … ẏ_F, ÿ_1 … ÿ_S]: where a compiled program computes both
# (every hidden layer but the last), jit's `fuse_siblings` pass merges `tanh_second_order` with the
# `tanh_grad(ẋ, y)` of the same operands into it, so that one loop reads y and the directions once for both
# and computes the slope 1 − y² once (B10 at d = 2, 1,000 × 128: 0.1 ms less per layer). It is made after
# differentiation (``compile_only``); bound outside a compiled program it still computes the right value.


def _both_impl(y: Any, first: Any, *second: Any, terms: Terms, out: np.ndarray | None = None) -> np.ndarray:
    streams = second[0] if second else None
    compiled = fused_kernels.step_both(y, first, streams, terms, out)
    if compiled is None:
        compiled = fused_kernels.step_both_rows(y, first, streams, terms, out)
    if compiled is not None:
        return compiled
    slopes = np.broadcast_to(tanh_grad(first, y), (len(first), *np.shape(y)))
    if out is None:
        out = np.empty((len(first) + len(terms), *np.shape(y)), np.result_type(slopes, y))
    out[: len(first)] = slopes
    _forward_numpy(y, first, streams, terms, out[len(first) :])
    return out


tanh_both_orders_p = primitive("tanh_both_orders", _both_impl)
tanh_both_orders_p.compile_only = True  # made by a jit pass after differentiation: no derivative or batch rules
tanh_both_orders_p.takes_out = tanh_both_orders_p.any_memory_order = tanh_both_orders_p.fresh = True


def _fuse_with_slope(step: Any, sibling: Any, same: Callable[[Any, Any], bool]) -> tuple | None:
    """`tanh_second_order`'s rule for jit's `fuse_siblings` pass: with ``sibling`` the `tanh_grad(ẋ, y)` of
    the step's own y and directions ẋ (``same`` compares operands), (primitive, inputs, params, the step's
    part, the sibling's part) of the one equation that computes both; None otherwise."""
    if sibling.primitive is not tanh_grad_p or len(sibling.inputs) != 2:
        return None
    y, first = step.inputs[:2]
    slope_of, value = sibling.inputs
    if not (same(value, y) and same(slope_of, first)):
        return None
    second_order, first_order = tuple(step.out.aval.shape), tuple(sibling.out.aval.shape)
    directions = _operand_shape(first)
    if len(directions) != len(first_order) or first_order[:1] != directions[:1] or first_order[1:] != second_order[1:]:
        return None  # ẏ a stack of y's shape, one entry per direction
    if step.out.aval.dtype != sibling.out.aval.dtype:
        return None
    count = first_order[0]
    return tanh_both_orders_p, step.inputs, step.params, (count, count + second_order[0]), (0, count)


# The step read only by a product with one column (an output layer's: the Laplacian of a scalar network is
# ÿ @ w), as one primitive: jit's `fuse_into_readers` pass makes it, and the compiled loop sums each column's
# ÿ against its weight as it goes, without writing ÿ (B10 at d = 2: 0.1 ms less). ``compile_only``.


def _times_impl(weights: Any, y: Any, first: Any, *second: Any, terms: Terms) -> Any:
    streams = second[0] if second else None
    vector = weights[:, 0] if type(weights) is np.ndarray and weights.shape[1:] == (1,) else None
    compiled = None if vector is None else fused_kernels.step_times(y, first, streams, terms, vector)
    if compiled is not None:
        return compiled.reshape(-1, 1)
    step = _forward_numpy(y, first, streams, terms)
    return np.reshape(step, (-1, np.shape(y)[-1])) @ weights


tanh_second_order_times_p = primitive("tanh_second_order_times", _times_impl)
tanh_second_order_times_p.compile_only = True  # made by a jit pass after differentiation: no derivative rules
tanh_second_order_times_p.fresh = True
# it reads its operands in either order (the loop column-major, NumPy otherwise): jit keeps the stacks it
# reads in their group's order, as for the step itself
tanh_second_order_times_p.any_memory_order = True


def _fuse_with_product(step: Any, readers: list) -> tuple | None:
    """`tanh_second_order`'s rule for jit's `fuse_into_readers` pass: where the step (S, R, C) is read only
    by a reshape to (S·R, C) read only by a product with a (C, 1) matrix, (primitive, inputs, params) of
    the one equation computing that product; None otherwise."""
    if len(readers) != 2 or readers[0].primitive is not reshape_p or readers[1].primitive is not matmul_p:
        return None
    (reshaped, product), shape_out = readers, tuple(step.out.aval.shape)
    if len(shape_out) != 3 or tuple(reshaped.out.aval.shape) != (shape_out[0] * shape_out[1], shape_out[2]):
        return None
    left, weights = product.inputs
    if getattr(left, "number", None) != reshaped.out.number or _operand_shape(weights) != (shape_out[2], 1):
        return None
    if product.out.aval.dtype != step.out.aval.dtype:
        return None
    return tanh_second_order_times_p, (weights, *step.inputs), step.params


def _operand_shape(operand: Any) -> tuple:
    """The shape of an equation's operand as jit's passes hand it to the rules: a constant or a variable."""
    return tuple(np.shape(operand.value)) if hasattr(operand, "value") else tuple(operand.aval.shape)


def _broadcast_rows(example: tuple, directions: tuple) -> bool:
    """Whether a stack of ``directions`` (its shape) holds one row per direction for 2-D points of shape
    ``example`` (R, C): (F, 1, C), (F, C), or (F, R, C) repeating a row (`fused_kernels`' rows loops)."""
    return len(example) == 2 and (
        directions[1:] in ((1, example[1]), (example[1],), tuple(example)) and len(directions) in (2, 3)
    )


def _tanh_step(y: Any, first: Any, second: Any, trace: Any) -> tuple[Any, Callable[[], Any]] | None:
    """`SecondOrderTrace`'s step through tanh: (ÿ, a maker of ẏ); None (the composed step) without terms,
    with more than `fused_term_limit()`, for values not real (complex ones keep the composed conventions),
    and, without the compiled loops, for directions broadcast over the points, in shape or by zero strides
    (a first layer's: the composed step's Σ c·ẋ_i·ẋ_j is then one row, and its slope serves ẏ too; the
    chunked NumPy step measured 0.2 ms slower there at 1,000 × 128). The loops take such directions as rows
    (`fused_kernels.step_forward_rows`: 0.085 ms against the composed step's 0.36 at 1,000 × 128).

    Under jit without the loops the composed step is taken too: jit runs its operations in place, in
    buffers it keeps between calls, and the chunked NumPy step measured no faster there (B3's jit Adam
    steps, Taylor 29.3 -> 26.2 ms and collapsed 21.5 -> 20.8 composed; B10 d = 2-32 alike or 5% faster),
    while in eager mode it takes 11-18% less time than the composed step with its fresh temporaries
    (B3's Tensor Adam steps: Taylor 35.0 against 39.5 ms, collapsed 27.0 against 33.0)."""
    terms = stream_terms(trace.count, trace.diagonal, trace.mixed)
    if not any(terms) or sum(map(len, terms)) > fused_term_limit():
        return None
    if is_abstract(y) and not fused_kernels.available():
        return None
    rows = tuple(shape(first)[1:]) != tuple(shape(y)) or fused_kernels.broadcast_view(first)  # by shape or strides
    if rows and not (fused_kernels.available() and _broadcast_rows(shape(y), shape(first))):
        return None
    if any(_dtype(value).kind != "f" for value in (y, first, second) if value is not None):
        return None
    if type(y) is np.ndarray and y.ndim == 2 and not y.flags.f_contiguous:
        # once, for the step and ẏ both: they read it in the stack's order. A first layer's rows make stacks
        # in y's order, which the next product reads: tall ones (`stacked_product` writes them column-major)
        # are then read column-major too, 20% faster (16,000 × 128 @ 128 × 128: 7.9 ms against 9.9)
        tall_rows = rows and shape(first)[0] * y.shape[0] >= COLUMN_MAJOR_MIN_ROWS
        if column_major_stack(first) or tall_rows:
            y = np.asfortranarray(y)
    return tanh_second_order(y, first, second, terms=terms), lambda: tanh_grad(first, y)


REGISTRY["tanh"].second_order_step = _tanh_step
tanh_second_order_p.batch = _batch_rule(tanh_second_order_p, (1, 2))
tanh_second_order_vjp_p.batch = _batch_rule(tanh_second_order_vjp_p, (0, 2, 3))
for _step in (tanh_second_order_p, tanh_second_order_vjp_p):
    # jit may hand either an array to write into (its workspace, a column-major group's order)
    _step.takes_out = _step.any_memory_order = _step.fresh = True
tanh_second_order_p.fuse_sibling = _fuse_with_slope
tanh_second_order_p.fuse_readers = _fuse_with_product
