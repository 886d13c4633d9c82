"""Forward mode: dual numbers that carry a tangent beside each primal.

A `Dual` is a tracer of a `ForwardTrace`. Applying a primitive to duals runs
the implementation on the primals and the primitive's JVP rule on the
tangents. A tangent of ``None`` is a symbolic zero: rules are skipped for it.

A *deferrable* primitive (a matrix product: its JVP rules never read its
output) gets a `DeferredDual` whose primal and tangent are formed when read:
both in one fused pass when the primal is read first, and the primal never if
only the tangent is read. A Hessian-vector product by forward-over-reverse
returns only tangents, so the primal gradient's last product is never formed
(the dead-code elimination a compiler would do, done lazily).
"""

from __future__ import annotations

from typing import Any

from .primitive import SCALAR_ERRORS, Primitive, bind, call_promoted
from .trace import Trace, Tracer, UnexpectedTracerError, primal_value, state, top_level


class ForwardTrace(Trace):
    """The trace of one forward-mode transformation (or of the user's default duals)."""

    __slots__ = ()
    default_name = "forward mode"

    def process(self, primitive: Primitive, args: tuple, params: dict) -> Any:
        if not self.active:
            raise UnexpectedTracerError(self, f"'{primitive.name}'")
        primals = []
        tangents = []
        perturbed = False
        for arg in args:
            if isinstance(arg, Tracer) and arg._trace is self:
                primals.append(arg.primal)  # the primal first: a deferred dual forms both in one pass
                tangent = arg._tangent
                tangents.append(tangent)
                if tangent is not None:
                    perturbed = True
            else:
                primals.append(arg)
                tangents.append(None)
        if perturbed and primitive.deferrable:
            return DeferredDual(primitive, primals, tangents, params, self)
        ans = bind(primitive, primals, params)
        if not primitive.differentiable:
            return ans
        if not perturbed:
            return Dual(ans, None, self)
        try:
            tangent = primitive.apply_jvp(tangents, ans, primals, params)
        except SCALAR_ERRORS:
            tangent = call_promoted(
                lambda *values: primitive.apply_jvp(
                    values[: len(primals)], values[len(primals)], values[len(primals) + 1 :], params
                ),
                (*tangents, ans, *primals),
                {},
            )
        return Dual(ans, tangent, self)


class Dual(Tracer):
    """A forward-mode dual number ``primal + tangent·ε`` (with ε² = 0).

    Every ``wengert.numpy`` function accepts duals. Duals made without naming a
    trace share one default forward trace, so ``f(Dual(2, 1), Dual(5, 0))``
    carries a single perturbation.

    Example:
        >>> import wengert.numpy as wnp
        >>> y = wnp.sin(Dual(0.0, 1.0)) + Dual(0.0, 1.0) * 3
        >>> print(y)
        Dual(primal=0.0, tangent=4.0)
    """

    __slots__ = ("_tangent",)

    def __init__(self, primal: Any, tangent: Any = None, trace: Trace | None = None) -> None:
        if trace is None:
            _check_user_dual(primal, tangent)
            trace = default_forward_trace()
        self.primal = primal
        self._tangent = tangent
        self._trace = trace

    @property
    def tangent(self) -> Any:
        """The tangent, with a symbolic zero made concrete."""
        if self._tangent is None:
            return zeros_like_value(self.primal)
        return self._tangent

    def __repr__(self) -> str:
        return f"Dual(primal={self.primal!r}, tangent={self.tangent!r})"

    __str__ = __repr__


def _check_user_dual(primal: Any, tangent: Any) -> None:
    """Refuse a dual number whose parts are not numbers or arrays, or whose tangent has another shape."""
    for part, value in (("primal", primal), ("tangent", tangent)):
        if value is None and part == "tangent":
            continue
        if isinstance(value, (list, tuple)):
            raise TypeError(
                f"Dual: the {part} is a {type(value).__name__}; pass a number or an array "
                f"(np.asarray({type(value).__name__}) first)"
            )
        kind = getattr(getattr(value, "dtype", None), "kind", None)
        if kind == "c" or isinstance(value, complex):
            raise TypeError(f"Dual: complex {part}s are not supported yet (their derivatives would be wrong)")
        if kind is None and not isinstance(value, (bool, int, float, Tracer)):
            raise TypeError(f"Dual: the {part} must be a number or a numeric array, got {type(value).__name__}")
        if kind is not None and kind not in "biuf":
            raise TypeError(f"Dual: the {part} must be numeric, got dtype {value.dtype}")
    if tangent is not None:
        primal_shape = tuple(getattr(primal, "shape", ()))
        tangent_shape = tuple(getattr(tangent, "shape", ()))
        if primal_shape != tangent_shape:
            raise ValueError(
                f"Dual: the tangent has shape {tangent_shape} but the primal has shape {primal_shape}; "
                "a tangent has its primal's shape"
            )


class DeferredDual(Dual):
    """A dual number whose primal and tangent are computed on first read.

    Reading the primal first runs the primitive's fused rule when it has one
    (``jvp_fused``: one pass computing both, e.g. a matrix read once for a
    product with a vector and its tangent); reading the tangent first leaves
    the primal to be formed only if something reads it.

    Example:
        >>> import numpy as np
        >>> import wengert.numpy as wnp
        >>> y = wnp.matmul(np.eye(2), Dual(np.ones(2), np.ones(2)))
        >>> type(y).__name__, y.tangent, y.primal
        ('DeferredDual', array([1., 1.]), array([1., 1.]))
    """

    __slots__ = ("_pending",)

    def __init__(self, primitive: Primitive, primals: list, tangents: list, params: dict, trace: Trace) -> None:
        self._pending = (primitive, primals, tangents, params)
        _primal_slot.__set__(self, _NOT_YET)
        _tangent_slot.__set__(self, _NOT_YET)
        self._trace = trace

    @property
    def primal(self) -> Any:  # type: ignore[override]
        value = _primal_slot.__get__(self)
        if value is _NOT_YET:
            primitive, primals, tangents, params = self._pending
            if primitive.jvp_fused is not None and _tangent_slot.__get__(self) is _NOT_YET:
                pair = primitive.jvp_fused(primals, tangents, **params)
                if pair is not None:
                    value, tangent = pair
                    _tangent_slot.__set__(self, tangent)
            if value is _NOT_YET:
                value = bind(primitive, primals, params)
            _primal_slot.__set__(self, value)
            self._settle()
        return value

    @property
    def _tangent(self) -> Any:  # type: ignore[override]
        value = _tangent_slot.__get__(self)
        if value is _NOT_YET:
            primitive, primals, tangents, params = self._pending
            value = primitive.apply_jvp(tangents, None, primals, params)
            _tangent_slot.__set__(self, value)
            self._settle()
        return value

    @property
    def computed(self) -> tuple[bool, bool]:
        """Whether the primal and the tangent have been formed."""
        return _primal_slot.__get__(self) is not _NOT_YET, _tangent_slot.__get__(self) is not _NOT_YET

    def _settle(self) -> None:
        if _primal_slot.__get__(self) is not _NOT_YET and _tangent_slot.__get__(self) is not _NOT_YET:
            self._pending = None  # both formed: let go of the arguments


_NOT_YET = object()
_primal_slot = Tracer.__dict__["primal"]
_tangent_slot = Dual.__dict__["_tangent"]


def zeros_like_value(value: Any) -> Any:
    """A concrete zero shaped like ``value`` as the running transformation sees it.

    A batch tracer's zero has the example's shape (it is the same for every
    example); other tracers' zeros have their primal's shape.
    """
    return _zeros_like(value)


def _scalar_zeros_like(value: Any) -> Any:
    value = primal_value(value)
    return type(value)(0) if isinstance(value, (int, float)) else value * 0


_zeros_like = _scalar_zeros_like


def set_zeros_like(function: Any) -> None:
    """Install the array library's ``zeros_like`` (the core knows no array library)."""
    global _zeros_like
    _zeros_like = function


def default_forward_trace() -> ForwardTrace:
    """The forward trace shared by duals created at the current nesting depth."""
    level = top_level()
    traces = state.default_forward
    trace = traces.get(level)
    if trace is None:
        trace = ForwardTrace(level + 0.5)
        traces[level] = trace
    return trace
