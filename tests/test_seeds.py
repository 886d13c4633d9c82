"""The seeds' worked examples, with their published numbers, each derivative by several routes.

Routes: forward mode with `wg.Dual` (one seeded input at a time), reverse mode
with the PyTorch dialect (`Tensor.backward()`), and the JAX dialect (`wg.grad`).
"""

import math

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp


def gradient_by_duals(f, point):
    """∂f/∂x_i for each i: one forward pass per input, that input's tangent seeded with 1."""
    partials = []
    for i in range(len(point)):
        duals = [wg.Dual(float(x), 1.0 if j == i else 0.0) for j, x in enumerate(point)]
        out = f(*duals)
        partials.append(float(out.tangent))
    return partials


def gradient_by_backward(f, point):
    leaves = [wg.tensor(float(x), requires_grad=True) for x in point]
    f(*leaves).backward()
    return [float(leaf.grad) for leaf in leaves]


def gradient_by_grad(f, point):
    return [float(g) for g in wg.grad(f, argnums=tuple(range(len(point))))(*map(float, point))]


ROUTES = [gradient_by_duals, gradient_by_backward, gradient_by_grad]


# -- f(x1, x2) = ln x1 + x1·x2 − sin x2, the running example --------------------------------


def running_example(x1, x2):
    return wnp.log(x1) + x1 * x2 - wnp.sin(x2)


def test_running_example_value():
    assert running_example(2.0, 5.0) == pytest.approx(11.6521, abs=1e-4)


def test_running_example_dual_numbers_seed_one_input_at_a_time():
    first = running_example(wg.Dual(2.0, 1.0), wg.Dual(5.0, 0.0))
    second = running_example(wg.Dual(2.0, 0.0), wg.Dual(5.0, 1.0))
    assert first.primal == pytest.approx(11.6521, abs=1e-4)
    assert second.primal == pytest.approx(11.6521, abs=1e-4)
    assert first.tangent == pytest.approx(5.5, rel=1e-15)
    assert second.tangent == pytest.approx(2.0 - math.cos(5.0), rel=1e-15)
    assert second.tangent == pytest.approx(1.7163, abs=1e-4)  # the adjoint table's last line


def test_running_example_backward_fills_both_leaves():
    x1 = wg.tensor(2.0, requires_grad=True)
    x2 = wg.tensor(5.0, requires_grad=True)
    y = running_example(x1, x2)
    y.backward()
    assert y.item() == pytest.approx(11.6521, abs=1e-4)
    assert x1.grad.item() == pytest.approx(5.5, rel=1e-15)
    assert x2.grad.item() == pytest.approx(2.0 - math.cos(5.0), rel=1e-15)


def test_running_example_grad_with_two_argnums():
    d1, d2 = wg.grad(running_example, argnums=(0, 1))(2.0, 5.0)
    assert d1 == pytest.approx(5.5, rel=1e-15)
    assert d2 == pytest.approx(2.0 - math.cos(5.0), rel=1e-15)


# -- small examples: (function, point, analytic gradient) ------------------------------------

EXAMPLES = [
    pytest.param(lambda x1, x2: x1**2 + x2, (2.0, 3.0), (4.0, 1.0), id="x1^2+x2"),
    pytest.param(lambda x: x**3 + wnp.log(x), (2.0,), (12.5,), id="x^3+ln(x)"),
    pytest.param(
        lambda x, y: x * wnp.sin(y),
        (3.0, math.pi / 6),
        (0.5, 3.0 * math.cos(math.pi / 6)),
        id="x*sin(y)",
    ),
    pytest.param(lambda x: wnp.sqrt(x**2 + 1.0), (3.0,), (3.0 / math.sqrt(10.0),), id="sqrt(x^2+1)"),
    *[
        pytest.param(
            lambda x: wnp.sin(x**2) + wnp.exp(x),
            (x,),
            (2.0 * x * math.cos(x**2) + math.exp(x),),
            id=f"sin(x^2)+exp(x) at {x}",
        )
        for x in (-1.3, 0.0, 0.5, 2.0)
    ],
]


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.__name__)
@pytest.mark.parametrize("f, point, expected", EXAMPLES)
def test_gradient_matches_the_analytic_formula(route, f, point, expected):
    assert route(f, point) == pytest.approx(list(expected), rel=1e-14, abs=1e-14)


def test_published_roundings():
    value, slope = wg.value_and_grad(lambda x: x**3 + wnp.log(x))(2.0)
    assert (round(value, 4), slope) == (8.6931, 12.5)
    value, slope = wg.value_and_grad(lambda x: wnp.sqrt(x**2 + 1.0))(3.0)
    assert (round(value, 4), round(slope, 4)) == (3.1623, 0.9487)
    assert round(gradient_by_grad(lambda x, y: x * wnp.sin(y), (3.0, math.pi / 6))[1], 3) == 2.598


# -- sin(x)·x² at 1.5: first, second and third derivatives ----------------------------------

X = 1.5
SIN, COS = math.sin(X), math.cos(X)
DERIVATIVES = [
    SIN * X**2,
    COS * X**2 + 2 * X * SIN,
    -SIN * X**2 + 4 * X * COS + 2 * SIN,
    -COS * X**2 - 6 * X * SIN + 6 * COS,
]


def sin_times_square(x):
    return wnp.sin(x) * x**2


def test_higher_derivatives_by_nested_autograd_grad():
    x = wg.tensor(X, requires_grad=True)
    y = sin_times_square(x)
    (dy,) = wg.autograd.grad(y, x, create_graph=True)
    (d2y,) = wg.autograd.grad(dy, x, create_graph=True)
    (d3y,) = wg.autograd.grad(d2y, x)
    values = [y.item(), dy.item(), d2y.item(), d3y.item()]
    assert values == pytest.approx(DERIVATIVES, rel=1e-13)
    assert (round(values[1], 4), round(values[2], 4)) == (3.1516, 0.1750)  # the post's printed values
    assert dy.requires_grad and d2y.requires_grad and not d3y.requires_grad


def test_higher_derivatives_by_nested_grad():
    first = wg.grad(sin_times_square)
    second = wg.grad(first)
    third = wg.grad(second)
    assert [first(X), second(X), third(X)] == pytest.approx(DERIVATIVES[1:], rel=1e-13)


def forward_derivative(f):
    return lambda x: wg.jvp(f, (x,), (1.0,))[1]


def test_higher_derivatives_by_nested_jvp():
    first = forward_derivative(sin_times_square)
    second = forward_derivative(first)
    third = forward_derivative(second)
    assert [first(X), second(X), third(X)] == pytest.approx(DERIVATIVES[1:], rel=1e-13)


def test_higher_derivatives_on_an_array_of_points():
    xs = np.linspace(-2.0, 2.0, 7)
    x = wg.tensor(xs, requires_grad=True)
    (dy,) = wg.autograd.grad(sin_times_square(x).sum(), x, create_graph=True)
    (d2y,) = wg.autograd.grad(dy.sum(), x)
    np.testing.assert_allclose(dy.detach().numpy(), np.cos(xs) * xs**2 + 2 * xs * np.sin(xs), rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(
        d2y.numpy(), -np.sin(xs) * xs**2 + 4 * xs * np.cos(xs) + 2 * np.sin(xs), rtol=1e-13, atol=1e-14
    )


# -- the same worked examples by the second strategy: staged, compiled, generated source ------


def gradient_by_jit(f, point):
    argnums = tuple(range(len(point)))
    return list(wg.jit(wg.grad(f, argnums=argnums))(*point))


@pytest.mark.parametrize("f, point, expected", EXAMPLES)
def test_compiled_gradients_match_the_analytic_formula(f, point, expected):
    assert gradient_by_jit(f, point) == pytest.approx(list(expected), rel=1e-14, abs=1e-14)


def test_compiled_running_example_and_higher_derivatives():
    assert gradient_by_jit(running_example, (2.0, 5.0)) == pytest.approx([5.5, 2.0 - math.cos(5.0)], rel=1e-15)
    first = wg.grad(sin_times_square)
    third = wg.jit(wg.grad(wg.grad(first)))
    assert [wg.jit(first)(X), wg.jit(wg.grad(first))(X), third(X)] == pytest.approx(DERIVATIVES[1:], rel=1e-13)
    nested_forward = wg.jit(forward_derivative(forward_derivative(forward_derivative(sin_times_square))))
    assert nested_forward(X) == pytest.approx(DERIVATIVES[3], rel=1e-13)
