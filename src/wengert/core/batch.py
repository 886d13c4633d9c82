"""Batching: run a function over a leading batch axis as if it were called once per example.

A `BatchTracer` holds a value whose axis 0 is the batch; to the function it
looks like a single example (its ``shape`` leaves the batch axis out). When a
primitive meets batch tracers, its ``batch`` rule computes all the examples at
once, usually by one call of the same primitive with shifted axes. A primitive
without a batch rule still works: the trace loops over the examples and stacks
the results, which is correct but slow.

This is the interpreter behind ``vmap`` and behind the batched seeds of
``jacfwd``/``jacrev``: all basis vectors pushed through one pass.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .primitive import Primitive, bind
from .trace import Trace, Tracer, UnexpectedTracerError, conversion_error


class BatchTracer(Tracer):
    """A batch of values; axis 0 of ``primal`` is the batch, invisible to the function."""

    __slots__ = ()

    def __init__(self, primal: Any, trace: BatchTrace) -> None:
        self.primal = primal
        self._trace = trace

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of one example."""
        return tuple(self.primal.shape[1:])

    def __bool__(self) -> bool:
        # Each example may take another branch: there is no single answer (conversions refuse as for any tracer).
        raise conversion_error(self, "bool")

    def __repr__(self) -> str:
        return f"BatchTracer(batch of {self._trace.size}, example shape {self.shape}, level={self._trace.level})"


class BatchTrace(Trace):
    """The trace of one ``vmap`` call over ``size`` examples."""

    __slots__ = ("size",)
    default_name = "vmap"
    differentiates = False

    def __init__(self, level: float, size: int) -> None:
        super().__init__(level)
        self.size = size

    def process(self, primitive: Primitive, args: tuple, params: dict) -> Any:
        if not self.active:
            raise UnexpectedTracerError(self, f"'{primitive.name}'")
        values = []
        batched = []
        for arg in args:
            if isinstance(arg, Tracer) and arg._trace is self:
                values.append(arg.primal)
                batched.append(True)
            else:
                values.append(arg)
                batched.append(False)
        rule = primitive.batch
        if rule is not None:
            out = rule(values, tuple(batched), **params)
        else:
            out = self.loop(primitive, values, batched, params)
        return BatchTracer(out, self)

    def loop(self, primitive: Primitive, values: list, batched: list, params: dict) -> Any:
        """The fallback for a primitive without a batch rule: one call per example."""
        results = [
            bind(primitive, [v[i] if b else v for v, b in zip(values, batched)], params) for i in range(self.size)
        ]
        return _stack(results)


def _missing_stack(values: list) -> Any:
    raise RuntimeError("no array library has installed a stack function for batching")


_stack: Callable[[list], Any] = _missing_stack


def stack_values(values: list) -> Any:
    """The values stacked on a new axis 0, by the array library's ``stack``."""
    return _stack(values)


def set_stack(function: Callable[[list], Any]) -> None:
    """Install the array library's ``stack`` (the core knows no array library)."""
    global _stack
    _stack = function
