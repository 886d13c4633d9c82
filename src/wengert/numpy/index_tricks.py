"""``r_`` and ``c_``: NumPy's bracket notation for building arrays, accepting traced values.

``wnp.r_[x, 0.0, y]`` joins its items along the first axis and ``wnp.c_[a, b]``
stacks them as columns, exactly as ``numpy.r_`` / ``numpy.c_`` do; when an
item is traced the joining is a differentiable `concatenate`. Slices stand for
``arange`` (``1:4``) or ``linspace`` (``0:1:5j``, whose endpoints may be traced),
and a leading string sets the axis, the minimum number of dimensions and where
1-D items go (``r_["0,2,1", x, y]``), as in NumPy. The matrix directives "r"
and "c" (``numpy.matrix`` results) are refused for traced items.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core import Tracer
from ._primitives import dtype, shape
from .creation import linspace
from .elementwise import astype
from .shape import concatenate, reshape, transpose


def _contains_tracer(key: tuple) -> bool:
    for item in key:
        if isinstance(item, Tracer):
            return True
        if isinstance(item, slice) and any(isinstance(v, Tracer) for v in (item.start, item.stop, item.step)):
            return True
        if isinstance(item, (list, tuple)) and any(isinstance(v, Tracer) for v in item):
            return True
    return False


def _at_least(value: Any, ndmin: int, trans1d: int) -> Any:
    """``value`` with at least ``ndmin`` dimensions, its own axes placed as NumPy's ``trans1d`` says."""
    from ._primitives import as_array_arg

    value = as_array_arg(value)
    if not isinstance(value, Tracer):
        value = np.asarray(value)
    rank = len(shape(value))
    if rank >= ndmin:
        return value
    # New axes of length one go in front; then trans1d moves the item's own axes.
    value = reshape(value, (1,) * (ndmin - rank) + tuple(shape(value)))
    if trans1d != -1:
        k2, k1 = ndmin - rank, trans1d
        if k1 < 0:
            k1 += k2 + 1
        axes = list(range(ndmin))
        value = transpose(value, axes[:k1] + axes[k2:] + axes[k1:k2])
    return value


class AxisConcatenator:
    """Translates ``obj[items]`` into a concatenation along an axis (``numpy.r_`` / ``numpy.c_``)."""

    def __init__(self, numpy_version: Any, axis: int = 0, ndmin: int = 1, trans1d: int = -1) -> None:
        self.numpy_version = numpy_version
        self.axis = axis
        self.ndmin = ndmin
        self.trans1d = trans1d

    def __getitem__(self, key: Any) -> Any:
        items = key if isinstance(key, tuple) else (key,)
        if not _contains_tracer(items):
            return self.numpy_version[key]
        axis, ndmin, trans1d = self.axis, self.ndmin, self.trans1d
        pieces: list = []
        kinds: list = []
        for position, item in enumerate(items):
            if isinstance(item, str):
                if position != 0:
                    raise ValueError("special directives must be the first entry.")
                if item in ("r", "c"):
                    raise NotImplementedError(
                        f"r_/c_: the matrix directive {item!r} (a numpy.matrix result) is not supported "
                        "with traced items"
                    )
                try:
                    numbers = [int(part) for part in item.split(",")]
                except ValueError:
                    raise ValueError(f"unknown special directive {item!r}") from None
                if len(numbers) > 3:
                    raise ValueError(f"unknown special directive {item!r}")
                axis = numbers[0]
                if len(numbers) > 1:
                    ndmin = numbers[1]
                if len(numbers) > 2:
                    trans1d = numbers[2]
                continue
            if isinstance(item, slice):
                start = 0 if item.start is None else item.start
                step = 1 if item.step is None else item.step
                if isinstance(step, (complex, np.complexfloating)):
                    piece = linspace(start, item.stop, num=int(abs(step)))
                else:
                    if isinstance(start, Tracer) or isinstance(item.stop, Tracer) or isinstance(step, Tracer):
                        raise TypeError(
                            "r_/c_: a slice start:stop:step is numpy.arange, whose length depends on the values; "
                            "traced endpoints need a number of points (start:stop:Nj, a linspace)"
                        )
                    piece = np.arange(start, item.stop, step)
                if ndmin > 1:
                    piece = _at_least(piece, ndmin, -1)
                    if trans1d != -1:
                        from .shape import swapaxes

                        piece = swapaxes(piece, -1, trans1d)
                pieces.append(piece)
                kinds.append(dtype(piece))
                continue
            if type(item) in (int, float, complex, bool) or isinstance(item, np.generic):
                pieces.append(_at_least(np.asarray(item), ndmin, trans1d))
                kinds.append(item)  # a Python scalar promotes weakly, as in NumPy
                continue
            piece = _at_least(item, ndmin, trans1d)
            pieces.append(piece)
            kinds.append(dtype(piece))
        if not pieces:
            return self.numpy_version[key]
        common = np.result_type(*kinds)
        pieces = [p if dtype(p) == common else astype(p, common) for p in pieces]
        pieces = [_at_least(p, ndmin, -1) for p in pieces]
        return concatenate(pieces, axis=axis)

    def __len__(self) -> int:
        return 0


class RClass(AxisConcatenator):
    """Join items along the first axis: ``wnp.r_[x, 0.0, 1:3]`` (``numpy.r_``, differentiable).

    Example:
        >>> RClass()[np.array([1.0, 2.0]), 0.0, 5:7]
        array([1., 2., 0., 5., 6.])
    """

    def __init__(self) -> None:
        super().__init__(np.r_, axis=0, ndmin=1, trans1d=-1)


class CClass(AxisConcatenator):
    """Stack items as columns: ``wnp.c_[x, y]`` (``numpy.c_``, differentiable).

    Example:
        >>> CClass()[np.array([1.0, 2.0]), np.array([3.0, 4.0])]
        array([[1., 3.],
               [2., 4.]])
    """

    def __init__(self) -> None:
        super().__init__(np.c_, axis=-1, ndmin=2, trans1d=0)


r_ = RClass()
c_ = CClass()

__all__ = ["c_", "r_"]
