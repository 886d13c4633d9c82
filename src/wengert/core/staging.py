"""Staging: record a program's primitive applications instead of running them.

A `StagingTrace` is one more interpreter. Its tracers carry an `Abstract` value
(a shape and a dtype, no numbers) and the variable of the program that will
compute them. Applying a primitive to them appends one equation,
``v7 = sin(v3)``, to the trace's `Recording` and returns a new tracer for the
result. Because derivative rules are written in wengert's own operations,
staging ``grad(f)`` records the forward operations and the rules' operations
alike: the recording is the derivative program.

The output's shape and dtype come from `abstract_eval`, which the array layer
installs (the core knows no array library): wengert.numpy runs the primitive's
implementation on stand-in arrays (`wengert.numpy.probes`). An application
already evaluated for the same input shapes is not evaluated again.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from .primitive import Primitive
from .trace import Trace, Tracer, TracerConversionError, UnexpectedTracerError, conversion_error, user_location


class Abstract:
    """A value known by its shape and dtype only; ``python`` marks a Python number (float, int, bool)."""

    __slots__ = ("shape", "dtype", "python")

    def __init__(self, shape: tuple[int, ...], dtype: Any, python: type | None = None) -> None:
        self.shape = tuple(shape)
        self.dtype = dtype
        self.python = python

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    def key(self) -> tuple:
        """What makes two abstract values the same signature for a compiled program."""
        return (self.shape, str(self.dtype), self.python)

    def __repr__(self) -> str:
        if self.python is not None:
            return self.python.__name__
        return f"{self.dtype}[{','.join(str(extent) for extent in self.shape)}]"

    def _unknown(self, *_: Any) -> Any:
        raise TracerConversionError(
            f"a staged value ({self!r}) has no numbers while jit traces the program{user_location()}: "
            "a rule or function read its values. Make the value a static argument (jit's static_argnums), "
            "or write the computation with wengert.numpy operations (wnp.where instead of a Python test)."
        )

    __bool__ = __float__ = __int__ = __index__ = __array__ = __len__ = __iter__ = _unknown

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Abstract):
            return self is other
        self._unknown()
        return False

    __hash__ = object.__hash__


class Var:
    """A variable of a staged program: ``v7``, with its abstract value."""

    __slots__ = ("number", "aval")

    def __init__(self, number: int, aval: Abstract) -> None:
        self.number = number
        self.aval = aval

    @property
    def name(self) -> str:
        return f"v{self.number}"

    def __repr__(self) -> str:
        return self.name


class Literal:
    """A constant argument of an equation (a number, an array, or anything a primitive takes)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        return f"Literal({self.value!r})"


class Equation:
    """One line of a staged program: ``out = primitive(*inputs, **params)``."""

    __slots__ = ("primitive", "inputs", "params", "out")

    def __init__(self, primitive: Primitive, inputs: tuple, params: dict, out: Var) -> None:
        self.primitive = primitive
        self.inputs = inputs
        self.params = params
        self.out = out

    def __repr__(self) -> str:
        arguments = ", ".join(repr(value) for value in self.inputs)
        return f"{self.out.name} = {self.primitive.name}({arguments})"


class Recording:
    """The equations a staging trace has recorded, in evaluation order."""

    __slots__ = ("inputs", "equations", "_count")

    def __init__(self) -> None:
        self.inputs: list[Var] = []
        self.equations: list[Equation] = []
        self._count = 0

    def new_var(self, aval: Abstract) -> Var:
        self._count += 1
        return Var(self._count, aval)


class StagedTracer(Tracer):
    """A value of a program being staged: its abstract value and its variable."""

    __slots__ = ("var",)

    def __init__(self, aval: Abstract, trace: StagingTrace, var: Var) -> None:
        self.primal = aval
        self._trace = trace
        self.var = var

    def __bool__(self) -> bool:
        raise conversion_error(self, "bool")

    def __repr__(self) -> str:
        return f"StagedTracer({self.var.name}: {self.primal!r})"


class StagingTrace(Trace):
    """The trace of one ``jit`` staging: records equations instead of computing."""

    __slots__ = ("recording", "probes", "known")
    default_name = "jit"
    differentiates = False
    staged = True

    def __init__(self, level: float, name: str | None = None) -> None:
        super().__init__(level, name)
        self.recording = Recording()
        self.probes: dict = {}  # stand-in arrays by (shape, dtype, kind, variant): made once per staging
        self.known: dict = {}  # output avals of applications already probed, by primitive, inputs and params

    def new_input(self, aval: Abstract) -> StagedTracer:
        """A tracer standing for one input of the program."""
        var = self.recording.new_var(aval)
        self.recording.inputs.append(var)
        return StagedTracer(aval, self, var)

    def process(self, primitive: Primitive, args: tuple, params: dict) -> Any:
        if not self.active:
            raise UnexpectedTracerError(self, f"'{primitive.name}'")
        inputs = []
        avals: list[Abstract | None] = []
        for arg in args:
            if isinstance(arg, Tracer):
                if arg._trace is not self:
                    raise TypeError(
                        f"{self.name}: '{primitive.name}' was given a value traced by {arg._trace.name} that is "
                        f"not an argument of the compiled function{user_location()}; pass it as an argument "
                        "(a closed-over traced value would be compiled as a constant and lose its derivative)"
                    )
                inputs.append(arg.var)
                avals.append(arg.primal)
            else:
                inputs.append(Literal(arg))
                avals.append(None)
        key = _application_key(primitive, args, avals, params)
        aval = self.known.get(key) if key is not None else None
        if aval is None:
            aval = abstract_eval(primitive, args, avals, params, self.probes)
            if key is not None:
                self.known[key] = aval
        out = self.recording.new_var(aval)
        self.recording.equations.append(Equation(primitive, tuple(inputs), params, out))
        return StagedTracer(aval, self, out)


def is_abstract(value: Any) -> bool:
    """Whether ``value`` is being staged (its numbers are unknown): rules then take their general path."""
    while isinstance(value, Tracer):
        if isinstance(value, StagedTracer):
            return True
        value = value.primal
    return isinstance(value, Abstract)


def _application_key(primitive: Primitive, args: tuple, avals: list, params: dict) -> Any:
    """A key under which an application's output aval can be reused (None when something is unhashable)."""
    parts = []
    for arg, aval in zip(args, avals):
        if aval is not None:
            parts.append(aval.key())
        elif type(arg) in (int, float, bool, str) or arg is None:
            parts.append((type(arg), arg))
        else:
            return None  # an array or other constant: probe again rather than hash its values
    try:
        frozen = tuple(sorted(params.items()))
        hash(frozen)
    except TypeError:
        return None
    return (id(primitive), tuple(parts), frozen)


def abstract_eval(primitive: Primitive, args: tuple, avals: list, params: dict, cache: dict | None = None) -> Abstract:
    """The shape and dtype of ``primitive``'s output (``avals``: None for constant arguments).

    The array library installs how (`set_abstract_eval`): wengert.numpy probes the implementation.
    """
    return _abstract_eval(primitive, args, avals, params, {} if cache is None else cache)


def _missing(*_: Any) -> Any:
    raise RuntimeError("no array library has installed abstract evaluation for staging (import wengert.numpy)")


_abstract_eval: Callable[..., Abstract] = _missing


def set_abstract_eval(function: Callable[..., Abstract]) -> None:
    """Install ``function(primitive, args, avals, params, cache) -> Abstract`` (the core knows no array library)."""
    global _abstract_eval
    _abstract_eval = function
