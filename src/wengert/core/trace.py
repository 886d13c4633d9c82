"""Traces and tracers: how transformations nest without perturbation confusion.

Every transformation call opens a `Trace` with its own level. A `Tracer` is a
value being followed by one trace. When a primitive meets tracers of several
levels, the trace with the highest level interprets it, and tracers of lower
levels are ordinary constants to that trace: they are passed down to the
primitive again, where their own trace takes them. This is what makes
``d/dx [x * d/dy (x + y)]`` equal 1 and not 2.

Levels: 0 is the long-lived reverse trace behind ``Tensor(requires_grad=True)``
(PyTorch's implicit tape); a transformation opened inside another gets the next
integer level; user-made dual numbers that name no trace share one default
forward trace per nesting depth, half a level above the transformation that is
running (so they are differentiated by it, and differentiate below it).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class Trace:
    """One active transformation: its level and how it interprets primitives."""

    __slots__ = ("level", "active", "__weakref__")

    def __init__(self, level: float) -> None:
        self.level = level
        self.active = True

    def process(self, primitive: Any, args: tuple, params: dict) -> Any:
        """Apply ``primitive`` to ``args``, some of which are this trace's tracers."""
        raise NotImplementedError

    def process_unary(self, primitive: Any, x: Any, params: dict) -> Any:
        """`process` for one argument (a trace may unroll it for speed)."""
        return self.process(primitive, (x,), params)

    def process_binary(self, primitive: Any, a: Any, b: Any, params: dict) -> Any:
        """`process` for two arguments (a trace may unroll it for speed)."""
        return self.process(primitive, (a, b), params)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} level={self.level}>"


class Tracer:
    """A value followed by a trace. ``primal`` is the value one level down."""

    __slots__ = ("primal", "_trace")
    # NumPy defers binary operators to an object with a higher priority.
    __array_priority__ = 1000.0

    @property
    def level(self) -> float:
        return self._trace.level

    def __repr__(self) -> str:
        return f"{type(self).__name__}(primal={self.primal!r}, level={self._trace.level})"

    def __bool__(self) -> bool:
        return bool(self.primal)

    def __float__(self) -> float:
        return float(self.primal)

    def __int__(self) -> int:
        return int(self.primal)

    def __index__(self) -> int:
        return self.primal.__index__()


class TracerLevelError(RuntimeError):
    """Two tracers of different traces claim the same level (an escaped tracer)."""

    def __init__(self, primitive: Any, first: Trace, second: Trace) -> None:
        super().__init__(
            f"'{getattr(primitive, 'name', primitive)}' received tracers of two different "
            f"transformations at level {first.level} ({first!r} and {second!r}); a tracer "
            "has escaped the function that created it. Return it from that function "
            "instead of storing it elsewhere."
        )


def primal_value(value: Any) -> Any:
    """Strip every tracer: the plain value underneath."""
    while isinstance(value, Tracer):
        value = value.primal
    return value


class _State(threading.local):
    """The per-thread stack of running transformations and the grad-mode flag."""

    def __init__(self) -> None:
        self.stack: list[Trace] = []
        self.grad_enabled = True
        self.default_forward: dict[int, Trace] = {}


state = _State()


def next_level() -> int:
    """The level a transformation opened now gets."""
    stack = state.stack
    return int(stack[-1].level) + 1 if stack else 1


@contextmanager
def running(trace: Trace) -> Iterator[Trace]:
    """Push ``trace`` as the innermost running transformation for the block."""
    stack = state.stack
    stack.append(trace)
    try:
        yield trace
    finally:
        stack.pop()
        trace.active = False
        state.default_forward.pop(trace.level, None)


def top_level() -> float:
    stack = state.stack
    return stack[-1].level if stack else 0
