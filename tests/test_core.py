"""The core engine on its own: scalar primitives made here from `math`, no wengert.numpy.

Each test runs in a fresh interpreter where the ``wengert`` package is a bare
namespace, so that importing ``wengert.core`` cannot pull the NumPy layer in;
the last check of every script is that ``wengert.numpy`` was never imported.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[1] / "src" / "wengert"

PRELUDE = f"""
import math, sys, types
package = types.ModuleType("wengert")
package.__path__ = [{str(SOURCE)!r}]
sys.modules["wengert"] = package
from wengert.core import (
    Dual, ForwardTrace, GraphTrace, Primitive, ReverseTracer, TapeTrace, Tracer, TracerLevelError,
    backward_pass, clear_cotangents, leaf_node, mark_needed, next_level, running, toposort,
    tree_flatten, tree_map, tree_unflatten,
)

# A scalar primitive library written for this test, rules in its own operations.
add = Primitive("add", lambda a, b: a + b)
mul = Primitive("mul", lambda a, b: a * b)
neg = Primitive("neg", lambda x: -x)
sin = Primitive("sin", math.sin)
cos = Primitive("cos", math.cos)
add.defjvp(lambda t, ans, a, b: t, lambda t, ans, a, b: t)
add.defvjp(lambda g, ans, a, b: g, lambda g, ans, a, b: g)
mul.defjvp(lambda t, ans, a, b: mul.bind(t, b), lambda t, ans, a, b: mul.bind(a, t))
mul.defvjp(lambda g, ans, a, b: mul.bind(g, b), lambda g, ans, a, b: mul.bind(g, a))
neg.defjvp(lambda t, ans, x: neg.bind(t))
neg.defvjp(lambda g, ans, x: neg.bind(g))
sin.defjvp(lambda t, ans, x: mul.bind(t, cos.bind(x)))
sin.defvjp(lambda g, ans, x: mul.bind(g, cos.bind(x)))
cos.defjvp(lambda t, ans, x: mul.bind(t, neg.bind(sin.bind(x))))
cos.defvjp(lambda g, ans, x: mul.bind(g, neg.bind(sin.bind(x))))

def grad(f):
    def df(x):
        trace = TapeTrace(next_level())
        with running(trace):
            tracer = trace.new_input(x)
            out = f(tracer)
        if not (isinstance(out, Tracer) and out._trace is trace):
            return 0.0
        out.cotangent = 1.0
        backward_pass(trace.tape[::-1])
        result = tracer.cotangent
        clear_cotangents(trace.tape)
        return 0.0 if result is None else result
    return df

def derivative(f):
    def df(x):
        trace = ForwardTrace(next_level())
        with running(trace):
            out = f(Dual(x, 1.0, trace))
        return out.tangent if isinstance(out, Dual) and out._trace is trace else 0.0
    return df
"""

EPILOGUE = """
assert "wengert.numpy" not in sys.modules, "the core imported the NumPy layer"
print("OK")
"""


def run_core_script(body: str) -> None:
    script = PRELUDE + textwrap.dedent(body) + EPILOGUE
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and result.stdout.strip().endswith("OK"), result.stderr or result.stdout


def test_reverse_and_forward_mode_first_derivative() -> None:
    run_core_script(
        """
        f = lambda x: mul.bind(sin.bind(x), mul.bind(x, x))  # x² sin x
        x = 1.5
        expected = math.cos(x) * x * x + 2 * x * math.sin(x)
        assert abs(grad(f)(x) - expected) < 1e-14
        assert abs(derivative(f)(x) - expected) < 1e-14
        """
    )


def test_higher_orders_in_all_nestings() -> None:
    run_core_script(
        """
        f = lambda x: mul.bind(sin.bind(x), mul.bind(x, x))
        x = 1.5
        second = -math.sin(x) * x * x + 4 * x * math.cos(x) + 2 * math.sin(x)
        third = -math.cos(x) * x * x - 6 * x * math.sin(x) + 6 * math.cos(x)
        for outer in (grad, derivative):
            for inner in (grad, derivative):
                assert abs(outer(inner(f))(x) - second) < 1e-12, (outer, inner)
        assert abs(grad(grad(grad(f)))(x) - third) < 1e-12
        assert abs(derivative(grad(derivative(f)))(x) - third) < 1e-12
        """
    )


def test_no_perturbation_confusion() -> None:
    run_core_script(
        """
        # d/dx [x * d/dy (x + y)] at any point is 1, not 2.
        for outer in (grad, derivative):
            for inner in (grad, derivative):
                f = lambda x: mul.bind(x, inner(lambda y: add.bind(x, y))(3.0))
                assert outer(f)(2.0) == 1.0, (outer, inner)
        """
    )


def test_fan_out_accumulates_and_symbolic_zeros() -> None:
    run_core_script(
        """
        # f(x) = x*x + x*x: the input fans out four times.
        f = lambda x: add.bind(mul.bind(x, x), mul.bind(x, x))
        assert grad(f)(3.0) == 12.0
        assert derivative(f)(3.0) == 12.0
        # A constant function has a zero derivative, without any rule running.
        assert grad(lambda x: 5.0)(3.0) == 0.0
        dual = Dual(2.0, None)
        assert dual.tangent == 0.0
        """
    )


def test_long_chain_has_no_recursion_limit() -> None:
    run_core_script(
        """
        def chain(x):
            for _ in range(100_000):
                x = mul.bind(x, 1.0000001)
            return x
        assert abs(grad(chain)(1.0) - 1.0000001 ** 100_000) < 1e-9
        # The graph trace sorts iteratively too.
        class Value(ReverseTracer):
            __slots__ = ("_version",)
            def __init__(self, primal, trace, node):
                super().__init__(primal, trace, node)
                self._version = [0, None]
        tape = GraphTrace(Value)
        x = Value(1.0, tape, leaf_node(1.0))
        y = x
        for _ in range(100_000):
            y = mul.bind(y, 1.0000001)
        order = toposort([y._node])
        assert len(order) == 100_001
        y._node.cotangent = 1.0
        order.reverse()
        backward_pass(order)
        assert abs(x._node.cotangent - 1.0000001 ** 100_000) < 1e-9
        """
    )


def test_graph_trace_prunes_to_targets() -> None:
    run_core_script(
        """
        class Value(ReverseTracer):
            __slots__ = ("_version",)
            def __init__(self, primal, trace, node):
                super().__init__(primal, trace, node)
                self._version = [0, None]
        tape = GraphTrace(Value)
        a = Value(2.0, tape, leaf_node(2.0))
        b = Value(3.0, tape, leaf_node(3.0))
        out = mul.bind(sin.bind(a), b)
        order = toposort([out._node])
        mark_needed(order, [a._node])
        assert not b._node.needed
        out._node.cotangent = 1.0
        order.reverse()
        backward_pass(order)
        assert b._node.cotangent is None
        assert abs(a._node.cotangent - 3.0 * math.cos(2.0)) < 1e-15
        """
    )


def test_escaped_tracer_is_an_error() -> None:
    run_core_script(
        """
        leaked = []
        grad(lambda x: leaked.append(x) or x)(1.0)
        def use_leak(y):
            return mul.bind(leaked[0], y)
        try:
            grad(use_leak)(2.0)
        except TracerLevelError as error:
            assert "escaped" in str(error)
        else:
            raise AssertionError("mixing a leaked tracer with a new trace of the same level must fail")
        """
    )


def test_pytrees_round_trip() -> None:
    run_core_script(
        """
        import collections, dataclasses
        Point = collections.namedtuple("Point", "x y")
        @dataclasses.dataclass
        class Params:
            w: float
            b: tuple
        tree = {"p": Point(1.0, 2.0), "q": [3.0, (4.0, None)], "r": Params(5.0, (6.0,))}
        leaves, treedef = tree_flatten(tree)
        assert leaves == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
        assert tree_unflatten(treedef, leaves) == tree
        doubled = tree_map(lambda v: 2 * v, tree)
        assert doubled["r"].b == (12.0,) and doubled["p"].y == 4.0
        assert tree_flatten(doubled)[1] == treedef
        """
    )


def test_deferred_primitive_forms_only_what_is_read() -> None:
    run_core_script(
        """
        from wengert.core import DeferredDual
        calls = {"impl": 0, "fused": 0}

        def scale_impl(a, x):
            calls["impl"] += x == 2.0  # count the primal's products only (the tangent is 1.0)
            return a * x

        def scale_fused(primals, tangents):
            calls["fused"] += 1
            a, x = primals
            return a * x, a * tangents[1]

        scale = Primitive(
            "scale", scale_impl,
            jvp=(None, lambda t, ans, a, x: scale.bind(a, t)),
            vjp=(None, lambda g, ans, a, x: scale.bind(a, g)),
            deferrable=True, jvp_fused=scale_fused,
        )
        trace = ForwardTrace(next_level())
        with running(trace):
            y = scale.bind(3.0, Dual(2.0, 1.0, trace))
        assert isinstance(y, DeferredDual) and y.computed == (False, False)
        # Only the tangent read: the primal is never formed.
        assert y.tangent == 3.0 and y.computed == (False, True) and calls == {"impl": 0, "fused": 0}
        assert y.primal == 6.0 and calls == {"impl": 1, "fused": 0}
        # The primal read first: one fused pass forms both.
        with running(trace):
            z = scale.bind(3.0, Dual(2.0, 1.0, trace))
        assert z.primal == 6.0 and z.computed == (True, True) and calls == {"impl": 1, "fused": 1}
        assert z.tangent == 3.0 and calls == {"impl": 1, "fused": 1}
        # Deferred values flow through further primitives and through reverse mode.
        assert derivative(lambda x: sin.bind(scale.bind(3.0, x)))(0.5) == 3.0 * math.cos(1.5)
        assert grad(lambda x: sin.bind(scale.bind(3.0, x)))(0.5) == 3.0 * math.cos(1.5)
        assert derivative(grad(lambda x: mul.bind(scale.bind(3.0, x), x)))(0.5) == 6.0
        # A rule that reads the output cannot be deferred.
        try:
            Primitive("bad", math.exp, jvp=(lambda t, ans, x: mul.bind(t, ans),), deferrable=True)
        except ValueError as error:
            assert "read its output" in str(error)
        else:
            raise AssertionError("a deferrable primitive whose JVP reads ans was accepted")
        """
    )


@pytest.mark.parametrize("name", ["core"])
def test_core_is_small(name: str) -> None:
    lines = 0
    for path in (SOURCE / name).glob("*.py"):
        for line in path.read_text().splitlines():
            stripped = line.strip()
            if stripped and not stripped.startswith("#"):
                lines += 1
    # Six interpreters (reverse, forward, batching, staging, Taylor, and second-order Taylor with its
    # collapsed streams, which replaced pinn's network recogniser), the primitive, traces and pytrees.
    assert lines < 1900, f"the core has {lines} lines of code; keep it under 1,900"
