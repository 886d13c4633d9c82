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
    if all(x_shape[axis] == 1 for axis in axes):  # only axes of length 1 go: a view, not a sum
        return np.reshape(x, shape)
    few = axes == tuple(range(lead)) and 1 < math.prod(x_shape[:lead]) <= 8 and len(x_shape) > lead
    if few and np.asarray(x).dtype.kind in "fc":  # a few stacked copies: adds beat a reduce
        pieces = np.reshape(x, (-1, *x_shape[lead:]))
        total = pieces[0] + pieces[1]
        for piece in pieces[2:]:
            np.add(total, piece, out=total)
        return total
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
reshape_p.view_of_input = True  # a view of its input's memory (or a copy): compiled programs may reuse it


# A part of a stack along its first axis, as a view: jit's `fuse_siblings` pass makes it, after
# differentiation (``compile_only``), to hand out the disjoint parts of one equation that computes two.
stack_part_p = primitive("stack_part", lambda x, start, stop: x[start:stop])
stack_part_p.view_of_input = True  # a view of its input's memory: compiled programs may reuse it
stack_part_p.compile_only = True  # no derivative or batch rules: nothing differentiates a compiled program


@wraps_primitive(reshape_p)
def reshape(x: Any, shape: Any, *more: int, order: str = "C", copy: Any = None) -> Any:
    """Give ``x`` a new shape with the same number of elements (``-1`` infers one size).

    ``order="F"`` reads and writes the elements in Fortran (column-major)
    order, as NumPy does; on traced values "A" (which depends on the memory
    layout) is refused.

    Example:
        >>> reshape(np.arange(6.0), (2, 3)).shape
        (2, 3)
    """
    if more:
        shape = (shape, *more)
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(int(s) for s in shape)
    if order != "C":
        if not isinstance(x, Tracer):
            return np.reshape(x, shape, order=order, copy=copy)
        if order != "F":
            raise NotImplementedError(
                f"reshape: order={order!r} depends on the memory layout, which a traced value does not have; "
                "use order='C' or order='F'"
            )
        # Column-major order is row-major order of the reversed axes.
        return transpose(reshape(transpose(x), shape[::-1]))
    if isinstance(x, Tracer):
        size = math.prod(x.shape)
        if -1 in shape:
            known = math.prod(s for s in shape if s != -1)
            shape = tuple(size // known if s == -1 else s for s in shape)
        if math.prod(shape) != size:
            raise ValueError(f"cannot reshape a value of shape {x.shape} into shape {shape}")
        return x._trace.process(reshape_p, (x,), {"shape": shape})
    return np.reshape(x, shape, copy=copy)


def ravel(x: Any, order: str = "C") -> Any:
    """Flatten ``x`` to one dimension (in Fortran order with ``order="F"``).

    Example:
        >>> ravel(np.array([[1.0, 2.0], [3.0, 4.0]]), order="F")
        array([1., 3., 2., 4.])
    """
    if not isinstance(x, Tracer):
        return np.ravel(x, order=order)
    if order not in ("C", "F"):
        raise NotImplementedError(
            f"ravel: order={order!r} depends on the memory layout, which a traced value does not have; "
            "use order='C' or order='F'"
        )
    return reshape(x, (-1,), order=order)


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


def rollaxis(a: Any, axis: int, start: int = 0) -> Any:
    """Move ``axis`` so that it comes before position ``start`` (``numpy.rollaxis``; prefer `moveaxis`).

    Example:
        >>> rollaxis(np.zeros((2, 3, 4)), 2).shape
        (4, 2, 3)
    """
    if not isinstance(a, Tracer):
        return np.rollaxis(a, axis, start)
    n = len(a.shape)
    axis = int(axis)
    if not -n <= axis < n:
        raise np.exceptions.AxisError(axis, n)
    axis %= n
    start = int(start)
    if start < 0:
        start += n
    if not 0 <= start < n + 1:
        raise np.exceptions.AxisError(f"'start' arg requires {-n} <= start < {n + 1}, but {start} was passed in")
    if axis < start:
        start -= 1
    if axis == start:
        return a
    order = [i for i in range(n) if i != axis]
    order.insert(start, axis)
    return transpose(a, order)


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


def _atleast_1d_one(x: Any) -> Any:
    if not isinstance(x, Tracer):
        return np.atleast_1d(x)
    return reshape(x, (1,)) if len(x.shape) == 0 else x


def _atleast_2d_one(x: Any) -> Any:
    if not isinstance(x, Tracer):
        return np.atleast_2d(x)
    s = x.shape
    if len(s) >= 2:
        return x
    return reshape(x, (1, *s) if len(s) == 1 else (1, 1))


def atleast_1d(*arys: Any) -> Any:
    """Each input with at least one dimension (a 0-d value becomes shape (1,)); a tuple for several inputs.

    Example:
        >>> atleast_1d(1.0)
        array([1.])
    """
    results = tuple(_atleast_1d_one(x) for x in arys)
    return results[0] if len(results) == 1 else results


def atleast_2d(*arys: Any) -> Any:
    """Each input with at least two dimensions (shape (N,) becomes (1, N)); a tuple for several inputs.

    Example:
        >>> atleast_2d(np.zeros(3)).shape
        (1, 3)
    """
    results = tuple(_atleast_2d_one(x) for x in arys)
    return results[0] if len(results) == 1 else results


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
def _cast_all(arrays: tuple, dtype_: Any, casting: str) -> tuple:
    """The arrays cast to ``dtype_`` (NumPy's ``dtype=``/``casting=`` of concatenate and stack)."""
    from .elementwise import astype

    for a in arrays:
        if not np.can_cast(dtype(a), dtype_, casting):
            raise TypeError(f"cannot cast {dtype(a)} to {np.dtype(dtype_)} with casting rule {casting!r}")
    return tuple(astype(a, dtype_) for a in arrays)


def concatenate(arrays: Any, axis: int = 0, out: Any = None, *, dtype: Any = None, casting: str = "same_kind") -> Any:
    """Join a sequence of arrays along an existing axis (``axis=None``: flattened first).

    Example:
        >>> concatenate([np.zeros(2), np.ones(1)]).shape
        (3,)
    """
    arrays = tuple(arrays)
    if not any(isinstance(a, Tracer) for a in arrays):
        return np.concatenate(arrays, axis=axis, out=out, dtype=dtype, casting=casting)
    if out is not None:
        raise TypeError("concatenate: out= cannot hold a traced result; use the returned value")
    if dtype is not None:
        arrays = _cast_all(arrays, dtype, casting)
    if axis is None:
        return concatenate([reshape(a, (-1,)) for a in arrays], 0)
    n = len(shape(arrays[0]))
    return bind(concatenate_p, arrays, {"axis": int(axis) % max(n, 1)})


def stack(arrays: Any, axis: int = 0, out: Any = None, *, dtype: Any = None, casting: str = "same_kind") -> Any:
    """Join a sequence of same-shaped arrays along a new axis.

    Example:
        >>> stack([np.zeros(2), np.ones(2)], axis=1).shape
        (2, 2)
    """
    arrays = tuple(arrays)
    if not any(isinstance(a, Tracer) for a in arrays):
        return np.stack(arrays, axis=axis, out=out, dtype=dtype, casting=casting)
    if out is not None:
        raise TypeError("stack: out= cannot hold a traced result; use the returned value")
    if dtype is not None:
        arrays = _cast_all(arrays, dtype, casting)
    n = len(shape(arrays[0])) + 1
    axis = int(axis) % n
    return concatenate([expand_dims(a, axis) for a in arrays], axis=axis)


def flipud(m: Any) -> Any:
    """``m`` upside down: axis 0 reversed (a rearrangement: its derivative is the same flip).

    Example:
        >>> flipud(np.array([1.0, 2.0]))
        array([2., 1.])
    """
    if not isinstance(m, Tracer):
        return np.flipud(m)
    if m.ndim < 1:
        raise ValueError("Input must be >= 1-d.")
    return flip(m, 0)


def fliplr(m: Any) -> Any:
    """``m`` mirrored left to right: axis 1 reversed.

    Example:
        >>> fliplr(np.array([[1.0, 2.0]]))
        array([[2., 1.]])
    """
    if not isinstance(m, Tracer):
        return np.fliplr(m)
    if m.ndim < 2:
        raise ValueError("Input must be >= 2-d.")
    return flip(m, 1)


def rot90(m: Any, k: int = 1, axes: Any = (0, 1)) -> Any:
    """``m`` rotated by ``k`` quarter turns in the plane of ``axes`` (from the first axis towards the second).

    Example:
        >>> rot90(np.array([[1.0, 2.0], [3.0, 4.0]]))
        array([[2., 4.],
               [1., 3.]])
    """
    if not isinstance(m, Tracer):
        return np.rot90(m, k, axes)
    axes = tuple(axes)
    if len(axes) != 2:
        raise ValueError("len(axes) must be 2.")
    ndim = m.ndim
    if axes[0] == axes[1] or abs(axes[0] - axes[1]) == ndim:
        raise ValueError("Axes must be different.")
    if not all(-ndim <= a < ndim for a in axes):
        raise ValueError(f"Axes={axes} out of range for array of ndim={ndim}.")
    k = int(k) % 4
    if k == 0:
        return m
    if k == 2:
        return flip(flip(m, axes[0]), axes[1])
    order = list(range(ndim))
    order[axes[0]], order[axes[1]] = order[axes[1]], order[axes[0]]
    if k == 1:
        return transpose(flip(m, axes[1]), order)
    return flip(transpose(m, order), axes[1])


def append(arr: Any, values: Any, axis: Any = None) -> Any:
    """``values`` joined on after ``arr`` along ``axis`` (both flattened when None), as ``numpy.append``.

    Example:
        >>> append(np.array([1.0, 2.0]), 3.0)
        array([1., 2., 3.])
    """
    from ._primitives import as_array_arg

    arr, values = as_array_arg(arr), as_array_arg(values)
    if not (isinstance(arr, Tracer) or isinstance(values, Tracer)):
        return np.append(arr, values, axis)
    if axis is None:
        if len(shape(arr)) != 1:
            arr = reshape(arr, (-1,))
        values = reshape(values, (-1,))
        axis = len(shape(arr)) - 1
    return concatenate((arr, values), axis=axis)


__all__ = [
    "append",
    "concatenate",
    "fliplr",
    "flipud",
    "rollaxis",
    "rot90",
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
