"""Shape primitives: broadcasting, reshaping, transposing (all linear).

Each is its own JVP (apply the same operation to the tangent); each VJP is the
inverse rearrangement of the cotangent. ``broadcast_to`` and ``sum_to`` are
each other's transpose, and together they undo NumPy broadcasting in the
rules of every elementwise primitive.
"""

from __future__ import annotations

import builtins
import math
from typing import Any

import numpy as np

from ..core import Tracer, bind
from ._primitives import dtype, primitive, shape, wraps_primitive

builtins_sum = builtins.sum

# -- broadcasting ---------------------------------------------------------------


def _sum_to_impl(x: Any, shape: tuple[int, ...]) -> Any:
    x_shape = np.shape(x)
    if x_shape == shape:
        return x
    lead = len(x_shape) - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, size in enumerate(shape) if size == 1 and x_shape[lead + i] != 1)
    total = np.sum(x, axis=axes, keepdims=True)
    return np.reshape(total, shape) if lead else total


sum_to_p = primitive(
    "sum_to",
    _sum_to_impl,
    jvp=(lambda t, ans, x, shape: sum_to(t, shape),),
    vjp=(lambda g, ans, x, shape: broadcast_to(g, _shape_of(x)),),
    linear=True,
)

broadcast_to_p = primitive(
    "broadcast_to",
    lambda x, shape: np.broadcast_to(x, shape),
    jvp=(lambda t, ans, x, shape: broadcast_to(t, shape),),
    vjp=(lambda g, ans, x, shape: sum_to(g, _shape_of(x)),),
    linear=True,
)


def _shape_of(x: Any) -> tuple[int, ...]:
    return tuple(shape(x))


@wraps_primitive(sum_to_p)
def sum_to(x: Any, shape: tuple[int, ...]) -> Any:
    """Sum ``x`` over the axes along which ``shape`` was broadcast to ``x``'s shape.

    Example:
        >>> sum_to(np.ones((2, 3)), (3,))
        array([2., 2., 2.])
    """
    shape = tuple(shape)
    if _shape_of(x) == shape:
        return x
    return bind(sum_to_p, (x,), {"shape": shape})


@wraps_primitive(broadcast_to_p)
def broadcast_to(x: Any, shape: tuple[int, ...]) -> Any:
    """Broadcast ``x`` to ``shape`` (as ``numpy.broadcast_to``, but a fresh array).

    Example:
        >>> broadcast_to(1.0, (2,))
        array([1., 1.])
    """
    shape = tuple(shape) if not isinstance(shape, int) else (shape,)
    if isinstance(x, Tracer):
        if x.shape == shape:
            return x
        return x._trace.process(broadcast_to_p, (x,), {"shape": shape})
    return np.broadcast_to(x, shape)


def unbroadcast(cotangent: Any, like: Any) -> Any:
    """The cotangent of an argument ``like`` that NumPy broadcast: sum it back to its shape."""
    kind = type(like)
    if kind is float or kind is int:
        if type(cotangent) is float:
            return cotangent
        target: tuple[int, ...] = ()
    else:
        target = shape(like)
    if shape(cotangent) == target:
        return cotangent
    return bind(sum_to_p, (cotangent,), {"shape": tuple(target)})


def broadcast_like(tangent: Any, ans: Any) -> Any:
    """A tangent contribution broadcast to the shape of the output ``ans``."""
    if type(tangent) is float and type(ans) is float:
        return tangent
    target = shape(ans)
    if shape(tangent) == target:
        return tangent
    return broadcast_to(tangent, target)


# -- reshaping ------------------------------------------------------------------

reshape_p = primitive(
    "reshape",
    lambda x, shape: np.reshape(x, shape),
    jvp=(lambda t, ans, x, shape: reshape(t, shape),),
    vjp=(lambda g, ans, x, shape: reshape(g, _shape_of(x)),),
    linear=True,
)


@wraps_primitive(reshape_p)
def reshape(x: Any, shape: Any, *more: int) -> Any:
    """Give ``x`` a new shape with the same number of elements (``-1`` infers one size).

    Example:
        >>> reshape(np.arange(6.0), (2, 3)).shape
        (2, 3)
    """
    if more:
        shape = (shape, *more)
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(int(s) for s in shape)
    if isinstance(x, Tracer):
        size = math.prod(x.shape)
        if -1 in shape:
            known = math.prod(s for s in shape if s != -1)
            shape = tuple(size // known if s == -1 else s for s in shape)
        if math.prod(shape) != size:
            raise ValueError(f"cannot reshape a value of shape {x.shape} into shape {shape}")
        return x._trace.process(reshape_p, (x,), {"shape": shape})
    return np.reshape(x, shape)


def ravel(x: Any) -> Any:
    """Flatten ``x`` to one dimension."""
    return reshape(x, (-1,))


def _inverse_permutation(axes: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(int(i) for i in np.argsort(axes))


transpose_p = primitive(
    "transpose",
    lambda x, axes: np.transpose(x, axes),
    jvp=(lambda t, ans, x, axes: transpose(t, axes),),
    vjp=(lambda g, ans, x, axes: transpose(g, _inverse_permutation(axes)),),
    linear=True,
)


@wraps_primitive(transpose_p)
def transpose(x: Any, axes: Any = None) -> Any:
    """Permute the axes of ``x`` (reverse them when ``axes`` is None).

    Example:
        >>> transpose(np.zeros((2, 3))).shape
        (3, 2)
    """
    if not isinstance(x, Tracer):
        return np.transpose(x, axes)
    n = len(x.shape)
    axes = tuple(range(n))[::-1] if axes is None else tuple(int(a) % n if n else 0 for a in axes)
    if axes == tuple(range(n)):
        return x
    return x._trace.process(transpose_p, (x,), {"axes": axes})


def swapaxes(x: Any, axis1: int, axis2: int) -> Any:
    """Exchange two axes of ``x``."""
    if not isinstance(x, Tracer):
        return np.swapaxes(x, axis1, axis2)
    axes = list(range(len(x.shape)))
    axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
    return transpose(x, axes)


def moveaxis(x: Any, source: Any, destination: Any) -> Any:
    """Move axes of ``x`` to new positions, keeping the order of the others."""
    if not isinstance(x, Tracer):
        return np.moveaxis(x, source, destination)
    n = len(x.shape)
    source = [s % n for s in np.atleast_1d(source)]
    destination = [d % n for d in np.atleast_1d(destination)]
    order = [i for i in range(n) if i not in source]
    for dest, src in sorted(zip(destination, source)):
        order.insert(dest, src)
    return transpose(x, order)


def expand_dims(x: Any, axis: Any) -> Any:
    """Insert axes of length one at ``axis``."""
    if not isinstance(x, Tracer):
        return np.expand_dims(x, axis)
    return reshape(x, np.expand_dims(np.empty(x.shape, dtype=bool), axis).shape)


def squeeze(x: Any, axis: Any = None) -> Any:
    """Remove axes of length one (all of them, or those named by ``axis``)."""
    if not isinstance(x, Tracer):
        return np.squeeze(x, axis)
    return reshape(x, np.squeeze(np.empty(x.shape, dtype=bool), axis).shape)


def atleast_1d(x: Any) -> Any:
    return reshape(x, (1,)) if len(shape(x)) == 0 else x


def atleast_2d(x: Any) -> Any:
    s = shape(x)
    if len(s) >= 2:
        return x
    return reshape(x, (1, *s) if len(s) == 1 else (1, 1))


# -- flipping and joining --------------------------------------------------------------

flip_p = primitive(
    "flip",
    lambda x, axis: np.flip(x, axis),
    jvp=(lambda t, ans, x, axis: flip(t, axis),),
    vjp=(lambda g, ans, x, axis: flip(g, axis),),
    linear=True,
)


@wraps_primitive(flip_p)
def flip(x: Any, axis: Any = None) -> Any:
    """Reverse the order of elements along ``axis`` (all axes when None)."""
    if not isinstance(x, Tracer):
        return np.flip(x, axis)
    n = len(x.shape)
    axis = tuple(range(n)) if axis is None else tuple(int(a) % n for a in np.atleast_1d(axis))
    return x._trace.process(flip_p, (x,), {"axis": axis})


def _concatenate_impl(*arrays: Any, axis: int) -> Any:
    return np.concatenate(arrays, axis=axis)


def _concatenate_piece(index: int) -> Any:
    def rule(g: Any, ans: Any, *arrays: Any, axis: int) -> Any:
        from .indexing import getitem

        start = builtins_sum(shape(a)[axis] for a in arrays[:index])
        stop = start + shape(arrays[index])[axis]
        selector = (slice(None),) * axis + (slice(start, stop),)
        return getitem(g, selector)

    return rule


class _ConcatenateRules:
    """Rules for any number of arguments: rule i takes the i-th slice of the cotangent."""

    def __getitem__(self, index: int) -> Any:
        return _concatenate_piece(index)


def _concatenate_jvp(tangents: Any, ans: Any, *arrays: Any, axis: int) -> Any:
    pieces = [t if t is not None else np.zeros(shape(a), dtype=dtype(ans)) for t, a in zip(tangents, arrays)]
    return concatenate(pieces, axis=axis)


concatenate_p = primitive("concatenate", _concatenate_impl, jvp_joint=_concatenate_jvp, linear=True)
concatenate_p.vjp = _ConcatenateRules()


@wraps_primitive(concatenate_p)
def concatenate(arrays: Any, axis: int = 0) -> Any:
    """Join a sequence of arrays along an existing axis.

    Example:
        >>> concatenate([np.zeros(2), np.ones(1)]).shape
        (3,)
    """
    arrays = tuple(arrays)
    if not any(isinstance(a, Tracer) for a in arrays):
        return np.concatenate(arrays, axis=axis)
    if axis is None:
        return concatenate([reshape(a, (-1,)) for a in arrays], 0)
    n = len(shape(arrays[0]))
    return bind(concatenate_p, arrays, {"axis": int(axis) % max(n, 1)})


def stack(arrays: Any, axis: int = 0) -> Any:
    """Join a sequence of same-shaped arrays along a new axis."""
    arrays = tuple(arrays)
    if not any(isinstance(a, Tracer) for a in arrays):
        return np.stack(arrays, axis=axis)
    n = len(shape(arrays[0])) + 1
    axis = int(axis) % n
    return concatenate([expand_dims(a, axis) for a in arrays], axis=axis)


__all__ = [
    "concatenate",
    "flip",
    "stack",
    "atleast_1d",
    "atleast_2d",
    "broadcast_like",
    "broadcast_to",
    "expand_dims",
    "moveaxis",
    "ravel",
    "reshape",
    "squeeze",
    "sum_to",
    "swapaxes",
    "transpose",
    "unbroadcast",
]
