"""Primitives: an operation declared once with its implementation and derivative rules.

A program is a composition of primitives. Each interpreter (reverse mode, forward
mode, staging for the compiler) decides what applying a primitive means for its
tracers; `bind` finds the interpreter that owns the highest-level tracer among
the arguments and hands the application to it. With no tracer present the
implementation runs directly: that is the fast path for plain values.
"""

from __future__ import annotations

import dis
import inspect
import operator
from collections.abc import Callable, Sequence
from typing import Any

from .trace import Tracer, TracerLevelError, UnexpectedTracerError

Rule = Callable[..., Any]


class Primitive:
    """An operation with its implementation, its JVP rules and its VJP rules.

    Rules are written in wengert's own operations, so that they can be
    differentiated again:

    * ``vjp`` holds one rule per positional argument,
      ``rule(cotangent, ans, *args, **params) -> cotangent of that argument``,
      or ``None`` where the argument is not differentiable; or
      ``vjp_joint(cotangent, ans, *args, **params)`` returns every argument's
      cotangent at once (for rules that share expensive work, like recomputation).
    * ``jvp`` is either one rule per positional argument,
      ``rule(tangent, ans, *args, **params) -> contribution to the output tangent``
      (contributions are summed), or ``jvp_joint(tangents, ans, *args, **params)``
      which sees every tangent at once (``None`` stands for a zero tangent).

    ``batch(values, batched, **params)`` (optional) applies the primitive to a
    batch: arguments flagged in ``batched`` carry the batch on axis 0, and the
    result must too (see `wengert.core.batch`).

    A primitive with ``differentiable=False`` (comparisons, ``floor``...) has a
    zero derivative: differentiating interpreters return its raw result.
    ``linear=True`` declares a map linear in its differentiable arguments whose JVP
    is the same map of the tangents: the VJP rules read only shapes (an in-place
    change of an argument cannot corrupt them) and Taylor mode maps each coefficient.
    ``deferrable=True`` lets forward mode compute the output and its tangent
    only when they are read (the JVP rules must not read ``ans``; worth it for
    costly products); ``jvp_fused(primals, tangents, **params)`` may then
    return ``(ans, tangent)`` from one pass, or ``None`` to decline.

    Example:
        >>> import math
        >>> sin = Primitive("sin", math.sin)
        >>> sin.bind(0.0)
        0.0
    """

    __slots__ = (
        "name",
        "impl",
        "jvp",
        "jvp_joint",
        "vjp",
        "vjp_joint",
        "batch",
        "differentiable",
        "linear",
        "deferrable",
        "jvp_fused",
        "_read_positions",
        "__dict__",
    )

    def __init__(
        self,
        name: str,
        impl: Callable[..., Any],
        *,
        jvp: Sequence[Rule | None] | None = None,
        jvp_joint: Rule | None = None,
        vjp: Sequence[Rule | None] | None = None,
        vjp_joint: Rule | None = None,
        batch: Rule | None = None,
        differentiable: bool = True,
        linear: bool = False,
        deferrable: bool = False,
        jvp_fused: Rule | None = None,
    ) -> None:
        self.name = name
        self.impl = impl
        self.jvp = tuple(jvp) if jvp is not None else None
        self.jvp_joint = jvp_joint
        self.vjp = tuple(vjp) if vjp is not None else None
        self.vjp_joint = vjp_joint
        self.batch = batch
        self.differentiable = differentiable
        self.linear = linear
        self.deferrable = deferrable
        self.jvp_fused = jvp_fused
        self._read_positions: tuple[int, ...] | None = None
        if deferrable and -1 in _positions_read(self.jvp, jvp_joint):
            raise ValueError(f"primitive '{name}' cannot be deferrable: its JVP rules read its output")

    def __repr__(self) -> str:
        return f"<primitive {self.name}>"

    def bind(self, *args: Any, **params: Any) -> Any:
        """Apply the primitive, letting the highest-level tracer's trace interpret it."""
        return bind(self, args, params)

    def defvjp(self, *rules: Rule | None) -> Primitive:
        """Set the VJP rules, one per positional argument."""
        self.vjp = rules
        self._read_positions = None
        return self

    def defjvp(self, *rules: Rule | None) -> Primitive:
        """Set the JVP rules, one per positional argument."""
        self.jvp = rules
        self.jvp_joint = None
        return self

    @property
    def read_positions(self) -> tuple[int, ...]:
        """Which values the VJP rules read: argument positions, and -1 for the output.

        Read off the rules' code (a rule that names a parameter reads it; one
        that cannot be inspected is assumed to read everything). Worked out on
        first use; `defvjp` forgets it.
        """
        positions = self._read_positions
        if positions is None:
            positions = _positions_read(self.vjp, self.vjp_joint)
            self._read_positions = positions
        return positions

    @property
    def saved_positions(self) -> tuple[int, ...]:
        """The read values whose in-place change would corrupt a backward pass.

        Linear primitives read only shapes, which in-place updates cannot
        change, so they have none. Tensors record the versions of these values,
        to refuse a backward pass through a value updated after it was saved.
        """
        return () if self.linear else self.read_positions

    def has_jvp(self) -> bool:
        return self.jvp is not None or self.jvp_joint is not None

    def has_vjp(self) -> bool:
        return self.vjp is not None or self.vjp_joint is not None

    # -- rule application, shared by the interpreters -------------------------

    def apply_jvp(self, tangents: Sequence[Any], ans: Any, args: Sequence[Any], params: dict) -> Any:
        """Output tangent from argument tangents (``None`` is a symbolic zero)."""
        if self.jvp_joint is not None:
            return self.jvp_joint(tangents, ans, *args, **params)
        rules = self.jvp
        if rules is None:
            raise NotImplementedError(f"primitive '{self.name}' has no JVP rule (forward mode)")
        out = None
        for i, tangent in enumerate(tangents):
            if tangent is None:
                continue
            rule = rules[i]
            if rule is None:
                raise not_differentiable(self, i)
            contribution = rule(tangent, ans, *args, **params)
            if contribution is not None:
                out = contribution if out is None else add_any(out, contribution)
        return out


_EVERY_POSITION = (-1, *range(64))


def _positions_read(rules: Sequence[Rule | None] | None, joint: Rule | None) -> tuple[int, ...]:
    if rules is not None and not isinstance(rules, (tuple, list)):
        return _EVERY_POSITION  # a rule family indexed by position (variadic primitives)
    functions = [rule for rule in (rules or ()) if rule is not None]
    if joint is not None:
        functions.append(joint)
    read: set[int] = set()
    for function in functions:
        code = getattr(function, "__code__", None)
        if code is None:
            return _EVERY_POSITION
        names = code.co_varnames[: code.co_argcount]
        loaded = _loaded_names(code)
        if code.co_flags & inspect.CO_VARARGS or len(names) < 2:
            return _EVERY_POSITION
        for position, name in enumerate(names[1:]):  # skip the cotangent
            if name in loaded or name in code.co_cellvars:
                read.add(position - 1)  # ans is position 0 here, -1 in the result
    return tuple(sorted(read))


def _loaded_names(code: Any) -> set[str]:
    names: set[str] = set()
    for instruction in dis.get_instructions(code):
        if instruction.opname.startswith("LOAD_FAST") or instruction.opname in ("LOAD_DEREF", "LOAD_CLOSURE"):
            value = instruction.argval
            names.update(value if isinstance(value, tuple) else (value,))
    return names


def not_differentiable(primitive: Primitive, index: int) -> TypeError:
    return TypeError(
        f"argument {index} of '{primitive.name}' is not differentiable, but a traced value was passed there"
    )


def bind(primitive: Primitive, args: Sequence[Any], params: dict) -> Any:
    """Apply ``primitive`` to ``args``: run it, or hand it to the top trace."""
    top = None
    for arg in args:
        if isinstance(arg, Tracer):
            trace = arg._trace
            if top is None or trace.level > top.level:
                top = trace
            elif trace is not top and trace.level == top.level:
                for candidate in (trace, top):
                    if not candidate.active:
                        raise UnexpectedTracerError(candidate, f"'{primitive.name}'")
                raise TracerLevelError(primitive, trace, top)
    if top is None:
        try:
            return primitive.impl(*args, **params)
        except SCALAR_ERRORS:
            return call_promoted(primitive.impl, args, params)
    return top.process(primitive, args, params)


# Python floats take a fast path through the interpreters, but Python raises where
# NumPy returns inf or nan (1.0 / 0.0, 10.0 ** 400). When that happens the call
# is repeated with the scalars promoted to the array library's scalars.
SCALAR_ERRORS = (ZeroDivisionError, OverflowError)
_promote_scalar: Callable[[Any], Any] | None = None


def set_scalar_promotion(promote: Callable[[Any], Any]) -> None:
    """Install how a Python scalar becomes an array-library scalar (see `call_promoted`)."""
    global _promote_scalar
    _promote_scalar = promote


def call_promoted(function: Callable[..., Any], args: Sequence[Any], params: dict) -> Any:
    """Call ``function`` again with Python scalars promoted, after a Python scalar error."""
    if _promote_scalar is None:
        raise
    promote = _promote_scalar
    return function(*[promote(arg) if type(arg) in (float, int) else arg for arg in args], **params)


def _add_any_impl(a: Any, b: Any) -> Any:
    return a + b


add_any_p = Primitive(
    "add_any",
    _add_any_impl,
    jvp=(lambda t, ans, a, b: t, lambda t, ans, a, b: t),
    vjp=(lambda g, ans, a, b: g, lambda g, ans, a, b: g),
    linear=True,
)


def add_any(a: Any, b: Any) -> Any:
    """Sum two tangents or cotangents of the same shape (the accumulation at a fan-out)."""
    if isinstance(a, Tracer) or isinstance(b, Tracer):
        return bind(add_any_p, (a, b), {})
    return operator.add(a, b)
