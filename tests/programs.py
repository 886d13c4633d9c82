"""Random short wengert.numpy programs, as data: generated, run, checked by finite differences, printed as code.

A `Program` is a list of `Op` records over numbered registers (the inputs first, then one register per
operation; the last register is the output). The same record runs under wengert.numpy, under jax.numpy,
and renders as a standalone Python snippet, so a failing example can be pasted and rerun.

Every register carries an interval that bounds its values for any input in the declared domains (inputs in
[-2, 2], or in [0.5, 2] when declared positive). The generator uses the intervals to keep each operation in
a domain where it is smooth and where finite differences mean something: `log` and `sqrt` only see values
>= 0.2, a denominator stays at least 0.3 away from zero, `exp` only sees values <= 3, no value exceeds
`LIMIT`. When a drawn operation's domain is not met, a guard (`square` then `+ 1`, `softplus` then a shift,
`tanh` then a scale...) is inserted before it, as ordinary operations of the program. Operations with kinks
(`abs`, `maximum`, `max`, `std` near zero, eigenvalue gaps...) cannot be guarded statically; their distance
from the kink is measured at run time by `kink_margin`, and the test rejects examples that sit near one.

Example:
    >>> from hypothesis import find
    >>> program = find(programs(), lambda p: len(p.ops) >= 3)
    >>> print(program.source())  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
import inspect
import math
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra.numpy import broadcastable_shapes, mutually_broadcastable_shapes

import wengert as wg
import wengert.numpy as wnp

LIMIT = 40.0  # no register may exceed this magnitude
MAX_SIZE = 36  # elements per register
MAX_RANK = 4
KINK_MARGIN = 1e-2  # closer than this (relative) to a kink or a tie: the example is rejected
STRUCTURAL = 1e-12  # a tie this exact is an identity of the program (x - x, a broadcast copy): derivatives agree


# -- the program as data -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ref:
    """A register: an input or the result of an operation."""

    index: int


@dataclass(frozen=True)
class Const:
    """A constant array of the program (printed once, before the function)."""

    index: int


INFIX = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv, "**": operator.pow}
INFIX["@"] = operator.matmul
ATTRIBUTES = {".T"}


@dataclass(frozen=True)
class Op:
    """One operation: ``function`` is a wnp name ("sin", "linalg.inv"), an infix operator ("+", "@"),
    "[]" (indexing), or ".name" (a method or attribute of the first argument)."""

    function: str
    args: tuple
    kwargs: tuple = ()
    pick: int | None = None  # the function returns a tuple: keep this element


@dataclass
class Program:
    """Inputs' shapes, constants, operations; the last register is the output."""

    input_shapes: list[tuple[int, ...]]
    positive: list[bool]
    constants: list[np.ndarray]
    ops: list[Op]
    bounds: list[tuple[float, float]] = field(default_factory=list)  # one interval per register

    @property
    def n_inputs(self) -> int:
        return len(self.input_shapes)

    def name(self, register: int) -> str:
        return f"x{register}" if register < self.n_inputs else f"t{register}"

    def output_shape(self) -> tuple[int, ...]:
        return np.shape(evaluate(self, sample_inputs(self, 0)))

    def weights(self) -> np.ndarray:
        """The fixed weights of the scalar loss sum(W * sin(f(x)))."""
        shape = self.output_shape()
        return (1.0 + 0.5 * np.cos(np.arange(math.prod(shape), dtype=float))).reshape(shape)

    def source(self, dialect: str = "wengert") -> str:
        """The function ``f`` as Python source in the given dialect ("wengert" or "jax")."""
        prefix = "wnp" if dialect == "wengert" else "jnp"
        arguments = ", ".join(self.name(i) for i in range(self.n_inputs))
        name = "f" if dialect == "wengert" else "f_jax"
        lines = [f"def {name}({arguments}):"]
        for position, op in enumerate(self.ops):
            register = self.n_inputs + position
            lines.append(f"    {self.name(register)} = {render_op(self, op, dialect, prefix)}")
        lines.append(f"    return {self.name(self.n_inputs + len(self.ops) - 1)}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.source()

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Hypothesis prints a falsifying program as its source."""
        printer.text("\n" + self.source() + "\n")


def render_literal(program: Program, value: Any, in_index: bool = False) -> str:
    if isinstance(value, Ref):
        return program.name(value.index)
    if isinstance(value, Const):
        return f"c{value.index}"
    if isinstance(value, list):
        return "[" + ", ".join(render_literal(program, v) for v in value) + "]"
    if isinstance(value, tuple):
        items = [render_literal(program, v, in_index) for v in value]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    if isinstance(value, slice):
        if not in_index:
            return f"slice({value.start!r}, {value.stop!r}, {value.step!r})"
        text = ("" if value.start is None else str(value.start)) + ":" + ("" if value.stop is None else str(value.stop))
        return text + ("" if value.step is None else f":{value.step}")
    if value is Ellipsis:
        return "..."
    if isinstance(value, np.ndarray):
        return array_literal(value)
    if isinstance(value, float) and math.isinf(value):
        return "np.inf" if value > 0 else "-np.inf"
    return repr(value)


def array_literal(value: np.ndarray) -> str:
    """``np.array(...)`` that reproduces ``value`` exactly (floats repr round-trip)."""
    dtype = "" if value.dtype == np.float64 else f", dtype=np.{value.dtype.name}"
    if value.dtype.kind == "b":
        dtype = ", dtype=bool"
    return f"np.array({value.tolist()!r}{dtype})"


def render_index(program: Program, index: Any) -> str:
    if not isinstance(index, tuple):
        return render_literal(program, index, in_index=True)
    if not index:
        return "()"
    return ", ".join(render_literal(program, item, in_index=True) for item in index) + (
        "," if len(index) == 1 and not isinstance(index[0], (slice, int)) and index[0] is not Ellipsis else ""
    )


JAX_NAMES = {
    "softplus": "jax.nn.softplus",
    "sigmoid": "jax.nn.sigmoid",
    "relu": "jax.nn.relu",
    "softmax": "jax.nn.softmax",
    "log_softmax": "jax.nn.log_softmax",
    "logsumexp": "jax.scipy.special.logsumexp",
    "erf": "jax.scipy.special.erf",
    "erfc": "jax.scipy.special.erfc",
    "xlogy": "jax.scipy.special.xlogy",
    "amax": "jnp.max",
    "amin": "jnp.min",
}


# Not in JAX, or different there: partition orders the other elements its own way.
JAX_UNSUPPORTED = {"cumulative_trapezoid", "partition"}


def jax_supported(program: Program) -> bool:
    """Whether JAX runs the program as NumPy does and differentiates it.

    JAX's scatter-multiply differentiates only unique indices, and its median and quantiles of a 0-d array
    with keepdims=True have shape (1,) where NumPy's have shape ().
    """
    if any(op.function in JAX_UNSUPPORTED for op in program.ops):
        return False
    registers = run_registers(program, sample_inputs(program, 0))
    for op in program.ops:
        if op.function == "at.multiply":
            unsupported = _max_repeats(np.shape(_value(program, registers, op.args[0])), op.args[1]) > 1
        elif op.function in ("median", "quantile", "percentile") and dict(op.kwargs).get("keepdims"):
            unsupported = not np.shape(_value(program, registers, op.args[0]))  # a 0-d operand
        else:
            continue
        if unsupported:
            return False
    return True


def function_name(function: str, dialect: str, prefix: str) -> str:
    if dialect == "jax" and function in JAX_NAMES:
        return JAX_NAMES[function]
    return f"{prefix}.{function}"


def render_op(program: Program, op: Op, dialect: str = "wengert", prefix: str = "wnp") -> str:
    def lit(value: Any) -> str:
        return render_literal(program, value)

    if op.function in INFIX:
        text = f"{lit(op.args[0])} {op.function} {lit(op.args[1])}"
    elif op.function == "[]":
        text = f"{lit(op.args[0])}[{render_index(program, op.args[1])}]"
    elif op.function in ATTRIBUTES:
        text = f"{lit(op.args[0])}{op.function}"
    elif op.function.startswith("at."):
        x, index, v = op.args
        base = f"wnp.at({lit(x)})" if dialect == "wengert" else f"jnp.asarray({lit(x)}).at"
        text = f"{base}[{render_index(program, index)}].{op.function[3:]}({lit(v)})"
    else:
        arguments = [lit(a) for a in (op.args[1:] if op.function.startswith(".") else op.args)]
        arguments += [f"{key}={lit(value)}" for key, value in op.kwargs]
        call = ", ".join(arguments)
        if op.function.startswith("."):
            text = f"{lit(op.args[0])}{op.function}({call})"
        else:
            text = f"{function_name(op.function, dialect, prefix)}({call})"
    return text if op.pick is None else f"{text}[{op.pick}]"


# -- running a program -----------------------------------------------------------------------------------------


def _insert(shape: tuple[int, ...], axis: int, size: int) -> tuple[int, ...]:
    """``shape`` with a new axis of ``size`` at ``axis`` (negative counts from the end of the result)."""
    position = axis if axis >= 0 else len(shape) + 1 + axis
    return shape[:position] + (size,) + shape[position:]


def _resolve_dotted(root: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        root = getattr(root, part)
    return root


def namespace(dialect: str) -> Callable[[str], Any]:
    """Name of a function (as in `Op.function`) -> the callable in the dialect."""
    if dialect == "wengert":
        return lambda name: _resolve_dotted(wnp, name)
    jax = importlib.import_module("jax")
    jnp = importlib.import_module("jax.numpy")
    importlib.import_module("jax.scipy.special")

    def resolve(name: str) -> Any:
        if name == "at":  # wnp.at(x)[index] is JAX's x.at[index]
            return lambda x: jnp.asarray(x).at
        dotted = function_name(name, "jax", "jnp")
        root, rest = dotted.split(".", 1)
        return _resolve_dotted(jnp if root == "jnp" else jax, rest)

    return resolve


def _value(program: Program, registers: list, item: Any) -> Any:
    if isinstance(item, Ref):
        return registers[item.index]
    if isinstance(item, Const):
        return program.constants[item.index]
    if isinstance(item, list):
        return [_value(program, registers, v) for v in item]
    if isinstance(item, tuple):
        return tuple(_value(program, registers, v) for v in item)
    return item


def apply_op(program: Program, op: Op, registers: list, resolve: Callable[[str], Any]) -> Any:
    args = [_value(program, registers, a) for a in op.args]
    kwargs = {key: _value(program, registers, v) for key, v in op.kwargs}
    if op.function in INFIX:
        result = INFIX[op.function](*args)
    elif op.function == "[]":
        result = args[0][args[1]]
    elif op.function == ".T":
        result = args[0].T
    elif op.function.startswith("at."):
        x, index, v = args
        result = getattr(resolve("at")(x)[index], op.function[3:])(v)
    elif op.function.startswith("."):
        result = getattr(args[0], op.function[1:])(*args[1:], **kwargs)
    else:
        result = resolve(op.function)(*args, **kwargs)
    return result if op.pick is None else result[op.pick]


def run_registers(program: Program, inputs: Sequence[Any], dialect: str = "wengert") -> list:
    """All registers' values: the inputs, then one per operation."""
    resolve = namespace(dialect)
    registers = list(inputs)
    for op in program.ops:
        registers.append(apply_op(program, op, registers, resolve))
    return registers


def evaluate(program: Program, inputs: Sequence[Any], dialect: str = "wengert") -> Any:
    return run_registers(program, inputs, dialect)[-1]


def function(program: Program, dialect: str = "wengert") -> Callable[..., Any]:
    """The program as a Python function of its inputs."""
    return lambda *inputs: evaluate(program, inputs, dialect)


def loss_function(program: Program, dialect: str = "wengert") -> Callable[..., Any]:
    """The scalar sum(W * sin(f(x))) whose gradient and Hessian the tests check."""
    weights = program.weights()
    if dialect == "wengert":
        return lambda *inputs: wnp.sum(weights * wnp.sin(evaluate(program, inputs)))
    jnp = importlib.import_module("jax.numpy")
    return lambda *inputs: jnp.sum(weights * jnp.sin(evaluate(program, inputs, "jax")))


def sample_inputs(program: Program, seed: int, in_axes: Sequence[int | None] = (), size: int = 3) -> tuple:
    """Inputs in the declared domains: |x| in [0.2, 2] with random signs, or x in [0.5, 2] when positive.

    With ``in_axes``, a batch of ``size`` examples for vmap: each input not None has that axis added.
    """
    rng = np.random.default_rng(seed)
    inputs = []
    shapes = list(program.input_shapes)
    for k, axis in enumerate(in_axes):
        if axis is not None:
            shapes[k] = _insert(shapes[k], axis, size)
    for shape, positive in zip(shapes, program.positive):
        if positive:
            inputs.append(rng.uniform(0.5, 2.0, shape))
        else:
            inputs.append(rng.uniform(0.2, 2.0, shape) * rng.choice([-1.0, 1.0], shape))
    return tuple(np.asarray(x, dtype=np.float64) for x in inputs)


# -- kinks: how far the example sits from a point where the program is not smooth -----------------------------


def _reduced_gaps(x: np.ndarray, axis: Any) -> np.ndarray:
    """For each slice reduced by max/min: the gap between the two largest (or smallest) distinct entries."""
    x = np.asarray(x, dtype=float)
    if axis is None:
        axes = tuple(range(x.ndim))
    else:
        axes = tuple(a % x.ndim for a in (axis if isinstance(axis, tuple) else (axis,)))
    kept = [a for a in range(x.ndim) if a not in axes]
    flat = np.transpose(x, kept + list(axes)).reshape(math.prod(x.shape[a] for a in kept), -1)
    if flat.shape[1] < 2:
        return np.array([np.inf])
    ordered = np.sort(flat, axis=1)
    return np.concatenate([ordered[:, -1] - ordered[:, -2], ordered[:, 1] - ordered[:, 0]])


def _margins(function: str, args: list, kwargs: dict, result: Any) -> np.ndarray | None:
    """Distances from this operation's kinks (None: the operation is smooth)."""
    if function in ("abs", "relu", "absolute"):
        return np.abs(args[0])
    if function in ("maximum", "minimum", "fmax", "fmin"):
        return np.abs(np.subtract(args[0], args[1]))
    if function in ("max", "min", "amax", "amin", ".max", ".min"):
        return _reduced_gaps(args[0], kwargs.get("axis"))
    if function in ("std", ".std", "linalg.norm"):
        return np.abs(result)
    if function in ("linalg.eigvalsh", "linalg.eigh"):
        values = np.linalg.eigvalsh(args[0])
        return np.diff(values, axis=-1) if values.shape[-1] > 1 else None
    if function in ("linalg.svd", "linalg.svdvals", "linalg.pinv", "linalg.lstsq"):
        values = np.linalg.svd(args[0], compute_uv=False)  # descending: no zero, no tie
        return np.concatenate([values.ravel(), -np.diff(values, axis=-1).ravel()])
    if function == "linalg.qr":
        return np.abs(np.diagonal(np.linalg.qr(args[0])[1], axis1=-2, axis2=-1))
    if function == "linalg.norm":
        return _norm_margins(np.asarray(args[0]), kwargs.get("ord"), result)
    if function in ("sort", "median", "quantile", "percentile", "partition"):
        axis = kwargs.get("axis", -1 if function in ("sort", "partition") else None)
        return _sorted_gaps(np.asarray(args[0]), axis)
    if function == "clip":
        x, lo, hi = args
        return np.minimum(np.abs(x - (np.inf if lo is None else lo)), np.abs(x - (np.inf if hi is None else hi)))
    if function == "interp":
        return np.abs(np.subtract.outer(np.asarray(args[0]), args[1]))
    if function in ("at.min", "at.max"):
        x, index, v = args
        return np.abs(np.asarray(x)[index] - v)
    return None


def _sorted_gaps(x: np.ndarray, axis: Any) -> np.ndarray:
    """Gaps between neighbours in sorted order along ``axis`` (all axes for None, each axis of a tuple)."""
    if axis is None:
        x, axis = x.ravel(), 0
    if isinstance(axis, tuple):
        x = np.moveaxis(x, axis, tuple(range(-len(axis), 0)))
        x, axis = x.reshape(*x.shape[: x.ndim - len(axis)], -1), -1
    if x.ndim == 0 or x.shape[axis] < 2:
        return np.array([np.inf])
    return np.diff(np.sort(x, axis=axis), axis=axis)


def _norm_margins(x: np.ndarray, order: Any, result: Any) -> np.ndarray:
    """Distances from the kinks of ``linalg.norm(x, ord=order)`` (x a vector or a matrix, no axis)."""
    if order in (None, 2, "fro") and not (x.ndim == 2 and order == 2):
        return np.abs(result)
    if x.ndim == 2 and order in (2, -2, "nuc"):
        values = np.linalg.svd(x, compute_uv=False)
        return np.concatenate([values, -np.diff(values)])
    if x.ndim == 2:  # 1, -1, inf, -inf: the largest (smallest) column or row sum of |x|
        sums = np.sum(np.abs(x), axis=0 if order in (1, -1) else 1)
        return np.concatenate([np.abs(x).ravel(), _sorted_gaps(sums, 0)])
    if order in (np.inf, -np.inf):
        return np.concatenate([np.abs(x), _sorted_gaps(np.abs(x), 0)])
    return np.abs(x)


# Exactly repeated eigenvalues are not a harmless identity: the sorted eigenvalues have no derivative there.
NEVER_STRUCTURAL = {"linalg.eigvalsh", "linalg.eigh", "linalg.svd", "linalg.svdvals", "linalg.pinv", "linalg.lstsq"}
NEVER_STRUCTURAL |= {"linalg.qr"}


def kink_margin(program: Program, inputs: Sequence[np.ndarray], structural_ok: bool = True) -> float:
    """The smallest relative distance of any operation from one of its kinks (inf if none has a kink).

    Exact ties (below `STRUCTURAL`) are identities of the program — max of a broadcast copy, abs(x - x) —
    where every convention gives the same derivative; with ``structural_ok`` they do not count.
    """
    registers = run_registers(program, inputs)
    smallest = math.inf
    for position, op in enumerate(program.ops):
        args = [_value(program, registers, a) for a in op.args]
        kwargs = {key: _value(program, registers, v) for key, v in op.kwargs}
        margins = _margins(op.function, args, kwargs, registers[program.n_inputs + position])
        if margins is None:
            continue
        arrays = [np.asarray(a) for a in args if isinstance(a, (np.ndarray, np.generic))]
        scale = max([1.0] + [float(np.max(np.abs(a))) for a in arrays if a.size])
        relative = np.asarray(margins, dtype=float).ravel() / scale
        if structural_ok and op.function not in NEVER_STRUCTURAL:
            relative = relative[relative > STRUCTURAL]
        if relative.size:
            smallest = min(smallest, float(np.min(relative)))
    return smallest


def value_scale(program: Program, inputs: Sequence[np.ndarray]) -> float:
    """The largest magnitude of any register (at least 1): rounding errors scale with it."""
    registers = run_registers(program, inputs)
    return max([1.0] + [float(np.max(np.abs(r))) for r in registers if np.size(r)])


# -- finite differences and the checks (their source is printed into the snippets) -----------------------------

FD_STEP = 2e-4
RTOL = 1e-7
ATOL = 1e-10  # times SCALE, the largest magnitude among the values involved


def central_difference(function, inputs, direction, step=FD_STEP):
    """Derivative of ``function`` at ``inputs`` along ``direction``: the 4-point central stencil, error O(step⁴).

    The step is halved (up to 6 times) until two successive estimates agree to 1e-9 relative: a function
    that turns fast (sin of 57 · x, after rad2deg) needs a finer step than FD_STEP.
    """

    def at(t):
        return np.asarray(function(*[x + t * d for x, d in zip(inputs, direction)]), dtype=float)

    def stencil(h):
        return (at(-2 * h) - 8 * at(-h) + 8 * at(h) - at(2 * h)) / (12 * h)

    estimate = stencil(step)
    for _ in range(6):
        step /= 2
        previous, estimate = estimate, stencil(step)
        if np.max(np.abs(estimate - previous), initial=0.0) <= 1e-9 * max(1.0, np.max(np.abs(estimate), initial=0.0)):
            break
    return estimate


def numeric_gradient(function, inputs, step=FD_STEP):
    """The gradient of a scalar ``function``, one input coordinate at a time."""
    gradients = []
    for k, x in enumerate(inputs):
        gradient = np.zeros(np.shape(x))
        for i in np.ndindex(np.shape(x)):
            direction = [np.zeros(np.shape(y)) for y in inputs]
            direction[k][i] = 1.0
            gradient[i] = central_difference(function, inputs, direction, step)
        gradients.append(gradient)
    return gradients


def assert_close(name, exact, reference, scale, rtol=RTOL, atol=ATOL):
    """|exact - reference| <= rtol * max|reference| + atol * scale, over the whole array."""
    exact = np.asarray(exact, dtype=float)
    reference = np.asarray(reference, dtype=float)
    assert exact.shape == reference.shape, f"{name}: shape {exact.shape}, expected {reference.shape}"
    assert np.all(np.isfinite(exact)), f"{name}: not finite: {exact!r}"
    bound = rtol * float(np.max(np.abs(reference), initial=0.0)) + atol * scale
    error = float(np.max(np.abs(exact - reference), initial=0.0))
    assert error <= bound, (
        f"{name}: max error {error:.3g} > {bound:.3g}\n  got      {exact!r}\n  expected {reference!r}"
    )


def as_tuple(value):
    return value if isinstance(value, tuple) else (value,)


def check_grad(loss, inputs, scale):
    """wg.grad of the scalar loss against central differences, coordinate by coordinate."""
    exact = as_tuple(wg.grad(loss, argnums=tuple(range(len(inputs))))(*inputs))
    for k, (e, n) in enumerate(zip(exact, numeric_gradient(loss, inputs))):
        assert_close(f"grad wrt x{k}", e, n, scale)


def check_jvp(f, inputs, direction, scale):
    """wg.jvp of the program against central differences along ``direction``."""
    out, tangent = wg.jvp(f, inputs, direction)
    assert_close("jvp primal output", out, f(*inputs), scale)
    assert_close("jvp tangent", tangent, central_difference(f, inputs, direction), scale)


def check_hvp(loss, inputs, direction, scale):
    """wg.hvp of the scalar loss against central differences of wg.grad along ``direction``."""
    argnums = tuple(range(len(inputs)))

    def gradient(*x):
        return np.concatenate([np.ravel(g) for g in as_tuple(wg.grad(loss, argnums=argnums)(*x))])

    scale = max(scale, float(np.max(np.abs(gradient(*inputs)))))
    exact = np.concatenate([np.ravel(h) for h in as_tuple(wg.hvp(loss, inputs, direction))])
    assert_close("hvp", exact, central_difference(gradient, inputs, direction), scale)


def check_jax(f, loss, f_jax, loss_jax, inputs, direction, scale):
    """Value, grad, jvp and hvp against JAX's (float64, one jitted function), to 1e-10 relative."""
    import jax

    tolerance = dict(rtol=1e-10, atol=1e-12)
    argnums = tuple(range(len(inputs)))

    def everything(*x):
        gradient = jax.grad(loss_jax, argnums=argnums)
        return f_jax(*x), gradient(*x), jax.jvp(f_jax, x, direction)[1], jax.jvp(gradient, x, direction)[1]

    value, gradient, tangent, hessian_vector = jax.jit(everything)(*inputs)
    assert_close("value", f(*inputs), value, scale, **tolerance)
    for k, (a, b) in enumerate(zip(as_tuple(wg.grad(loss, argnums=argnums)(*inputs)), gradient)):
        assert_close(f"grad wrt x{k}", a, b, scale, **tolerance)
    assert_close("jvp", wg.jvp(f, inputs, direction)[1], tangent, scale, **tolerance)
    for k, (a, b) in enumerate(zip(as_tuple(wg.hvp(loss, inputs, direction)), hessian_vector)):
        assert_close(f"hvp wrt x{k}", a, b, scale, **tolerance)


def check_vmap(f, loss, inputs, in_axes, out_axes, scale):
    """wg.vmap of f, and of wg.grad of the loss, against a loop over the examples (to 1e-12)."""
    size = next(np.shape(x)[a] for x, a in zip(inputs, in_axes) if a is not None)
    examples = [tuple(x if a is None else np.take(x, i, axis=a) for x, a in zip(inputs, in_axes)) for i in range(size)]
    tolerance = dict(rtol=1e-12, atol=1e-13)
    looped = np.stack([np.asarray(f(*example)) for example in examples], axis=out_axes)
    assert_close("vmap", wg.vmap(f, in_axes=in_axes, out_axes=out_axes)(*inputs), looped, scale, **tolerance)
    gradient = wg.grad(loss, argnums=tuple(range(len(inputs))))
    batched = as_tuple(wg.vmap(gradient, in_axes=in_axes)(*inputs))
    for k, g in enumerate(batched):
        looped = np.stack([as_tuple(gradient(*example))[k] for example in examples])
        assert_close(f"vmap of grad wrt x{k}", g, looped, scale, **tolerance)


SNIPPET_HELPERS = (central_difference, numeric_gradient, assert_close, as_tuple)
CHECKS = {"grad": check_grad, "jvp": check_jvp, "hvp": check_hvp, "jax": check_jax, "vmap": check_vmap}
CHECK_CALLS = {
    "value": "print(f(*inputs))",
    "grad": "check_grad(loss, inputs, SCALE)",
    "jvp": "check_jvp(f, inputs, direction, SCALE)",
    "hvp": "check_hvp(loss, inputs, direction, SCALE)",
    "jax": "check_jax(f, loss, f_jax, loss_jax, inputs, direction, SCALE)",
    "vmap": "check_vmap(f, loss, inputs, IN_AXES, OUT_AXES, SCALE)",
}


# -- the standalone snippet ------------------------------------------------------------------------------------


def snippet(
    program: Program,
    inputs: Sequence[np.ndarray],
    check: str,
    direction: Sequence[np.ndarray] = (),
    scale: float = 1.0,
    axes: tuple = (),
) -> str:
    """A standalone script: the inputs, ``f``, the loss, and one check ("value", "grad", "jvp", "hvp", "jax",
    "vmap") that raises AssertionError if it fails. For "vmap", ``axes`` is (in_axes, out_axes)."""
    lines = ["import numpy as np", "", "import wengert as wg", "import wengert.numpy as wnp"]
    if check == "jax":
        lines += ["import jax", "import jax.numpy as jnp", "import jax.scipy.special", ""]
        lines += ['jax.config.update("jax_enable_x64", True)']
    lines += ["", f"FD_STEP, RTOL, ATOL = {FD_STEP!r}, {RTOL!r}, {ATOL!r}"]
    lines += [f"c{j} = {array_literal(constant)}" for j, constant in enumerate(program.constants)]
    lines += ["", "", program.source(), ""]
    if check == "jax":
        lines += ["", program.source("jax"), ""]
    lines += ["", "def loss(*inputs):", "    return wnp.sum(W * wnp.sin(f(*inputs)))", ""]
    if check == "jax":
        lines += ["", "def loss_jax(*inputs):", "    return jnp.sum(W * jnp.sin(f_jax(*inputs)))", ""]
    if check != "value":
        lines += [""] + [inspect.getsource(helper) + "\n" for helper in (*SNIPPET_HELPERS, CHECKS[check])]
    lines += [f"x{i} = {array_literal(np.asarray(x))}" for i, x in enumerate(inputs)]
    lines.append("inputs = (" + "".join(f"x{i}, " for i in range(len(inputs))).rstrip() + ")")
    if direction:
        lines.append("direction = (" + "".join(array_literal(np.asarray(d)) + ", " for d in direction).rstrip() + ")")
    lines.append(f"W = {array_literal(program.weights())}")
    lines.append(f"SCALE = {scale!r}")
    if axes:
        lines.append(f"IN_AXES, OUT_AXES = {axes[0]!r}, {axes[1]!r}")
    lines += ["", CHECK_CALLS[check]]
    return "\n".join(lines) + "\n"


# -- generation ------------------------------------------------------------------------------------------------

Bounds = tuple[float, float]


def _hull(*bounds: Bounds) -> Bounds:
    return min(b[0] for b in bounds), max(b[1] for b in bounds)


def _magnitude(bounds: Bounds) -> float:
    return max(abs(bounds[0]), abs(bounds[1]))


def _times(a: Bounds, b: Bounds) -> Bounds:
    corners = [a[0] * b[0], a[0] * b[1], a[1] * b[0], a[1] * b[1]]
    return min(corners), max(corners)


def _sum_of(count: int, bounds: Bounds) -> Bounds:
    """Bounds of a sum of ``count`` terms, each in ``bounds``."""
    return count * bounds[0], count * bounds[1]


def _power_of(count: int, bounds: Bounds) -> Bounds:
    """Bounds of a product of ``count`` factors, each in ``bounds``."""
    result = (1.0, 1.0)
    for _ in range(count):
        result = _times(result, bounds)
    return result


def _image(name: str, bounds: Bounds) -> Bounds:
    """Bounds of a continuous unary function's values over an interval, by dense sampling, padded."""
    grid = np.linspace(bounds[0], bounds[1], 4001)
    with np.errstate(all="ignore"):
        values = np.asarray(_resolve_dotted(wnp, name)(grid), dtype=float)
    lo, hi = float(np.min(values)), float(np.max(values))
    pad = 1e-3 * (hi - lo) + 1e-9
    return lo - pad, hi + pad


# name: the domain it needs, as (kind, c) — "max": x <= c, "abs": |x| <= c, "pos": x >= c, "away": |x| >= c
UNARY: dict[str, tuple[str, float] | None] = {
    "sin": None,
    "negative": None,
    "cos": None,
    "tanh": None,
    "arctan": None,
    "arcsinh": None,
    "sigmoid": None,
    "softplus": None,
    "square": ("abs", 6.0),
    "erf": None,
    "erfc": None,
    "sinc": None,
    "deg2rad": None,
    "rad2deg": ("abs", 0.6),
    "abs": None,  # kink at 0, checked at run time
    "relu": None,  # kink at 0, checked at run time
    "exp": ("max", 3.0),
    "expm1": ("max", 3.0),
    "exp2": ("max", 4.0),
    "sinh": ("abs", 3.0),
    "cosh": ("abs", 3.0),
    "tan": ("abs", 1.2),
    "arcsin": ("abs", 0.8),
    "arccos": ("abs", 0.8),
    "arctanh": ("abs", 0.8),
    "log": ("pos", 0.2),
    "log2": ("pos", 0.2),
    "log10": ("pos", 0.2),
    "log1p": ("pos", -0.7),
    "sqrt": ("pos", 0.2),
    "arccosh": ("pos", 1.2),
    "cbrt": ("away", 0.2),
    "reciprocal": ("away", 0.3),
}
METHOD_REDUCTIONS = ("sum", "mean", "max", "min", "prod", "var", "std")


class Builder:
    """Draws one program, operation by operation, tracking each register's shape, bounds and a sample value."""

    def __init__(self, draw: Callable[[st.SearchStrategy], Any]) -> None:
        self.draw = draw
        n_inputs = draw(st.integers(1, 3))
        shapes = draw(mutually_broadcastable_shapes(num_shapes=n_inputs, min_dims=0, max_dims=3, max_side=3))
        positive = [draw(st.booleans()) for _ in range(n_inputs)]
        self.program = Program(list(shapes.input_shapes), positive, [], [])
        self.program.bounds = [(0.5, 2.0) if p else (-2.0, 2.0) for p in positive]
        self.samples: list[Any] = list(sample_inputs(self.program, 12345))

    # registers ---------------------------------------------------------------------------------------------

    def shape(self, ref: Ref) -> tuple[int, ...]:
        return np.shape(self.samples[ref.index])

    def bounds(self, ref: Ref) -> Bounds:
        return self.program.bounds[ref.index]

    def last(self) -> Ref:
        return Ref(len(self.samples) - 1)

    def pick(self) -> Ref:
        """A register, most often the latest (shrinks towards it)."""
        back = self.draw(st.integers(0, len(self.samples) - 1))
        return Ref(len(self.samples) - 1 - back)

    def constant(self, shape: tuple[int, ...], positive: bool = False) -> Const:
        seed = self.draw(st.integers(0, 2**16))
        rng = np.random.default_rng(seed)
        values = rng.uniform(0.5, 1.5, shape)
        if not positive:
            values = values * rng.choice([-1.0, 1.0], shape)
        self.program.constants.append(np.asarray(values, dtype=np.float64))
        return Const(len(self.program.constants) - 1)

    def constant_bounds(self, const: Const) -> Bounds:
        values = self.program.constants[const.index]
        return float(np.min(values)), float(np.max(values))

    def operand_bounds(self, operand: Any) -> Bounds:
        if isinstance(operand, Ref):
            return self.bounds(operand)
        if isinstance(operand, Const):
            return self.constant_bounds(operand)
        return float(operand), float(operand)

    def emit(self, function: str, args: tuple, kwargs: tuple = (), bounds: Bounds | None = None, pick=None) -> Any:
        """Append an operation (None if its result would be too large, not float, or outside LIMIT)."""
        op = Op(function, args, kwargs, pick)
        with np.errstate(all="raise"):
            value = apply_op(self.program, op, self.samples, namespace("wengert"))
        value = np.asarray(value)
        if value.size > MAX_SIZE or value.ndim > MAX_RANK or value.size == 0 or value.dtype != np.float64:
            return None
        if bounds is None or _magnitude(bounds) > LIMIT:
            return None
        assert np.all(value >= bounds[0] - 1e-9) and np.all(value <= bounds[1] + 1e-9), (op, bounds, value)
        self.program.ops.append(op)
        self.program.bounds.append((float(bounds[0]), float(bounds[1])))
        self.samples.append(value)
        return self.last()

    # guards ------------------------------------------------------------------------------------------------

    def unary(self, name: str, x: Ref) -> Ref:
        return self.emit(name, (x,), bounds=_image(name, self.bounds(x)))

    def scale(self, x: Ref, factor: float) -> Ref:
        return self.emit("*", (x, factor), bounds=_times(self.bounds(x), (factor, factor)))

    def shift(self, x: Ref, amount: float) -> Ref:
        lo, hi = self.bounds(x)
        return self.emit("+", (x, amount), bounds=(lo + amount, hi + amount))

    def fit(self, x: Ref, kind: str, c: float) -> Ref:
        """``x``, or guard operations applied to it, so that its values are in the domain (kind, c)."""
        lo, hi = self.bounds(x)
        if kind == "max" and hi > c:
            return self.unary(self.draw(st.sampled_from(["tanh", "sin", "cos"])), x)
        if kind == "abs" and max(-lo, hi) > c:
            x = self.unary(self.draw(st.sampled_from(["tanh", "sin"])), x)
            return x if c >= 1.0 else self.scale(x, c)
        if (kind == "pos" and lo < c) or (kind == "away" and lo < c and hi > -c):
            choices = ["square", "softplus", "sigmoid"] + (["cosh"] if max(-lo, hi) <= 3 else [])
            if max(-lo, hi) > 6:
                x = self.unary("tanh", x)
            x = self.unary(self.draw(st.sampled_from(choices)), x)
            needed = max(c, 0.3) - self.bounds(x)[0]
            return x if needed <= 0 else self.shift(x, math.ceil(needed * 4) / 4)
        return x

    def bounded(self, x: Ref, magnitude: float) -> Ref:
        """``x`` or tanh(x): keep results of sums and products below LIMIT."""
        return x if _magnitude(self.bounds(x)) <= magnitude else self.unary("tanh", x)

    def fold_dangling(self) -> None:
        """Add every result that no later operation reads into the output (scaled means), so that it is checked."""
        n_inputs = self.program.n_inputs
        read: set[int] = set()
        for op in self.program.ops:
            read.update(_refs(op.args) + _refs(tuple(v for _, v in op.kwargs)))
        output = self.last()
        for index in range(n_inputs, output.index):
            if index in read:
                continue
            mean = self.emit("mean", (Ref(index),), bounds=self.bounds(Ref(index)))
            magnitude = _magnitude(self.bounds(mean))
            if magnitude > 1.0:
                mean = self.scale(mean, 1.0 / math.ceil(magnitude))
            output = self.bounded(output, LIMIT - 1.0)
            lo, hi = self.bounds(output)
            output = self.emit("+", (output, mean), bounds=(lo + self.bounds(mean)[0], hi + self.bounds(mean)[1]))

    # families ----------------------------------------------------------------------------------------------

    def add_operation(self) -> None:
        family = self.draw(
            st.sampled_from(
                ["unary", "unary", "scalar", "binary", "binary", "reduce", "reduce", "shape", "index", "join"]
                + ["product", "product", "where", "cumulative", "linalg", "order", "calculus", "update", "matrix"]
                + ["decomposition"]
            )
        )
        result = getattr(self, "_" + family)()
        if result is None:  # the drawn operation did not fit (too large): a plain unary one instead
            self.unary(self.draw(st.sampled_from(["sin", "tanh", "sigmoid"])), self.pick())

    def _unary(self) -> Ref | None:
        name = self.draw(st.sampled_from(list(UNARY)))
        x = self.pick()
        if UNARY[name] is not None:
            x = self.fit(x, *UNARY[name])
        return self.unary(name, x)

    def _scalar(self) -> Ref | None:
        x = self.pick()
        kind = self.draw(st.sampled_from(["+", "-", "*", "/", "**", "add", "subtract", "multiply", "divide", "power"]))
        left = self.draw(st.booleans())
        c = self.draw(st.sampled_from([0.5, 1.5, 2.0, -0.75, -2.0, 3.0]))
        operator_name = {"add": "+", "subtract": "-", "multiply": "*", "divide": "/", "power": "**"}.get(kind, kind)
        if operator_name == "**":
            if left:  # c ** x
                c = abs(c)
                x = self.fit(x, "abs", 3.0)
                corners = [c ** self.bounds(x)[0], c ** self.bounds(x)[1]]
                return self.emit(kind, (c, x), bounds=(min(corners), max(corners)))
            exponent = self.draw(st.sampled_from([2, 3, 2.0, 0.5, 1.5, -1.0, -0.5]))
            x = self.bounded(x, 3.0)
            if isinstance(exponent, float) and exponent != 2.0:
                x = self.fit(x, "pos" if exponent != -1.0 else "away", 0.3)
            grid = np.linspace(*self.bounds(x), 4001)
            bounds = _image_of_values(np.power(grid, exponent))
            return self.emit(kind, (x, exponent), bounds=bounds)
        if operator_name == "/" and left:
            x = self.fit(x, "away", 0.3)
        x = self.bounded(x, LIMIT / 3)
        b = self.bounds(x)
        args = (c, x) if left else (x, c)
        bounds = _binary_bounds(operator_name, (c, c) if left else b, b if left else (c, c))
        return self.emit(kind, args, bounds=bounds)

    def partner(self, a: Ref, positive: bool = False) -> Any:
        """A second operand broadcastable with ``a``: another register, a constant array or a Python float."""
        choice = self.draw(st.sampled_from(["register", "register", "constant", "float"]))
        if choice == "register":
            candidates = [
                Ref(i) for i in range(len(self.samples)) if _broadcasts(self.shape(a), np.shape(self.samples[i]))
            ]
            return candidates[self.draw(st.integers(0, len(candidates) - 1))]
        if choice == "constant":
            shape = self.draw(broadcastable_shapes(self.shape(a), min_dims=0, max_dims=3, max_side=3))
            if math.prod(np.broadcast_shapes(shape, self.shape(a))) > MAX_SIZE:
                shape = ()
            return self.constant(shape, positive)
        return self.draw(st.sampled_from([0.75, 1.5] if positive else [0.75, -1.5, 2.0]))

    def _binary(self) -> Ref | None:
        name = self.draw(
            st.sampled_from(
                ["+", "-", "*", "/", "add", "subtract", "multiply", "divide", "maximum", "minimum"]
                + ["logaddexp", "arctan2", "hypot", "power", "xlogy", "logaddexp2", "fmax", "fmin"]
            )
        )
        a = self.pick()
        needs_positive = name in ("/", "divide", "arctan2", "hypot", "power", "xlogy")
        b = self.partner(a, positive=needs_positive)
        if isinstance(b, Ref) and needs_positive and name != "power":
            b = self.fit(b, "pos" if name == "xlogy" else "away", 0.3)
        if name == "power":  # a positive base a, an exponent b with |b| <= 2
            a = self.fit(self.bounded(a, 3.0), "pos", 0.3)
            if isinstance(b, Ref):
                b = self.fit(b, "abs", 2.0)
            lo_b, hi_b = self.operand_bounds(b)
            corners = [base**exponent for base in self.bounds(a) for exponent in (lo_b, hi_b)]
            return self.emit(name, (a, b), bounds=(min(corners), max(corners)))
        a = self.bounded(a, 6.0)
        if isinstance(b, Ref) and not needs_positive:
            b = self.bounded(b, 6.0)
        bounds = _binary_bounds(name, self.bounds(a), self.operand_bounds(b))
        if bounds is None or _magnitude(bounds) > LIMIT:
            return None
        args = (a, b)
        if name in ("+", "-", "*", "add", "subtract", "multiply", "maximum", "minimum", "fmax") and self.draw(
            st.booleans()
        ):
            args = (b, a)  # the constant (or float) on the left
            bounds = _binary_bounds(name, self.operand_bounds(b), self.bounds(a))
        return self.emit(name, args, bounds=bounds)

    def axis(self, rank: int, allow_tuple: bool = True, allow_none: bool = True) -> Any:
        kinds = (
            (["none"] if allow_none else []) + (["int"] if rank else []) + (["tuple"] if rank and allow_tuple else [])
        )
        kind = self.draw(st.sampled_from(kinds))
        if kind == "none":
            return None
        if kind == "int":
            return self.draw(st.integers(-rank, rank - 1))
        axes = self.draw(st.lists(st.integers(0, rank - 1), min_size=1, max_size=rank, unique=True))
        return tuple(a - rank if self.draw(st.booleans()) else a for a in axes)

    def _reduce(self) -> Ref | None:
        name = self.draw(
            st.sampled_from(["sum", "mean", "max", "min", "amax", "amin", "prod", "var", "std", "logsumexp"])
        )
        x = self.pick()
        shape = self.shape(x)
        axis = self.axis(len(shape))
        reduced = axis if isinstance(axis, tuple) else tuple(range(len(shape))) if axis is None else (axis,)
        count = math.prod(shape[a] for a in reduced)
        if name == "prod":
            x = self.bounded(x, 1.0 if count > 2 else 3.0)
        elif name in ("var", "std"):
            x = self.bounded(x, 6.0)
        elif name == "sum":
            x = self.bounded(x, LIMIT / count)
        lo, hi = self.bounds(x)
        bounds = {
            "sum": _sum_of(count, (lo, hi)),
            "prod": _power_of(count, (lo, hi)),
            "var": (0.0, ((hi - lo) / 2) ** 2),
            "std": (0.0, (hi - lo) / 2),
            "logsumexp": (lo, hi + math.log(count)),
        }.get(name, (lo, hi))
        kwargs = (("axis", axis),) if axis is not None or self.draw(st.booleans()) else ()
        if self.draw(st.booleans()):
            kwargs += (("keepdims", self.draw(st.booleans())),)
        if name in METHOD_REDUCTIONS and self.draw(st.booleans()):
            return self.emit("." + name, (x,), kwargs, bounds=bounds)
        return self.emit(name, (x,), kwargs, bounds=bounds)

    def _cumulative(self) -> Ref | None:
        name = self.draw(st.sampled_from(["cumsum", "cumprod", "softmax", "log_softmax"]))
        x = self.pick()
        rank = len(self.shape(x))
        if rank == 0:
            return None
        axis = self.axis(rank, allow_tuple=False, allow_none=name.startswith("cum"))
        count = math.prod(self.shape(x)) if axis is None else self.shape(x)[axis]
        if name == "cumsum":
            x = self.bounded(x, LIMIT / count)
        if name == "cumprod":
            x = self.bounded(x, 1.0 if count > 2 else 3.0)
        lo, hi = self.bounds(x)
        bounds = {
            "cumsum": _hull(*(_sum_of(k, (lo, hi)) for k in range(1, count + 1))),
            "cumprod": _hull(*(_power_of(k, (lo, hi)) for k in range(1, count + 1))),
            "softmax": (0.0, 1.0),
            "log_softmax": (lo - hi - math.log(count) - 1e-9, 0.0),
        }[name]
        return self.emit(name, (x,), (("axis", axis),), bounds=bounds)

    def _shape(self) -> Ref | None:
        x = self.pick()
        shape = self.shape(x)
        rank = len(shape)
        b = self.bounds(x)
        name = self.draw(
            st.sampled_from(
                ["reshape", ".reshape", "transpose", ".T", "expand_dims", "squeeze", "broadcast_to", "ravel"]
                + ["swapaxes", "moveaxis", "flip", "roll", "tile", "repeat"]
            )
        )
        if name in ("reshape", ".reshape"):
            target = self.draw(factorizations(math.prod(shape)))
            if target and self.draw(st.booleans()):
                target = tuple(-1 if i == 0 else d for i, d in enumerate(target))
            return self.emit(name, (x, target), bounds=b)
        if name == "transpose":
            if rank > 1 and self.draw(st.booleans()):
                return self.emit(name, (x, tuple(self.draw(st.permutations(range(rank))))), bounds=b)
            return self.emit(name, (x,), bounds=b)
        if name in (".T", "ravel"):
            return self.emit(name, (x,), bounds=b)
        if name == "expand_dims":
            return self.emit(name, (x, self.draw(st.integers(-rank - 1, rank))), bounds=b)
        if name == "squeeze":
            ones = [i for i, d in enumerate(shape) if d == 1]
            if ones and self.draw(st.booleans()):
                return self.emit(name, (x,), (("axis", self.draw(st.sampled_from(ones))),), bounds=b)
            return self.emit(name, (x,), bounds=b)
        if name == "broadcast_to":
            leading = tuple(self.draw(st.lists(st.integers(1, 3), max_size=2)))
            target = leading + tuple(self.draw(st.integers(1, 3)) if d == 1 else d for d in shape)
            return self.emit(name, (x, target), bounds=b)
        if name == "tile":
            reps = tuple(self.draw(st.lists(st.integers(1, 2), min_size=1, max_size=3)))
            return self.emit(name, (x, reps if len(reps) > 1 else reps[0]), bounds=b)
        if rank == 0:
            return None
        if name in ("swapaxes", "moveaxis"):
            return self.emit(
                name, (x, self.draw(st.integers(-rank, rank - 1)), self.draw(st.integers(0, rank - 1))), bounds=b
            )
        if name == "flip":
            return self.emit(name, (x,), (("axis", self.axis(rank)),), bounds=b)
        if name == "roll":
            return self.emit(name, (x, self.draw(st.integers(-3, 3))), (("axis", self.axis(rank)),), bounds=b)
        return self.emit(
            name, (x, self.draw(st.integers(1, 3))), (("axis", self.axis(rank, allow_tuple=False)),), bounds=b
        )

    def _index(self) -> Ref | None:
        x = self.pick()
        shape = self.shape(x)
        b = self.bounds(x)
        kind = self.draw(st.sampled_from(["[]", "[]", "[]", "take", "take_along_axis"]))
        if kind == "take":
            axis = self.axis(len(shape), allow_tuple=False)
            size = math.prod(shape) if axis is None else shape[axis]
            indices = np.array(self.draw(st.lists(st.integers(-size, size - 1), min_size=1, max_size=4)))
            if self.draw(st.booleans()) and len(indices) == 4:
                indices = indices.reshape(2, 2)
            return self.emit("take", (x, indices), (("axis", axis),), bounds=b)
        if kind == "take_along_axis":
            if not shape:
                return None
            axis = self.draw(st.integers(-len(shape), len(shape) - 1))
            length = self.draw(st.integers(1, 3))
            index_shape = tuple(length if i == axis % len(shape) else d for i, d in enumerate(shape))
            seed = self.draw(st.integers(0, 2**16))
            indices = np.random.default_rng(seed).integers(-shape[axis], shape[axis], index_shape)
            return self.emit("take_along_axis", (x, indices), (("axis", axis),), bounds=b)
        return self.emit("[]", (x, self.draw(array_indices(shape))), bounds=b)

    def _join(self) -> Ref | None:
        a = self.pick()
        shape = self.shape(a)
        name = self.draw(st.sampled_from(["concatenate", "stack"]))
        if name == "concatenate" and not shape:
            return None
        axis = (
            self.draw(st.integers(-len(shape), len(shape) - 1))
            if name == "concatenate"
            else self.draw(st.integers(-len(shape) - 1, len(shape)))
        )

        def fits(other: tuple[int, ...]) -> bool:
            if name == "stack":
                return other == shape
            return len(other) == len(shape) and all(
                p == q for i, (p, q) in enumerate(zip(shape, other)) if i != axis % len(shape)
            )

        parts = [a]
        for _ in range(self.draw(st.integers(1, 2))):
            candidates = [Ref(i) for i in range(len(self.samples)) if fits(np.shape(self.samples[i]))]
            if self.draw(st.booleans()):
                parts.append(candidates[self.draw(st.integers(0, len(candidates) - 1))])
            else:
                other = list(shape)
                if name == "concatenate":
                    other[axis] = self.draw(st.integers(1, 3))
                parts.append(self.constant(tuple(other)))
        if self.draw(st.booleans()):
            parts = parts[::-1]
        bounds = _hull(*(self.operand_bounds(p) for p in parts))
        return self.emit(name, (parts,), (("axis", axis),), bounds=bounds)

    def _where(self) -> Ref | None:
        a = self.pick()
        b = self.partner(a)
        shape = np.broadcast_shapes(self.shape(a), np.shape(self.operand_value(b)))
        mask_shape = self.draw(broadcastable_shapes(shape, min_dims=0, max_dims=3, max_side=3))
        seed = self.draw(st.integers(0, 2**16))
        mask = np.random.default_rng(seed).random(mask_shape) < 0.5
        if math.prod(np.broadcast_shapes(mask_shape, shape)) > MAX_SIZE:
            return None
        self.program.constants.append(mask)
        args = (
            (Const(len(self.program.constants) - 1), a, b)
            if self.draw(st.booleans())
            else (
                Const(len(self.program.constants) - 1),
                b,
                a,
            )
        )
        return self.emit("where", args, bounds=_hull(self.bounds(a), self.operand_bounds(b)))

    def operand_value(self, operand: Any) -> Any:
        return _value(self.program, self.samples, operand)

    def _product(self) -> Ref | None:
        name = self.draw(st.sampled_from(["@", "matmul", "einsum", "einsum", "tensordot", "dot", "outer", "inner"]))
        a = self.bounded(self.pick(), 2.0)
        shape = self.shape(a)
        if name in ("@", "matmul", "dot", "inner") and not shape:
            return None
        if name == "einsum":
            return self._einsum(a)
        if name == "outer":
            b = self.constant(self.draw(small_shapes(max_size=4)))
            args = (a, b) if self.draw(st.booleans()) else (b, a)
            return self.emit(name, args, bounds=_times(self.bounds(a), self.operand_bounds(b)))
        if name == "tensordot":
            n = self.draw(st.integers(0, min(2, len(shape))))
            other = shape[len(shape) - n :] + self.draw(small_shapes(max_rank=2))
            contracted = math.prod(shape[len(shape) - n :])
            b = self.partner_of_shape(other)
            bounds = _sum_of(contracted, _times(self.bounds(a), self.operand_bounds(b)))
            return self.emit(name, (a, b), (("axes", n),), bounds=bounds)
        k = shape[-1]
        if name == "inner":
            other = self.draw(small_shapes(max_rank=2)) + (k,)
        elif name == "dot" and len(shape) > 1:
            other = (k,) if self.draw(st.booleans()) else (k, self.draw(st.integers(1, 3)))
        else:
            options = [o for o in [(k,), (k, 2), (2, k, 1), (1, k, 3)] if _valid(np.matmul, shape, o)]
            other = self.draw(st.sampled_from(options))
        b = self.partner_of_shape(other)
        bounds = _sum_of(k, _times(self.bounds(a), self.operand_bounds(b)))
        if name in ("@", "matmul") and len(shape) >= 2 and self.draw(st.booleans()):
            # the other order: (..., m, n) @ a with n = a's second-last dimension
            b = self.partner_of_shape((self.draw(st.integers(1, 3)), shape[-2]))
            bounds = _sum_of(shape[-2], _times(self.bounds(a), self.operand_bounds(b)))
            return self.emit(name, (b, a), bounds=bounds)
        return self.emit(name, (a, b), bounds=bounds)

    def partner_of_shape(self, shape: tuple[int, ...]) -> Any:
        """A register of exactly this shape if one exists and the draw says so, else a new constant."""
        candidates = [Ref(i) for i in range(len(self.samples)) if np.shape(self.samples[i]) == tuple(shape)]
        if candidates and self.draw(st.booleans()):
            return self.bounded(candidates[self.draw(st.integers(0, len(candidates) - 1))], 2.0)
        return self.constant(tuple(shape))

    def _einsum(self, a: Ref) -> Ref | None:
        shape = self.shape(a)
        letters = "ijklmn"
        a_letters = letters[: len(shape)]
        sizes = dict(zip(a_letters, shape))
        operands: list[Any] = [a]
        specs = [a_letters]
        if self.draw(st.booleans()):  # a second operand sharing some of a's letters
            b_letters = ""
            b_shape = []
            for _ in range(self.draw(st.integers(0, 3))):
                shared = [c for c in a_letters if c not in b_letters]
                if shared and self.draw(st.booleans()):
                    letter = self.draw(st.sampled_from(shared))
                else:
                    letter = "pqr"[len([c for c in b_letters if c in "pqr"])]
                    sizes[letter] = self.draw(st.integers(1, 3))
                b_letters += letter
                b_shape.append(sizes[letter])
            operands.append(self.partner_of_shape(tuple(b_shape)))
            specs.append(b_letters)
        elif len(shape) >= 2 and shape[0] == shape[1] and self.draw(st.booleans()):
            specs = ["ii" + a_letters[2:]]  # a diagonal
            sizes = dict(zip(specs[0], shape))
        used = sorted(set("".join(specs)))
        kept = self.draw(st.lists(st.sampled_from(used), unique=True, max_size=len(used))) if used else []
        out = "".join(kept)
        contracted = math.prod(sizes[c] for c in used if c not in out)
        bounds = self.bounds(a)
        for operand in operands[1:]:
            bounds = _times(bounds, self.operand_bounds(operand))
        return self.emit("einsum", (",".join(specs) + "->" + out, *operands), bounds=_sum_of(contracted, bounds))

    def _linalg(self) -> Ref | None:
        """A symmetric positive definite matrix built from a register, then a linear-algebra function of it."""
        a = self.pick()
        shape = self.shape(a)
        if len(shape) < 2 or shape[-2] > 3:
            return None
        name = self.draw(
            st.sampled_from(["inv", "det", "slogdet", "solve", "cholesky", "eigvalsh", "norm", "matrix_power"])
        )
        if name == "norm":
            return self.emit(
                "linalg.norm", (a,), bounds=(0.0, math.sqrt(math.prod(shape)) * _magnitude(self.bounds(a)))
            )
        n, k = shape[-2], shape[-1]
        if math.prod(shape[:-2]) * n * n > MAX_SIZE:
            return None
        a = self.bounded(a, 1.0)
        square = k * _magnitude(self.bounds(a)) ** 2
        gram = self.emit("@", (a, self.emit("swapaxes", (a, -1, -2), bounds=self.bounds(a))), bounds=(-square, square))
        # A diagonal with distinct entries: no exactly repeated eigenvalues even when the Gram matrix is singular
        # (at repeated eigenvalues eigvalsh is not differentiable; see kink_margin).
        self.program.constants.append(np.diag([1.0, 1.5, 2.0][:n]))
        m = self.emit("+", (gram, Const(len(self.program.constants) - 1)), bounds=(-square, square + 2.0))
        top = 2.0 + n * square  # the largest eigenvalue's bound; the smallest is at least 1
        if name == "slogdet":
            return self.emit("linalg.slogdet", (m,), bounds=(0.0, n * math.log(top)), pick=1)
        if name == "det":
            return self.emit("linalg.det", (m,), bounds=(1.0, top**n)) if top**n <= LIMIT else None
        if name == "inv":
            return self.emit("linalg.inv", (m,), bounds=(-1.0, 1.0))
        if name == "cholesky":
            return self.emit("linalg.cholesky", (m,), bounds=(-math.sqrt(top), math.sqrt(top)))
        if name == "eigvalsh":
            return self.emit("linalg.eigvalsh", (m,), bounds=(1.0 - 1e-9, top))
        if name == "matrix_power":
            power = self.draw(st.sampled_from([0, 1, 2, 3, -1, -2]))
            magnitude = top ** max(power, 0) * n
            if magnitude > LIMIT:
                return None
            return self.emit("linalg.matrix_power", (m, power), bounds=(-magnitude, magnitude))
        b = self.partner_of_shape(self.draw(st.sampled_from([(n,), (n, 2), shape[:-1] + (1,)])))
        bound = n * _magnitude(self.operand_bounds(b))
        return self.emit("linalg.solve", (m, b), bounds=(-bound, bound))

    # the NumPy functions of issue 11 ------------------------------------------------------------------------

    def _order(self) -> Ref | None:
        """Order statistics and clipping (kinks at ties and at the bounds: checked at run time)."""
        x = self.pick()
        shape = self.shape(x)
        b = self.bounds(x)
        name = self.draw(st.sampled_from(["sort", "median", "quantile", "percentile", "partition", "clip"]))
        if name == "clip":
            lo = self.draw(st.sampled_from([-1.0, -0.5, 0.0, None]))
            hi = self.draw(st.sampled_from([0.25, 1.0, None] if lo is not None else [0.25, 1.0]))
            bounds = (b[0] if lo is None else max(b[0], lo), b[1] if hi is None else min(b[1], hi))
            return self.emit("clip", (x, lo, hi), bounds=(min(bounds), max(bounds)))
        if not shape and name in ("sort", "partition"):
            return None
        if name == "sort":
            return self.emit(name, (x,), (("axis", self.axis(len(shape), allow_tuple=False)),), bounds=b)
        if name == "partition":
            axis = self.draw(st.integers(-len(shape), len(shape) - 1))
            return self.emit(name, (x, self.draw(st.integers(0, shape[axis] - 1))), (("axis", axis),), bounds=b)
        kwargs = (("axis", self.axis(len(shape))),) + ((("keepdims", True),) if self.draw(st.booleans()) else ())
        if name == "median":
            return self.emit(name, (x,), kwargs, bounds=b)
        q = self.draw(st.sampled_from([0.5, 0.1, 0.9, 0.0, 1.0, (0.25, 0.75)]))
        q = np.array(q) if isinstance(q, tuple) else q
        return self.emit(name, (x, q * 100 if name == "percentile" else q), kwargs, bounds=b)

    def _calculus(self) -> Ref | None:
        x = self.pick()
        shape = self.shape(x)
        name = self.draw(
            st.sampled_from(["diff", "gradient", "trapezoid", "cumulative_trapezoid", "interp", "polyval"])
            | st.sampled_from(["cross", "kron", "convolve", "correlate", "linspace", "select"])
        )
        x = self.bounded(x, 2.0)
        magnitude = _magnitude(self.bounds(x))
        rank = len(shape)
        if name == "interp":
            knots = np.array(self.draw(st.sampled_from([[-1.0, 0.0, 1.0], [-0.5, 0.5], [-2.5, -1.0, 0.25, 1.5]])))
            fp = self.partner_of_shape(knots.shape)
            return self.emit(name, (x, knots, fp), bounds=self.operand_bounds(fp))
        if name == "polyval":
            p = self.partner_of_shape((self.draw(st.integers(1, 4)),))
            degree = len(self.operand_value(p)) - 1
            bound = _magnitude(self.operand_bounds(p)) * sum(magnitude**k for k in range(degree + 1))
            return self.emit(name, (p, x), bounds=(-bound, bound))
        if name == "kron":
            b = self.partner_of_shape(self.draw(small_shapes(max_rank=2, max_size=4)))
            bound = magnitude * _magnitude(self.operand_bounds(b))
            return self.emit(name, (x, b) if self.draw(st.booleans()) else (b, x), bounds=(-bound, bound))
        if name == "linspace":
            stop = self.partner(x)
            num = self.draw(st.integers(1, 4))
            kwargs = (("endpoint", False),) if self.draw(st.booleans()) else ()
            kwargs += (("axis", -1),) if self.draw(st.booleans()) else ()
            return self.emit(name, (x, stop, num), kwargs, bounds=_hull(self.bounds(x), self.operand_bounds(stop)))
        if name == "select":
            other = self.partner(x)
            shape = np.broadcast_shapes(shape, np.shape(self.operand_value(other)))
            masks = [np.random.default_rng(self.draw(st.integers(0, 2**16))).random(shape) < 0.4 for _ in range(2)]
            self.program.constants += masks
            conditions = [Const(len(self.program.constants) - 2), Const(len(self.program.constants) - 1)]
            bounds = _hull(self.bounds(x), self.operand_bounds(other), (-0.5, -0.5))
            return self.emit(name, (conditions, [x, other], -0.5), bounds=bounds)
        if rank == 0:
            return None
        axis = self.draw(st.integers(-rank, rank - 1))
        length = shape[axis]
        if name == "diff":
            n = self.draw(st.integers(1, 2))
            return self.emit(name, (x, n), (("axis", axis),), bounds=(-(2**n) * magnitude, 2**n * magnitude))
        if name == "gradient":
            if length < 2:
                return None
            spacing = self.draw(st.sampled_from([(), (0.5,)]))
            bound = 2 * magnitude / (spacing[0] if spacing else 1.0)
            return self.emit(name, (x, *spacing), (("axis", axis),), bounds=(-bound, bound))
        if name in ("trapezoid", "cumulative_trapezoid"):
            if self.draw(st.booleans()):
                grid = np.cumsum(np.random.default_rng(self.draw(st.integers(0, 2**16))).uniform(0.2, 1.0, length))
                bound = magnitude * float(grid[-1] - grid[0])
                return self.emit(name, (x,), (("x", grid), ("axis", axis)), bounds=(-bound, bound))
            dx = self.draw(st.sampled_from([1.0, 0.5]))
            bound = magnitude * dx * max(length - 1, 0)
            return self.emit(name, (x,), (("dx", dx), ("axis", axis)), bounds=(-bound, bound))
        if name == "cross":
            if shape[-1] != 3:
                return None
            b = self.partner_of_shape(self.draw(st.sampled_from([(3,), shape])))
            bound = 2 * magnitude * _magnitude(self.operand_bounds(b))
            return self.emit(name, (x, b) if self.draw(st.booleans()) else (b, x), bounds=(-bound, bound))
        if rank != 1:  # convolve, correlate
            return None
        v = self.partner_of_shape((self.draw(st.integers(1, 3)),))
        mode = self.draw(st.sampled_from(["full", "same", "valid"]))
        bound = min(length, len(self.operand_value(v))) * magnitude * _magnitude(self.operand_bounds(v))
        args = (x, v) if self.draw(st.booleans()) else (v, x)
        return self.emit(name, args, (("mode", mode),), bounds=(-bound, bound))

    def _update(self) -> Ref | None:
        """An index update: wnp.at(x)[index].set/add/multiply/min/max(v)."""
        x = self.pick()
        shape = self.shape(x)
        if not shape:
            return None
        method = self.draw(st.sampled_from(["set", "add", "multiply", "min", "max"]))
        index = self.draw(array_indices(shape, unique=method in ("set", "min", "max"), update=True))
        selected = np.shape(self.samples[x.index][index])
        v_shape = self.draw(shapes_broadcasting_to(selected))
        v = self.partner_of_shape(v_shape) if self.draw(st.booleans()) else self.draw(st.sampled_from([0.5, -1.5]))
        x = self.bounded(x, 3.0)
        if isinstance(v, Ref):
            v = self.bounded(v, 1.5 if method == "multiply" else 3.0)
        repeats = _max_repeats(shape, index)
        xb, vb = self.bounds(x), self.operand_bounds(v)
        bounds = {
            "set": _hull(xb, vb),
            "add": (xb[0] + repeats * min(vb[0], 0.0), xb[1] + repeats * max(vb[1], 0.0)),
            "multiply": _hull(xb, *(_times(xb, _power_of(k, vb)) for k in range(1, repeats + 1))),
        }.get(method, _hull(xb, vb))
        return self.emit("at." + method, (x, index, v), bounds=bounds)

    def _matrix(self) -> Ref | None:
        """Shape functions of matrices and stacking: rot90, flips, diagonal, trace, triangles, splits, stacks."""
        x = self.pick()
        shape = self.shape(x)
        b = self.bounds(x)
        name = self.draw(
            st.sampled_from(["rot90", "fliplr", "flipud", "diagonal", "trace", "tril", "triu", "split", "array_split"])
            | st.sampled_from(["hstack", "vstack", "dstack", "column_stack", "append", "atleast_2d"])
        )
        rank = len(shape)
        if name in ("hstack", "vstack", "dstack", "column_stack"):
            return self.emit(name, ([x, x] if self.draw(st.booleans()) else [x],), bounds=b)
        if name == "append":
            axis = self.draw(st.sampled_from([None] + list(range(rank))))
            other = self.partner_of_shape(shape if axis is not None else self.draw(small_shapes(max_size=4)))
            return self.emit(name, (x, other), (("axis", axis),), bounds=_hull(b, self.operand_bounds(other)))
        if name == "atleast_2d" or rank == 0:
            return self.emit("atleast_2d", (x,), bounds=b)
        if name in ("split", "array_split", "flipud"):
            if name == "flipud":
                return self.emit(name, (x,), bounds=b)
            axis = self.draw(st.integers(-rank, rank - 1))
            sections = self.draw(st.integers(1, 3))
            if name == "split" and shape[axis] % sections:
                sections = 1
            piece = self.draw(st.integers(0, sections - 1))
            return self.emit(name, (x, sections), (("axis", axis),), bounds=b, pick=piece)
        if rank < 2:
            return None
        if name == "rot90":
            axes = tuple(self.draw(st.permutations(range(rank)))[:2])
            return self.emit(name, (x, self.draw(st.integers(-1, 3))), (("axes", axes),), bounds=b)
        if name in ("tril", "triu"):
            return self.emit(name, (x, self.draw(st.integers(-1, 1))), bounds=_hull(b, (0.0, 0.0)))
        if name == "fliplr":
            return self.emit(name, (x,), bounds=b)
        axes = tuple(self.draw(st.permutations(range(rank)))[:2])
        offset = self.draw(st.integers(-1, 1))
        kwargs = (("offset", offset), ("axis1", axes[0]), ("axis2", axes[1]))
        if name == "diagonal":
            return self.emit(name, (x,), kwargs, bounds=b)
        count = min(shape[axes[0]], shape[axes[1]])
        return self.emit(name, (x,), kwargs, bounds=_sum_of(count, _hull(b, (0.0, 0.0))))

    def _decomposition(self) -> Ref | None:
        """QR, SVD, pseudo-inverse, least squares, eigh's vectors and the matrix and vector norms."""
        a = self.pick()
        shape = self.shape(a)
        name = self.draw(st.sampled_from(["qr", "svd", "svdvals", "pinv", "lstsq", "eigh", "norm", "norm"]))
        if name == "norm":
            return self._norm(a)
        if len(shape) != 2 and not (len(shape) == 3 and name in ("qr", "svd", "svdvals", "pinv", "eigh")):
            return None
        m, n = shape[-2:]
        a = self.bounded(a, 1.0)
        if name in ("svd", "svdvals"):
            bound = math.sqrt(m * n) * _magnitude(self.bounds(a))
            if name == "svdvals":
                return self.emit("linalg.svdvals", (a,), bounds=(0.0, bound))
            factor = self.draw(st.sampled_from([0, 2]))  # U or Vh, squared: the signs are arbitrary
            kwargs = (("full_matrices", False),)
            factor = self.emit("linalg.svd", (a,), kwargs, bounds=(-1.0, 1.0), pick=factor)
            return self.emit("square", (factor,), bounds=(0.0, 1.0)) if factor is not None else None
        if name == "eigh":
            if m != n:
                return None
            transposed = self.emit("swapaxes", (a, -1, -2), bounds=self.bounds(a))
            gram = self.emit("@", (a, transposed), bounds=(-m, m))
            vectors = self.emit("linalg.eigh", (gram,), bounds=(-1.0, 1.0), pick=1)
            return self.emit("square", (vectors,), bounds=(0.0, 1.0))  # the vectors' signs are arbitrary
        # well conditioned: singular values in [1, 3] (a scaled to spectral norm <= 1, plus 2·[I 0])
        if name in ("qr", "lstsq") and m < n:
            return None
        a = self.scale(a, 1.0 / math.sqrt(m * n))
        self.program.constants.append(2.0 * np.eye(m, n))
        a = self.emit("+", (a, Const(len(self.program.constants) - 1)), bounds=_hull(self.bounds(a), (-1.0, 3.0)))
        if name == "pinv":
            return self.emit("linalg.pinv", (a,), bounds=(-1.0, 1.0))
        if name == "qr":
            factor = self.draw(st.integers(0, 1))
            bound = 1.0 if factor == 0 else 3.0
            factor = self.emit("linalg.qr", (a,), bounds=(-bound, bound), pick=factor)
            return self.emit("square", (factor,), bounds=(0.0, bound**2))  # Householder signs flip with the input
        b = self.partner_of_shape(self.draw(st.sampled_from([(m,), (m, 2)])))
        bound = math.sqrt(m) * _magnitude(self.operand_bounds(b))
        return self.emit("linalg.lstsq", (a, b), bounds=(-bound, bound), pick=0)

    def _norm(self, x: Ref) -> Ref | None:
        shape = self.shape(x)
        magnitude = _magnitude(self.bounds(x))
        size = math.prod(shape)
        if len(shape) == 2 and self.draw(st.booleans()):
            order = self.draw(st.sampled_from(["fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf]))
            bound = size * magnitude
        elif len(shape) == 1:
            order = self.draw(st.sampled_from([None, 1, 2, np.inf, -np.inf, 3, 0.5, -1]))
            bound = size**2 * magnitude
        else:
            order = None
            bound = math.sqrt(size) * magnitude
        kwargs = (("ord", order),) if order is not None else ()
        if order in (0.5, -1):
            x = self.fit(x, "away", 0.3)  # no element near zero: |x|^p has no derivative there for p <= 1
            bound = size**2 * _magnitude(self.bounds(x))
        return self.emit("linalg.norm", (x,), kwargs, bounds=(0.0, bound))


def _refs(items: Any) -> list[int]:
    """The registers an operation's arguments read."""
    if isinstance(items, Ref):
        return [items.index]
    if isinstance(items, (list, tuple)):
        return [index for item in items for index in _refs(item)]
    return []


def _image_of_values(values: np.ndarray) -> Bounds:
    lo, hi = float(np.min(values)), float(np.max(values))
    pad = 1e-3 * (hi - lo) + 1e-9
    return lo - pad, hi + pad


def _binary_bounds(name: str, a: Bounds, b: Bounds) -> Bounds | None:
    name = {"add": "+", "subtract": "-", "multiply": "*", "divide": "/"}.get(name, name)
    if name == "+":
        return a[0] + b[0], a[1] + b[1]
    if name == "-":
        return a[0] - b[1], a[1] - b[0]
    if name == "*":
        return _times(a, b)
    if name == "/":
        if b[0] <= 0 <= b[1]:
            return None
        return _times(a, (1 / b[1], 1 / b[0]))
    if name in ("maximum", "minimum", "fmax", "fmin"):
        pick = max if name in ("maximum", "fmax") else min
        return pick(a[0], b[0]), pick(a[1], b[1])
    if name == "logaddexp":
        return max(a[0], b[0]), max(a[1], b[1]) + math.log(2)
    if name == "logaddexp2":
        return max(a[0], b[0]), max(a[1], b[1]) + 1.0
    if name == "arctan2":
        return -math.pi, math.pi
    if name == "hypot":
        return 0.0, math.hypot(_magnitude(a), _magnitude(b))
    if name == "xlogy":
        return _times(a, (math.log(b[0]), math.log(b[1])))
    raise ValueError(name)


def _valid(numpy_function: Callable, *shapes: tuple[int, ...]) -> bool:
    """Whether NumPy accepts these shapes (probed on empty arrays)."""
    try:
        numpy_function(*(np.zeros(shape) for shape in shapes))
    except ValueError:
        return False
    return True


def _broadcasts(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    try:
        shape = np.broadcast_shapes(a, b)
    except ValueError:
        return False
    return math.prod(shape) <= MAX_SIZE and len(shape) <= MAX_RANK


@st.composite
def factorizations(draw: Callable, size: int) -> tuple[int, ...]:
    """A shape with ``size`` elements (rank 0 only for size 1), with some 1s."""
    factors = []
    n = size
    for p in (2, 3, 5, 7):
        while n % p == 0:
            factors.append(p)
            n //= p
    if n > 1:
        factors.append(n)
    rank = draw(st.integers(0 if size == 1 else 1, min(3, max(1, len(factors)))))
    dims = [1] * rank
    for f in factors:
        dims[draw(st.integers(0, rank - 1))] *= f
    if rank < 4 and draw(st.booleans()):
        dims.insert(draw(st.integers(0, rank)), 1)
    return tuple(dims)


def _max_repeats(shape: tuple[int, ...], index: Any) -> int:
    """How many times ``index`` selects the most selected element of an array of ``shape``."""
    counts = np.zeros(shape, dtype=int)
    np.add.at(counts, index, 1)
    return int(counts.max())


@st.composite
def shapes_broadcasting_to(draw: Callable, shape: tuple[int, ...]) -> tuple[int, ...]:
    """A shape that broadcasts to ``shape`` (a suffix of it, some sizes replaced by 1)."""
    start = draw(st.integers(0, len(shape)))
    return tuple(1 if draw(st.booleans()) else d for d in shape[start:])


@st.composite
def small_shapes(draw: Callable, max_rank: int = 2, max_size: int = 9) -> tuple[int, ...]:
    shape = tuple(draw(st.lists(st.integers(1, 3), max_size=max_rank)))
    return shape if math.prod(shape) <= max_size else shape[:1]


@st.composite
def array_indices(draw: Callable, shape: tuple[int, ...], unique: bool = False, update: bool = False) -> Any:
    """An index for an array of ``shape``: ints, slices, integer arrays (with repeats), a boolean mask, None, ...

    With ``unique`` no element is selected twice; for an ``update`` (``wnp.at``) no None.
    """
    items: list[Any] = []
    arrays = 0
    axis = 0
    use_ellipsis = draw(st.booleans()) and len(shape) > 0
    count = draw(st.integers(0, len(shape)))
    while axis < count:
        d = shape[axis]
        kind = draw(st.sampled_from(["int", "slice", "slice", "array", "mask"] + ([] if update else ["none"])))
        if kind == "int":
            items.append(draw(st.integers(-d, d - 1)))
        elif kind == "slice":
            step = draw(st.sampled_from([None, 1, 2, -1, -2]))
            start = draw(st.sampled_from([None, *range(-d, d)]))
            stop = draw(st.sampled_from([None, *range(-d, d + 1)]))
            if len(range(d)[slice(start, stop, step)]) == 0:
                start, stop = None, None
            items.append(slice(start, stop, step))
        elif kind == "array" and arrays < 2:
            length = 1 if arrays else draw(st.integers(1, min(d, 4) if unique else 4))
            if unique:
                positions = draw(st.lists(st.integers(0, d - 1), min_size=length, max_size=length, unique=True))
                positions = [p - d if draw(st.booleans()) else p for p in positions]
            else:
                positions = draw(st.lists(st.integers(-d, d - 1), min_size=length, max_size=length))
            items.append(np.array(positions))
            arrays += 1
        elif kind == "mask" and arrays == 0:
            mask = np.array(draw(st.lists(st.booleans(), min_size=d, max_size=d)))
            mask[draw(st.integers(0, d - 1))] = True
            items.append(mask)
            arrays = 2  # a mask combined with other arrays: count must match; keep it alone
        elif kind == "none":
            items.append(None)
            continue
        else:
            items.append(slice(None))
        axis += 1
    if use_ellipsis:  # anywhere when the items cover every axis (it then stands for none), else at the end
        items.insert(draw(st.integers(0, len(items))) if count == len(shape) else len(items), Ellipsis)
    if len(items) == 1 and draw(st.booleans()):
        return items[0]
    return tuple(items)


@st.composite
def programs(draw: Callable, min_ops: int = 1, max_ops: int = 8) -> Program:
    """A random program of ``min_ops`` to ``max_ops`` drawn operations (plus the guards they need)."""
    builder = Builder(draw)
    for _ in range(draw(st.integers(min_ops, max_ops))):
        # Each slot may be left empty: a 0 here (what the shrinker tries first) deletes an operation from the
        # middle of a failing program, not only from its end.
        if draw(st.integers(0, 9)) or not builder.program.ops:
            builder.add_operation()
    builder.fold_dangling()
    return builder.program
