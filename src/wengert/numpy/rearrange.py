"""Rearranging arrays: roll, repeat, tile, triangles, diagonals, padding; splitting and stacking.

Every operation here is linear in the array it rearranges (``pad`` with
non-zero constants is affine). The true primitives — ``roll``, ``repeat``,
``tile``, ``tril``/``triu``, ``diagonal`` and its transpose ``embed_diagonal``,
``pad`` — are their own JVP (the same operation applied to the tangent), and
each VJP is the transpose of the rearrangement: roll back, sum the repeated
groups, sum the tiles, mask again, put the diagonal back into zeros, slice the
padding off. Because those rules are written with wengert operations, they
differentiate again to any order.

Splitting and stacking are compositions of ``getitem`` and ``concatenate``,
whose rules are already each other's transpose: a new primitive would repeat
them without making anything cheaper.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..core import Tracer, bind
from ._primitives import dtype, primitive, shape, wraps_primitive
from .batching import align, batch_size
from .elementwise import astype
from .indexing import getitem, scatter_add
from .logic import static_value
from .reductions import sum as wnp_sum
from .shape import atleast_1d, atleast_2d, broadcast_to, concatenate, reshape


def _normalize_axis(axis: Any, ndim: int) -> int:
    """One axis as a non-negative integer, with NumPy's error when it is out of range."""
    axis = operator.index(axis)
    if not -ndim <= axis < ndim:
        raise np.exceptions.AxisError(axis, ndim)
    return axis % ndim


def _integers(values: Any, what: str) -> np.ndarray:
    """``values`` as an integer array, or a TypeError naming the argument ``what``."""
    array = np.asarray(static_value(values, what))
    if array.dtype.kind not in "iub":
        raise TypeError(f"{what} must be integers, got {values!r}")
    return array.astype(np.int64)


# -- roll ------------------------------------------------------------------------------------------


def _roll_batch(values: list, batched: tuple, shift: Any, axis: Any) -> Any:
    (x,) = values
    if axis is None:  # a roll of the flattened example
        flat = reshape(x, (shape(x)[0], -1))
        return reshape(bind(roll_p, (flat,), {"shift": (shift,), "axis": (1,)}), shape(x))
    return bind(roll_p, (x,), {"shift": shift, "axis": tuple(a + 1 for a in axis)})


roll_p = primitive(
    "roll",
    lambda x, shift, axis: np.roll(x, shift, axis),
    jvp=(lambda t, ans, x, shift, axis: roll(t, shift, axis),),
    vjp=(lambda g, ans, x, shift, axis: roll(g, _negated(shift), axis),),
    batch=_roll_batch,
    linear=True,
)


def _negated(shift: int | tuple[int, ...]) -> int | tuple[int, ...]:
    return -shift if isinstance(shift, int) else tuple(-s for s in shift)


def _roll_params(shift: Any, axis: Any, ndim: int) -> tuple[Any, Any]:
    """One total shift per distinct axis (NumPy adds shifts named twice), or one shift for axis=None."""
    shifts = _integers(shift, "roll: shift")
    if shifts.ndim > 1:
        raise ValueError(f"roll: shift must be an integer or a 1-D sequence of integers, got {shift!r}")
    if axis is None:
        return int(shifts.sum()), None
    axes = np.asarray(axis)
    if axes.ndim > 1:
        raise ValueError(f"roll: axis must be an integer or a 1-D sequence of integers, got {axis!r}")
    try:
        pairs = np.broadcast(shifts, axes)
    except ValueError:
        raise ValueError(f"roll: shift {shift!r} and axis {axis!r} must have the same length") from None
    totals: dict[int, int] = {}
    for step, ax in pairs:
        ax = _normalize_axis(ax, ndim)
        totals[ax] = totals.get(ax, 0) + int(step)
    return tuple(totals.values()), tuple(totals)


@wraps_primitive(roll_p)
def roll(a: Any, shift: Any, axis: Any = None) -> Any:
    """Shift elements cyclically along ``axis`` (of the flattened array when None).

    Its transpose rolls the cotangent back by ``-shift``.

    Example:
        >>> roll(np.arange(4.0), 1)
        array([3., 0., 1., 2.])
    """
    if not isinstance(a, Tracer):
        return np.roll(a, shift, axis)
    shift, axis = _roll_params(shift, axis, a.ndim)
    return a._trace.process(roll_p, (a,), {"shift": shift, "axis": axis})


# -- repeat ----------------------------------------------------------------------------------------


def _repeat_cotangent(g: Any, ans: Any, x: Any, repeats: int | tuple[int, ...], axis: int) -> Any:
    x_shape = tuple(shape(x))
    if isinstance(repeats, int):
        # Each input element owns a contiguous run of `repeats` outputs: a reshape exposes the runs.
        runs = x_shape[:axis] + (x_shape[axis], repeats) + x_shape[axis + 1 :]
        return wnp_sum(reshape(g, runs), axis + 1)
    # Runs of different lengths: scatter-add each output back onto the element it copies.
    owner = np.repeat(np.arange(x_shape[axis]), repeats)
    return scatter_add(g, (slice(None),) * axis + (owner,), x_shape)


repeat_p = primitive(
    "repeat",
    lambda x, repeats, axis: np.repeat(x, repeats, axis),
    jvp=(lambda t, ans, x, repeats, axis: repeat(t, repeats, axis),),
    vjp=(_repeat_cotangent,),
    batch=lambda values, batched, repeats, axis: bind(repeat_p, values, {"repeats": repeats, "axis": axis + 1}),
    linear=True,
)


def _repeat_counts(repeats: Any, length: int) -> int | tuple[int, ...]:
    """One count for every element (an int), or one count per element (a tuple of ``length``)."""
    counts = _integers(repeats, "repeat: repeats")
    if counts.ndim > 1:
        raise ValueError(f"repeat: repeats must be an integer or a 1-D sequence, got shape {counts.shape}")
    if np.any(counts < 0):
        raise ValueError(f"repeat: repeats may not contain negative values, got {repeats!r}")
    if counts.size == 1:
        return int(counts.reshape(-1)[0])
    if counts.shape != (length,):
        raise ValueError(f"repeat: {counts.size} repeat counts given for an axis of length {length}")
    if length and np.all(counts == counts[0]):
        return int(counts[0])
    return tuple(int(c) for c in counts)


@wraps_primitive(repeat_p)
def repeat(a: Any, repeats: Any, axis: Any = None) -> Any:
    """Repeat each element ``repeats`` times (an int, or one count per element) along ``axis``.

    With ``axis=None`` the flattened array is repeated. The transpose sums
    each run of copies back onto its element.

    Example:
        >>> repeat(np.array([1.0, 2.0]), [1, 3])
        array([1., 2., 2., 2.])
    """
    if not isinstance(a, Tracer):
        return np.repeat(a, repeats, axis)
    if axis is None:
        a, axis = reshape(a, (-1,)), 0
    else:
        axis = _normalize_axis(axis, a.ndim)
    counts = _repeat_counts(repeats, a.shape[axis])
    return a._trace.process(repeat_p, (a,), {"repeats": counts, "axis": axis})


# -- tile ------------------------------------------------------------------------------------------


def _tile_cotangent(g: Any, ans: Any, x: Any, reps: tuple[int, ...]) -> Any:
    x_shape = tuple(shape(x))
    padded = (1,) * (len(reps) - len(x_shape)) + x_shape
    # Output index j along an axis is (tile number, position in tile): a reshape splits them.
    split_tiles = tuple(size for pair in zip(reps, padded, strict=True) for size in pair)
    per_element = wnp_sum(reshape(g, split_tiles), tuple(range(0, 2 * len(reps), 2)))
    return reshape(per_element, x_shape)


def _tile_batch(values: list, batched: tuple, reps: tuple[int, ...]) -> Any:
    # reps may name more axes than the example has: give the example those axes first.
    return bind(tile_p, align(values, batched, len(reps)), {"reps": (1, *reps)})


tile_p = primitive(
    "tile",
    lambda x, reps: np.tile(x, reps),
    jvp=(lambda t, ans, x, reps: tile(t, reps),),
    vjp=(_tile_cotangent,),
    batch=_tile_batch,
    linear=True,
)


@wraps_primitive(tile_p)
def tile(A: Any, reps: Any) -> Any:  # noqa: N803  (NumPy's argument name)
    """Repeat the whole array ``reps`` times along each axis (``numpy.tile``).

    The transpose sums the tiles of the cotangent.

    Example:
        >>> tile(np.array([1.0, 2.0]), 2)
        array([1., 2., 1., 2.])
    """
    if not isinstance(A, Tracer):
        return np.tile(A, reps)
    counts = _integers(reps, "tile: reps").reshape(-1)
    if np.any(counts < 0):
        raise ValueError(f"tile: reps may not contain negative values, got {reps!r}")
    full_reps = (1,) * (A.ndim - counts.size) + tuple(int(r) for r in counts)
    return A._trace.process(tile_p, (A,), {"reps": full_reps})


# -- triangles -------------------------------------------------------------------------------------

tril_p = primitive(
    "tril",
    lambda x, k: np.tril(x, k),
    jvp=(lambda t, ans, x, k: tril(t, k),),
    vjp=(lambda g, ans, x, k: tril(g, k),),
    linear=True,
)

triu_p = primitive(
    "triu",
    lambda x, k: np.triu(x, k),
    jvp=(lambda t, ans, x, k: triu(t, k),),
    vjp=(lambda g, ans, x, k: triu(g, k),),
    linear=True,
)


def _triangle(prim: Any, numpy_function: Any, m: Any, k: Any) -> Any:
    if not isinstance(m, Tracer):
        return numpy_function(m, k)
    k = operator.index(k)
    if m.ndim == 0:
        raise ValueError(f"{prim.name}: needs an array of at least 1 dimension, got a 0-d value")
    if m.ndim == 1:
        # NumPy treats a vector as every row of a square matrix.
        m = broadcast_to(m, (m.shape[0], m.shape[0]))
    return m._trace.process(prim, (m,), {"k": k})


@wraps_primitive(tril_p)
def tril(m: Any, k: int = 0) -> Any:
    """Lower triangle of the last two axes: zeros above the ``k``-th diagonal.

    Masking is its own transpose: the cotangent is ``tril`` of the output cotangent.

    Example:
        >>> tril(np.ones((2, 2)))
        array([[1., 0.],
               [1., 1.]])
    """
    return _triangle(tril_p, np.tril, m, k)


@wraps_primitive(triu_p)
def triu(m: Any, k: int = 0) -> Any:
    """Upper triangle of the last two axes: zeros below the ``k``-th diagonal.

    Example:
        >>> triu(np.ones((2, 2)))
        array([[1., 1.],
               [0., 1.]])
    """
    return _triangle(triu_p, np.triu, m, k)


# -- diagonals -------------------------------------------------------------------------------------


def _embed_diagonal_impl(d: Any, offset: int, axis1: int, axis2: int, shape: tuple[int, ...]) -> np.ndarray:
    out = np.zeros(shape, dtype=np.result_type(d))
    length = np.shape(d)[-1]
    rows = np.arange(length) + max(-offset, 0)
    columns = np.arange(length) + max(offset, 0)
    # numpy.diagonal puts the diagonal last and keeps the other axes in order: mirror that layout.
    np.moveaxis(out, (axis1, axis2), (-2, -1))[..., rows, columns] = d
    return out


def _diagonal_impl(x: Any, offset: int, axis1: int, axis2: int) -> np.ndarray:
    # A copy: NumPy's diagonal is a read-only view, and a tensor result may be updated in place.
    return np.diagonal(x, offset, axis1, axis2).copy()


def _diagonal_batch(values: list, batched: tuple, offset: int, axis1: int, axis2: int) -> Any:
    return bind(diagonal_p, values, {"offset": offset, "axis1": axis1 + 1, "axis2": axis2 + 1})


def _embed_diagonal_batch(
    values: list, batched: tuple, offset: int, axis1: int, axis2: int, shape: tuple[int, ...]
) -> Any:
    params = {"offset": offset, "axis1": axis1 + 1, "axis2": axis2 + 1, "shape": (batch_size(values, batched), *shape)}
    return bind(embed_diagonal_p, values, params)


diagonal_p = primitive(
    "diagonal",
    _diagonal_impl,
    jvp=(lambda t, ans, x, offset, axis1, axis2: diagonal(t, offset, axis1, axis2),),
    vjp=(lambda g, ans, x, offset, axis1, axis2: embed_diagonal(g, offset, axis1, axis2, shape(x)),),
    batch=_diagonal_batch,
    linear=True,
)

embed_diagonal_p = primitive(
    "embed_diagonal",
    _embed_diagonal_impl,
    jvp=(lambda t, ans, d, offset, axis1, axis2, shape: embed_diagonal(t, offset, axis1, axis2, shape),),
    vjp=(lambda g, ans, d, offset, axis1, axis2, shape: diagonal(g, offset, axis1, axis2),),
    batch=_embed_diagonal_batch,
    linear=True,
)


def embed_diagonal(d: Any, offset: int, axis1: int, axis2: int, shape: tuple[int, ...]) -> Any:
    """Zeros of ``shape`` whose ``diagonal(offset, axis1, axis2)`` is ``d`` (the transpose of `diagonal`).

    Example:
        >>> embed_diagonal(np.array([1.0, 2.0]), 1, 0, 1, (3, 3))
        array([[0., 1., 0.],
               [0., 0., 2.],
               [0., 0., 0.]])
    """
    params = {"offset": int(offset), "axis1": int(axis1), "axis2": int(axis2), "shape": tuple(shape)}
    if isinstance(d, Tracer):
        return d._trace.process(embed_diagonal_p, (d,), params)
    return _embed_diagonal_impl(d, **params)


@wraps_primitive(diagonal_p)
def diagonal(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    """The diagonal of ``a`` in the plane (``axis1``, ``axis2``), shifted by ``offset``, as the last axis.

    Its transpose puts the cotangent back on the diagonal of zeros.

    Example:
        >>> diagonal(np.arange(4.0).reshape(2, 2))
        array([0., 3.])
    """
    if not isinstance(a, Tracer):
        return np.diagonal(a, offset, axis1, axis2)
    # A zero-strided stand-in lets NumPy validate the arguments without copying anything.
    np.diagonal(np.broadcast_to(False, a.shape), offset, axis1, axis2)
    params = {
        "offset": operator.index(offset),
        "axis1": _normalize_axis(axis1, a.ndim),
        "axis2": _normalize_axis(axis2, a.ndim),
    }
    return a._trace.process(diagonal_p, (a,), params)


def diag(v: Any, k: int = 0) -> Any:
    """A square matrix with ``v`` on its ``k``-th diagonal (1-D ``v``), or the ``k``-th diagonal (2-D ``v``).

    Example:
        >>> diag(np.array([1.0, 2.0]))
        array([[1., 0.],
               [0., 2.]])
    """
    if not isinstance(v, Tracer):
        return np.diag(v, k)
    k = operator.index(k)
    if v.ndim == 1:
        size = v.shape[0] + abs(k)
        return embed_diagonal(v, k, 0, 1, (size, size))
    if v.ndim == 2:
        return diagonal(v, k)
    raise ValueError(f"diag: input must be 1-d or 2-d, got shape {v.shape}")


# -- padding ---------------------------------------------------------------------------------------


def _as_pairs(values: Any, ndim: int, what: str) -> tuple[tuple[Any, Any], ...]:
    """``values`` read as one (before, after) pair per axis, with NumPy's broadcasting of short forms."""
    array = np.asarray(values)
    # As in NumPy: one value means (v, v) everywhere, two values (v0, v1) everywhere,
    # except a column [[a], [b]], which means (a, a) on axis 0 and (b, b) on axis 1.
    if array.ndim < 3 and array.size == 1:
        value = array.reshape(-1)[0].item()
        return ((value, value),) * ndim
    if array.ndim < 3 and array.size == 2 and array.shape != (2, 1):
        before, after = array.reshape(-1).tolist()
        return ((before, after),) * ndim
    try:
        pairs = np.broadcast_to(array, (ndim, 2))
    except ValueError:
        raise ValueError(f"pad: {what} {values!r} cannot be read as (before, after) pairs for {ndim} axes") from None
    return tuple((before, after) for before, after in pairs.tolist())


def _pad_widths(pad_width: Any, ndim: int) -> tuple[tuple[int, int], ...]:
    if isinstance(pad_width, dict):
        widths = [(0, 0)] * ndim
        for axis, width in pad_width.items():
            widths[_normalize_axis(axis, ndim)] = _as_pairs(_integers(width, "pad: pad_width"), 1, "pad_width")[0]
        pad_width = widths
    pairs = _as_pairs(_integers(pad_width, "pad: pad_width"), ndim, "pad_width")
    if any(before < 0 or after < 0 for before, after in pairs):
        raise ValueError(f"pad: pad_width may not contain negative values, got {pad_width!r}")
    return tuple((int(before), int(after)) for before, after in pairs)


def _pad_cotangent(g: Any, ans: Any, x: Any, pad_width: Any, constant_values: Any) -> Any:
    interior = tuple(slice(before, before + size) for (before, _), size in zip(pad_width, shape(x), strict=True))
    return getitem(g, interior)


def _pad_tangent(t: Any, ans: Any, x: Any, pad_width: Any, constant_values: Any) -> Any:
    # The constants do not move with x: the padding of the tangent is zero.
    return _pad(t, pad_width, ((0, 0),) * len(pad_width))


def _pad_batch(values: list, batched: tuple, pad_width: Any, constant_values: Any) -> Any:
    params = {"pad_width": ((0, 0), *pad_width), "constant_values": ((0, 0), *constant_values)}
    return bind(pad_p, values, params)


pad_p = primitive(
    "pad",
    lambda x, pad_width, constant_values: np.pad(x, pad_width, constant_values=constant_values),
    jvp=(_pad_tangent,),
    vjp=(_pad_cotangent,),
    batch=_pad_batch,
    linear=True,
)


def _pad(x: Any, pad_width: Any, constant_values: Any) -> Any:
    params = {"pad_width": pad_width, "constant_values": constant_values}
    if isinstance(x, Tracer):
        return x._trace.process(pad_p, (x,), params)
    return np.pad(x, pad_width, constant_values=constant_values)


@wraps_primitive(pad_p)
def pad(array: Any, pad_width: Any, mode: Any = "constant", **kwargs: Any) -> Any:
    """Pad ``array`` with constants: ``pad_width`` in any of NumPy's forms, ``mode="constant"`` only.

    ``constant_values`` may be numbers in NumPy's forms, or one traced scalar
    (then the output is differentiable in it too). The transpose slices the
    padding off the cotangent. Other modes ("edge", "reflect", ...) raise
    NotImplementedError.

    Example:
        >>> pad(np.array([1.0, 2.0]), (1, 2), constant_values=9.0)
        array([9., 1., 2., 9., 9.])
    """
    if not (isinstance(mode, str) and mode == "constant"):
        raise NotImplementedError(
            f"pad: mode={mode!r} is not implemented in wengert.numpy; only mode='constant' is "
            "differentiable here (use numpy.pad on plain arrays for the other modes)"
        )
    unsupported = set(kwargs) - {"constant_values"}
    if unsupported:
        raise ValueError(f"pad: unsupported keyword arguments for mode 'constant': {sorted(unsupported)}")
    constant_values = kwargs.get("constant_values", 0)
    if not isinstance(array, Tracer) and not isinstance(constant_values, Tracer):
        return np.pad(array, pad_width, mode="constant", constant_values=constant_values)
    ndim = len(shape(array))
    widths = _pad_widths(pad_width, ndim)
    if isinstance(constant_values, Tracer):
        if constant_values.ndim != 0:
            raise NotImplementedError(
                "pad: traced constant_values must be a scalar; per-axis traced constants are not supported"
            )
        # Affine in the constant c: pad(x, 0) + c · (1 on the padding, 0 inside).
        padding = np.pad(np.zeros(shape(array), dtype=bool), widths, constant_values=True)
        return _pad(array, widths, ((0, 0),) * ndim) + constant_values * padding.astype(dtype(constant_values))
    constants = _as_pairs(constant_values, ndim, "constant_values")
    return _pad(array, widths, constants)


# -- splitting -------------------------------------------------------------------------------------


def _split_bounds(length: int, indices_or_sections: Any) -> list[tuple[int, int]]:
    """(start, stop) of each piece, as ``numpy.array_split`` cuts them."""
    try:
        cuts = [int(i) for i in indices_or_sections]
    except TypeError:
        sections = int(indices_or_sections)
        if sections <= 0:
            raise ValueError(f"split: the number of sections must be larger than 0, got {sections}") from None
        size, extra = divmod(length, sections)
        sizes = [size + 1] * extra + [size] * (sections - extra)
        cuts = np.cumsum(sizes)[:-1].tolist()
    points = [0, *cuts, length]
    return list(zip(points[:-1], points[1:], strict=True))


def array_split(ary: Any, indices_or_sections: Any, axis: int = 0) -> list[Any]:
    """Split ``ary`` into pieces along ``axis``; a number of sections need not divide the length.

    Each piece is a ``getitem`` slice, whose transpose puts the piece's
    cotangent back in place.

    Example:
        >>> [p.shape for p in array_split(np.zeros(5), 2)]
        [(3,), (2,)]
    """
    if not isinstance(ary, Tracer):
        return np.array_split(ary, indices_or_sections, axis)
    axis = _normalize_axis(axis, ary.ndim)
    leading = (slice(None),) * axis
    bounds = _split_bounds(ary.shape[axis], indices_or_sections)
    return [getitem(ary, (*leading, slice(start, stop))) for start, stop in bounds]


def split(ary: Any, indices_or_sections: Any, axis: int = 0) -> list[Any]:
    """Split ``ary`` into equal sections (an int) or at the given indices along ``axis``.

    Example:
        >>> split(np.arange(4.0), 2)
        [array([0., 1.]), array([2., 3.])]
    """
    if not isinstance(ary, Tracer):
        return np.split(ary, indices_or_sections, axis)
    try:
        len(indices_or_sections)
    except TypeError:
        length = ary.shape[_normalize_axis(axis, ary.ndim)]
        sections = int(indices_or_sections)
        if sections > 0 and length % sections:
            raise ValueError(
                f"split: array split does not result in an equal division ({length} elements "
                f"into {sections} sections); use array_split for unequal pieces"
            ) from None
    return array_split(ary, indices_or_sections, axis)


def hsplit(ary: Any, indices_or_sections: Any) -> list[Any]:
    """Split along the second axis (the first for 1-D arrays).

    Example:
        >>> [p.shape for p in hsplit(np.zeros((2, 4)), 2)]
        [(2, 2), (2, 2)]
    """
    if len(shape(ary)) == 0:
        raise ValueError("hsplit only works on arrays of 1 or more dimensions")
    return split(ary, indices_or_sections, 1 if len(shape(ary)) > 1 else 0)


def vsplit(ary: Any, indices_or_sections: Any) -> list[Any]:
    """Split along the first axis of an array of at least 2 dimensions.

    Example:
        >>> [p.shape for p in vsplit(np.zeros((4, 2)), [1])]
        [(1, 2), (3, 2)]
    """
    if len(shape(ary)) < 2:
        raise ValueError("vsplit only works on arrays of 2 or more dimensions")
    return split(ary, indices_or_sections, 0)


def dsplit(ary: Any, indices_or_sections: Any) -> list[Any]:
    """Split along the third axis of an array of at least 3 dimensions.

    Example:
        >>> [p.shape for p in dsplit(np.zeros((1, 1, 4)), 2)]
        [(1, 1, 2), (1, 1, 2)]
    """
    if len(shape(ary)) < 3:
        raise ValueError("dsplit only works on arrays of 3 or more dimensions")
    return split(ary, indices_or_sections, 2)


# -- stacking --------------------------------------------------------------------------------------


def _atleast_3d_one(x: Any) -> Any:
    if not isinstance(x, Tracer):
        return np.atleast_3d(x)
    s = x.shape
    if len(s) == 0:
        return reshape(x, (1, 1, 1))
    if len(s) == 1:
        return reshape(x, (1, s[0], 1))
    if len(s) == 2:
        return reshape(x, (*s, 1))
    return x


def atleast_3d(*arys: Any) -> Any:
    """View each input with at least 3 dimensions: (N,) becomes (1, N, 1), (M, N) becomes (M, N, 1).

    Example:
        >>> atleast_3d(np.zeros(2)).shape
        (1, 2, 1)
    """
    results = tuple(_atleast_3d_one(x) for x in arys)
    return results[0] if len(results) == 1 else results


def _operands(tup: Sequence[Any], dtype_: Any, casting: str) -> list[Any] | None:
    """The inputs with plain ones as arrays, cast to ``dtype_``; None when nothing is traced."""
    arrays = list(tup)
    if not any(isinstance(a, Tracer) for a in arrays):
        return None
    arrays = [a if isinstance(a, Tracer) else np.asarray(a) for a in arrays]
    if dtype_ is None:
        return arrays
    for a in arrays:
        if not np.can_cast(dtype(a), dtype_, casting):
            raise TypeError(f"cannot cast {dtype(a)} to {np.dtype(dtype_)} with casting rule {casting!r}")
    return [astype(a, dtype_) for a in arrays]


def hstack(tup: Sequence[Any], *, dtype: Any = None, casting: str = "same_kind") -> Any:
    """Join arrays along the second axis (the first for 1-D arrays).

    Example:
        >>> hstack([np.zeros(2), np.ones(1)])
        array([0., 0., 1.])
    """
    arrays = _operands(tup, dtype, casting)
    if arrays is None:
        return np.hstack(tup, dtype=dtype, casting=casting)
    arrays = [atleast_1d(a) for a in arrays]
    return concatenate(arrays, axis=0 if len(shape(arrays[0])) == 1 else 1)


def vstack(tup: Sequence[Any], *, dtype: Any = None, casting: str = "same_kind") -> Any:
    """Join arrays along the first axis, 1-D arrays becoming rows.

    Example:
        >>> vstack([np.zeros(2), np.ones(2)]).shape
        (2, 2)
    """
    arrays = _operands(tup, dtype, casting)
    if arrays is None:
        return np.vstack(tup, dtype=dtype, casting=casting)
    return concatenate([atleast_2d(a) for a in arrays], axis=0)


def row_stack(tup: Sequence[Any], *, dtype: Any = None, casting: str = "same_kind") -> Any:
    """`vstack` under its old name, deprecated by NumPy 2.0 (and so warning, as NumPy does).

    Example:
        >>> import warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore", DeprecationWarning)
        ...     row_stack([np.zeros(2), np.ones(2)]).shape
        (2, 2)
    """
    import warnings

    warnings.warn("`row_stack` alias is deprecated. Use `np.vstack` directly.", DeprecationWarning, stacklevel=2)
    return vstack(tup, dtype=dtype, casting=casting)


def dstack(tup: Sequence[Any]) -> Any:
    """Join arrays along the third axis (after `atleast_3d`).

    Example:
        >>> dstack([np.zeros(2), np.ones(2)]).shape
        (1, 2, 2)
    """
    arrays = _operands(tup, None, "same_kind")
    if arrays is None:
        return np.dstack(tup)
    return concatenate([_atleast_3d_one(a) for a in arrays], axis=2)


def column_stack(tup: Sequence[Any]) -> Any:
    """Join 1-D arrays as columns (2-D arrays as they are) into a 2-D array.

    Example:
        >>> column_stack([np.zeros(2), np.ones(2)])
        array([[0., 1.],
               [0., 1.]])
    """
    arrays = _operands(tup, None, "same_kind")
    if arrays is None:
        return np.column_stack(tup)
    columns = [a if len(shape(a)) >= 2 else reshape(a, (-1, 1)) for a in arrays]
    return concatenate(columns, axis=1)


__all__ = [
    "array_split",
    "atleast_3d",
    "column_stack",
    "diag",
    "diagonal",
    "dsplit",
    "dstack",
    "hsplit",
    "hstack",
    "pad",
    "repeat",
    "roll",
    "row_stack",
    "split",
    "tile",
    "tril",
    "triu",
    "vsplit",
    "vstack",
]
