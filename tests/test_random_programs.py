"""Random short programs over wengert.numpy, differentiated and checked against finite differences and JAX.

Each example is a program of 1-8 operations (plus the guards that keep it in a smooth domain, see
`programs.py`) over random input shapes of rank 0-3 that broadcast together. For each, wengert's ``grad``
of a scalar loss sum(W * sin(f(x))), its ``jvp`` of f along a random direction, and its ``hvp`` of the loss
are compared with 4-point central differences (|error| <= 1e-7 · max|reference| + 1e-10 · the largest value
in the program); ``vmap`` of f and of the gradient is compared with a loop over the examples (1e-12); when
JAX is installed, the value, grad, jvp and hvp are compared with JAX's (1e-10). A failing example is shrunk
by Hypothesis and printed as a standalone script that reproduces the failing check.

The runs are derandomized (the same examples every time, no example database). Set
WENGERT_HYPOTHESIS_EXAMPLES=2000 for a long, randomized bug hunt (each test runs that many examples; the
JAX test half as many).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, note, settings
from hypothesis import strategies as st

import wengert as wg
import wengert.numpy as wnp
from programs import (
    CHECKS,
    KINK_MARGIN,
    Const,
    Op,
    Program,
    Ref,
    assert_close,
    evaluate,
    function,
    jax_supported,
    kink_margin,
    loss_function,
    programs,
    sample_inputs,
    snippet,
    value_scale,
)
from wengert.numpy._primitives import REGISTRY

LONG_RUN = int(os.environ.get("WENGERT_HYPOTHESIS_EXAMPLES", "0"))


def examples(count: int, long_run_share: float = 1.0) -> settings:
    """``count`` derandomized examples; in a long run, that share of its count, randomized."""
    return settings(
        max_examples=max(1, int(LONG_RUN * long_run_share)) if LONG_RUN else count,
        derandomize=not LONG_RUN,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
        print_blob=bool(LONG_RUN),
    )


def _setup(program: Program, seed: int, structural_ok: bool = True) -> tuple[tuple, tuple, float]:
    """Inputs and a direction for the example, rejected when it sits near a kink; and its value scale."""
    inputs = sample_inputs(program, seed)
    assume(kink_margin(program, inputs, structural_ok) > KINK_MARGIN)
    rng = np.random.default_rng(seed + 1)
    direction = tuple(rng.uniform(-1.0, 1.0, np.shape(x)) for x in inputs)
    return inputs, direction, value_scale(program, inputs)


def _check(program: Program, seed: int, check: str) -> None:
    inputs, direction, scale = _setup(program, seed)
    note(snippet(program, inputs, check, direction, scale))
    f, loss = function(program), loss_function(program)
    if check == "grad":
        CHECKS[check](loss, inputs, scale)
    elif check == "jvp":
        CHECKS[check](f, inputs, direction, scale)
    else:
        CHECKS[check](loss, inputs, direction, scale)


@examples(250)
@given(program=programs(), seed=st.integers(0, 2**16))
def test_grad_matches_finite_differences(program: Program, seed: int) -> None:
    _check(program, seed, "grad")


@examples(250)
@given(program=programs(), seed=st.integers(0, 2**16))
def test_jvp_matches_finite_differences(program: Program, seed: int) -> None:
    _check(program, seed, "jvp")


@examples(200)
@given(program=programs(), seed=st.integers(0, 2**16))
def test_hvp_matches_finite_differences_of_the_gradient(program: Program, seed: int) -> None:
    _check(program, seed, "hvp")


@st.composite
def batch_axes(draw: Any, program: Program) -> tuple[tuple, int]:
    """in_axes (an axis of each input, or None; not all None, negative ones too) and out_axes (0 or -1)."""
    in_axes = [draw(st.none() | st.integers(-len(shape) - 1, len(shape))) for shape in program.input_shapes]
    if all(axis is None for axis in in_axes):
        in_axes[0] = 0
    return tuple(in_axes), draw(st.sampled_from([0, -1]))


@examples(150)
@given(program=programs(), seed=st.integers(0, 2**16), data=st.data())
def test_vmap_matches_a_loop_over_examples(program: Program, seed: int, data: st.DataObject) -> None:
    # A known bug (test_vmap_keeps_the_batch_axis_first_when_an_int_and_an_array_index_are_apart) is left out.
    in_axes, out_axes = data.draw(batch_axes(program))
    inputs = sample_inputs(program, seed, in_axes)
    size = next(np.shape(x)[a] for x, a in zip(inputs, in_axes) if a is not None)
    scale = 1.0
    for i in range(size):
        example = tuple(x if a is None else np.take(x, i, axis=a) for x, a in zip(inputs, in_axes))
        assume(kink_margin(program, example) > KINK_MARGIN)
        scale = max(scale, value_scale(program, example))
    note(snippet(program, inputs, "vmap", scale=scale, axes=(in_axes, out_axes)))
    CHECKS["vmap"](function(program), loss_function(program), inputs, in_axes, out_axes, scale)


def test_vmap_keeps_the_batch_axis_first_when_an_int_and_an_array_index_are_apart() -> None:
    batch = np.arange(48.0).reshape(2, 3, 4, 2)
    select = lambda a: a[0, :, np.array([1])]  # noqa: E731  (per example (3, 4, 2) -> (1, 4))
    looped = np.stack([select(a) for a in batch])  # (2, 1, 4), as jax.vmap gives
    np.testing.assert_array_equal(wg.vmap(select)(batch), looped)


@pytest.fixture(scope="module")
def jax():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    return jax


def test_programs_match_jax(jax) -> None:
    @examples(40, long_run_share=0.5)  # a JAX compilation an example: about 0.2 s
    @given(program=programs(), seed=st.integers(0, 2**16))
    def matches(program: Program, seed: int) -> None:
        # JAX's conventions at kinks differ (std'(0) is NaN there): no exact ties either.
        assume(jax_supported(program))
        inputs, direction, scale = _setup(program, seed, structural_ok=False)
        note(snippet(program, inputs, "jax", direction, scale))
        CHECKS["jax"](
            function(program),
            loss_function(program),
            function(program, "jax"),
            loss_function(program, "jax"),
            inputs,
            direction,
            scale,
        )

    matches()


# -- the checks catch a wrong rule ----------------------------------------------------------------------------


def _sine_with_error(first: float, second: float) -> Any:
    """sin whose first derivative is off by a factor ``first`` and second derivative by ``second``."""

    @wg.custom_jvp
    def cosine(x: Any) -> Any:
        return wnp.cos(x)

    @cosine.defjvp
    def _(primals: tuple, tangents: tuple) -> tuple:
        return cosine(primals[0]), -tangents[0] * wnp.sin(primals[0]) * second

    @wg.custom_jvp
    def sine(x: Any) -> Any:
        return wnp.sin(x)

    @sine.defjvp
    def _(primals: tuple, tangents: tuple) -> tuple:
        return sine(primals[0]), tangents[0] * cosine(primals[0]) * first

    return sine


@pytest.mark.parametrize(
    ("check", "first", "second"),
    [("grad", 1 + 1e-6, 1.0), ("jvp", 1 + 1e-6, 1.0), ("hvp", 1.0, 1 + 1e-6)],
)
def test_the_checks_catch_a_rule_off_by_one_part_in_a_million(check: str, first: float, second: float) -> None:
    inputs = (np.array([[0.3, -1.1, 0.7], [1.9, 0.4, -0.6]]), np.array([0.9, 1.3, 0.55]))
    direction = (np.full((2, 3), 0.5), np.array([0.5, -1.0, 0.25]))

    def program(sine: Any) -> tuple[Any, Any]:
        f = lambda x, y: sine(x * y) + x  # noqa: E731
        return f, lambda x, y: wnp.sum(wnp.sin(f(x, y)))

    for factors, fails in (((1.0, 1.0), False), ((first, second), True)):
        f, loss = program(_sine_with_error(*factors))
        arguments = (loss, inputs, 2.0) if check == "grad" else (f if check == "jvp" else loss, inputs, direction, 2.0)
        if fails:
            with pytest.raises(AssertionError, match=check):
                CHECKS[check](*arguments)
        else:
            CHECKS[check](*arguments)


# -- the printed snippet is the program -------------------------------------------------------------------------


def _fixed_program() -> Program:
    """Two inputs (2, 3) and (3,), one of each kind of rendering: infix, method, attribute, index, pick, list."""
    ops = [
        Op("*", (Ref(0), Ref(1))),  # t2 = x0 * x1
        Op("[]", (Ref(2), (slice(None, None, -1), np.array([2, 0, 0])))),  # t3 = t2[::-1, [2, 0, 0]]
        Op(".sum", (Ref(3),), (("axis", 0), ("keepdims", True))),  # t4 = t3.sum(axis=0, keepdims=True)
        Op("+", (Const(0), Ref(4))),  # t5 = c0 + t4
        Op("concatenate", ([Ref(5), Ref(3)],), (("axis", 0),)),  # t6: (3, 3)
        Op("einsum", ("ij,j->i", Ref(6), Ref(1))),
        Op("softplus", (Ref(7),)),
        Op("[]", (Ref(6), (None, Ellipsis, 1))),
        Op(".T", (Ref(9),)),
        Op("@", (Ref(8), Ref(10))),
        Op("+", (Ref(8), Ref(11))),
        Op("linalg.slogdet", (Ref(6),), pick=1),
        Op("*", (Ref(12), Ref(13))),
    ]
    return Program([(2, 3), (3,)], [False, True], [np.array([[0.5, -1.25, 2.0]])], ops)


def _run_snippet(source: str) -> dict:
    namespace: dict = {"__name__": "snippet"}
    exec(compile(source, "<snippet>", "exec"), namespace)  # noqa: S102
    return namespace


def test_snippet_of_a_fixed_program_reproduces_its_value() -> None:
    program = _fixed_program()
    inputs = (np.array([[0.3, -1.1, 0.7], [1.9, 0.4, -0.6]]), np.array([0.9, 1.3, 0.55]))
    source = snippet(program, inputs, "value")
    assert "t3 = t2[::-1, np.array([2, 0, 0], dtype=np.int64)]" in source
    assert "t4 = t3.sum(axis=0, keepdims=True)" in source
    assert "t13 = wnp.linalg.slogdet(t6)[1]" in source
    assert "t10 = t9.T" in source
    namespace = _run_snippet(source)
    expected = evaluate(program, inputs)
    np.testing.assert_array_equal(namespace["f"](*namespace["inputs"]), expected)
    # The check snippets run standalone too, and pass on a program whose derivatives are right.
    direction = (np.ones((2, 3)), np.array([0.5, -1.0, 0.25]))
    for check in ("grad", "jvp", "hvp"):
        _run_snippet(snippet(program, inputs, check, direction, value_scale(program, inputs)))
    batched = sample_inputs(program, 0, in_axes=(None, -1))
    _run_snippet(snippet(program, batched, "vmap", scale=10.0, axes=((None, -1), 0)))


def test_a_printed_snippet_reproduces_a_wrong_gradient(monkeypatch: pytest.MonkeyPatch) -> None:
    """With sin's VJP rule off by one part in 10⁴, the grad snippet of a program using sin raises."""
    sine = REGISTRY["sin"]
    (rule,) = sine.vjp
    program = _fixed_program()
    inputs = (np.array([[0.3, -1.1, 0.7], [1.9, 0.4, -0.6]]), np.array([0.9, 1.3, 0.55]))
    source = snippet(program, inputs, "grad", scale=value_scale(program, inputs))
    monkeypatch.setattr(sine, "vjp", (lambda *args, **params: rule(*args, **params) * 1.0001,))
    monkeypatch.setattr(sine, "_read_positions", None)
    with pytest.raises(AssertionError, match="grad wrt x"):
        _run_snippet(source)


def test_a_failing_check_raises_with_both_values() -> None:
    with pytest.raises(AssertionError, match=r"grad wrt x0: max error .*\n  got .*\n  expected"):
        assert_close("grad wrt x0", np.array([1.0, 2.0]), np.array([1.0, 2.1]), scale=1.0)
    with pytest.raises(AssertionError, match="not finite"):
        assert_close("hvp", np.array([np.nan]), np.array([0.0]), scale=1.0)


@examples(100)
@given(program=programs(), seed=st.integers(0, 2**16))
def test_rendered_source_computes_what_the_interpreter_does(program: Program, seed: int) -> None:
    inputs = sample_inputs(program, seed)
    source = snippet(program, inputs, "value")
    note(source)
    namespace = _run_snippet(source)
    np.testing.assert_array_equal(namespace["f"](*inputs), evaluate(program, inputs))
