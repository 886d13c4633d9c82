"""Batch rules: how each primitive computes a whole batch at once (used by ``vmap``).

Most primitives fall into a few families, so the rules are written once per
family and assigned by name in the lists at the bottom:

* broadcasting (ufuncs, and linalg's stacks of matrices): align the examples'
  ranks, then NumPy broadcasting does the rest;
* axis-taking reductions and scans: shift the axes past the batch axis;
* shape operations: put the batch size in front of the target shape;
* indexing: put ``slice(None)`` in front of the index;
* matmul: promote 1-D operands so the batch axis becomes a matrix-stack axis.

Primitives with a rule of their own (einsum, clip, the rearrangements) carry
it beside their other rules, built from the helpers here (`align`,
`shift_axes`, `NoBatchRule`...). A primitive with no rule at all still batches
correctly through the core's fallback loop (one call per example), only more
slowly. Rules receive the values with the batch on axis 0 for the arguments
flagged in ``batched``, and return the result with the batch on axis 0.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..core import bind, set_stack
from ._primitives import REGISTRY, shape

BatchRule = Callable[..., Any]


def batch_size(values: list, batched: tuple) -> int:
    """The number of examples (the length of axis 0 of the first batched value)."""
    for value, is_batched in zip(values, batched):
        if is_batched:
            return shape(value)[0]
    raise ValueError("a batch rule was called without a batched argument")


def example_rank(value: Any, is_batched: bool) -> int:
    """The number of dimensions of one example of ``value``."""
    return len(shape(value)) - (1 if is_batched else 0)


def materialize(value: Any, is_batched: bool, size: int) -> Any:
    """A batched version of ``value`` (copies an unbatched value along a new axis 0)."""
    from .shape import broadcast_to

    if is_batched:
        return value
    return broadcast_to(value, (size, *shape(value)))


def align(values: list, batched: tuple, rank: int = 0) -> list:
    """Give batched values the common example rank (at least ``rank``), so broadcasting lines examples up.

    Unbatched values need nothing: NumPy pads them on the left, below the batch axis.
    """
    from .shape import reshape

    rank = max(rank, *(example_rank(v, b) for v, b in zip(values, batched)))
    aligned = []
    for value, is_batched in zip(values, batched):
        missing = rank - example_rank(value, is_batched)
        if is_batched and missing:
            s = shape(value)
            value = reshape(value, (s[0], *(1,) * missing, *s[1:]))
        aligned.append(value)
    return aligned


def broadcasting(prim: Any) -> BatchRule:
    """For primitives that broadcast their arguments' leading axes (ufuncs, stacks of matrices)."""

    def rule(values: list, batched: tuple, **params: Any) -> Any:
        return bind(prim, align(values, batched), params)

    return rule


def shift_axis(axis: int, rank: int) -> int:
    """An axis of an example (negative counts from the end) as an axis of the batch."""
    axis = int(axis)
    if not -rank <= axis < max(rank, 1):
        raise np.exceptions.AxisError(axis, rank)
    return (axis % rank if rank else 0) + 1


def shift_axes(axis: Any, rank: int) -> Any:
    """``axis`` (None, an int or a tuple, of an example of ``rank`` dimensions) for the batch."""
    if axis is None:
        return tuple(range(1, rank + 1))
    if isinstance(axis, tuple):
        return tuple(shift_axis(a, rank) for a in axis)
    return shift_axis(axis, rank)


def axis_shifted(prim: Any) -> BatchRule:
    """For primitives of one batched argument whose ``axis`` counts the example's axes (None: all)."""

    def rule(values: list, batched: tuple, axis: Any, **params: Any) -> Any:
        (value,) = values
        return bind(prim, (value,), {"axis": shift_axes(axis, example_rank(value, True)), **params})

    return rule


def axis_or_flattened(prim: Any) -> BatchRule:
    """Like `axis_shifted`, but ``axis=None`` means the flattened example (argmax, argsort)."""
    from .shape import reshape

    def rule(values: list, batched: tuple, axis: Any, **params: Any) -> Any:
        (value,) = values
        rank = example_rank(value, True)
        if axis is None:
            size = shape(value)[0]
            out = bind(prim, (reshape(value, (size, -1)),), {"axis": 1, **params})
            return reshape(out, (size, *(1,) * rank)) if params.get("keepdims") else out
        return bind(prim, (value,), {"axis": shift_axes(axis, rank), **params})

    return rule


def _reshape_rule(values: list, batched: tuple, shape: tuple) -> Any:
    (value,) = values
    return bind(REGISTRY["reshape"], (value,), {"shape": (batch_size(values, batched), *shape)})


def _transpose_rule(values: list, batched: tuple, axes: tuple) -> Any:
    return bind(REGISTRY["transpose"], values, {"axes": (0, *(a + 1 for a in axes))})


def _broadcast_to_rule(values: list, batched: tuple, shape: tuple) -> Any:
    (value,) = _align_to_rank(values, len(shape))
    return bind(REGISTRY["broadcast_to"], (value,), {"shape": (batch_size(values, batched), *shape)})


def _align_to_rank(values: list, rank: int) -> list:
    from .shape import reshape

    (value,) = values
    s = shape(value)
    missing = rank - (len(s) - 1)
    if missing > 0:
        value = reshape(value, (s[0], *(1,) * missing, *s[1:]))
    return [value]


def _sum_to_rule(values: list, batched: tuple, shape: tuple) -> Any:
    from .reductions import sum as reduce_sum

    (value,) = values
    lead = example_rank(value, True) - len(shape)
    if lead > 0:
        value = reduce_sum(value, axis=tuple(range(1, 1 + lead)))
    return bind(REGISTRY["sum_to"], (value,), {"shape": (batch_size(values, batched), *shape)})


def _index_tuple(index: Any) -> tuple:
    return index if isinstance(index, tuple) else (index,)


def _advanced_positions(index: tuple) -> list[int]:
    """Where the advanced indices are: arrays, and integers too once an array is present (NumPy's rule)."""
    arrays = [
        i
        for i, item in enumerate(index)
        if not (item is None or item is Ellipsis or isinstance(item, (int, np.integer, slice)))
    ]
    if not arrays:
        return []
    return sorted({*arrays, *(i for i, item in enumerate(index) if isinstance(item, (int, np.integer)))})


def _prefix_is_safe(index: tuple) -> bool:
    """Whether putting ``slice(None)`` first keeps NumPy's placement of advanced-index axes."""
    positions = _advanced_positions(index)
    return not positions or positions == list(range(positions[0], positions[-1] + 1))


def _getitem_rule(values: list, batched: tuple, index: Any) -> Any:
    index = _index_tuple(index)
    if not _prefix_is_safe(index):
        raise NoBatchRule
    return bind(REGISTRY["getitem"], values, {"index": (slice(None), *index)})


def _scatter_add_rule(values: list, batched: tuple, index: Any, shape: tuple, accumulate: bool) -> Any:
    index = _index_tuple(index)
    if not _prefix_is_safe(index):
        raise NoBatchRule
    params = {
        "index": (slice(None), *index),
        "shape": (batch_size(values, batched), *shape),
        "accumulate": accumulate,
    }
    return bind(REGISTRY["scatter_add"], values, params)


def _index_update_rule(values: list, batched: tuple, index: Any) -> Any:
    from .shape import reshape

    index = _index_tuple(index)
    if not _prefix_is_safe(index):
        raise NoBatchRule
    size = batch_size(values, batched)
    x, update = values
    x = materialize(x, batched[0], size)
    if batched[1]:
        update_rank = example_rank(update, True)
        selected_rank = len(np.empty(shape(x)[1:], dtype=bool)[index].shape)
        if update_rank < selected_rank:
            (update,) = _align_to_rank([update], selected_rank)
        elif update_rank > selected_rank:  # NumPy drops an update's extra leading axes of length one
            update = reshape(update, (size, *shape(update)[1 + update_rank - selected_rank :]))
    return bind(REGISTRY["index_update"], (x, update), {"index": (slice(None), *index)})


def _searchsorted_rule(values: list, batched: tuple, side: str) -> Any:
    if batched[0]:
        raise NoBatchRule  # a sorted array per example: NumPy searches one array at a time
    return bind(REGISTRY["searchsorted"], values, {"side": side})  # all the queries in one call


def _concatenate_rule(values: list, batched: tuple, axis: int) -> Any:
    size = batch_size(values, batched)
    values = [materialize(v, b, size) for v, b in zip(values, batched)]
    return bind(REGISTRY["concatenate"], values, {"axis": axis + 1})


def _matmul_rule(values: list, batched: tuple) -> Any:
    from .products import matmul
    from .shape import reshape

    a, b = values
    a_batched, b_batched = batched
    size = batch_size(values, batched)
    a_rank, b_rank = example_rank(a, a_batched), example_rank(b, b_batched)
    # A batch against one shared matrix is one matrix product, not a stack of small ones
    # (NumPy runs a stacked product as one BLAS call per example).
    if not b_batched and b_rank == 2 and a_rank <= 2:  # rows times a shared matrix
        if a_rank == 1:
            return matmul(a, b)  # (k, n) @ (n, p)
        if type(a) is np.ndarray and type(b) is np.ndarray:
            from .products import stacked_product

            return stacked_product(a, b)
        k, m, n = shape(a)
        return reshape(matmul(reshape(a, (k * m, n)), b), (k, m, shape(b)[-1]))
    if not a_batched and a_rank == 2 and b_rank == 1:  # a shared matrix times vectors: (k, n) @ Aᵀ
        from .shape import transpose

        return matmul(b, transpose(a))
    squeeze_row = squeeze_column = False
    if a_rank == 1:  # a row vector: a matrix with one row
        a = reshape(a, (size, 1, shape(a)[-1]) if a_batched else (1, shape(a)[-1]))
        a_rank, squeeze_row = 2, True
    if b_rank == 1:  # a column vector
        b = reshape(b, (size, shape(b)[-1], 1) if b_batched else (shape(b)[-1], 1))
        b_rank, squeeze_column = 2, True
    # An unbatched operand broadcasts against the batch axis by NumPy's rules; a batched
    # one needs the common example rank so that its batch axis lines up.
    rank = max(a_rank, b_rank)
    if a_batched:
        (a,) = _align_to_rank([a], rank)
    if b_batched:
        (b,) = _align_to_rank([b], rank)
    out = matmul(a, b)
    out_shape = shape(out)
    if squeeze_row and squeeze_column:
        return reshape(out, out_shape[:-2])
    if squeeze_row:
        return reshape(out, (*out_shape[:-2], out_shape[-1]))
    if squeeze_column:
        return reshape(out, out_shape[:-1])
    return out


class NoBatchRule(Exception):
    """Raised by a rule that cannot handle a case: the core's per-example loop takes over."""


def with_fallback(prim: Any, rule: BatchRule) -> BatchRule:
    def guarded(values: list, batched: tuple, **params: Any) -> Any:
        try:
            return rule(values, batched, **params)
        except NoBatchRule:
            size = batch_size(values, batched)
            results = [bind(prim, [v[i] if b else v for v, b in zip(values, batched)], params) for i in range(size)]
            from .shape import stack

            return stack(results)

    return guarded


ELEMENTWISE = [
    "negative",
    "tanh_grad",
    "exp",
    "exp2",
    "expm1",
    "log",
    "log2",
    "log10",
    "log1p",
    "sqrt",
    "cbrt",
    "square",
    "reciprocal",
    "abs",
    "sin",
    "cos",
    "tan",
    "arcsin",
    "arccos",
    "arctan",
    "sinh",
    "cosh",
    "tanh",
    "arcsinh",
    "arccosh",
    "arctanh",
    "sign",
    "floor",
    "ceil",
    "rint",
    "trunc",
    "round",
    "floor_divide",
    "add",
    "subtract",
    "multiply",
    "divide",
    "power",
    "maximum",
    "minimum",
    "fmax",
    "fmin",
    "hypot",
    "arctan2",
    "logaddexp",
    "logaddexp2",
    "sinc",
    "remainder",
    "where",
    "astype",
    "cast",
    "sigmoid",
    "softplus",
    "relu",
    "erf",
    "erfc",
    "xlogy",
    "equal",
    "not_equal",
    "less",
    "less_equal",
    "greater",
    "greater_equal",
    "logical_and",
    "logical_or",
    "logical_xor",
    "logical_not",
    "isfinite",
    "isinf",
    "isnan",
    "signbit",
    "isclose",
    "bitwise_and",
    "bitwise_or",
    "bitwise_xor",
    "invert",
]
# Operations on the trailing (matrix) axes of stacks whose leading axes broadcast, as
# NumPy's linalg functions: the batch axis is one more stack axis.
MATRIX_STACKS = [
    "inv",
    "solve",
    "solve_triangular",
    "det",
    "logabsdet",
    "sign_of_det",
    "cholesky",
    "eigh_packed",
    "eigvalsh",
    "tril",
    "triu",
]
AXIS_SHIFTED = [
    "sum",
    "prod",
    "amax",
    "amin",
    "logsumexp",
    "stable_peak",
    "pnorm",
    "cumsum",
    "cumprod",
    "flip",
    "softmax",
    "log_softmax",
    "any",
    "all",
    "count_nonzero",
]
AXIS_OR_FLATTENED = ["argmax", "argmin", "argsort", "argpartition"]
SPECIAL: dict[str, BatchRule] = {
    "reshape": _reshape_rule,
    "transpose": _transpose_rule,
    "broadcast_to": _broadcast_to_rule,
    "sum_to": _sum_to_rule,
    "getitem": _getitem_rule,
    "scatter_add": _scatter_add_rule,
    "index_update": _index_update_rule,
    "concatenate": _concatenate_rule,
    "searchsorted": _searchsorted_rule,
    "matmul": _matmul_rule,
}


def install() -> None:
    """Attach the family rules to the registered primitives (rules set beside a primitive stay)."""
    families = [
        (ELEMENTWISE, broadcasting),
        (MATRIX_STACKS, broadcasting),
        (AXIS_SHIFTED, axis_shifted),
        (AXIS_OR_FLATTENED, axis_or_flattened),
        (list(SPECIAL), lambda prim: with_fallback(prim, SPECIAL[prim.name])),
    ]
    for names, family in families:
        for name in names:
            prim = REGISTRY[name]
            if prim.batch is not None and not getattr(prim.batch, "from_family", False):
                raise RuntimeError(f"primitive '{name}' has its own batch rule and is also listed in a family")
            prim.batch = family(prim)
            prim.batch.from_family = True
    from .shape import stack

    set_stack(stack)
