"""Exact or loud: no transformation loses a derivative without an error.

A traced value converted to a concrete NumPy array or Python number inside
``grad``, ``jvp``, ``vmap``… raises `wg.errors.TracerConversionError`, naming
the conversion, the transformation and the user's line; written with the
differentiable spelling, the same program gives the right derivative. The
Tensor dialect follows PyTorch: ``np.asarray(t)`` / ``t.numpy()`` refuse a
tensor that requires grad, ``float(t)`` and ``t.item()`` give numbers. A
tracer used after its transformation returned raises `UnexpectedTracerError`.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert.errors import TracerConversionError, UnexpectedTracerError

VECTOR = np.array([0.3, -0.7, 1.1])


def run(transformation: str, function, x):
    """Apply ``function`` at ``x`` under one transformation; return what a user would compare."""
    if transformation == "grad":
        return wg.grad(lambda v: wnp.sum(function(v)))(x)
    if transformation == "jvp":
        return wg.jvp(function, (x,), (np.ones_like(x),))[1]
    if transformation == "vmap":
        return wg.vmap(function)(np.stack([x, 2.0 * x]))
    raise ValueError(transformation)


TRANSFORMATIONS = ["grad", "jvp", "vmap"]


# -- the silent-loss patterns: each must raise, naming the conversion -----------------------


def item_assignment(x):
    y = np.zeros(3)
    y[0] = x
    y[1] = x**2
    return wnp.sum(y)


def row_assignment(x):
    y = np.zeros((2, 3))
    y[0] = x
    return y


def empty_like_then_fill(x):
    y = np.empty_like(x)
    for i in range(len(x)):
        y[i] = x[i] ** 2
    return y


def asarray_times_itself(x):
    return np.asarray(x) * x


def np_array_of_traced_scalars(x):
    return np.array([x, 2 * x])


def math_sin(x):
    return math.sin(x) * x


def math_exp(x):
    return math.exp(x)


def index_trick_r(x):
    return np.r_[x, x**2]


def index_trick_c(x):
    return np.c_[x, x**2]


def to_list(x):
    return sum(x.tolist())


def to_float(x):
    return float(x) * x


def to_int(x):
    return int(x) * x


def to_complex(x):
    return complex(x).real * x


def as_an_index(x):
    return [1.0, 2.0, 3.0][x] * x


def item(x):
    return x.item() * x


LOUD = [
    # (function, argument, the words the message must hold)
    (row_assignment, VECTOR, "np.asarray, np.array"),
    (asarray_times_itself, VECTOR, "np.asarray, np.array"),
    (np_array_of_traced_scalars, 0.7, "np.asarray, np.array"),
    (math_sin, 0.7, "float()"),
    (math_exp, 0.7, "float()"),
    (index_trick_r, VECTOR, "np.r_/np.c_"),
    (index_trick_c, VECTOR, "np.r_/np.c_"),
    (to_list, VECTOR, ".tolist()"),
    (to_float, 0.7, "float()"),
    (to_int, 0.7, "int()"),
    (to_complex, 0.7, "complex()"),
    (as_an_index, 1.0, "as an integer"),
    (item, 0.7, ".item()"),
]


@pytest.mark.parametrize("transformation", TRANSFORMATIONS)
@pytest.mark.parametrize("function, argument, words", LOUD, ids=[case[0].__name__ for case in LOUD])
def test_converting_a_traced_value_raises_naming_the_conversion_the_transformation_and_the_line(
    function, argument, words, transformation
):
    with pytest.raises(TracerConversionError) as caught:
        run(transformation, function, np.asarray(argument, dtype=float) if np.ndim(argument) else argument)
    message = str(caught.value)
    assert words in message
    assert message.startswith(transformation) or f"{transformation} cannot" in message
    # The user's own line, with its source text: the file and the line of the conversion.
    assert __file__ in message
    source_line = {
        row_assignment: "y[0] = x",
        asarray_times_itself: "np.asarray(x) * x",
        np_array_of_traced_scalars: "np.array([x, 2 * x])",
        math_sin: "math.sin(x) * x",
        math_exp: "math.exp(x)",
        index_trick_r: "np.r_[x, x**2]",
        index_trick_c: "np.c_[x, x**2]",
        to_list: "x.tolist()",
        to_float: "float(x) * x",
        to_int: "int(x) * x",
        to_complex: "complex(x).real * x",
        as_an_index: "[1.0, 2.0, 3.0][x] * x",
        item: "x.item() * x",
    }[function]
    assert source_line in message
    if transformation != "vmap":
        assert "stop_gradient" in message and "derivative would be lost" in message


@pytest.mark.parametrize("transformation", TRANSFORMATIONS)
@pytest.mark.parametrize("function, argument", [(item_assignment, 0.7), (empty_like_then_fill, VECTOR)])
def test_storing_a_traced_scalar_into_a_numpy_array_is_refused(function, argument, transformation):
    # NumPy reports a failed element assignment with its own ValueError, raised from ours:
    # the traceback shows the TracerConversionError (with the line and the fix) as its cause.
    with pytest.raises(ValueError, match="setting an array element") as caught:
        run(transformation, function, argument)
    cause = caught.value.__cause__
    assert isinstance(cause, TracerConversionError)
    assert "y[i] = x" in str(cause) and "x.at[i].set(v)" in str(cause) and __file__ in str(cause)


def test_the_error_names_the_public_transformation_in_use():
    for name, call in [
        ("jacfwd", lambda: wg.jacfwd(asarray_times_itself)(VECTOR)),
        ("jacrev", lambda: wg.jacrev(asarray_times_itself)(VECTOR)),
        ("hessian", lambda: wg.hessian(lambda v: wnp.sum(asarray_times_itself(v)))(VECTOR)),
        ("vjp", lambda: wg.vjp(asarray_times_itself, VECTOR)),
        ("value_and_grad", lambda: wg.value_and_grad(lambda v: wnp.sum(asarray_times_itself(v)))(VECTOR)),
        ("hvp", lambda: wg.hvp(lambda v: wnp.sum(asarray_times_itself(v)), (VECTOR,), (VECTOR,))),
    ]:
        with pytest.raises(TracerConversionError) as caught:
            call()
        first_words = str(caught.value).split(" cannot")[0]
        assert first_words in {name, "grad", "jvp", "jacfwd", "jacrev", "vjp", "hvp"}, (name, first_words)


def test_the_issue_examples_now_raise_or_are_right():
    with pytest.raises(ValueError) as caught:
        wg.grad(item_assignment)(3.0)
    assert isinstance(caught.value.__cause__, TracerConversionError)
    with pytest.raises(TracerConversionError):
        wg.grad(lambda x: wnp.sum(np.asarray(x) * x))(np.array([1.0, 2.0]))
    t = wg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="detach"):
        (t * np.asarray(t)).sum().backward()
    with pytest.raises(TracerConversionError):
        wg.grad(lambda x: math.sin(x) * x)(1.0)
    assert wg.grad(lambda x: wnp.mean([x, x + 2.0]))(0.0) == 1.0
    with pytest.raises(TracerConversionError):
        wg.jvp(lambda x: np.array([x, 2 * x]), (0.7,), (1.0,))


# -- the differentiable spellings of the same programs give the right derivatives -------------


def spelled_item_assignment(x):
    y = wnp.zeros(3)
    y = wnp.stack([x, x**2, y[2]])
    return wnp.sum(y)


def spelled_asarray(x):
    return wnp.asarray(x) * x


def spelled_array_of_scalars(x):
    return wnp.array([x, 2 * x])


def spelled_math(x):
    return wnp.sin(x) * x


def spelled_concatenate(x):
    return np.concatenate([x, x**2])  # NumPy's function dispatches to wengert's


def spelled_constant(x):
    return float(wg.stop_gradient(x)) * x if np.ndim(x) == 0 else wg.stop_gradient(x) * x


SPELLED = [
    # (function, argument, its exact derivative along ones, for jvp)
    (spelled_item_assignment, 0.7, lambda x: 1 + 2 * x),
    (spelled_asarray, VECTOR, lambda x: 2 * x),
    (spelled_array_of_scalars, 0.7, lambda x: np.array([1.0, 2.0])),
    (spelled_math, 0.7, lambda x: np.cos(x) * x + np.sin(x)),
    (spelled_concatenate, VECTOR, lambda x: np.concatenate([np.ones_like(x), 2 * x])),
    (spelled_constant, VECTOR, lambda x: x),
]


@pytest.mark.parametrize("function, argument, derivative", SPELLED, ids=[case[0].__name__ for case in SPELLED])
def test_the_differentiable_spellings_give_the_right_derivative(function, argument, derivative):
    x = np.asarray(argument, dtype=float)
    np.testing.assert_allclose(run("jvp", function, x), derivative(x), rtol=1e-14)
    expected_gradient = wg.jacfwd(lambda v: wnp.sum(function(v)))(x)
    np.testing.assert_allclose(run("grad", function, x), expected_gradient, rtol=1e-14)
    plain = np.stack([function(x), function(2.0 * x)])
    np.testing.assert_allclose(run("vmap", function, x), plain, rtol=1e-14)


LIST_FUNCTIONS = [
    ("sum", wnp.sum),
    ("mean", wnp.mean),
    ("prod", wnp.prod),
    ("max", wnp.max),
    ("std", lambda v: wnp.std(v) + 1.0),
    ("sin", wnp.sin),
    ("exp", wnp.exp),
    ("square", wnp.square),
    ("maximum", lambda v: wnp.maximum(v, 0.5)),
    ("multiply", lambda v: wnp.multiply(v, [2.0, 3.0, 4.0])),
    ("dot", lambda v: wnp.dot(v, [1.0, 2.0, 3.0])),
    ("cumsum", wnp.cumsum),
    ("sort", lambda v: wnp.sort(v) if hasattr(wnp, "sort") else v),
    ("where", lambda v: wnp.where([True, False, True], v, 0.0)),
    ("clip", lambda v: wnp.clip(v, 0.0, 2.0)),
    ("reshape", lambda v: wnp.reshape(v, (3, 1))),
    ("norm", wnp.linalg.norm),
    ("outer", lambda v: wnp.outer(v, v)),
    ("matmul", lambda v: wnp.matmul(np.ones((2, 3)), v)),
    ("logsumexp", wnp.logsumexp),
]


@pytest.mark.parametrize("name, function", LIST_FUNCTIONS, ids=[name for name, _ in LIST_FUNCTIONS])
@pytest.mark.parametrize("container", [list, tuple])
def test_wnp_functions_stack_lists_of_traced_values(name, function, container):
    """``wnp.f([a, b, c])`` means ``wnp.f(wnp.stack([a, b, c]))``, as NumPy reads a list of numbers."""
    x = np.array([0.4, 1.3, 0.9])

    def on_list(v):
        return wnp.sum(function(container([v[0], v[1] * 2.0, wnp.sin(v[2])])))

    def on_array(v):
        return wnp.sum(function(wnp.stack([v[0], v[1] * 2.0, wnp.sin(v[2])])))

    np.testing.assert_allclose(wg.grad(on_list)(x), wg.grad(on_array)(x), rtol=1e-14)
    np.testing.assert_allclose(
        wg.jvp(on_list, (x,), (np.ones(3),))[1], wg.jvp(on_array, (x,), (np.ones(3),))[1], rtol=1e-14
    )
    np.testing.assert_allclose(wg.vmap(on_list)(np.stack([x, x + 1])), wg.vmap(on_array)(np.stack([x, x + 1])))


# -- branching keeps working in eager transformations -----------------------------------------


def relu_by_branch(x):
    if x > 0:
        return x * x
    return -x


@pytest.mark.parametrize("x, slope", [(1.5, 3.0), (-2.0, -1.0)])
def test_python_branching_on_a_value_is_the_derivative_of_the_branch_taken(x, slope):
    assert wg.grad(relu_by_branch)(x) == slope
    assert wg.jvp(relu_by_branch, (x,), (1.0,))[1] == slope
    assert bool(wg.Dual(x, 1.0) > 0) is (x > 0)
    t = wg.tensor(x, requires_grad=True)
    relu_by_branch(t).backward()
    assert float(t.grad) == slope


def test_branching_on_a_batched_value_inside_vmap_says_to_use_where():
    with pytest.raises(TracerConversionError, match=r"vmap cannot follow.*truth value.*wnp.where") as caught:
        wg.vmap(relu_by_branch)(np.array([1.0, -1.0]))
    assert "if x > 0:" in str(caught.value)


# -- the Tensor dialect follows PyTorch -----------------------------------------------------


def test_tensors_that_require_grad_refuse_numpy_arrays_but_give_python_numbers():
    t = wg.tensor([1.5, -2.0], requires_grad=True)
    for convert in (np.asarray, np.array, lambda v: v.numpy(), lambda v: row_assignment(v)):
        with pytest.raises(RuntimeError, match=r"Can't call numpy\(\) on Tensor that requires grad"):
            convert(t)
    assert float(t[0]) == 1.5 and t[1].item() == -2.0 and t.tolist() == [1.5, -2.0] and int(t[1]) == -2
    np.testing.assert_array_equal(t.detach().numpy(), [1.5, -2.0])
    np.testing.assert_array_equal(np.asarray(t.detach()), [1.5, -2.0])
    assert wg.tensor([1.0, 2.0]).numpy().tolist() == [1.0, 2.0]  # no requires_grad: no refusal


def test_tensors_inside_functional_transformations_are_traced_values():
    w = wg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TracerConversionError, match="grad cannot follow"):
        wg.grad(lambda x: wnp.sum(np.asarray(x * w)))(np.array([1.0, 1.0]))


# -- escaped tracers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "transformation, call",
    [
        ("grad", lambda f: wg.grad(f)(1.0)),
        ("jvp", lambda f: wg.jvp(f, (1.0,), (1.0,))),
        ("vmap", lambda f: wg.vmap(f)(np.ones(2))),
        ("jacrev", lambda f: wg.jacrev(f)(1.0)),
    ],
)
def test_a_tracer_used_after_its_transformation_returned_names_that_transformation(transformation, call):
    kept = []

    def keep(x):
        kept.append(x)
        return x * 2.0

    call(keep)
    escaped = kept[0]
    for use in (lambda: wnp.sin(escaped), lambda: escaped * 3.0, lambda: 3.0 + escaped, lambda: escaped[None]):
        with pytest.raises(UnexpectedTracerError, match=rf"after {transformation} had returned.*escaped"):
            use()
    with pytest.raises(UnexpectedTracerError, match="escaped"):
        float(escaped)
    with pytest.raises(UnexpectedTracerError, match="escaped"):
        wg.grad(lambda y: wnp.sum(y * escaped))(1.0)


def test_a_users_dual_inside_a_transformation_escapes_with_it():
    kept = []

    def make_dual(x):
        kept.append(wg.Dual(1.0, 1.0))
        return x * 2.0

    wg.grad(make_dual)(1.0)
    with pytest.raises(UnexpectedTracerError):
        kept[0] * 2.0
    # Duals made outside any transformation stay usable.
    y = wg.Dual(2.0, 1.0)
    assert (wnp.sin(y) * y).tangent == pytest.approx(math.cos(2.0) * 2.0 + math.sin(2.0))


# -- constructors of the engine's own values validate what they are given ----------------------


@pytest.mark.parametrize(
    "data, words",
    [
        (["a", "b"], "holds strings"),
        ([object(), 1.0], "holds Python objects"),
        ({"a": 1}, "holds Python objects"),
        ([[1.0, 2.0], [3.0]], "could not make a numeric array"),
        (np.array([1 + 2j]), "complex tensors are not supported"),
    ],
)
def test_tensor_refuses_data_that_is_not_numbers(data, words):
    with pytest.raises(TypeError, match=words):
        wg.tensor(data)


def test_tensor_of_a_traced_value_or_of_tensors_that_require_grad_is_refused():
    with pytest.raises(TypeError, match="drop its derivative"):
        wg.grad(lambda x: wg.tensor(x).sum())(1.0)
    with pytest.raises(TracerConversionError):
        wg.grad(lambda x: wg.tensor([x, x]).sum())(1.0)
    t = wg.tensor(1.0, requires_grad=True)
    with pytest.raises(RuntimeError, match="detach"):
        wg.tensor([t, t])


@pytest.mark.parametrize(
    "primal, tangent, error, words",
    [
        (np.ones(3), np.ones(2), ValueError, r"tangent has shape \(2,\) but the primal has shape \(3,\)"),
        (1.0, np.ones(2), ValueError, r"tangent has shape \(2,\) but the primal has shape \(\)"),
        ("a", 1.0, TypeError, "primal must be a number or a numeric array, got str"),
        ([1.0, 2.0], [1.0, 0.0], TypeError, "the primal is a list"),
        (1.0, 1j, TypeError, "complex tangents are not supported"),
        (np.array(["x"]), None, TypeError, "must be numeric"),
    ],
)
def test_dual_refuses_parts_that_do_not_fit(primal, tangent, error, words):
    with pytest.raises(error, match=words):
        wg.Dual(primal, tangent)


def test_printing_a_traced_value_with_a_format_shows_its_value():
    seen = []

    def f(x):
        seen.append(f"{x:.3f}")
        return wnp.sin(x)

    assert wg.grad(f)(1.0) == pytest.approx(math.cos(1.0))
    assert seen == ["1.000"]
