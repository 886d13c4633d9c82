"""The primitive table: every public function of the elementwise, reduction, product,
special, shape, indexing and logic modules, one line per case.

Each smooth case is checked three ways: its value equals NumPy's (or a plain-NumPy
reference), its derivatives agree with central finite differences to second order
in forward and reverse mode, and its JVP and VJP rules are adjoint. Piecewise-constant
cases (``floor``, ``sign``...) have zero derivatives; discrete cases (comparisons,
``argmax``...) are not differentiable and give plain boolean or integer arrays. Every
smooth case with array inputs is also run in float32, where values and derivatives
(first and second order) must stay float32, and through the PyTorch dialect.

Inputs are chosen inside each function's domain and away from its kinks, so that
finite differences are meaningful.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert.compile import codegen
from wengert.core import Tracer, tree_flatten
from wengert.testing import check_adjoint, check_grads

RNG = np.random.default_rng(20240607)


def normal(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape)


def uniform(low: float, high: float, *shape: int) -> np.ndarray:
    return RNG.uniform(low, high, shape)


def nonzero(*shape: int) -> np.ndarray:
    """Values with |x| in [0.5, 2]: away from the kinks of abs, sign, relu, max."""
    return uniform(0.5, 2.0, *shape) * np.where(RNG.random(shape) < 0.5, -1.0, 1.0)


def within(low: float, high: float) -> dict[str, Any]:
    """A Python float, a 0-d array, a vector and a matrix, all inside (low, high)."""
    return {
        "float": float(RNG.uniform(low, high)),
        "0d": np.array(RNG.uniform(low, high)),
        "vector": uniform(low, high, 3),
        "matrix": uniform(low, high, 2, 3),
    }


ANY = {"float": 0.7, "0d": np.array(-0.4), "vector": nonzero(3), "matrix": nonzero(2, 3)}
POSITIVE = within(0.5, 2.0)
UNIT = within(-0.8, 0.8)
ABOVE_ONE = within(1.2, 3.0)

VECTOR = nonzero(3)
MATRIX = nonzero(3, 4)
CUBE = nonzero(2, 3, 4)
LOGITS = normal(3, 4)
WITH_ZERO = np.array([1.5, 0.0, -2.0, 0.7])
WITH_TWO_ZEROS = np.array([[1.5, 0.0, 0.0], [2.0, -0.5, 3.0]])
PICK = np.array([True, False, True])
MASK = MATRIX > 0


class Reference:
    """NumPy, plus plain-NumPy versions of the functions that wengert.numpy adds."""

    def __getattr__(self, name: str) -> Any:
        return getattr(np, name)

    @staticmethod
    def sigmoid(x: Any) -> Any:
        return 1.0 / (1.0 + np.exp(-np.asarray(x)))

    expit = sigmoid

    @staticmethod
    def softplus(x: Any) -> Any:
        return np.log1p(np.exp(x))

    @staticmethod
    def relu(x: Any) -> Any:
        return np.maximum(x, 0.0)

    @staticmethod
    def erf(x: Any) -> Any:
        return np.vectorize(math.erf, otypes=[np.float64])(x)

    @staticmethod
    def erfc(x: Any) -> Any:
        return np.vectorize(math.erfc, otypes=[np.float64])(x)

    @staticmethod
    def logsumexp(x: Any, axis: Any = None, b: Any = None, keepdims: bool = False, return_sign: bool = False) -> Any:
        total = np.sum(np.exp(x) * (1.0 if b is None else b), axis=axis, keepdims=keepdims)
        return (np.log(np.abs(total)), np.sign(total)) if return_sign else np.log(total)

    @staticmethod
    def cumulative_trapezoid(y: Any, x: Any = None, dx: float = 1.0, axis: int = -1, initial: Any = None) -> Any:
        y = np.moveaxis(np.asarray(y), axis, -1)
        step = dx if x is None else np.diff(np.moveaxis(np.asarray(x), axis, -1) if np.ndim(x) > 1 else x)
        total = np.cumsum(step * (y[..., 1:] + y[..., :-1]) / 2.0, axis=-1)
        if initial is not None:
            total = np.concatenate([np.zeros((*total.shape[:-1], 1)), total], axis=-1)
        return np.moveaxis(total, -1, axis)

    @staticmethod
    def log_softmax(x: Any, axis: Any = -1) -> Any:
        return x - np.log(np.sum(np.exp(x), axis=axis, keepdims=True))

    @staticmethod
    def softmax(x: Any, axis: Any = -1) -> Any:
        return np.exp(x) / np.sum(np.exp(x), axis=axis, keepdims=True)

    @staticmethod
    def xlogy(x: Any, y: Any) -> Any:
        return x * np.log(y)

    @staticmethod
    def getitem(x: Any, index: Any) -> Any:
        return np.asarray(x)[index]

    @staticmethod
    def scatter_add(values: Any, index: Any, shape: tuple) -> np.ndarray:
        out = np.zeros(shape)
        np.add.at(out, index, values)
        return out

    @staticmethod
    def index_update(x: Any, values: Any, index: Any) -> np.ndarray:
        out = np.array(x, dtype=np.result_type(x, values), copy=True)
        out[index] = values
        return out

    @staticmethod
    def sum_to(x: Any, shape: tuple) -> np.ndarray:
        lead = np.ndim(x) - len(shape)
        total = np.sum(x, axis=tuple(range(lead)))
        axes = tuple(i for i, size in enumerate(shape) if size == 1 and total.shape[i] != 1)
        return np.sum(total, axis=axes, keepdims=True)

    @staticmethod
    def unbroadcast(cotangent: Any, like: Any) -> np.ndarray:
        return Reference.sum_to(cotangent, np.shape(like))

    @staticmethod
    def broadcast_like(tangent: Any, ans: Any) -> np.ndarray:
        return np.broadcast_to(tangent, np.shape(ans))

    @staticmethod
    def astype(x: Any, dtype: Any) -> np.ndarray:
        return np.asarray(x).astype(dtype)


NP = Reference()


@dataclass(frozen=True)
class Case:
    """One line of the table: a public function applied to differentiable arguments.

    The function is ``op(*args, **params)``, or ``code(namespace, *args)`` when the case
    needs more than one call: ``code`` runs once with ``wengert.numpy`` and once with
    NumPy (plus `Reference`) for the expected value.
    """

    op: str  # the wengert.numpy name under test (test_coverage reads it)
    args: tuple  # the differentiable arguments (floats)
    params: dict = field(default_factory=dict)  # static keyword arguments of op
    code: Callable[..., Any] | None = None
    kind: str = "smooth"  # "smooth", "constant" (zero derivative) or "discrete" (not differentiable)
    float32: bool = True  # whether the float32 run applies

    def __call__(self, *args: Any) -> Any:
        if self.code is not None:
            return self.code(wnp, *args)
        return getattr(wnp, self.op)(*args, **self.params)

    def expected(self, *args: Any) -> Any:
        if self.code is not None:
            return self.code(NP, *args)
        return getattr(NP, self.op)(*args, **self.params)

    @property
    def __name__(self) -> str:  # check_grads names the function in its messages
        return self.op


def _describe(value: Any) -> str:
    if type(value) is float:
        return "float"
    shape = np.shape(value)
    return "x".join(map(str, shape)) if shape else "0d"


def case(
    op: str,
    *args: Any,
    code: Callable[..., Any] | None = None,
    kind: str = "smooth",
    f32: bool = True,
    needs: str | None = None,
    label: str = "",
    **params: Any,
) -> Any:
    """A table line as a pytest parameter with a readable id.

    ``needs`` names a wengert.numpy function written elsewhere that the case relies on:
    until it exists, the case is skipped.
    """
    words = [op, ",".join(_describe(a) for a in args)]
    for key, value in params.items():
        text = getattr(value, "__name__", repr(value))
        if not isinstance(value, np.ndarray) and len(text) < 20:
            words.append(f"{key}={text}")
    words.append(label)
    marks = ()
    if needs is not None and not hasattr(wnp, needs):
        marks = (pytest.mark.skip(reason=f"wengert.numpy.{needs} is not written yet"),)
    test_id = "-".join(w for w in words if w)
    return pytest.param(Case(op, tuple(args), params, code, kind, f32), id=test_id, marks=marks)


def on_signs(op: str) -> Callable[..., Any]:
    """``op`` applied to the masks ``a > 0`` and ``b > 0`` (logical and bitwise functions take booleans)."""
    return lambda xp, a, b: getattr(xp, op)(a > 0, b > 0)


# -- the table -------------------------------------------------------------------------------------

# Unary elementwise functions and their domains; each runs on a Python float, a 0-d
# array, a vector and a matrix from its domain.
UNARY = {
    "negative": ANY, "positive": ANY, "exp": ANY, "exp2": ANY, "expm1": ANY,
    "log": POSITIVE, "log2": POSITIVE, "log10": POSITIVE, "log1p": POSITIVE, "sqrt": POSITIVE,
    "cbrt": ANY, "square": ANY, "reciprocal": ANY, "abs": ANY, "absolute": ANY, "fabs": ANY,
    "sin": ANY, "cos": ANY, "tan": UNIT, "arcsin": UNIT, "arccos": UNIT, "arctan": ANY,
    "sinh": ANY, "cosh": ANY, "tanh": ANY, "arcsinh": ANY, "arccosh": ABOVE_ONE, "arctanh": UNIT,
    "sigmoid": ANY, "expit": ANY, "softplus": ANY, "relu": ANY, "erf": ANY, "erfc": ANY,
}  # fmt: skip
UNARY_CASES = [case(op, x, label=where) for op, domain in UNARY.items() for where, x in domain.items()]

# Binary elementwise functions over broadcasting pairs.
PAIRS = {
    "floats": (0.7, -1.3),
    "0d-vector": (np.array(0.5), nonzero(3)),
    "vectors": (nonzero(3), nonzero(3)),
    "column-row": (nonzero(3, 1), nonzero(1, 4)),
    "vector-matrix": (nonzero(4), nonzero(3, 4)),
    "float-matrix": (1.1, nonzero(3, 4)),
}
POSITIVE_FIRST = {name: (np.abs(a) + 0.3 if type(a) is not float else 1.7, b) for name, (a, b) in PAIRS.items()}
POSITIVE_FIRST["0d-vector"] = (np.array(0.8), PAIRS["0d-vector"][1])
BINARY = {
    "add": PAIRS, "subtract": PAIRS, "multiply": PAIRS, "divide": PAIRS, "true_divide": PAIRS,
    "power": POSITIVE_FIRST, "maximum": PAIRS, "minimum": PAIRS, "fmax": PAIRS, "fmin": PAIRS,
    "hypot": PAIRS, "arctan2": PAIRS, "logaddexp": PAIRS,
}  # fmt: skip
BINARY_CASES = [case(op, a, b, label=name) for op, pairs in BINARY.items() for name, (a, b) in pairs.items()]

# The remainder jumps where a/b is an integer: keep a/b well inside (k, k+1).
DIVIDEND, DIVISOR = np.array([2.3, 5.4, -7.7]), np.array([2.0, 2.0, 3.0])
X_WITH_ZEROS = np.array([0.0, 0.5, 2.0, 0.0])
STEPS = np.array([[-1.3, 0.4, 2.6], [3.7, -0.45, 1.2]])
THREE_ZEROS = np.array([[0.0, 1.5, 0.0, -2.0, 0.5, 1.2, 0.0]])

# fmt: off
OTHER_ELEMENTWISE = [
    case("remainder", DIVIDEND, DIVISOR),
    case("remainder", DIVIDEND, 2.0),
    case("mod", DIVIDEND, DIVISOR),
    case("remainder", DIVIDEND, DIVISOR, code=lambda xp, a, b: a % b, label="operator"),
    case("power", POSITIVE["vector"], code=lambda xp, x: xp.power(x, 3), label="int exponent"),
    case("power", ANY["matrix"], code=lambda xp, x: x**2, label="operator squared"),
    case("power", ANY["vector"], code=lambda xp, x: x**-1, label="operator inverse"),
    case("power", ANY["vector"], code=lambda xp, x: 2.0**x, label="operator base"),
    case("power", 1.3, 2.5, code=lambda xp, a, b: a**b, label="floats operator"),
    case("power", np.array([0.0, 1.5, 0.0, 0.0]), code=lambda xp, x: x ** np.array([0.0, 2.0, 3.0, 1.0]),
         f32=False, label="zero base, constant exponents"),
    case("power", 0.0, code=lambda xp, x: x**0 + x**1 + x**2 + x**3, label="polynomial at zero"),
    case("add", MATRIX, VECTOR, code=lambda xp, a, b: a + b[:, None], label="operator"),
    case("subtract", ANY["vector"], code=lambda xp, x: 2.0 - x, label="reflected operator"),
    case("multiply", ANY["matrix"], code=lambda xp, x: x * x, label="same argument twice"),
    case("divide", ANY["vector"], code=lambda xp, x: 2.0 / x, label="reflected operator"),
    case("negative", ANY["vector"], code=lambda xp, x: -x, label="operator"),
    case("abs", ANY["vector"], code=lambda xp, x: abs(x), label="builtin"),
    case("sin", ANY["matrix"], code=lambda xp, x: np.sin(x), label="numpy ufunc on a tracer"),
    case("multiply", VECTOR, VECTOR, code=lambda xp, a, b: np.multiply(a, b), label="numpy ufunc on tracers"),
    case("where", VECTOR, normal(3), code=lambda xp, x, y: xp.where(PICK, x, y)),
    case("where", normal(1, 4), code=lambda xp, x: xp.where(MATRIX[:, :1] > 0, x, 0.5), label="broadcast"),
    case("where", MATRIX, np.array(0.3), code=lambda xp, x, y: xp.where(MASK, x, y), label="0d branch"),
    case("where", 0.7, -0.2, code=lambda xp, x, y: xp.where(True, x, y), label="floats"),
    case("clip", np.array([-1.2, -0.3, 0.1, 0.8]), a_min=-0.5, a_max=0.5),
    case("clip", np.array([-1.2, -0.3, 0.1, 0.8]), a_min=-0.5, a_max=None),
    case("clip", MATRIX, a_min=None, a_max=0.25),
    case("clip", np.array([-1.2, 0.3]), code=lambda xp, x: x.clip(-1.0, 1.0), label="method"),
    case("clip", np.array([-1.2, -0.3, 0.1, 0.8]), min=-0.5, label="min keyword"),
    case("astype", VECTOR, dtype=np.float64, f32=False, label="same dtype"),
    case("astype", VECTOR.astype(np.float32), dtype=np.float64, f32=False, label="float32 to float64"),
]

# Piecewise-constant functions: their derivative is zero wherever it exists.
CONSTANT = [
    case("sign", STEPS, kind="constant"),
    case("sign", 0.7, kind="constant"),
    case("floor", STEPS, kind="constant"),
    case("ceil", STEPS, kind="constant"),
    case("rint", STEPS, kind="constant"),
    case("trunc", STEPS, kind="constant"),
    case("round", STEPS, kind="constant"),
    case("round", STEPS, kind="constant", decimals=1),
    case("around", STEPS, kind="constant"),
    case("floor_divide", STEPS, np.array([2.0, 0.3, 1.1]), kind="constant"),
    case("floor_divide", STEPS, code=lambda xp, x: x // 0.7, kind="constant", label="operator"),
]

REDUCTIONS = [
    case("sum", CUBE),
    case("sum", 0.7),
    case("sum", CUBE, axis=0),
    case("sum", CUBE, axis=-1),
    case("sum", CUBE, axis=(0, 2)),
    case("sum", CUBE, axis=1, keepdims=True),
    case("sum", CUBE, axis=None, keepdims=True),
    case("sum", MATRIX, code=lambda xp, x: x.sum(axis=0), label="method"),
    case("sum", MATRIX, code=lambda xp, x: np.sum(x, axis=1), label="numpy function on a tracer"),
    case("mean", CUBE),
    case("mean", CUBE, axis=-2),
    case("mean", CUBE, axis=(0, 1), keepdims=True),
    case("var", CUBE),
    case("var", CUBE, axis=1, ddof=1),
    case("var", MATRIX, axis=-1, keepdims=True),
    case("std", CUBE),
    case("std", CUBE, axis=(0, 2), ddof=1, keepdims=True),
    case("prod", uniform(0.5, 1.5, 2, 3)),
    case("prod", uniform(0.5, 1.5, 2, 3), axis=1),
    case("prod", uniform(0.5, 1.5, 2, 3, 2), axis=(0, 2), keepdims=True),
    case("prod", WITH_ZERO, label="one zero"),
    case("prod", WITH_TWO_ZEROS, axis=-1, label="two zeros"),
    case("prod", WITH_TWO_ZEROS, label="two zeros"),
    case("amax", CUBE),
    case("amax", CUBE, axis=1),
    case("amax", CUBE, axis=-1, keepdims=True),
    case("amin", CUBE, axis=(0, 2)),
    case("amin", CUBE, axis=None, keepdims=True),
    case("max", MATRIX, axis=0),
    case("max", MATRIX, code=lambda xp, x: x.max(axis=-1), label="method"),
    case("min", MATRIX),
    case("min", MATRIX, axis=-1, keepdims=True),
    case("cumsum", MATRIX),
    case("cumsum", MATRIX, axis=0),
    case("cumsum", CUBE, axis=-1),
    case("cumprod", uniform(0.5, 1.5, 3, 4)),
    case("cumprod", uniform(0.5, 1.5, 3, 4), axis=0),
    case("cumprod", nonzero(2, 3, 2), axis=-2),
    case("cumprod", WITH_ZERO, label="one zero"),
    case("cumprod", WITH_TWO_ZEROS, axis=1, label="two zeros"),
    case("cumprod", THREE_ZEROS, axis=-1, label="three zeros"),
    case("logsumexp", LOGITS),
    case("logsumexp", LOGITS, axis=-1),
    case("logsumexp", CUBE, axis=(0, 2), keepdims=True),
    case("logsumexp", 0.7),
]

PRODUCTS = [
    case("matmul", nonzero(2, 3), nonzero(3, 4)),
    case("matmul", nonzero(2, 3), nonzero(3)),
    case("matmul", nonzero(3), nonzero(3, 4)),
    case("matmul", nonzero(3), nonzero(3)),
    case("matmul", nonzero(2, 2, 3), nonzero(3, 4)),
    case("matmul", nonzero(2, 1, 2, 3), nonzero(3, 3, 2)),
    case("matmul", nonzero(3), nonzero(2, 3, 4)),
    case("matmul", nonzero(2, 3, 4), nonzero(4)),
    case("matmul", nonzero(2, 3), nonzero(3, 2), code=lambda xp, a, b: a @ b, label="operator"),
    case("matmul", nonzero(3, 2), code=lambda xp, a: a.T @ a, label="gram"),
    case("dot", 0.5, nonzero(3)),
    case("dot", nonzero(3), nonzero(3)),
    case("dot", nonzero(2, 3), nonzero(3)),
    case("dot", nonzero(2, 3), nonzero(3, 4)),
    case("dot", nonzero(2, 3, 4), nonzero(4, 2)),
    case("dot", nonzero(2, 3), nonzero(4, 3, 2), needs="tensordot"),
    case("dot", nonzero(3), code=lambda xp, a: a.dot(a), label="method"),
    case("vdot", nonzero(2, 3), nonzero(2, 3)),
    case("vdot", nonzero(3), nonzero(3)),
    case("inner", nonzero(3), nonzero(3)),
    case("inner", nonzero(2, 3), nonzero(3)),
    case("inner", 1.5, nonzero(3)),
    case("inner", nonzero(2, 3), nonzero(4, 3), needs="tensordot"),
    case("outer", nonzero(3), nonzero(4)),
    case("outer", nonzero(2, 2), nonzero(3)),
]

SPECIAL = [
    case("sigmoid", np.array([-30.0, -2.0, 0.0, 3.0, 40.0]), label="wide range"),
    case("softplus", np.array([-30.0, -2.0, 0.5, 3.0, 40.0]), label="wide range"),
    case("log_softmax", LOGITS),
    case("log_softmax", LOGITS, axis=0),
    case("log_softmax", CUBE, axis=(0, 2)),
    case("log_softmax", LOGITS, axis=None),
    case("softmax", LOGITS),
    case("softmax", LOGITS, axis=0),
    case("softmax", normal(4)),
    case("softmax", CUBE, axis=(-1, 0)),
    case("xlogy", POSITIVE["vector"], uniform(0.5, 2.0, 3)),
    case("xlogy", X_WITH_ZEROS, uniform(0.5, 2.0, 4), label="zeros in x"),
    case("xlogy", uniform(0.5, 2.0, 3, 1), uniform(0.5, 2.0, 1, 4)),
    case("xlogy", 0.7, 1.3),
]

SHAPE = [
    case("reshape", MATRIX, shape=(4, 3)),
    case("reshape", MATRIX, shape=(2, -1)),
    case("reshape", np.array([0.3]), shape=()),
    case("reshape", MATRIX, code=lambda xp, x: x.reshape(6, 2), label="method with varargs"),
    case("reshape", MATRIX, code=lambda xp, x: x.reshape(-1), label="method"),
    case("ravel", CUBE),
    case("transpose", MATRIX),
    case("transpose", CUBE, axes=(1, 0, 2)),
    case("transpose", CUBE, axes=(-1, 0, 1)),
    case("transpose", CUBE, code=lambda xp, x: x.T, label="property"),
    case("transpose", CUBE, code=lambda xp, x: x.transpose(2, 0, 1), label="method"),
    case("swapaxes", CUBE, axis1=0, axis2=-1),
    case("moveaxis", CUBE, source=0, destination=-1),
    case("moveaxis", CUBE, source=[0, 1], destination=[-1, -2]),
    case("expand_dims", MATRIX, axis=0),
    case("expand_dims", MATRIX, axis=-1),
    case("expand_dims", MATRIX, axis=(0, 2)),
    case("squeeze", nonzero(1, 3, 1)),
    case("squeeze", nonzero(1, 3, 1), axis=0),
    case("atleast_1d", 0.7),
    case("atleast_1d", np.array(0.7)),
    case("atleast_1d", VECTOR),
    case("atleast_2d", np.array(0.7)),
    case("atleast_2d", VECTOR),
    case("atleast_2d", MATRIX),
    case("broadcast_to", VECTOR, shape=(2, 3)),
    case("broadcast_to", nonzero(3, 1), shape=(3, 4)),
    case("broadcast_to", 0.7, shape=(2,)),
    case("sum_to", MATRIX, shape=(4,)),
    case("sum_to", MATRIX, shape=(3, 1)),
    case("sum_to", CUBE, shape=(1, 4)),
    case("sum_to", CUBE, shape=()),
    case("broadcast_like", VECTOR, ans=CUBE[..., :3]),
    case("unbroadcast", CUBE, like=MATRIX[:, :1], label="3x1"),
    case("unbroadcast", CUBE, like=1.0),
    case("flip", CUBE),
    case("flip", CUBE, axis=0),
    case("flip", CUBE, axis=-1),
    case("flip", CUBE, axis=(0, 2)),
    case("concatenate", VECTOR, nonzero(2), code=lambda xp, a, b: xp.concatenate([a, b])),
    case("concatenate", MATRIX, nonzero(3, 2), code=lambda xp, a, b: xp.concatenate([a, b], axis=1)),
    case("concatenate", MATRIX, nonzero(3, 2), code=lambda xp, a, b: xp.concatenate((a, b, a), axis=-1)),
    case("concatenate", MATRIX, VECTOR, code=lambda xp, a, b: xp.concatenate([a, b], axis=None)),
    case("concatenate", VECTOR, code=lambda xp, a: xp.concatenate([a, np.ones(2)]), f32=False,
         label="with a constant"),
    case("stack", VECTOR, nonzero(3), code=lambda xp, a, b: xp.stack([a, b, a])),
    case("stack", MATRIX, nonzero(3, 4), code=lambda xp, a, b: xp.stack([a, b], axis=-1)),
]

INDEXING = [
    case("getitem", VECTOR, index=1),
    case("getitem", VECTOR, index=-1),
    case("getitem", CUBE, index=np.s_[1:], label="slice"),
    case("getitem", CUBE, index=np.s_[:, ::2], label="step"),
    case("getitem", CUBE, index=np.s_[:, 1], label="slice,int"),
    case("getitem", CUBE, index=(1, 2, 3), label="ints"),
    case("getitem", MATRIX, index=np.s_[None, :, None], label="newaxis"),
    case("getitem", CUBE, index=np.s_[..., 0], label="ellipsis"),
    case("getitem", CUBE, index=np.s_[0, ..., None], label="int,ellipsis,newaxis"),
    case("getitem", VECTOR, index=np.array([0, 2, 0, 0]), label="repeats"),
    case("getitem", MATRIX, index=np.array([[0, 1], [1, 1]]), label="2d array"),
    case("getitem", MATRIX, index=(np.array([0, 2, 2]), np.array([1, 3, 3])), label="array pairs"),
    case("getitem", CUBE, index=np.s_[:, [2, 0, 2]], label="slice,list"),
    case("getitem", CUBE, index=(np.array([1, 0]), slice(None), np.array([3, 3])), label="split arrays"),
    case("getitem", MATRIX, index=MASK, label="mask"),
    case("getitem", VECTOR, index=PICK, label="vector mask"),
    case("getitem", MATRIX, index=(MASK[:, 0], slice(1, 3)), label="row mask,slice"),
    case("getitem", MATRIX, code=lambda xp, x: x[1:, [0, 0, 3]], label="operator"),
    case("getitem", MATRIX, code=lambda xp, x: x[x > 0], label="operator with a traced mask"),
    case("getitem", MATRIX, code=lambda xp, x: list(x)[1], label="iteration"),
    case("take", MATRIX, indices=np.array([0, 5, 5])),
    case("take", MATRIX, indices=np.array([2, 2, 0]), axis=0),
    case("take", CUBE, indices=np.array([1, 1]), axis=-1),
    case("take_along_axis", MATRIX, indices=np.argsort(MATRIX, axis=-1), axis=-1),
    case("take_along_axis", MATRIX, indices=np.array([[2, 0, 2, 1]]), axis=0),
    case("scatter_add", VECTOR, index=np.array([0, 3, 0]), shape=(4,), label="repeats"),
    case("scatter_add", MATRIX[:2], index=np.s_[:, [0, 1, 0, 4]], shape=(2, 5), label="columns"),
    case("scatter_add", VECTOR, index=np.s_[1:4], shape=(5,), label="slice"),
    case("index_update", nonzero(4), 0.7, index=1),
    case("index_update", MATRIX, nonzero(4), index=0, label="row"),
    case("index_update", MATRIX, nonzero(2, 4), index=np.array([2, 0]), label="rows"),
    case("index_update", MATRIX, nonzero(1, 2), index=np.s_[1:3, 2], label="broadcast values"),
    case("index_update", MATRIX, np.array(0.5), index=MASK, label="mask"),
    case("index_update", nonzero(4), code=lambda xp, x: xp.index_update(x, 2.0, np.s_[:2]), label="constant"),
]

# Array creation: lists holding traced values stack differentiably; *_like give constants.
CREATION = [
    case("array", VECTOR, nonzero(3), code=lambda xp, a, b: xp.array([a, b * 2.0])),
    case("array", 0.7, code=lambda xp, x: xp.array([[x, 1.0], [2.0, x * x]]), label="mixed"),
    case("array", VECTOR, code=lambda xp, x: xp.array(x, dtype=np.float64), f32=False, label="dtype"),
    case("asarray", VECTOR, code=lambda xp, x: xp.asarray(x) * 2.0),
    case("asarray", VECTOR, code=lambda xp, x: xp.asarray([x[0], x[2]]), label="list of traced"),
    case("zeros_like", MATRIX, kind="constant"),
    case("ones_like", MATRIX, kind="constant"),
    case("full_like", MATRIX, fill_value=3.0, kind="constant"),
    case("empty_like", MATRIX, code=lambda xp, x: xp.empty_like(x).shape, kind="discrete"),
]

# Comparisons and other discrete functions: boolean or integer results, not differentiable.
LEFT = np.array([1.0, -2.0, 3.0, np.inf])
RIGHT = np.array([1.0, 0.5, 3.5, np.inf])
LOGIC = [
    *(case(op, LEFT, RIGHT, kind="discrete") for op in
      ["equal", "not_equal", "less", "less_equal", "greater", "greater_equal", "isclose"]),
    *(case(op, LEFT, RIGHT, code=on_signs(op), kind="discrete") for op in
      ["logical_and", "logical_or", "logical_xor", "bitwise_and", "bitwise_or", "bitwise_xor"]),
    *(case(op, LEFT, kind="discrete") for op in ["isfinite", "isinf", "isnan", "signbit"]),
    case("logical_not", LEFT, code=lambda xp, a: xp.logical_not(a > 0), kind="discrete"),
    case("invert", LEFT, code=lambda xp, a: xp.invert(a > 0), kind="discrete"),
    case("greater", MATRIX, code=lambda xp, a: a > 0.1, kind="discrete", label="operator"),
    case("equal", MATRIX, code=lambda xp, a: a == a, kind="discrete", label="operator"),
    case("argmax", MATRIX, kind="discrete"),
    case("argmax", MATRIX, axis=1, kind="discrete"),
    case("argmin", MATRIX, axis=0, kind="discrete"),
    case("argsort", MATRIX, axis=-1, kind="discrete"),
    case("any", MATRIX, code=lambda xp, a: xp.any(a > 1.0, axis=0), kind="discrete"),
    case("all", MATRIX, code=lambda xp, a: xp.all(a > -1.0), kind="discrete"),
    case("count_nonzero", WITH_ZERO, kind="discrete"),
    case("count_nonzero", WITH_TWO_ZEROS, axis=1, kind="discrete"),
    case("astype", MATRIX, dtype=np.int64, kind="discrete", label="to integer"),
    case("allclose", LEFT, LEFT + 1e-9, kind="discrete"),
    case("array_equal", LEFT, RIGHT, kind="discrete"),
]
# fmt: on

# The NumPy functions physics and ML code reaches for (issue 11): order statistics, discrete
# calculus, signals, and HIPS autograd's checklist. Values are distinct and away from knots
# (ties, interpolation nodes), where derivatives are one-sided; those are tested in
# tests/test_numpy_functions.py with the conventions they follow.
DISTINCT = np.array([[0.3, -1.2, 2.5, 0.9], [1.7, -0.4, -2.2, 0.1], [-0.8, 1.1, 0.6, -1.9]])
SAMPLES = np.array([0.5, 1.5, 0.8, -0.3, 2.0, 1.2])
KNOTS = np.array([0.0, 0.5, 1.0, 2.0, 3.0])
VALUES_AT_KNOTS = np.array([0.3, -0.7, 1.2, 0.4, 2.2])
QUERIES = np.array([-0.5, 0.2, 0.7, 1.3, 2.6, 3.4])
SPACINGS = np.array([0.0, 0.4, 1.1, 1.5, 2.6, 3.0])
NON_FINITE = np.array([1.5, np.nan, np.inf, -0.3, -np.inf])
VECTORS3 = nonzero(4, 3)

SORTING = [
    case("sort", VECTOR),
    case("sort", DISTINCT),
    case("sort", DISTINCT, axis=0),
    case("sort", DISTINCT, axis=None),
    case("sort", DISTINCT, code=lambda xp, x: xp.sort(x)[:, ::-1], label="descending"),
    case("partition", SAMPLES, kth=2),
    case("partition", DISTINCT, kth=(0, 3), axis=1),
    case("median", SAMPLES),
    case("median", SAMPLES[:5], label="odd"),
    case("median", DISTINCT, axis=1),
    case("median", DISTINCT, axis=0, keepdims=True),
    case("median", DISTINCT, axis=(0, 1)),
    case("quantile", DISTINCT, q=0.3),
    case("quantile", DISTINCT, q=np.array([0.1, 0.45, 0.8]), axis=1, f32=False),  # float64 q: float64 result
    case("quantile", DISTINCT, q=0.7, axis=0, keepdims=True),
    case("quantile", SAMPLES, q=0.9, method="hazen"),
    case("quantile", SAMPLES, q=0.35, method="lower"),
    case("quantile", SAMPLES, q=0.35, method="midpoint"),
    case("quantile", SAMPLES, q=0.35, method="nearest"),
    case("quantile", SAMPLES, q=0.35, method="inverted_cdf"),
    case("quantile", SAMPLES, 0.37, code=lambda xp, a, q: xp.quantile(a, q), label="traced q"),
    case(
        "quantile",
        SAMPLES,
        np.array([0.1, 0.55]),
        code=lambda xp, a, q: xp.quantile(a, q, method="weibull"),
        label="traced q",
    ),
    case("percentile", DISTINCT, q=40.0, axis=1),
    case("percentile", SAMPLES, 63.0, code=lambda xp, a, q: xp.percentile(a, q), label="traced q"),
]

# Searching, and questions about values (not differentiable).
SEARCHING = [
    case("argpartition", SAMPLES, kth=2, kind="discrete"),
    case("searchsorted", KNOTS, QUERIES, kind="discrete"),
    case("searchsorted", KNOTS, QUERIES, side="right", kind="discrete"),
    case("isneginf", NON_FINITE, kind="discrete"),
    case("isposinf", NON_FINITE, kind="discrete"),
    case("iscomplex", MATRIX, kind="discrete"),
    case("isreal", MATRIX, kind="discrete"),
    case("iscomplexobj", MATRIX, kind="discrete"),
    case("isrealobj", MATRIX, kind="discrete"),
    case("isscalar", MATRIX, kind="discrete"),
    case("size", MATRIX, kind="discrete"),
    case("size", MATRIX, axis=1, kind="discrete"),
    case("array_equiv", LEFT, LEFT[None], kind="discrete"),
    case("array_equiv", LEFT, RIGHT, kind="discrete"),
]

CALCULUS = [
    case("diff", DISTINCT),
    case("diff", DISTINCT, n=2, axis=0),
    case("diff", DISTINCT, n=0),
    case("diff", DISTINCT, 0.25, code=lambda xp, a, p: xp.diff(a, prepend=p, append=a[:, :1]), label="prepend,append"),
    case("gradient", SAMPLES),
    case("gradient", DISTINCT, axis=0, edge_order=2),
    case("gradient", SAMPLES, 0.4, code=lambda xp, f, h: xp.gradient(f, h), label="traced step"),
    case("gradient", SAMPLES, SPACINGS, code=lambda xp, f, x: xp.gradient(f, x, edge_order=2), label="coordinates"),
    case("gradient", SAMPLES, SPACINGS, code=lambda xp, f, x: xp.gradient(f, x), label="coordinates,edge 1"),
    case("gradient", DISTINCT, code=lambda xp, f: xp.stack(xp.gradient(f, 0.5, 2.0)), label="two axes"),
    case("trapezoid", DISTINCT),
    case("trapezoid", DISTINCT, dx=0.3, axis=0),
    case("trapezoid", SAMPLES, SPACINGS, code=lambda xp, y, x: xp.trapezoid(y, x), label="traced x"),
    case("trapezoid", DISTINCT, 0.7, code=lambda xp, y, d: xp.trapezoid(y, dx=d), label="traced dx"),
    case("cumulative_trapezoid", DISTINCT),
    case("cumulative_trapezoid", DISTINCT, axis=0, initial=0),
    case(
        "cumulative_trapezoid",
        SAMPLES,
        SPACINGS,
        code=lambda xp, y, x: xp.cumulative_trapezoid(y, x, initial=0),
        label="traced x",
    ),
    case("interp", QUERIES, VALUES_AT_KNOTS, code=lambda xp, x, f: xp.interp(x, KNOTS, f), f32=False),
    case(
        "interp",
        QUERIES,
        VALUES_AT_KNOTS,
        code=lambda xp, x, f: xp.interp(x, KNOTS, f, left=-1.0, right=2.0),
        f32=False,
        label="left,right",
    ),
    case(
        "interp",
        QUERIES,
        0.3,
        code=lambda xp, x, r: xp.interp(x, KNOTS, VALUES_AT_KNOTS, right=r),
        f32=False,
        label="traced right",
    ),
    case(
        "interp",
        QUERIES + 0.05,
        VALUES_AT_KNOTS,
        code=lambda xp, x, f: xp.interp(x, KNOTS, f, period=3.5),
        f32=False,
        label="period",
    ),
    case("polyval", VECTOR, DISTINCT),
    case("polyval", nonzero(4), 0.7),
]

SIGNALS = [
    case("convolve", SAMPLES, VECTOR),
    case("convolve", SAMPLES, VECTOR, mode="same"),
    case("convolve", VECTOR, SAMPLES, mode="same", label="longer second"),
    case("convolve", SAMPLES, VECTOR, mode="valid"),
    case("correlate", SAMPLES, VECTOR),
    case("correlate", nonzero(4), SAMPLES, mode="same", label="longer second"),
    case("correlate", SAMPLES, VECTOR, mode="full"),
    case("cross", VECTORS3, nonzero(3)),
    case("cross", VECTORS3.T, nonzero(2, 1, 3), axisa=0, label="axisa"),
    case("cross", nonzero(3, 5), nonzero(3, 5), axis=0),
    case("kron", nonzero(2, 3), nonzero(3, 2)),
    case("kron", VECTOR, nonzero(2, 2)),
]

CHECKLIST = [
    *(
        case(op, ANY["matrix"])
        for op in ["deg2rad", "rad2deg", "degrees", "radians", "real", "conj", "conjugate", "real_if_close"]
    ),
    case("deg2rad", 0.7),
    case("sinc", ANY["matrix"]),
    case("sinc", np.array([0.0, 0.3, -2.5]), label="at zero"),
    case("sinc", 0.7),
    *(case("logaddexp2", a, b, label=name) for name, (a, b) in PAIRS.items()),
    case("imag", ANY["matrix"], kind="constant"),
    case("angle", ANY["matrix"], kind="constant"),
    case("fix", STEPS, kind="constant"),
    case("nan_to_num", NON_FINITE, f32=False),  # the default replacements are the dtype's extremes
    case("nan_to_num", NON_FINITE, 2.0, code=lambda xp, x, v: xp.nan_to_num(x, nan=v, posinf=9.0), label="traced nan"),
    case("select", VECTOR, nonzero(3), code=lambda xp, a, b: xp.select([PICK, ~PICK & (a > 0)], [a, b * 2.0], 0.5)),
    case("select", MATRIX, 0.3, code=lambda xp, a, d: xp.select([MASK], [a], default=d), label="traced default"),
    case("append", VECTOR, MATRIX),
    case("append", MATRIX, nonzero(1, 4), axis=0),
    case("flipud", MATRIX),
    case("fliplr", CUBE),
    case("rot90", MATRIX),
    case("rot90", CUBE, k=3, axes=(2, 0)),
    case("rollaxis", CUBE, axis=2),
    case("rollaxis", CUBE, axis=0, start=3),
    case("cumulative_sum", MATRIX, axis=1, include_initial=True),
    case("cumulative_prod", uniform(0.5, 1.5, 4)),
    case("logsumexp", LOGITS, uniform(0.5, 2.0, 3, 4), code=lambda xp, a, b: xp.logsumexp(a, axis=1, b=b), label="b"),
    case(
        "logsumexp",
        LOGITS,
        nonzero(4),
        code=lambda xp, a, b: xp.logsumexp(a, b=b, return_sign=True)[0],
        label="signed b",
    ),
    case("linspace", 0.3, 2.1, code=lambda xp, a, b: xp.linspace(a, b, 5)),
    case(
        "linspace", VECTOR, 2.0, code=lambda xp, a, b: xp.linspace(a, b, 4, endpoint=False, axis=1), label="array start"
    ),
    case("full", 0.7, code=lambda xp, v: xp.full((2, 3), v)),
    case("full", VECTOR, code=lambda xp, v: xp.full((2, 3), v), label="broadcast"),
    case("full_like", MATRIX, 0.7, code=lambda xp, x, v: xp.full_like(x, v), label="traced fill"),
    case("result_type", MATRIX, code=lambda xp, x: xp.result_type(x, np.float32, 2).itemsize, kind="discrete"),
]

TABLE = (
    UNARY_CASES
    + BINARY_CASES
    + OTHER_ELEMENTWISE
    + CONSTANT
    + REDUCTIONS
    + PRODUCTS
    + SPECIAL
    + SHAPE
    + INDEXING
    + CREATION
    + LOGIC
    + SORTING
    + SEARCHING
    + CALCULUS
    + SIGNALS
    + CHECKLIST
)
SMOOTH = [p for p in TABLE if p.values[0].kind == "smooth"]
CONSTANT_CASES = [p for p in TABLE if p.values[0].kind == "constant"]
DISCRETE = [p for p in TABLE if p.values[0].kind == "discrete"]
FLOAT32 = [p for p in SMOOTH if p.values[0].float32 and all(type(a) is not float for a in p.values[0].args)]

# -- the checks --------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    assert not isinstance(value, Tracer), f"a tracer escaped: {value!r}"
    return value


def assert_same_value(actual: Any, expected: Any, rtol: float = 1e-12, atol: float = 1e-12) -> None:
    _plain(actual)
    assert np.shape(actual) == np.shape(expected)
    np.testing.assert_allclose(np.asarray(actual, dtype=float), np.asarray(expected, dtype=float), rtol, atol)


@pytest.mark.parametrize("c", TABLE)
def test_value_equals_numpy(c: Case) -> None:
    """On plain arrays and under both modes, the value is NumPy's (shape and dtype included)."""
    expected = c.expected(*c.args)
    actual = c(*c.args)
    assert_same_value(actual, expected)
    if any(not isinstance(a, float) for a in c.args):
        assert np.asarray(actual).dtype == np.asarray(expected).dtype
    tangents = tuple(np.zeros_like(a) if type(a) is not float else 0.0 for a in c.args)
    assert_same_value(wg.jvp(c, c.args, tangents)[0], expected)
    assert_same_value(wg.vjp(c, *c.args)[0], expected)


@pytest.mark.parametrize("c", SMOOTH)
def test_derivatives_match_finite_differences(c: Case) -> None:
    """Forward and reverse mode, to second order, along random directions."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the float32 astype case warns by design
        check_grads(c, c.args, order=2, modes=("fwd", "rev"))


@pytest.mark.parametrize("c", SMOOTH)
def test_jvp_and_vjp_rules_are_adjoint(c: Case) -> None:
    check_adjoint(c, c.args)


@pytest.mark.parametrize("c", CONSTANT_CASES)
def test_piecewise_constant_has_zero_derivative(c: Case) -> None:
    assert_same_value(c(*c.args), c.expected(*c.args))
    tangents = tuple(np.ones_like(a) if type(a) is not float else 1.0 for a in c.args)
    out, tangent = wg.jvp(c, c.args, tangents)
    assert_same_value(tangent, np.zeros(np.shape(out)))
    out, vjp_fn = wg.vjp(c, *c.args)
    cotangents = vjp_fn(np.ones_like(out))
    for cotangent, arg in zip(cotangents, c.args):
        assert_same_value(cotangent, np.zeros(np.shape(arg)))
    gradients = wg.grad(lambda *args: wnp.sum(c(*args) * 2.0), argnums=tuple(range(len(c.args))))(*c.args)
    for gradient, arg in zip(gradients, c.args):
        assert_same_value(gradient, np.zeros(np.shape(arg)))


@pytest.mark.parametrize("c", DISCRETE)
def test_discrete_results_are_plain_and_not_differentiable(c: Case) -> None:
    """Traced inputs give plain boolean or integer arrays, never tracers."""
    expected = c.expected(*c.args)
    assert np.asarray(expected).dtype.kind in "bi"
    tangents = tuple(np.ones_like(a) for a in c.args)

    def check(actual: Any) -> None:
        for leaf in tree_flatten(actual)[0]:
            assert not isinstance(leaf, Tracer)
        np.testing.assert_array_equal(actual, expected)
        assert np.asarray(actual).dtype == np.asarray(expected).dtype

    check(c(*c.args))
    wg.jvp(lambda *args: check(c(*args)) or 0.0, c.args, tangents)
    wg.vjp(lambda *args: check(c(*args)) or 0.0, *c.args)
    tensors = [wg.tensor(a, requires_grad=True) for a in c.args]
    result = c(*tensors)
    assert not getattr(result, "requires_grad", False)
    np.testing.assert_array_equal(getattr(result, "primal", result), expected)


def _float32(value: Any) -> Any:
    return np.asarray(value, dtype=np.float32)


def _assert_float32(tree: Any, what: str) -> None:
    for leaf in tree_flatten(tree)[0]:
        while isinstance(leaf, Tracer):
            leaf = leaf.primal
        assert np.asarray(leaf).dtype == np.float32, f"{what} has dtype {np.asarray(leaf).dtype}, not float32"


@pytest.mark.parametrize("c", FLOAT32)
def test_float32_stays_float32(c: Case) -> None:
    """Values, JVPs, VJPs, and the derivatives of both, keep float32 (and agree with float64)."""
    args = tuple(_float32(a) for a in c.args)
    tangents = tuple(_float32(RNG.standard_normal(np.shape(a))) for a in args)
    out = c(*args)
    _assert_float32(out, "the value")
    np.testing.assert_allclose(out, c.expected(*c.args), rtol=1e-4, atol=1e-5)

    out, tangent_out = wg.jvp(c, args, tangents)
    _assert_float32(out, "the jvp's value")
    _assert_float32(tangent_out, "the jvp's tangent")
    cotangent = _float32(np.ones(np.shape(out)))
    _assert_float32(wg.vjp(c, *args)[1](cotangent), "the vjp's cotangent")

    # Second order: the tangent of the VJP (forward over reverse) and the VJP of the JVP.
    def pullback(*primals: Any) -> Any:
        return wg.vjp(c, *primals)[1](cotangent)

    inner, tangent_of_pullback = wg.jvp(pullback, args, tangents)
    _assert_float32(inner, "the vjp under jvp")
    _assert_float32(tangent_of_pullback, "the jvp of the vjp")

    def pushforward(*primals: Any) -> Any:
        return wg.jvp(c, primals, tangents)[1]

    _assert_float32(wg.vjp(pushforward, *args)[1](cotangent), "the vjp of the jvp")


@pytest.mark.parametrize("c", SMOOTH)
def test_tensor_backward_matches_vjp(c: Case) -> None:
    """The PyTorch dialect (tensors, backward) gives the JAX dialect's cotangents."""
    out, vjp_fn = wg.vjp(c, *c.args)
    cotangent = np.cos(np.arange(np.size(out), dtype=float)).reshape(np.shape(out))
    expected = vjp_fn(cotangent)
    tensors = [wg.tensor(a, requires_grad=True) for a in c.args]
    result = c(*tensors)
    np.testing.assert_allclose(np.asarray(result.primal), out, rtol=1e-12)
    wnp.sum(result * cotangent).backward()
    for tensor, gradient in zip(tensors, expected):
        # None: no cotangent reached the tensor (where's unselected branch is a symbolic zero).
        actual = np.zeros(np.shape(gradient)) if tensor.grad is None else np.asarray(tensor.grad.primal)
        np.testing.assert_allclose(actual, gradient, rtol=1e-12, atol=1e-14)


# What jit refuses, loudly, because it cannot be known while a program is compiled: a Python bool
# of the values, the elements a traced q picks, a shape that depends on the values.
JIT_REFUSALS = {
    "allclose": "returns one Python bool",
    "array_equal": "returns one Python bool",
    "quantile": "q must be known when jit compiles",
    "percentile": "q must be known when jit compiles",
    "getitem": "data-dependent shape",
}


@pytest.mark.parametrize("memory", ["fresh", "workspace", "columns"])
@pytest.mark.parametrize("c", TABLE)
def test_compiled_equals_eager(c: Case, memory: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """``jit`` of each case gives the eager value, and ``jit(grad)`` of a smooth case the eager gradient.

    With ``workspace``, every temporary that can live in the program's kept memory does (not only large
    ones), and the program runs twice: the second call must leave the first call's results intact.
    With ``columns`` as well, every value of two dimensions or more counts as tall, so each group of
    them that a product makes and nothing pins to rows is written column-major."""
    workspace = memory != "fresh"
    if workspace:
        monkeypatch.setattr(codegen, "WORKSPACE_MIN_BYTES", 0)
    if memory == "columns":
        monkeypatch.setattr(codegen, "COLUMN_MAJOR_MIN_ROWS", 1)
        monkeypatch.setattr(codegen, "COLUMN_MAJOR_MIN_COLUMNS", 1)
        monkeypatch.setattr(codegen, "COLUMN_MAJOR_MIN_INNER", 1)

    def twice(function: Callable, *args: Any) -> Any:
        first = function(*args)
        kept = [np.array(leaf, copy=True) for leaf in wg.tree_util.tree_leaves(first)]
        if workspace:
            function(*[np.flip(arg) if np.ndim(arg) else arg for arg in args])  # other values, same memory
            for leaf, copy in zip(wg.tree_util.tree_leaves(first), kept):
                np.testing.assert_array_equal(np.asarray(leaf), copy)
        return first

    function = _between_products(c) if memory == "columns" else c
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        eager = function(*c.args)
        try:
            compiled = twice(wg.jit(function), *c.args)
        except (TypeError, NotImplementedError) as error:
            if JIT_REFUSALS.get(c.op, "(no refusal expected)") not in str(error):
                raise
            return
        assert_same_value(compiled, eager, rtol=1e-12, atol=1e-14)
        assert np.asarray(compiled).dtype == np.asarray(eager).dtype
        if c.kind != "smooth":
            return
        argnums = tuple(range(len(c.args)))

        def loss(*args: Any) -> Any:
            return wnp.sum(wnp.sin(function(*args)))

        eager_gradients = wg.grad(loss, argnums)(*c.args)
        compiled_gradients = twice(wg.jit(wg.grad(loss, argnums)), *c.args)
    for compiled_gradient, eager_gradient in zip(compiled_gradients, eager_gradients):
        assert_same_value(compiled_gradient, eager_gradient, rtol=1e-12, atol=1e-14)


def _between_products(c: Case) -> Callable:
    """``c`` with its float operands of two or more dimensions made by a product (x @ I) and its result read
    by one: the values around the operation form groups that jit's layout pass may write column-major."""

    def product_of(value: Any) -> Any:
        if not isinstance(value, (np.ndarray, wg.core.Tracer)):
            return value
        shape = tuple(wnp.shape(value))
        if len(shape) >= 2 and np.dtype(wnp.result_type(value)).kind == "f":
            return wnp.matmul(value, np.eye(shape[-1]))
        return value

    def run(*args: Any) -> Any:
        return wg.tree_util.tree_map(product_of, c(*[product_of(arg) for arg in args]))

    return run


def _direction(value: Any, seed: int) -> Any:
    direction = np.random.default_rng(seed).standard_normal(np.shape(value))
    return float(direction) if isinstance(value, float) else direction


def _is_float(value: Any) -> bool:
    return np.asarray(value).dtype.kind == "f"


def _along_a_line(c: Case) -> tuple:
    """The case as a function of its floating arguments, their values, a direction each and zeros."""
    moving = [i for i, arg in enumerate(c.args) if _is_float(arg)]

    def along(*floats: Any) -> Any:
        args = list(c.args)
        for i, value in zip(moving, floats):
            args[i] = value
        return c(*args)

    tangents = tuple(_direction(c.args[i], i) for i in moving)
    zeros = tuple(np.zeros_like(t) if isinstance(t, np.ndarray) else 0.0 for t in tangents)
    return along, tuple(c.args[i] for i in moving), tangents, zeros


@pytest.mark.parametrize("c", SMOOTH)
def test_taylor_mode_equals_nested_forward_mode(c: Case) -> None:
    """``wg.jet`` of each smooth case along a line: its four derivatives equal four nested jvps."""
    along, primals, tangents, zeros = _along_a_line(c)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        value, series = wg.jet(along, primals, tuple((t, z, z, z) for t, z in zip(tangents, zeros)))
        first = lambda *p: wg.jvp(along, p, tangents)[1]  # noqa: E731
        second = lambda *p: wg.jvp(first, p, tangents)[1]  # noqa: E731
        third = lambda *p: wg.jvp(second, p, tangents)[1]  # noqa: E731
        expected = [first(*primals), second(*primals), third(*primals), wg.jvp(third, primals, tangents)[1]]
    assert_same_value(value, along(*primals), rtol=1e-12, atol=1e-12)
    for order, (got, want) in enumerate(zip(series, expected), start=1):
        scale = max(1.0, float(np.max(np.abs(want))) if np.size(want) else 1.0)
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9 * scale, err_msg=f"order {order}")


@pytest.mark.parametrize("c", SMOOTH)
def test_a_jet_of_order_12_begins_with_the_jet_of_order_4(c: Case) -> None:
    """Every smooth case to order 12, its first four terms those of the order-4 jet (checked above against
    nested jvps). Rules that differentiate a JVP by jets of jets take time exponential in the order (2^12
    of them): each primitive needs a recurrence, or a rule that maps its coefficients, to finish here."""
    along, primals, tangents, zeros = _along_a_line(c)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        _, short = wg.jet(along, primals, tuple((t,) + (z,) * 3 for t, z in zip(tangents, zeros)))
        _, long = wg.jet(along, primals, tuple((t,) + (z,) * 11 for t, z in zip(tangents, zeros)))
    _compare_prefix(long, short)


def _compare_prefix(long: Any, short: Any) -> None:
    """The order-4 terms of ``short`` equal the first four of ``long`` (same output structure)."""
    if isinstance(short, list) and short and not isinstance(short[0], (list, tuple, dict)):
        assert len(long) == 12 and len(short) == 4
        for got, want in zip(long[:4], short):
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
        return
    items = short.items() if isinstance(short, dict) else enumerate(short)
    for key, value in items:
        _compare_prefix(long[key], value)


@pytest.mark.parametrize("c", SMOOTH)
def test_second_order_taylor_streams_equal_nested_forward_mode(c: Case) -> None:
    """Second-order Taylor mode through each smooth case, its inputs moving along two directions: the streams
    D²f[a, a], D²f[a, b], D²f[b, b] and a weighted sum of them equal jvps of jvps (whatever the primitive's kind)."""
    from wengert.core.taylor import second_order_jet

    moving = [i for i, arg in enumerate(c.args) if _is_float(arg)]
    first_direction = {i: _direction(c.args[i], i) for i in moving}
    second_direction = {i: _direction(c.args[i], 100 + i) for i in moving}

    def along(s: Any) -> Any:
        args = list(c.args)
        for i in moving:
            args[i] = c.args[i] + s[0] * first_direction[i] + s[1] * second_direction[i]
        return c(*args)

    def derivative(function: Any, k: int) -> Any:
        return lambda s: wg.jvp(function, (s,), (np.eye(2)[k],))[1]

    streams = [[(0, 0, 1.0)], [(0, 1, 1.0)], [(1, 1, 1.0)], [(0, 0, 2.0), (0, 1, -1.0), (1, 1, 0.5)]]
    origin = np.zeros(2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        value, first, second = second_order_jet(along, origin, np.eye(2), streams)
        hessian = [[derivative(derivative(along, i), j)(origin) for j in range(2)] for i in range(2)]
        slopes = [derivative(along, k)(origin) for k in range(2)]
    expected = [hessian[0][0], hessian[0][1], hessian[1][1]]
    expected.append(2.0 * np.asarray(hessian[0][0]) - np.asarray(hessian[0][1]) + 0.5 * np.asarray(hessian[1][1]))
    assert_same_value(value, along(origin), rtol=1e-12, atol=1e-12)
    for k in range(2):
        np.testing.assert_allclose(first[k], slopes[k], rtol=1e-9, atol=1e-9, err_msg=f"direction {k}")
    for k, want in enumerate(expected):
        scale = max(1.0, float(np.max(np.abs(want))) if np.size(want) else 1.0)
        np.testing.assert_allclose(second[k], want, rtol=1e-9, atol=1e-9 * scale, err_msg=f"stream {k}")


@pytest.mark.parametrize(
    "a_shape, b_shape",
    [
        ((2, 2000, 8), (2000, 8)),
        ((2, 2000, 8), (2, 1, 8)),
        ((3, 50, 40), (1, 50, 1)),
        ((64, 64), (64,)),
        ((1, 2000, 8), (2000, 8)),  # broadcast over a length-1 axis only: a product, nothing summed
        ((2000, 8), (1, 2000, 8)),
    ],
)
def test_a_broadcast_products_cotangent_summed_in_one_pass_matches_numpy_to_second_order(a_shape, b_shape):
    """Large broadcast products take multiply's one-pass multiply-and-sum VJP (an einsum); it must agree."""
    rng = np.random.default_rng(5)
    a, b = rng.standard_normal(a_shape) * 0.3, rng.standard_normal(b_shape) * 0.3
    weights = rng.standard_normal(np.broadcast_shapes(a_shape, b_shape))

    def f(a, b):
        return wnp.sum(wnp.sin(a * b) * weights)

    grad_a, grad_b = wg.grad(f, argnums=(0, 1))(a, b)
    g = np.cos(a * b) * weights
    np.testing.assert_allclose(grad_a, np.sum(g * b, axis=tuple(range(len(g.shape) - len(a_shape)))), rtol=1e-12)
    reduce_b = tuple(range(len(g.shape) - len(b_shape)))
    expected_b = np.sum(g * a, axis=reduce_b)
    expected_b = np.sum(expected_b, axis=tuple(i for i, s in enumerate(b_shape) if s == 1), keepdims=True)
    np.testing.assert_allclose(grad_b, expected_b.reshape(b_shape), rtol=1e-12)
    check_grads(f, (a, b), order=2, modes=("rev",))
