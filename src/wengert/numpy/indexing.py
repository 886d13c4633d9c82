"""Indexing: ``x[index]`` with basic and advanced indices, and its transpose, scatter-add.

The VJP of a selection scatters the cotangent back into zeros of the input's
shape; with advanced indices the scatter accumulates, so an element selected
twice receives both contributions.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from ..core import Tracer, bind
from ._primitives import dtype, primitive, shape, wraps_primitive
from .batching import align, batch_size, materialize
from .logic import is_batched, mask_value, static_value

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


def _scatter_impl(cotangent: Any, index: Any, shape: tuple[int, ...], accumulate: bool) -> Any:
    out = np.zeros(shape, dtype=np.result_type(cotangent))
    if accumulate:
        np.add.at(out, index, cotangent)
    else:
        out[index] = cotangent
    return out


scatter_add_p = primitive(
    "scatter_add",
    _scatter_impl,
    jvp=(lambda t, ans, cotangent, index, shape, accumulate: scatter_add(t, index, shape),),
    vjp=(lambda g, ans, cotangent, index, shape, accumulate: getitem(g, index),),
    linear=True,
)


@wraps_primitive(scatter_add_p)
def scatter_add(values: Any, index: Any, shape: tuple[int, ...]) -> Any:
    """Zeros of ``shape`` with ``values`` added at ``index`` (repeated indices accumulate).

    Example:
        >>> scatter_add(np.ones(3), np.array([0, 0, 2]), (3,))
        array([2., 0., 1.])
    """
    index = normalize_index(index)
    key = index if isinstance(index, tuple) else (index,)
    params = {"index": index, "shape": tuple(shape), "accumulate": _is_advanced(key)}
    if isinstance(values, Tracer):
        return bind(scatter_add_p, (values,), params)
    return _scatter_impl(values, **params)


getitem_p = primitive(
    "getitem",
    lambda x, index: x[index],
    jvp=(lambda t, ans, x, index: getitem(t, index),),
    vjp=(lambda g, ans, x, index: scatter_add(g, index, shape(x)),),
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
    return any(isinstance(item, Tracer) and is_batched(item) for item in items)


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
        if isinstance(item, Tracer) and is_batched(item):
            item = mask_value(item)  # no derivative flows into an index
            kind = dtype(item).kind
            if kind == "b":
                raise NotImplementedError(
                    "indexing with a boolean mask that varies across the vmap batch has a data-dependent "
                    "shape; use where(mask, x, 0) instead"
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
    out = np.zeros(shape, dtype=np.result_type(g))
    np.add.at(out, _fill(template, arrays), g)
    return out


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


def _index_update_impl(x: Any, values: Any, index: Any) -> Any:
    out = np.array(x, copy=True)
    out[index] = values
    return out


def _index_update_values_cotangent(g: Any, ans: Any, x: Any, values: Any, index: Any) -> Any:
    from .shape import reshape, unbroadcast

    picked = getitem(g, index)
    # NumPy also accepts values with extra leading axes of length one (x[1:3, 2] = [[a, b]]).
    missing = len(shape(values)) - len(shape(picked))
    if missing > 0:
        picked = reshape(picked, (1,) * missing + tuple(shape(picked)))
    return unbroadcast(picked, values)


def _index_update_x_cotangent(g: Any, ans: Any, x: Any, values: Any, index: Any) -> Any:
    return g * _kept_mask(x, index)


index_update_p = primitive(
    "index_update",
    _index_update_impl,
    jvp=(
        lambda t, ans, x, values, index: t * _kept_mask(x, index),
        lambda t, ans, x, values, index: index_update(np.zeros(shape(ans), dtype=dtype(ans)), t, index),
    ),
    vjp=(_index_update_x_cotangent, _index_update_values_cotangent),
    linear=True,
)


def _kept_mask(x: Any, index: Any) -> np.ndarray:
    mask = np.ones(shape(x), dtype=bool)
    mask[index] = False
    return mask


@wraps_primitive(index_update_p)
def index_update(x: Any, values: Any, index: Any) -> Any:
    """A copy of ``x`` with ``x[index] = values`` (JAX's ``x.at[index].set(values)``).

    Example:
        >>> index_update(np.zeros(3), 5.0, 1)
        array([0., 5., 0.])
    """
    index = normalize_index(index)
    if isinstance(x, Tracer) or isinstance(values, Tracer):
        return bind(index_update_p, (x, values), {"index": index})
    return _index_update_impl(x, values, index)


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


__all__ = ["getitem", "index_update", "scatter_add", "take", "take_along_axis"]
