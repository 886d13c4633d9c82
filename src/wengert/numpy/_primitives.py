"""Shared machinery of the NumPy layer: the primitive registry and rule shorthands.

Every primitive of ``wengert.numpy`` is made with `primitive` (or one of the
shorthands below), which records it in `REGISTRY` so that tests can check that
each one has both rules. The public function that users call is a thin
dispatcher: with no tracer among its arguments it calls NumPy directly.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from ..core import Primitive, Tracer, bind
from ..core.trace import TracerConversionError

REGISTRY: dict[str, Primitive] = {}
EMPTY: dict = {}


def primitive(name: str, impl: Callable[..., Any], **rules: Any) -> Primitive:
    """Declare a primitive of ``wengert.numpy`` and register it."""
    if name in REGISTRY:
        raise ValueError(f"primitive '{name}' is declared twice")
    prim = Primitive(name, impl, **rules)
    REGISTRY[name] = prim
    return prim


def shape(x: Any) -> tuple[int, ...]:
    """The shape of a plain or traced value (``()`` for Python scalars)."""
    kind = type(x)
    if kind is float or kind is int or kind is bool:
        return ()
    s = getattr(x, "shape", None)
    if s is not None:
        return s
    return np.shape(x)


def column_major_stack(x: Any) -> bool:
    """Whether ``x`` is an array (k, m, p) whose entries are column-major: each entry's rows next to each
    other (not broadcast) and its columns apart, as `products.stacked_product` writes tall stacks."""
    return type(x) is np.ndarray and x.ndim == 3 and x.strides[1] == x.itemsize and x.strides[2] > x.itemsize


def empty_column_major_stack(count: int, rows: int, columns: int, kind: Any) -> np.ndarray:
    """A new (count, rows, columns) array in `column_major_stack`'s layout, its entries rows apart."""
    return np.empty((columns, count * rows), kind).T.reshape(count, rows, columns)


def ndim(x: Any) -> int:
    return len(shape(x))


def dtype(x: Any) -> np.dtype:
    """The dtype of a plain or traced value."""
    while isinstance(x, Tracer):
        x = x.primal
    kind = type(x)
    if kind is float:
        return np.dtype(np.float64)
    d = getattr(x, "dtype", None)
    return d if d is not None else np.asarray(x).dtype


def plain_or_abstract(x: Any) -> Any:
    """``x``'s plain value as an array, for reading its shape and dtype; its `Abstract` value while jit stages it."""
    from ..core.staging import Abstract

    raw = x
    while isinstance(raw, Tracer):
        raw = raw.primal
    return raw if isinstance(raw, Abstract) else np.asarray(raw)


def as_array_arg(x: Any) -> Any:
    """Lists and tuples given to a primitive become arrays (as NumPy would treat them).

    A list holding traced values is stacked differentiably (``wnp.asarray``).
    """
    kind = type(x)
    if kind is list or kind is tuple:
        if contains_tracer(x):
            from .creation import asarray

            return asarray(x)
        return np.asarray(x)
    return x


def contains_tracer(value: Any) -> bool:
    """Whether a (nested) list or tuple holds a tracer anywhere."""
    kind = type(value)
    if kind is list or kind is tuple:
        return any(contains_tracer(item) for item in value)
    return isinstance(value, Tracer)


def _stack_traced_sequences(values: Any) -> tuple[list, bool]:
    converted = [as_array_arg(v) if type(v) in (list, tuple) and contains_tracer(v) else v for v in values]
    return converted, any(new is not old for new, old in zip(converted, values))


def accept_traced_sequences(function: Callable[..., Any]) -> Callable[..., Any]:
    """Let ``function`` take lists and tuples of traced values where NumPy takes lists of numbers.

    NumPy converts a list argument with ``np.asarray``, which a traced value
    refuses (its derivative would be lost). On that refusal the call is made
    again with every such list stacked differentiably, so ``wnp.mean([x, y])``
    means ``wnp.mean(wnp.stack([x, y]))``. Calls without lists cost one frame.

    Example:
        >>> import wengert as wg
        >>> mean = accept_traced_sequences(np.mean)
        >>> float(wg.grad(lambda x: mean([x, 2 * x]))(1.0))
        1.5
    """

    @functools.wraps(function)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except TracerConversionError:
            new_args, changed_args = _stack_traced_sequences(args)
            new_values, changed_kwargs = _stack_traced_sequences(list(kwargs.values()))
            if not (changed_args or changed_kwargs):
                raise
            return function(*new_args, **dict(zip(kwargs, new_values)))

    call.accepts_traced_sequences = True
    return call


def has_tracer(args: tuple) -> bool:
    """Whether any of ``args`` is a tracer (so a primitive must be bound, not just run)."""
    return any(isinstance(arg, Tracer) for arg in args)


def unary_function(prim: Primitive, numpy_function: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """The public one-argument function of ``prim``: NumPy for plain values."""
    process_params = EMPTY

    def function(x: Any) -> Any:
        if isinstance(x, Tracer):
            return x._trace.process_unary(prim, x, process_params)
        if type(x) is list or type(x) is tuple:
            x = as_array_arg(x)
            if isinstance(x, Tracer):
                return x._trace.process_unary(prim, x, process_params)
        return numpy_function(x)

    function.__name__ = prim.name
    function.__qualname__ = prim.name
    function.primitive = prim
    function.accepts_traced_sequences = True
    return function


def binary_function(prim: Primitive, numpy_function: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """The public two-argument function of ``prim``: NumPy for plain values."""

    def function(a: Any, b: Any) -> Any:
        if isinstance(a, Tracer) or isinstance(b, Tracer):
            return bind(prim, (as_array_arg(a), as_array_arg(b)), EMPTY)
        if type(a) in (list, tuple) or type(b) in (list, tuple):
            a, b = as_array_arg(a), as_array_arg(b)
            if isinstance(a, Tracer) or isinstance(b, Tracer):
                return bind(prim, (a, b), EMPTY)
        return numpy_function(a, b)

    function.__name__ = prim.name
    function.__qualname__ = prim.name
    function.primitive = prim
    function.accepts_traced_sequences = True
    return function


def wraps_primitive(prim: Primitive) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark a hand-written public function as the user-facing form of ``prim``."""

    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        function.primitive = prim
        return function

    return decorate
