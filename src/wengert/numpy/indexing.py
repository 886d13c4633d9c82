"""Indexing: ``x[index]`` with basic and advanced indices, its transpose scatter-add, and index updates.

The VJP of a selection scatters the cotangent back into zeros of the input's
shape; with advanced indices the scatter accumulates, so an element selected
twice receives both contributions. That accumulation (NumPy's ``np.add.at``)
is done by `add_at`, which picks the fastest exact method for the index at hand.

Index updates are JAX's ``x.at[index].set(v)``, ``.add``, ``.multiply``,
``.min``, ``.max``: out-of-place, differentiable in ``x`` and ``v`` to any
order, batched under ``vmap`` (also when the index varies across the batch).
When an index selects an element more than once, ``set`` keeps the last write
(in the C order of the selection), ``add`` adds every update, ``multiply``
multiplies by every update, and ``min``/``max`` compare with every update;
derivatives follow the value computed: only the winning write of ``set``
receives a cotangent, and ties of ``min``/``max`` split it equally among the
tied candidates, the original element included.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import numpy as np

from ..core import Tracer, bind, primal_value
from ._primitives import as_array_arg, dtype, primitive, shape, wraps_primitive
from .batching import align, batch_size, materialize
from .logic import detach, equal, greater, isnan, logical_and, logical_or, mask_value, static_value, stays_traced

_shape = shape  # (``shape`` is also a parameter name of the scatter rules)


def _is_advanced(index: tuple) -> bool:
    for item in index:
        if isinstance(item, (np.ndarray, list)) or (
            not isinstance(item, (int, np.integer, slice)) and item is not None and item is not Ellipsis
        ):
            return True
    return False


def normalize_index(index: Any) -> Any:
    """An index with tensors and tracers replaced by their plain integer/boolean values."""
    if isinstance(index, tuple):
        return tuple(normalize_index(item) for item in index)
    if isinstance(index, Tracer):
        value = static_value(index, "an index")
        if np.asarray(value).dtype.kind == "f":
            raise IndexError("only integers, slices, ellipsis, None and integer or boolean arrays are valid indices")
        return value
    if isinstance(index, list):
        return np.asarray([static_value(i, "an index") for i in index])
    return index


# -- accumulating into zeros: np.add.at by the fastest exact method -------------------------------
#
# The VJP of a gather x[labels] sums cotangent rows by label. NumPy's np.add.at is fast for 1-D
# operands but slow once each index selects a row, which made it over half of a Gaussian
# mixture's gradient. Indices of the common form (full slices, then adjacent integer arrays, then
# full slices) are reduced to `labels` (n,) into `rows` rows of `width` elements, and summed by
# the method that measured fastest (benchmarks/b8_gather_scatter.py), each exact up to the order
# of summation:
#
# * a 1-D output, or rows of one element: np.add.at itself (NumPy 2's fast 1-D path, as fast as
#   np.bincount and without its float64 conversion); also fewer than 2,048 values, where working
#   out the method would cost more than it saves;
# * few rows, no more than the row width (or 4): a one-hot matrix product, (labels == k) @ values,
#   in chunks (BLAS does the sums; redone another way if the result is not finite, since 0 * inf
#   would spread a NaN to every row);
# * narrow rows (width 2 to 4): np.bincount per column (float64 sums, cast back to the dtype);
# * otherwise: np.add.at on the raveled output, with each row's label spread over its width
#   (the 1-D fast path again; the sums are those of np.add.at, in the same order).
#
# A cotangent that is one row broadcast to every label (a sum's) is that row times each label's count.
# Other indices (None, slices that are not full, non-float dtypes) go to np.add.at itself.

_ONE_HOT_MAX_ROWS = 32
_ONE_HOT_CHUNK = 1 << 15
_BINCOUNT_MAX_WIDTH = 4
_SMALL = 2048


class _Rows(NamedTuple):
    """An accumulation ``out[labels] += values`` seen as rows: labels (n,) into ``rows`` rows of ``width``."""

    labels: np.ndarray
    rows: int
    width: int
    selected: tuple[int, ...]  # the shape of zeros[index], which the values must have


def _full_slice(item: Any, size: int) -> bool:
    return isinstance(item, slice) and item.indices(size) == (0, size, 1)


def _as_rows(index: Any, shape: tuple[int, ...]) -> _Rows | bool | None:
    """``index`` into ``shape`` in rows form; True when it cannot select an element twice; None otherwise."""
    items = list(index) if isinstance(index, tuple) else [index]
    if any(item is None for item in items):
        return None
    if not any(isinstance(item, np.ndarray) and item.dtype.kind in "iu" for item in items):
        return True  # ints, slices, boolean masks: every element at most once
    consumed = sum(
        item.ndim if isinstance(item, np.ndarray) and item.dtype.kind == "b" else 1
        for item in items
        if item is not Ellipsis
    )
    ellipses = [position for position, item in enumerate(items) if item is Ellipsis]
    if consumed > len(shape) or len(ellipses) > 1:
        return None  # np.add.at raises NumPy's own error
    at = ellipses[0] if ellipses else len(items)
    items[at : at + 1] = [slice(None)] * (len(shape) - consumed)
    arrays: list[np.ndarray] = []
    axes: list[int] = []
    axis = 0
    for item in items:
        if isinstance(item, slice):
            if axis >= len(shape) or not _full_slice(item, shape[axis]):
                return None
            axis += 1
            continue
        item = np.asarray(item)
        if item.dtype.kind == "b" and item.ndim:
            pieces = np.nonzero(item)
        elif item.dtype.kind in "iu":
            pieces = (item,)
        else:
            return None
        for piece in pieces:
            arrays.append(piece)
            axes.append(axis)
            axis += 1
    if axis != len(shape) or axes != list(range(axes[0], axes[0] + len(axes))):
        return None
    first, last = axes[0], axes[-1] + 1
    arrays = list(np.broadcast_arrays(*arrays))
    for position, (array, size) in enumerate(zip(arrays, shape[first:last])):
        if not array.size:
            continue
        low, high = array.min(), array.max()
        if low < -size or high >= size:
            bad = high if high >= size else low
            raise IndexError(f"index {bad} is out of bounds for axis {first + position} with size {size}")
        if low < 0:
            arrays[position] = np.where(array < 0, array + size, array)
    block = shape[first:last]
    labels = np.ravel_multi_index(arrays, block) if len(arrays) > 1 else arrays[0].astype(np.intp, copy=False)
    rows = math.prod(block)
    lead = math.prod(shape[:first])
    if lead > 1:  # full slices in front: each leading position has its own block of rows
        labels = (np.arange(lead)[:, None] * rows + labels.reshape(1, -1)).reshape(-1)
        rows *= lead
    selected = (*shape[:first], *arrays[0].shape, *shape[last:])
    return _Rows(labels.reshape(-1), rows, math.prod(shape[last:]), selected)


def _one_hot_sums(labels: np.ndarray, values: np.ndarray, rows: int) -> np.ndarray:
    out = np.zeros((rows, values.shape[1]), dtype=values.dtype)
    row_numbers = np.arange(rows)[:, None]
    for start in range(0, len(labels), _ONE_HOT_CHUNK):
        stop = start + _ONE_HOT_CHUNK
        one_hot = (row_numbers == labels[start:stop]).astype(values.dtype)
        with np.errstate(invalid="ignore", over="ignore"):  # 0 * inf: the caller checks and retries
            out += one_hot @ values[start:stop]
    return out


def _bincount_sums(labels: np.ndarray, values: np.ndarray, rows: int) -> np.ndarray:
    out = np.empty((rows, values.shape[1]), dtype=values.dtype)
    for column in range(values.shape[1]):
        out[:, column] = np.bincount(labels, weights=values[:, column], minlength=rows)
    return out


def _spread_add_at(labels: np.ndarray, values: np.ndarray, rows: int) -> np.ndarray:
    width = values.shape[1]
    out = np.zeros(rows * width, dtype=values.dtype)
    positions = (labels[:, None] * width + np.arange(width)).reshape(-1)
    np.add.at(out, positions, values.reshape(-1))
    return out.reshape(rows, width)


def add_at(values: Any, index: Any, shape: tuple[int, ...]) -> np.ndarray:
    """Zeros of ``shape`` with ``values`` added at ``index``, repeated positions accumulating.

    The result of ``out = np.zeros(shape); np.add.at(out, index, values)``,
    computed by the fastest exact method for the index (``np.add.at`` itself
    for 1-D outputs, a one-hot matrix product, ``np.bincount`` per column, or
    ``np.add.at`` on the raveled output; see the comment above). Sums may be taken in another order than
    ``np.add.at``'s; float32 values give float32 sums.

    Example:
        >>> add_at(np.ones(4), np.array([0, 2, 0, 0]), (3,))
        array([3., 0., 1.])
    """
    values = np.asarray(values)
    out_dtype = values.dtype
    shape = tuple(shape)
    rows = None if len(shape) == 1 or values.size < _SMALL else _as_rows(index, shape)
    if rows is True:
        out = np.zeros(shape, dtype=out_dtype)
        out[index] = values
        return out
    if rows is None or out_dtype not in (np.float64, np.float32):
        out = np.zeros(shape, dtype=out_dtype)
        np.add.at(out, index, values)
        return out
    if values.shape != rows.selected:
        values = np.broadcast_to(values, rows.selected)
    labels, count, width = rows.labels, rows.rows, rows.width
    table = values.reshape(len(labels), width)
    if len(labels) > 1 and table.strides[0] == 0:
        # The same row for every label (the cotangent of a sum, broadcast): each row times its count.
        counts = np.bincount(labels, minlength=count).astype(out_dtype)
        return (counts[:, None] * table[0]).reshape(shape)
    if width > 1 and count <= _ONE_HOT_MAX_ROWS and count <= max(width, 4) or width > _BINCOUNT_MAX_WIDTH:
        table = np.ascontiguousarray(table)  # (BLAS and the raveled np.add.at want it; a no-op if it is)
    if width == 1:
        sums = np.zeros((count, 1), dtype=out_dtype)
        np.add.at(sums.reshape(-1), labels, table.reshape(-1))
    elif count <= _ONE_HOT_MAX_ROWS and count <= max(width, 4):
        sums = _one_hot_sums(labels, table, count)
        if not np.isfinite(sums).all():
            sums = _spread_add_at(labels, table, count)
    elif width <= _BINCOUNT_MAX_WIDTH:
        sums = _bincount_sums(labels, table, count)
    else:
        sums = _spread_add_at(labels, table, count)
    return sums.reshape(shape)


def _scatter_impl(cotangent: Any, index: Any, shape: tuple[int, ...], accumulate: bool) -> Any:
    if accumulate:
        return add_at(cotangent, index, shape)
    out = np.zeros(shape, dtype=np.result_type(cotangent))
    out[index] = cotangent
    return out


scatter_add_p = primitive(
    "scatter_add",
    _scatter_impl,
    jvp=(lambda t, ans, cotangent, index, shape, accumulate: _scatter_selection(t, index, shape),),
    vjp=(lambda g, ans, cotangent, index, shape, accumulate: getitem(g, index),),
    linear=True,
)


@wraps_primitive(scatter_add_p)
def scatter_add(values: Any, index: Any, shape: tuple[int, ...]) -> Any:
    """Zeros of ``shape`` with ``values`` added at ``index`` (repeated indices accumulate).

    ``values`` is broadcast to the shape of ``zeros(shape)[index]``.

    Example:
        >>> scatter_add(np.ones(3), np.array([0, 0, 2]), (3,))
        array([2., 0., 1.])
    """
    index = normalize_index(index)
    if isinstance(values, Tracer):
        selected = _selected_shape(tuple(shape), index)
        if tuple(_shape(values)) != selected:  # broadcast first, so the VJP gives values' own shape back
            from .shape import broadcast_to

            values = broadcast_to(values, selected)
    return _scatter_selection(values, index, shape)


def _scatter_selection(values: Any, index: Any, shape: tuple[int, ...]) -> Any:
    """`scatter_add` of values shaped like ``zeros(shape)[index]``, the index normalised (the rules' path)."""
    key = index if isinstance(index, tuple) else (index,)
    params = {"index": index, "shape": tuple(shape), "accumulate": _is_advanced(key)}
    if isinstance(values, Tracer):
        return bind(scatter_add_p, (values,), params)
    return _scatter_impl(values, **params)


getitem_p = primitive(
    "getitem",
    lambda x, index: x[index],
    jvp=(lambda t, ans, x, index: getitem(t, index),),
    vjp=(lambda g, ans, x, index: _scatter_selection(g, index, shape(x)),),
    linear=True,
)


@wraps_primitive(getitem_p)
def getitem(x: Any, index: Any) -> Any:
    """``x[index]`` for basic and advanced indices.

    Under ``vmap`` the integer index arrays may vary across the batch (``logits[label]``
    with a batch of labels): the selection is then a `gather`.

    Example:
        >>> getitem(np.arange(5.0), slice(1, 3))
        array([1., 2.])
    """
    if _varies_across_batch(index):
        return _gather(x, index)
    index = normalize_index(index)
    if isinstance(x, Tracer):
        return x._trace.process(getitem_p, (x,), {"index": index})
    return np.asarray(x)[index]


# -- indices that vary across a vmap batch ------------------------------------------------------------
#
# A static index is a parameter of getitem; an index that differs from example to example
# cannot be. `gather` takes its integer index arrays as (non-differentiable) arguments, so
# the batch trace sees them; ``template`` is the index with a `_Slot` where each array goes.
# Its transpose `scatter` accumulates into zeros. Both batch by putting an arange over the
# examples in front of the index.


class _Slot(NamedTuple):
    """In a gather's index template: the place of positional index array ``number``."""

    number: int


def _fill(template: tuple, arrays: Any) -> tuple:
    return tuple(arrays[item.number] if isinstance(item, _Slot) else item for item in template)


def _varies_across_batch(index: Any) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    # Batched under vmap, or staged by jit: the index arrays are arguments of a gather, not parameters.
    return any(isinstance(item, Tracer) and stays_traced(item) for item in items)


def _gather(x: Any, index: Any) -> Any:
    """``x[index]`` where some index arrays are batch tracers: normalise to a template, then gather."""
    items = list(index) if isinstance(index, tuple) else [index]
    if any(item is None for item in items):
        raise NotImplementedError("indexing: newaxis (None) together with an index that varies across the vmap batch")
    arrays: list = []
    template: list = []
    consumed = 0
    for item in items:
        if item is Ellipsis:
            template.append(Ellipsis)
            continue
        if isinstance(item, Tracer) and stays_traced(item):
            item = mask_value(item)  # no derivative flows into an index
            kind = dtype(item).kind
            if kind == "b":
                raise NotImplementedError(
                    "indexing with a boolean mask that varies across the vmap batch, or that jit stages, has a "
                    "data-dependent shape; use where(mask, x, 0) instead"
                )
            if kind not in "iu":
                raise IndexError("only integer arrays are valid indices (got a batch of floats)")
            template.append(_Slot(len(arrays)))
            arrays.append(item)
            consumed += 1
            continue
        item = normalize_index(item)
        if isinstance(item, (int, np.integer, slice)):
            template.append(item)
            consumed += 1
            continue
        item = np.asarray(item)
        # A boolean array is the tuple of its nonzero positions.
        pieces = np.nonzero(item) if item.dtype.kind == "b" else (item,)
        for piece in pieces:
            template.append(_Slot(len(arrays)))
            arrays.append(piece)
            consumed += 1
    if Ellipsis in template:
        at = template.index(Ellipsis)
        template[at : at + 1] = [slice(None)] * (len(shape(x)) - consumed)
    return bind(gather_p, (x, *arrays), {"template": tuple(template)})


def _batched_template(values: list, batched: tuple, template: tuple) -> tuple[tuple, list, int, int]:
    """The template of one gather over the whole batch, with the arrays and the result's layout.

    Returns (template, arrays, rank of the broadcast index arrays B, number of slice axes that
    come before B in one example's result). NumPy puts B where the index arrays stand when
    they are adjacent, and first otherwise; with the batch arange in front the batched result
    is always (batch, B, slice axes), so the slice axes that stood before B move back.
    """
    size = batch_size(values, batched)
    arrays, arrays_batched = list(values[1:]), batched[1:]
    shapes = [
        (
            tuple(shape(arrays[item.number]))[1 if arrays_batched[item.number] else 0 :]
            if isinstance(item, _Slot)
            else ()
        )
        for item in template
        if not isinstance(item, slice)
    ]
    rank = len(np.broadcast_shapes(*shapes))
    arrays = [align([a], (True,), rank)[0] if b else a for a, b in zip(arrays, arrays_batched)]
    advanced = [i for i, item in enumerate(template) if not isinstance(item, slice)]
    adjacent = advanced == list(range(advanced[0], advanced[-1] + 1))
    before = advanced[0] if adjacent else 0
    batch_slot = _Slot(len(arrays))
    arrays.append(np.arange(size).reshape((size,) + (1,) * rank))
    return (batch_slot, *template), arrays, rank, before


def _batch_layout(rank: int, before: int, result_rank: int) -> tuple[int, ...]:
    """The axes order taking a batched gather's (batch, B, slices) to the examples' layout."""
    moved = list(range(1 + rank, 1 + rank + before))
    return (0, *moved, *range(1, 1 + rank), *range(1 + rank + before, result_rank))


def _gather_batch(values: list, batched: tuple, template: tuple) -> Any:
    from .shape import transpose

    x = materialize(values[0], batched[0], batch_size(values, batched))
    batch_template, arrays, rank, before = _batched_template(values, batched, template)
    out = bind(gather_p, (x, *arrays), {"template": batch_template})
    return transpose(out, _batch_layout(rank, before, len(shape(out))))


def _scatter_batch(values: list, batched: tuple, template: tuple, shape: tuple[int, ...]) -> Any:
    from .shape import transpose

    size = batch_size(values, batched)
    g = materialize(values[0], batched[0], size)
    batch_template, arrays, rank, before = _batched_template(values, batched, template)
    order = _batch_layout(rank, before, len(_shape(g)))
    g = transpose(g, tuple(int(i) for i in np.argsort(order)))
    return bind(scatter_p, (g, *arrays), {"template": batch_template, "shape": (size, *shape)})


def _gather_impl(x: Any, *arrays: Any, template: tuple) -> Any:
    return np.asarray(x)[_fill(template, arrays)]


def _scatter_impl_at(g: Any, *arrays: Any, template: tuple, shape: tuple[int, ...]) -> Any:
    return add_at(g, _fill(template, arrays), shape)


class _FirstArgumentOnly:
    """VJP rules when only the first argument is differentiable (the others are index arrays)."""

    def __init__(self, rule: Any) -> None:
        self.rule = rule

    def __getitem__(self, index: int) -> Any:
        return self.rule if index == 0 else None


gather_p = primitive(
    "gather",
    _gather_impl,
    jvp_joint=lambda tangents, ans, x, *arrays, template: (
        None if tangents[0] is None else bind(gather_p, (tangents[0], *arrays), {"template": template})
    ),
    batch=_gather_batch,
    linear=True,
)
gather_p.vjp = _FirstArgumentOnly(
    lambda g, ans, x, *arrays, template: bind(scatter_p, (g, *arrays), {"template": template, "shape": _shape(x)})
)
scatter_p = primitive(
    "scatter",
    _scatter_impl_at,
    jvp_joint=lambda tangents, ans, g, *arrays, template, shape: (
        None if tangents[0] is None else bind(scatter_p, (tangents[0], *arrays), {"template": template, "shape": shape})
    ),
    batch=_scatter_batch,
    linear=True,
)
scatter_p.vjp = _FirstArgumentOnly(
    lambda g, ans, values, *arrays, template, shape: bind(gather_p, (g, *arrays), {"template": template})
)


# -- index_update: a copy of x with x[index] = values, the last write winning --------------------------
#
# NumPy leaves unspecified which value an element selected twice by an assignment ends up with;
# here it is always the last one in the C order of the selection, and the derivative follows
# that choice: only the winning update receives the cotangent of the element.


def _can_repeat(index: Any) -> bool:
    """Whether ``index`` holds an integer array (the only kind of index that can select an element twice)."""
    items = index if isinstance(index, tuple) else (index,)
    return any(isinstance(item, np.ndarray) and item.dtype.kind in "iu" for item in items)


def _flat_targets(x_shape: tuple[int, ...], index: Any) -> np.ndarray:
    """For each element of ``x[index]``, the position in raveled ``x`` of the element it selects."""
    return np.arange(math.prod(x_shape)).reshape(x_shape)[index]


def _repeat_ranks(targets: np.ndarray, from_last: bool) -> np.ndarray:
    """For each write to ``targets``, how many writes to the same target come before it (after it, ``from_last``)."""
    flat = np.asarray(targets).reshape(-1)
    count = flat.size
    order = np.argsort(flat, kind="stable")
    ordered = flat[order]
    starts_group = np.ones(count, dtype=bool)
    starts_group[1:] = ordered[1:] != ordered[:-1]
    starts = np.flatnonzero(starts_group)
    sizes = np.diff(np.append(starts, count))
    within = np.arange(count) - np.repeat(starts, sizes)
    if from_last:
        within = np.repeat(sizes, sizes) - 1 - within
    ranks = np.empty(count, dtype=np.intp)
    ranks[order] = within
    return ranks.reshape(np.shape(targets))


def _last_writes(x_shape: tuple[int, ...], index: Any) -> tuple[np.ndarray, np.ndarray] | None:
    """(targets, winners) if ``index`` selects an element of ``x`` twice (winners: each last write), else None."""
    if not _can_repeat(index):
        return None
    targets = _flat_targets(x_shape, index)
    winners = _repeat_ranks(targets, from_last=True) == 0
    if winners.all():
        return None
    return targets, winners


def _fit_plain(values: Any, selected: tuple[int, ...]) -> np.ndarray:
    """Plain ``values`` broadcast to the selection's shape as NumPy's assignment does (extra leading 1s dropped)."""
    values = np.asarray(values)
    extra = values.ndim - len(selected)
    if extra > 0 and all(size == 1 for size in values.shape[:extra]):
        values = values.reshape(values.shape[extra:])
    return np.broadcast_to(values, selected)


def _index_update_impl(x: Any, values: Any, index: Any) -> Any:
    out = np.array(x, copy=True)
    repeats = _last_writes(out.shape, index)
    if repeats is None:
        out[index] = values
        return out
    targets, winners = repeats
    np.put(out, targets[winners], _fit_plain(values, targets.shape)[winners])
    return out


def _index_update_values_cotangent(g: Any, ans: Any, x: Any, values: Any, index: Any) -> Any:
    from .elementwise import where
    from .shape import reshape, unbroadcast

    picked = getitem(g, index)
    repeats = _last_writes(tuple(shape(x)), index)
    if repeats is not None:  # an update overwritten by a later one does not reach the output
        picked = where(repeats[1], picked, 0.0)
    # NumPy also accepts values with extra leading axes of length one (x[1:3, 2] = [[a, b]]).
    missing = len(shape(values)) - len(shape(picked))
    if missing > 0:
        picked = reshape(picked, (1,) * missing + tuple(shape(picked)))
    return unbroadcast(picked, values)


def _kept(t: Any, x: Any, index: Any) -> Any:
    """``t`` where ``x`` keeps its elements, 0 where the update overwrites them."""
    from .elementwise import where

    return where(_kept_mask(x, index), t, 0.0)


index_update_p = primitive(
    "index_update",
    _index_update_impl,
    jvp=(
        lambda t, ans, x, values, index: _kept(t, x, index),
        lambda t, ans, x, values, index: index_update(np.zeros(shape(ans), dtype=dtype(ans)), t, index),
    ),
    vjp=(lambda g, ans, x, values, index: _kept(g, x, index), _index_update_values_cotangent),
    linear=True,
)


def _kept_mask(x: Any, index: Any) -> np.ndarray:
    mask = np.ones(shape(x), dtype=bool)
    mask[index] = False
    return mask


@wraps_primitive(index_update_p)
def index_update(x: Any, values: Any, index: Any) -> Any:
    """A copy of ``x`` with ``x[index] = values`` (JAX's ``x.at[index].set(values)``).

    Where ``index`` selects an element more than once, the last write (in the
    C order of the selection) wins, and only it is differentiated.

    Example:
        >>> index_update(np.zeros(3), 5.0, 1)
        array([0., 5., 0.])
        >>> index_update(np.zeros(3), np.array([1.0, 2.0]), np.array([0, 0]))
        array([2., 0., 0.])
    """
    index = normalize_index(index)
    if isinstance(x, Tracer) or isinstance(values, Tracer):
        return bind(index_update_p, (x, values), {"index": index})
    return _index_update_impl(x, values, index)


# -- index updates: x.at[index].set(v), .add, .multiply, .min, .max, .get ---------------------------
#
# With a static index, set is `index_update`, add is x + scatter_add(v), and multiply is
# x * index_update(ones, v) when no element is selected twice; these are the fast paths.
# Everything else works on raveled x with `targets`, the raveled positions the index selects
# (a batched integer array when the index varies across a vmap batch): add scatters, set keeps
# the last write of each target, multiply takes the writes to each target in rounds (the k-th
# write of every target in round k, so each round writes a target at most once), and min/max
# is a primitive of its own, `scatter_extremum`, whose rules split ties equally.

_FLAT = (_Slot(0),)  # the gather/scatter template of one index array into a 1-D value


def _gather_flat(x: Any, targets: Any) -> Any:
    return bind(gather_p, (x, targets), {"template": _FLAT})


def _scatter_flat(values: Any, targets: Any, size: int) -> Any:
    return bind(scatter_p, (values, targets), {"template": _FLAT, "shape": (size,)})


def _repeat_rank_batch(values: list, batched: tuple, from_last: bool) -> Any:
    from .elementwise import add
    from .shape import reshape

    (targets,) = values
    size = _shape(targets)[0]
    raw = primal_value(targets)
    span = int(raw.max()) + 1 if raw.size else 1
    offsets = (np.arange(size) * span).reshape((size,) + (1,) * (len(_shape(targets)) - 1))
    flat = reshape(add(targets, offsets), (-1,))  # the examples' targets kept apart
    return reshape(bind(repeat_rank_p, (flat,), {"from_last": from_last}), _shape(targets))


repeat_rank_p = primitive(
    "repeat_rank",
    lambda targets, from_last: _repeat_ranks(targets, from_last),
    differentiable=False,
    batch=_repeat_rank_batch,
)


def _scatter_extremum_impl(x: Any, values: Any, targets: Any, kind: str) -> Any:
    out = np.array(x, copy=True)
    (np.maximum if kind == "max" else np.minimum).at(out, targets, values)
    return out


def _hits(a: Any, b: Any) -> Any:
    """Where ``a`` equals ``b``, NaN matching NaN (a NaN candidate is what an extremum returns)."""
    return logical_or(equal(a, b), logical_and(isnan(a), isnan(b)))


def _extremum_shares(ans: Any, x: Any, values: Any, targets: Any) -> tuple[Any, Any]:
    """The derivative's weights of x's elements and of the updates: 1/k for each of k tied candidates, else 0.

    They are constants to differentiation (comparisons), batched under vmap.
    """
    from .elementwise import astype

    ans, x, values = detach(ans), detach(x), detach(values)
    share_dtype = np.result_type(dtype(x), np.float32)
    x_hits = astype(_hits(x, ans), share_dtype)
    value_hits = astype(_hits(values, _gather_flat(ans, targets)), share_dtype)
    counts = x_hits + _scatter_flat(value_hits, targets, _shape(x)[0])
    return x_hits / counts, value_hits / _gather_flat(counts, targets)


def _scatter_extremum_jvp(tangents: Any, ans: Any, x: Any, values: Any, targets: Any, kind: str) -> Any:
    x_share, value_share = _extremum_shares(ans, x, values, targets)
    x_tangent, value_tangent = tangents[0], tangents[1]
    out = None if x_tangent is None else x_tangent * x_share
    if value_tangent is not None:
        spread = _scatter_flat(value_tangent * value_share, targets, _shape(x)[0])
        out = spread if out is None else out + spread
    return out


def _scatter_extremum_vjp(g: Any, ans: Any, x: Any, values: Any, targets: Any, kind: str) -> tuple:
    x_share, value_share = _extremum_shares(ans, x, values, targets)
    return g * x_share, _gather_flat(g, targets) * value_share, None


def _scatter_extremum_batch(values: list, batched: tuple, kind: str) -> Any:
    from .elementwise import add
    from .shape import reshape

    size = batch_size(values, batched)
    x, updates, targets = (materialize(value, flag, size) for value, flag in zip(values, batched))
    length = _shape(x)[1]
    targets = add(targets, (np.arange(size) * length).reshape(size, 1))  # example e writes into row e
    flat = (reshape(x, (-1,)), reshape(updates, (-1,)), reshape(targets, (-1,)))
    return reshape(bind(scatter_extremum_p, flat, {"kind": kind}), (size, length))


scatter_extremum_p = primitive(
    "scatter_extremum",
    _scatter_extremum_impl,
    jvp_joint=_scatter_extremum_jvp,
    vjp_joint=_scatter_extremum_vjp,
    batch=_scatter_extremum_batch,
)


_MODES = (None, "promise_in_bounds")


def _check_mode(operation: str, mode: Any, fill_value: Any = None) -> None:
    if mode not in _MODES or fill_value is not None:
        raise NotImplementedError(
            f"x.at[index].{operation}(mode={mode!r}, fill_value={fill_value!r}): wengert supports in-bounds "
            "indices only (an out-of-bounds index raises IndexError, as in NumPy); JAX's 'clip', 'drop' and "
            "'fill' modes are not implemented"
        )


def _cast_update(values: Any, x_dtype: np.dtype, operation: str) -> Any:
    """``values`` in ``x``'s dtype; refused where NumPy's same_kind rule refuses (float into int...)."""
    values_dtype = dtype(values)
    if values_dtype == x_dtype:
        return values
    if not np.can_cast(values_dtype, x_dtype, casting="same_kind"):
        raise TypeError(
            f"x.at[index].{operation}(values): values of dtype {values_dtype} cannot be written into x of dtype "
            f"{x_dtype} without changing their kind (NumPy's same_kind rule); convert x first, e.g. "
            f"x.astype({values_dtype.name!r})"
        )
    if isinstance(values, Tracer):
        from .elementwise import astype

        return astype(values, x_dtype)
    return np.asarray(values, dtype=x_dtype)


def _selected_shape(x_shape: tuple[int, ...], index: Any) -> tuple[int, ...]:
    """The shape of ``x[index]`` (NumPy's IndexError for an index out of bounds)."""
    return np.broadcast_to(np.zeros((), dtype=bool), x_shape)[index].shape


def _fit(values: Any, selected: tuple[int, ...], operation: str) -> Any:
    """``values`` broadcast to the selection's shape, as NumPy's assignment broadcasts them."""
    from .shape import broadcast_to, reshape

    value_shape = tuple(shape(values))
    extra = len(value_shape) - len(selected)
    if extra > 0 and all(size == 1 for size in value_shape[:extra]):
        value_shape = value_shape[extra:]
        values = reshape(values, value_shape)
    try:
        fits = np.broadcast_shapes(value_shape, selected) == tuple(selected)
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(
            f"x.at[index].{operation}(values): values of shape {value_shape} cannot be broadcast to the shape "
            f"{tuple(selected)} of x[index]"
        )
    return broadcast_to(values, selected)


def _update_flat(x: Any, targets: Any, values: Any, operation: str) -> Any:
    """The update on raveled ``x`` at raveled positions ``targets`` (static or batched), reshaped back."""
    from .elementwise import add, astype, multiply, where
    from .shape import reshape

    x_shape = tuple(shape(x))
    size = math.prod(x_shape)
    x_flat = reshape(x, (-1,))
    values = reshape(_fit(values, tuple(shape(targets)), operation), (-1,))
    targets = reshape(targets, (-1,))
    if operation == "add":
        out = add(x_flat, _scatter_flat(values, targets, size))
    elif operation == "set":
        written = greater(_scatter_flat(np.ones(shape(targets)), targets, size), 0.0)
        last = equal(bind(repeat_rank_p, (targets,), {"from_last": True}), 0)
        out = where(written, _scatter_flat(where(last, values, 0.0), targets, size), x_flat)
    elif operation == "multiply":
        ranks = bind(repeat_rank_p, (targets,), {"from_last": False})
        raw = primal_value(ranks)
        out = x_flat
        for round_number in range(int(raw.max()) + 1 if raw.size else 0):
            in_round = equal(ranks, round_number)
            written = greater(_scatter_flat(astype(in_round, np.float64), targets, size), 0.0)
            factor = where(written, _scatter_flat(where(in_round, values, 0.0), targets, size), 1.0)
            out = multiply(out, factor)
    else:
        out = bind(scatter_extremum_p, (x_flat, values, targets), {"kind": operation})
    return reshape(out, x_shape)


def _update(x: Any, index: Any, values: Any, operation: str, mode: Any) -> Any:
    from .elementwise import add, multiply, negative

    _check_mode(operation, mode)
    x = as_array_arg(x)
    values = _cast_update(as_array_arg(values), dtype(x), operation)
    if operation == "subtract":
        operation, values = "add", negative(values)
    if _varies_across_batch(index):
        x_shape = tuple(shape(x))
        targets = getitem(np.arange(math.prod(x_shape)).reshape(x_shape), index)
        return _update_flat(x, targets, values, operation)
    index = normalize_index(index)
    x_shape = tuple(shape(x))
    selected = _selected_shape(x_shape, index)
    fitted = _fit(values, selected, operation)
    if operation == "set":
        return index_update(x, values, index)  # (NumPy broadcasts, the VJP sums back)
    if operation == "add":
        return add(x, scatter_add(fitted, index, x_shape))
    if operation == "multiply" and _last_writes(x_shape, index) is None:
        return multiply(x, index_update(np.ones(x_shape, dtype=dtype(x)), fitted, index))
    return _update_flat(x, _flat_targets(x_shape, index), fitted, operation)


class IndexUpdateRef:
    """``x.at[index]``: the elements of ``x`` at ``index``, to read (`get`) or to update out of place.

    Every update returns a new value and leaves ``x`` unchanged. It is
    differentiable in ``x`` and in the update values, to any order, and
    batches under ``vmap`` (the index may vary across the batch). Values are
    broadcast to the shape of ``x[index]`` and cast to ``x``'s dtype (a cast
    that changes their kind, float into int, raises TypeError).

    Where the index selects an element more than once: ``set`` keeps the last
    write (C order of the selection), ``add`` adds every update, ``multiply``
    multiplies by every update, ``min``/``max`` compare with every update.
    Derivatives follow the value: only the winning write of ``set`` receives
    the element's cotangent; ties of ``min``/``max`` share it equally among
    the tied candidates, the original element included.

    ``indices_are_sorted`` and ``unique_indices`` are accepted for JAX's sake
    and not needed: repeats are detected. Out-of-bounds indices raise
    IndexError, as in NumPy (JAX's ``mode`` options are not implemented).
    """

    __slots__ = ("x", "index")

    def __init__(self, x: Any, index: Any) -> None:
        self.x = x
        self.index = index

    def __repr__(self) -> str:
        return f"IndexUpdateRef({self.x!r}, {self.index!r})"

    def get(
        self,
        *,
        indices_are_sorted: bool = False,
        unique_indices: bool = False,
        mode: Any = None,
        fill_value: Any = None,
    ) -> Any:
        """``x[index]``.

        Example:
            >>> at(np.arange(4.0))[1:3].get()
            array([1., 2.])
        """
        _check_mode("get", mode, fill_value)
        return getitem(self.x, self.index)

    def set(
        self, values: Any, *, indices_are_sorted: bool = False, unique_indices: bool = False, mode: Any = None
    ) -> Any:
        """A copy of ``x`` with ``values`` written at ``index`` (the last write wins on repeats).

        Example:
            >>> at(np.zeros(3))[np.array([0, 2, 0])].set(np.array([1.0, 2.0, 3.0]))
            array([3., 0., 2.])
        """
        return _update(self.x, self.index, values, "set", mode)

    def add(
        self, values: Any, *, indices_are_sorted: bool = False, unique_indices: bool = False, mode: Any = None
    ) -> Any:
        """A copy of ``x`` with ``values`` added at ``index`` (repeats accumulate).

        Example:
            >>> at(np.zeros(3))[np.array([0, 2, 0])].add(1.0)
            array([2., 0., 1.])
        """
        return _update(self.x, self.index, values, "add", mode)

    def subtract(
        self, values: Any, *, indices_are_sorted: bool = False, unique_indices: bool = False, mode: Any = None
    ) -> Any:
        """A copy of ``x`` with ``values`` subtracted at ``index`` (repeats accumulate).

        Example:
            >>> at(np.zeros(3))[1].subtract(2.0)
            array([ 0., -2.,  0.])
        """
        return _update(self.x, self.index, values, "subtract", mode)

    def multiply(
        self, values: Any, *, indices_are_sorted: bool = False, unique_indices: bool = False, mode: Any = None
    ) -> Any:
        """A copy of ``x`` with its elements at ``index`` multiplied by ``values`` (by every repeat).

        Example:
            >>> at(np.ones(3))[np.array([0, 0, 1])].multiply(np.array([2.0, 3.0, 5.0]))
            array([6., 5., 1.])
        """
        return _update(self.x, self.index, values, "multiply", mode)

    mul = multiply

    def min(
        self, values: Any, *, indices_are_sorted: bool = False, unique_indices: bool = False, mode: Any = None
    ) -> Any:
        """A copy of ``x`` with its elements at ``index`` replaced by their minimum with ``values``.

        Example:
            >>> at(np.ones(3))[np.array([0, 0, 2])].min(np.array([0.5, 2.0, 3.0]))
            array([0.5, 1. , 1. ])
        """
        return _update(self.x, self.index, values, "min", mode)

    def max(
        self, values: Any, *, indices_are_sorted: bool = False, unique_indices: bool = False, mode: Any = None
    ) -> Any:
        """A copy of ``x`` with its elements at ``index`` replaced by their maximum with ``values``.

        Example:
            >>> at(np.ones(3))[np.array([0, 0, 2])].max(np.array([0.5, 2.0, 3.0]))
            array([2., 1., 3.])
        """
        return _update(self.x, self.index, values, "max", mode)


class at:  # lower case, as JAX spells the property
    """``at(x)[index]``: index updates of ``x`` out of place, JAX's ``x.at[index]`` (see `IndexUpdateRef`).

    For plain arrays as for traced values; traced values (tracers, dual
    numbers, tensors) also have the property itself, ``x.at[index]``.

    Example:
        >>> at(np.zeros(3))[1].set(5.0)
        array([0., 5., 0.])
        >>> at(np.ones(3))[np.array([0, 0, 2])].add(1.0)
        array([3., 1., 2.])
    """

    __slots__ = ("_x",)

    def __init__(self, x: Any) -> None:
        self._x = x

    def __getitem__(self, index: Any) -> IndexUpdateRef:
        return IndexUpdateRef(self._x, index)

    def __repr__(self) -> str:
        return f"at({self._x!r})"


def take(x: Any, indices: Any, axis: Any = None) -> Any:
    """Elements of ``x`` at ``indices`` along ``axis`` (of the flattened array when None)."""
    batched_indices = _varies_across_batch(indices)
    if not batched_indices:
        indices = np.asarray(normalize_index(indices))
        if not isinstance(x, Tracer):
            return np.take(x, indices, axis=axis)
    from .shape import reshape

    if axis is None:
        return getitem(reshape(x, (-1,)), indices)
    axis = int(axis) % len(shape(x))
    return getitem(x, (slice(None),) * axis + (indices,))


def take_along_axis(x: Any, indices: Any, axis: Any) -> Any:
    """Select values of ``x`` with an index array shaped like ``x`` except along ``axis``."""
    batched_indices = _varies_across_batch(indices)
    if not batched_indices:
        indices = np.asarray(normalize_index(indices))
        if not isinstance(x, Tracer):
            return np.take_along_axis(x, indices, axis=axis)
    from .shape import reshape

    if axis is None:
        return getitem(reshape(x, (-1,)), indices)
    x_shape = shape(x)
    axis = int(axis) % len(x_shape)
    grids = np.ogrid[tuple(slice(0, n) for n in shape(indices))]
    full = tuple(indices if i == axis else grids[i] for i in range(len(x_shape)))
    return getitem(x, full)


__all__ = ["at", "getitem", "index_update", "scatter_add", "take", "take_along_axis"]
