"""Stand-in values for staging: how ``jit`` learns a primitive's output shape and dtype.

The core's `StagingTrace` runs a primitive's implementation on stand-ins of the
input shapes (twice, with two different patterns: a result whose shape changes
between them depends on the values and cannot be compiled). This module makes
the stand-ins and reads the results; `install` hands it to the core.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from ..core.primitive import Primitive
from ..core.staging import Abstract, set_abstract_eval
from ..core.trace import TracerConversionError, UnexpectedTracerError, user_location
from ._primitives import REGISTRY


def probe(aval: Abstract, variant: int) -> Any:
    """A stand-in value: ones (zeros for integers), or a second, different pattern for ``variant`` 1."""
    if aval.python is not None:
        return aval.python((1, 1.5)[variant] if aval.python is float else variant % 2 if aval.python is int else True)
    dtype = np.dtype(aval.dtype)
    size = math.prod(aval.shape)
    if dtype.kind == "b":
        flat = np.ones(size, bool) if variant == 0 else np.arange(size) % 2 == 0
    elif dtype.kind in "iu":
        flat = np.zeros(size, dtype) if variant == 0 else (np.arange(size) % 2).astype(dtype)
    else:
        flat = np.ones(size, dtype) if variant == 0 else (np.arange(size) % 7 + 0.5).astype(dtype)
    shape = aval.shape
    array = flat.reshape(shape)
    if dtype.kind == "f" and variant == 0 and len(shape) >= 2 and shape[-1] == shape[-2]:
        # Square matrices: I + (all ones), symmetric positive definite, so that inverses,
        # Cholesky factors and solves of the stand-in exist.
        np.einsum("...ii->...i", array)[...] += 1  # the diagonal, in place
    return array


@contextmanager
def reported(primitive: Primitive, avals: list) -> Iterator[None]:
    """Run a probe of ``primitive`` with NumPy's floating-point warnings silenced; a failure names the primitive."""
    try:
        with np.errstate(all="ignore"):
            yield
    except (TracerConversionError, UnexpectedTracerError):
        raise
    except Exception as error:
        raise type(error)(f"jit: staging '{primitive.name}' failed on inputs {avals}: {error}") from error


def shape_of(value: Any) -> tuple[int, ...]:
    return tuple(np.shape(value))


def abstract_of(value: Any) -> Abstract:
    """The abstract value of a probe's result (Python numbers stay Python numbers)."""
    kind = type(value)
    if kind is float or kind is int or kind is bool:
        return Abstract((), np.dtype(np.float64 if kind is float else (np.bool_ if kind is bool else np.int64)), kind)
    if isinstance(value, tuple):
        raise TypeError("jit: a primitive returned several values; staging expects one array per primitive")
    array = np.asarray(value)
    return Abstract(array.shape, array.dtype)


def abstract_eval(primitive: Primitive, args: tuple, avals: list, params: dict, cache: dict) -> Abstract:
    """The shape and dtype of ``primitive``'s output, from its ``shape_rule`` or probes of its implementation.

    A shape that follows the values (a boolean mask, ``nonzero``) gives different shapes for two
    different probes, and is refused instead of being staged with a shape that would be wrong for
    other inputs; the second probe is made when a boolean or integer input could carry such a mask
    or index. Stand-ins are made once per shape and dtype (``cache``).
    """
    rule = getattr(primitive, "shape_rule", None)
    if rule is not None:  # a primitive that knows its output (a loop must not run on stand-ins)
        return rule(*[arg if aval is None else aval for arg, aval in zip(args, avals)], **params)
    constants_have_elements = all(aval is not None or np.size(arg) > 0 for arg, aval in zip(args, avals))
    if getattr(primitive, "elementwise", False) and constants_have_elements:
        return _elementwise_abstract(primitive, args, avals, params)
    if getattr(primitive, "probe_with_broadcasts", False):
        return _broadcast_probe_abstract(primitive, args, avals, params)
    shapes = []
    result = None
    for variant in (0, 1):
        stand_ins = []
        for arg, aval in zip(args, avals):
            if aval is None:
                stand_ins.append(arg)
                continue
            key = (*aval.key(), variant)
            stand_in = cache.get(key)
            if stand_in is None:
                stand_in = cache[key] = probe(aval, variant)
            stand_ins.append(stand_in)
        with reported(primitive, avals):
            result = primitive.impl(*stand_ins, **params)
        shapes.append(shape_of(result))
        # Floats reach a value-shaped primitive only through a comparison, whose boolean result gets both probes.
        if not any(aval is not None and getattr(aval.dtype, "kind", "f") in "biu" for aval in avals):
            break
    if len(shapes) == 2 and shapes[0] != shapes[1]:
        raise TypeError(
            f"jit: the shape of '{primitive.name}''s result depends on the input's values ({shapes[0]} or "
            f"{shapes[1]}){user_location()}, so it cannot be compiled for every input of this shape. Compute "
            "it outside jit, or keep the shape fixed (wnp.where instead of a boolean mask)."
        )
    return abstract_of(result)


def _elementwise_abstract(primitive: Primitive, args: tuple, avals: list, params: dict) -> Abstract:
    """An elementwise primitive's output: the inputs' broadcast shape, the dtype of its value on one element.

    (NumPy's type promotion does not depend on the number of dimensions, and a Python number stays a
    weak scalar in the stand-ins, so one element gives the dtype; the shape needs no computation.)
    """
    stand_ins = []
    for arg, aval in zip(args, avals):
        if aval is None:
            stand_ins.append(arg if np.ndim(arg) == 0 else np.asarray(arg).reshape(-1)[:1].reshape(()))
        elif aval.python is not None:
            stand_ins.append(probe(aval, 0))
        else:
            stand_ins.append(probe(Abstract((), aval.dtype), 0))
    with reported(primitive, avals):
        result = abstract_of(primitive.impl(*stand_ins, **params))
        shape = np.broadcast_shapes(*[np.shape(arg) if aval is None else aval.shape for arg, aval in zip(args, avals)])
    if not shape:
        return result
    return Abstract(shape, result.dtype)


def _broadcast_probe_abstract(primitive: Primitive, args: tuple, avals: list, params: dict) -> Abstract:
    """The output of a primitive whose shape follows from its inputs' shapes, read off read-only stand-ins
    that repeat one element (zero strides: no memory for a large input)."""
    stand_ins = []
    for arg, aval in zip(args, avals):
        if aval is None or aval.python is not None:
            stand_ins.append(arg if aval is None else probe(aval, 0))
        else:
            stand_ins.append(np.broadcast_to(probe(Abstract((), aval.dtype), 0), aval.shape))
    with reported(primitive, avals):
        return abstract_of(primitive.impl(*stand_ins, **params))


def install() -> None:
    """Hand `abstract_eval` to the core, and mark the primitives whose outputs follow from shapes alone.

    Elementwise primitives (the batching families' broadcasting ones, and anything NumPy
    computes with a ufunc) need one element of each input; reductions along axes, and the
    views transpose and getitem, read stand-ins of zero strides.
    """
    from .batching import AXIS_OR_FLATTENED, AXIS_SHIFTED, ELEMENTWISE

    for primitive in REGISTRY.values():
        if getattr(primitive, "ufunc", None) is not None or primitive.name in ELEMENTWISE or primitive.name == "detach":
            primitive.elementwise = True
        if primitive.name in {*AXIS_SHIFTED, *AXIS_OR_FLATTENED, "sum_to", "transpose", "getitem"}:
            primitive.probe_with_broadcasts = True
    set_abstract_eval(abstract_eval)
