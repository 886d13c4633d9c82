"""Compiled loops for tanh's fused second-order Taylor step, through Numba when it is installed.

`second_order_steps` computes ÿ_k = s·(ẍ_k − 2y·Q_k), its VJP, and ẏ_i = s·ẋ_i as
chunked NumPy: a dozen passes over each chunk, each with a temporary. The loops here
do the same arithmetic in one pass over blocks of each operand, so that every value is
read once and no temporary leaves the first-level cache. They run only where the
operands have one example shape, one real dtype, and one memory order (row-major, or
column-major within each direction as `products.stacked_product` writes a stack); the
NumPy versions take every other case and are the reference the tests hold these to.

Numba is an optional dependency (``pip install 'wengert[fast]'``), imported on the first
step that could use it; the compiled loops are cached on disk (``cache=True``), so a
process pays the compilation once per machine and dtype. ``WENGERT_NUMBA=0`` in the
environment, or `use_compiled(False)`, keeps the NumPy versions.

Every array handed to a loop is in *memory order*: y as (outer, inner), a stack as
(outer, count, inner), each C-contiguous. A row-major operand of example shape E is
(1, prod E); a column-major one of shape (R, C) is (C, R): the loops never see which.

Two loops serve jit's fusion passes: `step_both` writes ẏ and ÿ of one step as one stack (a hidden
layer needs both), and `step_times` sums ÿ against an output layer's one column without writing it.

A first layer's directions are one row each, broadcast over the points, and have loops of their
own (`step_forward_rows`, `step_backward_rows`, `slope_times_rows`, `step_both_rows`). There y (R, C) is (R, C)
itself, or (C, R) when column-major, and a per-direction quantity is read as a row along the
inner axis or as one number per outer index.

Example:
    >>> import numpy as np
    >>> y, first = np.full((3, 4), 0.5), np.ones((2, 3, 4))
    >>> terms = (((0, 0, 1.0), (1, 1, 1.0)),)
    >>> out = step_forward(y, first, None, terms)  # None where Numba is not installed
    >>> out is None or bool(np.allclose(out, (1 - 0.25) * -2 * 0.5 * 2.0))
    True
"""

from __future__ import annotations

import functools
import math
import os
import warnings
from typing import Any

import numpy as np

from ._primitives import column_major_stack, empty_column_major_stack

SMALLEST = 512
"""Examples of fewer elements keep NumPy's ``g·(1 − y²)`` in `slope_times`: a call costs more than it saves."""

_state: dict[str, Any] = {"enabled": os.environ.get("WENGERT_NUMBA", "1") != "0", "kernels": None}


def use_compiled(enabled: bool) -> bool:
    """Turn the compiled loops on or off (off: the chunked NumPy versions); returns the previous setting.

    Example:
        >>> previous = use_compiled(False)
        >>> use_compiled(previous)
        False
    """
    previous = _state["enabled"]
    _state["enabled"] = bool(enabled)
    return previous


def available() -> bool:
    """Whether the compiled loops run: Numba is installed and they are on (importing Numba on the first call).

    Example:
        >>> available() in (True, False)
        True
    """
    return _kernels() is not None


def _load_loops() -> Any:
    """The module of compiled loops (importing Numba, and compiling or loading the cached loops)."""
    from . import numba_loops

    return numba_loops


def _kernels() -> dict | None:
    """The compiled loops, made on first use; None without Numba or when turned off."""
    if not _state["enabled"]:
        return None
    if _state["kernels"] is None:
        try:
            numba_loops = _load_loops()
        except ImportError:  # Numba is not installed
            _state["kernels"] = {}
        except Exception as error:  # noqa: BLE001  (Numba installed but unusable: e.g. no writable cache)
            warnings.warn(
                f"wengert: Numba's compiled loops are unavailable ({type(error).__name__}: {error}); "
                "the NumPy versions run instead",
                RuntimeWarning,
                stacklevel=3,
            )
            _state["kernels"] = {}
        else:
            names = (
                "forward",
                "backward",
                "slope_times",
                "forward_both",
                "forward_times",
                "forward_rows",
                "backward_rows",
                "slope_times_rows",
                "forward_rows_both",
            )
            _state["kernels"] = {name: getattr(numba_loops, name) for name in names}
    return _state["kernels"] or None


# -- operands in memory order --------------------------------------------------------------------------------


def _fits(y: Any, stacks: list) -> bool:
    """Whether y is a non-empty float array and every stack an array of y's dtype at its full shape, neither
    empty nor broadcast (copying a broadcast one into memory order costs more than the loop saves: 16 MiB,
    22 ms)."""
    if type(y) is not np.ndarray or y.dtype not in (np.float64, np.float32) or y.size == 0:
        return False
    return all(
        type(stack) is np.ndarray
        and stack.dtype == y.dtype
        and stack.shape[1:] == y.shape
        and stack.size
        and not broadcast_view(stack)
        for stack in stacks
    )


def _layout(y: Any, stacks: list) -> tuple[bool, tuple] | None:
    """(column-major?, example shape) when the operands fit the loops, else None."""
    if not _fits(y, stacks):
        return None
    columns = y.ndim == 2 and column_major_stack(stacks[0])
    return columns, y.shape


def broadcast_view(array: Any) -> bool:
    """Whether ``array`` is a NumPy view that repeats its values along an axis (a zero stride): a first
    layer's directions broadcast over the points, as jit's constants and eager stacks can hold them.

    Example:
        >>> broadcast_view(np.broadcast_to(np.ones(3), (4, 3))), broadcast_view(np.ones((4, 3)))
        (True, False)
    """
    return type(array) is np.ndarray and any(
        stride == 0 and length > 1 for stride, length in zip(array.strides, array.shape)
    )


def _memory_of_value(y: np.ndarray, columns: bool) -> np.ndarray:
    if columns:
        return np.asfortranarray(y).T
    return np.ascontiguousarray(y).reshape(1, -1)


def _memory_of_stack(stack: np.ndarray, columns: bool) -> np.ndarray | None:
    """The stack in memory order, or None where it lies otherwise (the caller copies or declines)."""
    if columns:
        memory = stack.transpose(2, 0, 1)
        return memory if memory.flags.c_contiguous else None
    return stack.reshape(1, stack.shape[0], -1) if stack.flags.c_contiguous else None


def _stack_in_memory_order(stack: np.ndarray, columns: bool, view: Any = None) -> np.ndarray:
    """``view(stack, columns)`` (default `_memory_of_stack`: the stack in memory order), made of a copy in
    the order ``columns`` names where the stack lies otherwise."""
    view = view or _memory_of_stack
    memory = view(stack, columns)
    if memory is None:
        fresh = _empty_stack(len(stack), stack.shape[1:], stack.dtype, columns)
        fresh[...] = stack
        memory = view(fresh, columns)
    return memory


def _empty_stack(count: int, example: tuple, dtype: np.dtype, columns: bool) -> np.ndarray:
    return empty_column_major_stack(count, *example, dtype) if columns else np.empty((count, *example), dtype)


@functools.lru_cache(maxsize=256)
def _term_arrays(terms: tuple, directions: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """The terms as the loops read them (`numba_loops`), or None when there are no streams or a term names a
    direction the stack lacks (the loops do not check their indices; the NumPy version raises IndexError).
    Made once per trace's terms (read-only: every step of every call shares them)."""
    if not terms or any(not (0 <= index < directions) for terms_k in terms for term in terms_k for index in term[:2]):
        return None
    width = max(1, max(map(len, terms), default=1))
    left = np.zeros((len(terms), width), np.int64)
    right = np.zeros((len(terms), width), np.int64)
    weights = np.zeros((len(terms), width), np.float64)
    counts = np.zeros(len(terms), np.int64)
    for k, terms_k in enumerate(terms):
        counts[k] = len(terms_k)
        for t, (i, j, c) in enumerate(terms_k):
            left[k, t], right[k, t], weights[k, t] = i, j, c
    for array in (left, right, weights, counts):
        array.flags.writeable = False
    return left, right, weights, counts


def _run_into(
    out: np.ndarray | None, count: int, example: tuple, dtype: np.dtype, columns: bool, run: Any, view: Any = None
) -> Any:
    """Run ``run(view(target, columns))`` into ``out`` when it lies in the loops' order (``view``, default
    `_memory_of_stack`, is not None), else into a new stack copied to ``out``."""
    view = view or _memory_of_stack
    if out is not None and out.shape != (count, *example):
        raise ValueError(f"out= has shape {out.shape}; the result has shape {(count, *example)}")
    target = out if out is not None and out.dtype == dtype else None
    memory = None if target is None else view(target, columns)
    if memory is None:
        target = _empty_stack(count, example, dtype, columns)
        memory = view(target, columns)
    run(memory)
    if out is not None and target is not out:
        out[...] = target
        return out
    return target


# -- the steps -----------------------------------------------------------------------------------------------


def step_forward(y: Any, first: Any, second: Any, terms: tuple, out: np.ndarray | None = None) -> Any:
    """ÿ_k = (1 − y²)·(ẍ_k − 2y·Q_k) for every stream by the compiled loop; None where it does not apply.

    Example:
        >>> y, first = np.zeros((2, 3)), np.ones((1, 2, 3))
        >>> out = step_forward(y, first, None, (((0, 0, 1.0),),))
        >>> out is None or bool((out == 0).all())
        True
    """
    return _run_forward("forward", y, first, second, terms, out)


def step_backward(cotangent: Any, y: Any, first: Any, second: Any, terms: tuple, out: np.ndarray | None = None) -> Any:
    """[ȳ, ẋ̄_1 … ẋ̄_F, ẍ̄_1 … ẍ̄_S] of the step by the compiled loop; None where it does not apply.

    Example:
        >>> y, first, g = np.zeros((2, 3)), np.ones((1, 2, 3)), np.ones((1, 2, 3))
        >>> out = step_backward(g, y, first, None, (((0, 0, 1.0),),))
        >>> out is None or bool((out[0] == -2.0).all() and (out[1] == 0.0).all())  # ȳ = G·(6y² − 2)·Q at y = 0
        True
    """
    kernels = _kernels()
    stacks = [first, cotangent] + ([] if second is None else [second])
    layout = None if kernels is None else _layout(y, stacks)
    arrays = None if layout is None else _term_arrays(terms, len(first))
    if arrays is None or len(cotangent) != len(terms) or (second is not None and len(second) != len(terms)):
        return None
    columns, example = layout
    value, first_memory = _memory_of_value(y, columns), _stack_in_memory_order(first, columns)
    cotangent_memory = _stack_in_memory_order(cotangent, columns)
    second_memory = cotangent_memory if second is None else _stack_in_memory_order(second, columns)
    count = 1 + len(first) + (0 if second is None else len(terms))

    def run(memory: np.ndarray) -> None:
        kernels["backward"](cotangent_memory, value, first_memory, second_memory, second is not None, *arrays, memory)

    return _run_into(out, count, example, y.dtype, columns, run)


def slope_times(stack: Any, y: Any, out: np.ndarray | None = None) -> Any:
    """(1 − y²)·stack_i for every entry of a stack of y's shape by the compiled loop; None where it does not apply.

    Example:
        >>> out = slope_times(np.ones((2, 30, 40)), np.full((30, 40), 0.5))
        >>> out is None or bool(np.allclose(out, 0.75))
        True
    """
    kernels = _kernels()
    layout = None if kernels is None or np.ndim(stack) < 2 else _layout(y, [stack])
    if layout is None or math.prod(layout[1]) < SMALLEST:
        return None
    columns, example = layout
    value, memory_in = _memory_of_value(y, columns), _stack_in_memory_order(stack, columns)

    def run(memory: np.ndarray) -> None:
        kernels["slope_times"](memory_in, value, memory)

    return _run_into(out, len(stack), example, y.dtype, columns, run)


def step_both(y: Any, first: Any, second: Any, terms: tuple, out: np.ndarray | None = None) -> Any:
    """[ẏ_1 … ẏ_F, ÿ_1 … ÿ_S] by one compiled loop: `slope_times` and `step_forward` stacked, each block of
    the directions read once for both; None where it does not apply.

    Example:
        >>> y, first = np.zeros((2, 3)), np.ones((1, 2, 3))
        >>> out = step_both(y, first, None, (((0, 0, 1.0),),))
        >>> out is None or (out.shape == (2, 2, 3) and bool((out[0] == 1).all() and (out[1] == 0).all()))
        True
    """
    return _run_forward("forward_both", y, first, second, terms, out)


def step_times(y: Any, first: Any, second: Any, terms: tuple, vector: Any) -> Any:
    """ÿ_k @ vector for every stream (S, R) by one compiled loop, ÿ never written: the step of (R, C) points,
    column-major, read by a product with one column (an output layer's); None where it does not apply.

    Example:
        >>> y, first = np.zeros((300, 4), order="F"), empty_column_major_stack(1, 300, 4, float)
        >>> first[...] = 1.0
        >>> out = step_times(y, first, None, (((0, 0, 1.0),),), np.ones(4))
        >>> out is None or (out.shape == (1, 300) and bool((out == 0).all()))
        True
    """
    if type(vector) is not np.ndarray or vector.shape != np.shape(y)[1:] or vector.dtype != getattr(y, "dtype", None):
        return None  # one weight per column
    prepared = _step_operands(y, first, second, terms, columns_only=True)  # the loop sums over the outer index
    if prepared is None:
        return None
    kernels, _, operands = prepared
    out = np.empty((len(terms), y.shape[0]), y.dtype)
    kernels["forward_times"](*operands, vector, out)
    return out


def _run_forward(loop: str, y: Any, first: Any, second: Any, terms: tuple, out: np.ndarray | None) -> Any:
    """The forward ``loop`` ("forward": ÿ; "forward_both": ẏ then ÿ) into ``out`` or a new stack; None where
    the loops do not apply."""
    prepared = _step_operands(y, first, second, terms)
    if prepared is None:
        return None
    kernels, columns, operands = prepared
    count = len(terms) + (len(first) if loop == "forward_both" else 0)

    def run(memory: np.ndarray) -> None:
        kernels[loop](*operands, memory)

    return _run_into(out, count, y.shape, y.dtype, columns, run)


def _step_operands(y: Any, first: Any, second: Any, terms: tuple, columns_only: bool = False) -> tuple | None:
    """(the loops, column-major?, the forward loops' operands: y, ẋ and ẍ in memory order, whether ẍ is
    given, the terms' arrays) for the step; None where the loops do not apply, or (``columns_only``) where
    the operands are not column-major, decided before anything is copied into memory order."""
    kernels = _kernels()
    layout = None if kernels is None else _layout(y, [first] + ([] if second is None else [second]))
    if layout is None or (columns_only and not layout[0]):
        return None
    arrays = _term_arrays(terms, len(first))
    if arrays is None or (second is not None and len(second) != len(terms)):
        return None
    columns = layout[0]
    value, first_memory = _memory_of_value(y, columns), _stack_in_memory_order(first, columns)
    second_memory = first_memory if second is None else _stack_in_memory_order(second, columns)  # unread if None
    return kernels, columns, (value, first_memory, second_memory, second is not None, *arrays)


# -- directions broadcast over the points (a first layer's) ----------------------------------------------------


def _rows_of(y: Any, first: Any) -> np.ndarray | None:
    """The directions as rows (F, C) when ``first`` is each direction broadcast over y's points — a
    (F, 1, C) or (F, C) stack, or a (F, R, C) one repeating its row by a zero stride — else None."""
    if type(first) is not np.ndarray or first.dtype != y.dtype or first.ndim not in (2, 3) or y.ndim != 2:
        return None
    if first.size == 0:
        return None
    columns = y.shape[1]
    if first.ndim == 2 and first.shape[1] == columns:
        return np.ascontiguousarray(first)
    repeated = first.ndim == 3 and (first.shape[1] == 1 or (first.strides[1] == 0 and first.shape[1] == y.shape[0]))
    return np.ascontiguousarray(first[:, 0, :]) if repeated and first.shape[2] == columns else None


def _rows_setting(y: Any, stacks: list) -> tuple[bool, np.ndarray] | None:
    """(column-major?, y in memory order) for the rows loops, when y is a 2-D float array and every stack
    has its full shape; None otherwise."""
    if np.ndim(y) != 2 or not _fits(y, stacks):
        return None
    columns = y.flags.f_contiguous and not y.flags.c_contiguous
    return columns, (y.T if columns else np.ascontiguousarray(y))


def _by_points(stack: np.ndarray, columns: bool) -> np.ndarray | None:
    """A full-shape stack (count, R, C) as the rows loops index it, (outer, count, inner) with the inner axis
    contiguous, when it lies in y's order; None otherwise."""
    if columns:
        return _memory_of_stack(stack, True)
    return stack.transpose(1, 0, 2) if stack.flags.c_contiguous else None


def _stack_by_points(stack: np.ndarray, columns: bool) -> np.ndarray:
    """`_by_points` of the stack, copied into y's order where it lies otherwise."""
    return _stack_in_memory_order(stack, columns, _by_points)


def _rows_into(out: np.ndarray | None, count: int, y: np.ndarray, columns: bool, run: Any) -> np.ndarray:
    """``run(target)`` into ``out`` or a new stack in y's order, the target indexed (outer, count, inner)."""
    return _run_into(out, count, y.shape, y.dtype, columns, run, _by_points)


def quadratics(directions: np.ndarray, terms: tuple, dtype: Any) -> np.ndarray:
    """Q_k = Σ c·ẋ_i·ẋ_j for every stream at the directions' own shape (K, …): where they are broadcast over
    the points (a first layer's rows), a row per stream.

    Example:
        >>> quadratics(np.array([[1.0, 2.0], [3.0, 0.0]]), (((0, 1, 2.0),), ((0, 0, 1.0),)), np.float64)
        array([[6., 0.],
               [1., 4.]])
    """
    out = np.zeros((len(terms), *directions.shape[1:]), dtype)
    for k, terms_k in enumerate(terms):
        for i, j, c in terms_k:
            out[k] += c * directions[i] * directions[j]
    return out


def contributions(terms_k: tuple) -> list[tuple[int, int, float]]:
    """(i, other, factor) for stream terms ``terms_k``: ẋ̄_i += factor·y·P·ẋ_other, from ∂(−2y·c·ẋ_i·ẋ_j)/∂ẋ_i.

    Example:
        >>> contributions(((0, 0, 1.0), (0, 1, 0.5)))
        [(0, 0, -4.0), (0, 1, -1.0), (1, 0, -1.0)]
    """
    out = []
    for i, j, c in terms_k:
        if c != 0.0:
            out += [(i, i, -4.0 * c)] if i == j else [(i, j, -2.0 * c), (j, i, -2.0 * c)]
    return out


def step_forward_rows(y: Any, first: Any, second: Any, terms: tuple, out: np.ndarray | None = None) -> Any:
    """`step_forward` for directions broadcast over the points (each one row); None where it does not apply.

    Example:
        >>> y, rows = np.full((600, 3), 0.5), np.ones((2, 1, 3))
        >>> out = step_forward_rows(y, rows, None, (((0, 0, 1.0), (1, 1, 1.0)),))
        >>> out is None or bool(np.allclose(out, (1 - 0.25) * -2 * 0.5 * 2.0))
        True
    """
    return _run_forward_rows(False, y, first, second, terms, out)


def _run_forward_rows(with_slopes: bool, y: Any, first: Any, second: Any, terms: tuple, out: np.ndarray | None) -> Any:
    """The rows loops' forward step (ÿ; ẏ then ÿ ``with_slopes``) into ``out`` or a new stack in y's order;
    None where they do not apply."""
    kernels = _kernels()
    rows = None if kernels is None or type(y) is not np.ndarray else _rows_of(y, first)
    setting = None if rows is None else _rows_setting(y, [] if second is None else [second])
    if setting is None or _term_arrays(terms, len(rows)) is None:
        return None
    if second is not None and len(second) != len(terms):
        return None
    columns, value = setting
    quadratic = quadratics(rows, terms, rows.dtype)
    streams = None if second is None else _stack_by_points(second, columns)

    def run(target: np.ndarray) -> None:
        dummy = target if streams is None else streams
        if with_slopes:
            kernels["forward_rows_both"](value, rows, quadratic, columns, dummy, streams is not None, target)
        else:
            kernels["forward_rows"](value, quadratic, columns, dummy, streams is not None, target)

    return _rows_into(out, len(terms) + (len(rows) if with_slopes else 0), y, columns, run)


def step_backward_rows(
    cotangent: Any, y: Any, first: Any, second: Any, terms: tuple, out: np.ndarray | None = None
) -> Any:
    """`step_backward` for directions broadcast over the points: ẋ̄ still at the full shape (the caller
    sums it over the points); None where it does not apply.

    Example:
        >>> y, rows, g = np.zeros((600, 3)), np.ones((1, 1, 3)), np.ones((1, 600, 3))
        >>> out = step_backward_rows(g, y, rows, None, (((0, 0, 1.0),),))
        >>> out is None or bool((out[0] == -2.0).all() and (out[1] == 0.0).all())
        True
    """
    kernels = _kernels()
    rows = None if kernels is None or type(y) is not np.ndarray else _rows_of(y, first)
    stacks = [cotangent] + ([] if second is None else [second])
    setting = None if rows is None else _rows_setting(y, stacks)
    if setting is None or _term_arrays(terms, len(rows)) is None or len(cotangent) != len(terms):
        return None
    if second is not None and len(second) != len(terms):
        return None
    columns, value = setting
    quadratic = quadratics(rows, terms, rows.dtype)
    pulls = np.zeros((len(terms), *rows.shape), rows.dtype)  # ẋ̄_i = Σ_k y·P_k·pulls[k, i]
    for k, terms_k in enumerate(terms):
        for this, other, factor in contributions(terms_k):
            pulls[k, this] += factor * rows[other]
    gradients = _stack_by_points(cotangent, columns)
    streams = gradients if second is None else _stack_by_points(second, columns)
    count = 1 + len(rows) + (0 if second is None else len(terms))

    def run(target: np.ndarray) -> None:
        kernels["backward_rows"](gradients, value, quadratic, pulls, columns, streams, second is not None, target)

    return _rows_into(out, count, y, columns, run)


def slope_times_rows(stack: Any, y: Any, out: np.ndarray | None = None) -> Any:
    """(1 − y²)·row_i for directions broadcast over the points, at y's full shape; None where it does not apply.

    Example:
        >>> out = slope_times_rows(np.ones((2, 1, 40)), np.full((30, 40), 0.5))
        >>> out is None or (out.shape == (2, 30, 40) and bool(np.allclose(out, 0.75)))
        True
    """
    kernels = _kernels()
    stacked = type(stack) is np.ndarray and stack.ndim == 3  # a 2-D g is one tangent of y's shape, not rows
    rows = None if kernels is None or type(y) is not np.ndarray or not stacked else _rows_of(y, stack)
    setting = None if rows is None else _rows_setting(y, [])
    if setting is None or y.size < SMALLEST:
        return None
    columns, value = setting

    def run(target: np.ndarray) -> None:
        kernels["slope_times_rows"](rows, columns, value, target)

    return _rows_into(out, len(rows), y, columns, run)


def step_both_rows(y: Any, first: Any, second: Any, terms: tuple, out: np.ndarray | None = None) -> Any:
    """`step_both` for directions broadcast over the points (each one row): ẏ at y's full shape; None where
    it does not apply.

    Example:
        >>> y, rows = np.full((600, 3), 0.5), np.ones((2, 1, 3))
        >>> out = step_both_rows(y, rows, None, (((0, 0, 1.0), (1, 1, 1.0)),))
        >>> out is None or bool(np.allclose(out[:2], 0.75) and np.allclose(out[2], 0.75 * -2 * 0.5 * 2.0))
        True
    """
    return _run_forward_rows(True, y, first, second, terms, out)
