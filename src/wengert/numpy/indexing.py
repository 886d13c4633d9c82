"""Indexing: ``x[index]`` with basic and advanced indices, and its transpose, scatter-add.

The VJP of a selection scatters the cotangent back into zeros of the input's
shape; with advanced indices the scatter accumulates, so an element selected
twice receives both contributions.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core import Tracer, bind, primal_value
from ._primitives import dtype, primitive, shape, wraps_primitive


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
        value = primal_value(index)
        if np.asarray(value).dtype.kind == "f":
            raise IndexError("only integers, slices, ellipsis, None and integer or boolean arrays are valid indices")
        return value
    if isinstance(index, list):
        return np.asarray([primal_value(i) for i in index])
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

    Example:
        >>> getitem(np.arange(5.0), slice(1, 3))
        array([1., 2.])
    """
    index = normalize_index(index)
    if isinstance(x, Tracer):
        return x._trace.process(getitem_p, (x,), {"index": index})
    return np.asarray(x)[index]


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
    indices = np.asarray(normalize_index(indices))
    if not isinstance(x, Tracer):
        return np.take(x, indices, axis=axis)
    from .shape import reshape

    if axis is None:
        return getitem(reshape(x, (-1,)), indices)
    axis = int(axis) % len(x.shape)
    return getitem(x, (slice(None),) * axis + (indices,))


def take_along_axis(x: Any, indices: Any, axis: Any) -> Any:
    """Select values of ``x`` with an index array shaped like ``x`` except along ``axis``."""
    indices = np.asarray(normalize_index(indices))
    if not isinstance(x, Tracer):
        return np.take_along_axis(x, indices, axis=axis)
    from .shape import reshape

    if axis is None:
        return getitem(reshape(x, (-1,)), indices)
    x_shape = x.shape
    axis = int(axis) % len(x_shape)
    grids = np.ogrid[tuple(slice(0, n) for n in indices.shape)]
    full = tuple(indices if i == axis else grids[i] for i in range(len(x_shape)))
    return getitem(x, full)


__all__ = ["getitem", "index_update", "scatter_add", "take", "take_along_axis"]
