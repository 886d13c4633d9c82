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

import linecache
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class Trace:
    """One active transformation: its level, its name and how it interprets primitives.

    ``name`` is the public transformation that opened it (``grad``, ``jvp``,
    ``vmap``...), for error messages; ``active`` turns false when that
    transformation returns, after which its tracers must not be used.
    """

    __slots__ = ("level", "active", "name", "__weakref__")
    default_name = "a transformation"
    differentiates = True  # False for traces that batch or stage, where no derivative is at stake
    staged = False  # True for traces whose values have no numbers yet (jit's staging)

    def __init__(self, level: float, name: str | None = None) -> None:
        self.level = level
        self.active = True
        self.name = name or self.default_name

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

    def __format__(self, spec: str) -> str:
        # Printing a value while debugging loses nothing: f"{x:.3f}" formats the value underneath.
        return format(primal_value(self), spec) if spec else repr(self)

    def __bool__(self) -> bool:
        # Branching on a value is allowed in eager transformations: the derivative
        # is that of the program as executed.
        if not self._trace.active:
            raise UnexpectedTracerError(self._trace, "bool()")
        return bool(self.primal)

    # Converting to a concrete value would drop the derivative: refuse, loudly.
    def __array__(self, dtype: Any = None, copy: Any = None) -> Any:
        raise conversion_error(self, "array")

    def __float__(self) -> float:
        raise conversion_error(self, "float")

    def __int__(self) -> int:
        raise conversion_error(self, "int")

    def __complex__(self) -> complex:
        raise conversion_error(self, "complex")

    def __index__(self) -> int:
        raise conversion_error(self, "index")

    def tolist(self) -> Any:
        """Refused: a Python list of numbers would drop the derivative."""
        raise conversion_error(self, "tolist")

    def item(self) -> Any:
        """Refused: a Python number would drop the derivative."""
        raise conversion_error(self, "item")


class TracerLevelError(RuntimeError):
    """Two tracers of different traces claim the same level (an escaped tracer)."""

    def __init__(self, primitive: Any, first: Trace, second: Trace) -> None:
        super().__init__(
            f"'{getattr(primitive, 'name', primitive)}' received tracers of two different "
            f"transformations at level {first.level} ({first!r} and {second!r}); a tracer "
            "has escaped the function that created it. Return it from that function "
            "instead of storing it elsewhere."
        )


class TracerConversionError(TypeError):
    """A traced value was converted to a concrete NumPy array or Python number.

    The derivative would be lost at that point, so wengert refuses instead of
    returning a silently wrong gradient (JAX's ``TracerArrayConversionError``
    and ``ConcretizationTypeError`` play the same part).
    """


_CONVERSIONS = {
    "bool": (
        "a Python truth value (an `if`, `while`, `and`/`or` or bool() on it)",
        "use wengert.numpy.where (wnp.where) to choose per example (each may take another branch), or "
        "wg.lax.cond / wg.lax.while_loop, which vmap follows per example",
    ),
    "array": (
        "converting it to a NumPy array (np.asarray, np.array, np.r_/np.c_, or storing it into a "
        "NumPy array with y[i] = x)",
        "build arrays with wnp.asarray, wnp.array, wnp.stack or wnp.concatenate; write into an "
        "array with x.at[i].set(v) (wnp.at(y)[i].set(v) for a plain array)",
    ),
    "float": (
        "float() (also called by math.* functions, and by NumPy when a scalar is stored into a "
        "NumPy array with y[i] = x)",
        "use wengert.numpy functions (wnp.sin, not math.sin) and keep the value as an array; write "
        "into an array with x.at[i].set(v) (wnp.at(y)[i].set(v) for a plain array) or build it with wnp.stack",
    ),
    "int": ("int()", "keep the value as an array, or make it a static (non-traced) argument"),
    "complex": ("complex()", "keep the value as an array"),
    "index": (
        "using it as an integer (an index, a range bound, operator.index)",
        "use integer arrays that are not traced, or wnp.take / wnp.where",
    ),
    "tolist": (".tolist()", "keep the value as an array (wnp functions accept it as it is)"),
    "item": (".item()", "keep the value as a 0-d array (wnp functions accept it as it is)"),
}


def conversion_error(tracer: Tracer, kind: str) -> Exception:
    """The error for converting ``tracer`` to a concrete value (``kind`` names how)."""
    trace = tracer._trace
    if not trace.active:
        return UnexpectedTracerError(trace, _CONVERSIONS[kind][0])
    conversion, spelling = _CONVERSIONS[kind]
    reason = ": its derivative would be lost" if trace.differentiates else ""
    if trace.staged:  # jit's staging, or a lax loop's body staged once for every step
        lax = trace.name.startswith("lax.")
        reason = _STAGED_REASON[lax].format(name=trace.name)
        spelling = _STAGED_SPELLING[lax]
    elif trace.differentiates:
        spelling += "; where a constant is meant, use wg.stop_gradient(x)"
    location = user_location()
    return TracerConversionError(
        f"{trace.name} cannot follow a traced value through {conversion}{location}{reason}. Instead, {spelling}."
    )


_STAGED_REASON = (
    ": while a program is compiled its values have a shape and a dtype but no numbers",
    ": the function given to {name} is staged once for all its steps or branches, so its values have a shape "
    "and a dtype but no numbers",
)
_STAGED_SPELLING = (
    "make the value a static argument (jit(f, static_argnums=...) or static_argnames=...), use wnp.where to "
    "choose per element, or write the branch or loop with wg.lax.cond, wg.lax.switch, wg.lax.while_loop, "
    "wg.lax.fori_loop or wg.lax.scan",
    "use wnp.where, or nest wg.lax.cond / wg.lax.while_loop inside it",
)


_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def user_location() -> str:
    """`` at file:line: source`` for the innermost frame outside wengert and NumPy ('' if none)."""
    # NumPy's frames (its functions calling __array__ or __float__) stand between the user's line and us.
    numpy_file = getattr(sys.modules.get("numpy"), "__file__", None) or _PACKAGE_DIR
    prefixes = (_PACKAGE_DIR, "<frozen", os.path.dirname(numpy_file) + os.sep)
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith(prefixes):
            line = linecache.getline(filename, frame.f_lineno).strip()
            source = f": {line}" if line else ""
            return f" at {filename}:{frame.f_lineno}{source}"
        frame = frame.f_back
    return ""


class UnexpectedTracerError(TracerLevelError):
    """A traced value was used after the transformation that made it returned."""

    def __init__(self, trace: Trace, what: str) -> None:
        where = user_location()
        RuntimeError.__init__(
            self,
            f"{what} was given a traced value of {trace.name} after {trace.name} had returned"
            f"{where}. The value escaped the function being transformed (kept in a list, a global, "
            "a closure or an attribute). Return it from the function instead (use has_aux=True for "
            "extra outputs), or store wg.stop_gradient(x) if only its value is needed.",
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
    trace.active = True
    try:
        yield trace
    finally:
        stack.pop()
        trace.active = False
        default = state.default_forward.pop(trace.level, None)
        if default is not None:
            default.active = False


def top_level() -> float:
    stack = state.stack
    return stack[-1].level if stack else 0
