"""Nesting: perturbation confusion, deep chains, and functional transforms inside tensor code."""

import math

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp


def forward_derivative(f):
    """d f / dx by forward mode (a JVP with tangent 1)."""
    return lambda x: wg.jvp(f, (x,), (1.0,))[1]


reverse_derivative = wg.grad
MODES = {"fwd": forward_derivative, "rev": reverse_derivative}


# -- perturbation confusion: d/dx [x · d/dy (x + y)] = 1, not 2 -------------------------------


@pytest.mark.parametrize("inner", MODES, ids=lambda m: f"inner={m}")
@pytest.mark.parametrize("outer", MODES, ids=lambda m: f"outer={m}")
def test_perturbation_confusion_functional(outer, inner):
    def f(x):
        return x * MODES[inner](lambda y: x + y)(1.0)

    assert MODES[outer](f)(1.0) == 1.0


@pytest.mark.parametrize("inner", MODES, ids=lambda m: f"inner={m}")
@pytest.mark.parametrize("outer", MODES, ids=lambda m: f"outer={m}")
def test_inner_derivative_that_depends_on_the_outer_variable(outer, inner):
    # d/dy (x·y + y²) = x + 2y, so the function is x² + 2xy and its derivative 2x + 2y.
    def f(x):
        return x * MODES[inner](lambda y: x * y + y**2)(0.25)

    assert MODES[outer](f)(1.5) == pytest.approx(2 * 1.5 + 2 * 0.25, rel=1e-15)


@pytest.mark.parametrize("inner", MODES, ids=lambda m: f"inner={m}")
def test_perturbation_confusion_with_a_dual_outside(inner):
    x = wg.Dual(1.0, 1.0)
    out = x * MODES[inner](lambda y: x + y)(1.0)
    assert out.primal == 1.0
    assert out.tangent == 1.0


@pytest.mark.parametrize("inner", MODES, ids=lambda m: f"inner={m}")
def test_perturbation_confusion_with_the_tensor_api_outside(inner):
    x = wg.tensor(1.0, requires_grad=True)
    z = x * MODES[inner](lambda y: x + y)(1.0)
    (dz,) = wg.autograd.grad(z, x, create_graph=True)
    assert dz.item() == 1.0


@pytest.mark.parametrize("inner", MODES, ids=lambda m: f"inner={m}")
def test_tensor_outside_of_an_inner_derivative_that_depends_on_it_second_order(inner):
    x = wg.tensor(1.0, requires_grad=True)
    z = x * MODES[inner](lambda y: x * y + y**2)(1.0)  # x·(x + 2) = x² + 2x
    (dz,) = wg.autograd.grad(z, x, create_graph=True)
    (d2z,) = wg.autograd.grad(dz, x)
    assert dz.item() == pytest.approx(4.0, rel=1e-15)
    assert d2z.item() == pytest.approx(2.0, rel=1e-15)


def test_three_levels_grad_of_jvp_of_grad():
    # f(x) = x·d/dy[x·y² · d/dz(y·z)] at y=2: inner gives y, so x·d/dy(x·y³) = 3x²y², derivative 6xy² = 24x.
    def f(x):
        def g(y):
            return x * y**2 * wg.grad(lambda z: y * z)(3.0)

        return x * forward_derivative(g)(2.0)

    assert wg.grad(f)(1.5) == pytest.approx(6 * 1.5 * 4.0, rel=1e-15)


def test_shared_default_dual_level_carries_one_perturbation():
    a, b = wg.Dual(2.0, 1.0), wg.Dual(5.0, 0.0)
    out = a * b + wnp.sin(a)
    assert out.tangent == pytest.approx(5.0 + math.cos(2.0), rel=1e-15)


# -- deep chains: no recursion limit ----------------------------------------------------------

DEPTH = 100_000
FACTOR = 1.0000001


def scale_chain(x):
    for _ in range(DEPTH):
        x = x * FACTOR
    return x


def sin_chain(x):
    for _ in range(DEPTH):
        x = wnp.sin(x)
    return x


def sin_chain_derivative(x):
    """The product of cos(x_k) along the iterates x_0 = x, x_{k+1} = sin x_k."""
    derivative = 1.0
    for _ in range(DEPTH):
        derivative *= math.cos(x)
        x = math.sin(x)
    return derivative


def test_deep_chain_by_grad():
    assert wg.grad(scale_chain)(2.0) == pytest.approx(FACTOR**DEPTH, rel=1e-9)


def test_deep_chain_by_backward():
    x = wg.tensor(2.0, requires_grad=True)
    y = scale_chain(x)
    y.backward()
    assert y.item() == pytest.approx(2.0 * FACTOR**DEPTH, rel=1e-9)
    assert x.grad.item() == pytest.approx(FACTOR**DEPTH, rel=1e-9)
    del y  # dropping a 100,000-node graph must not recurse either


def test_deep_sin_chain_by_grad():
    assert wg.grad(sin_chain)(1.0) == pytest.approx(sin_chain_derivative(1.0), rel=1e-9)


def test_deep_sin_chain_by_backward_on_an_array():
    start = np.array([0.5, 1.0])
    x = wg.tensor(start, requires_grad=True)
    sin_chain(x).sum().backward()
    expected = [sin_chain_derivative(v) for v in start]
    np.testing.assert_allclose(x.grad.detach().numpy(), expected, rtol=1e-9)


# -- functional transforms inside tensor code -------------------------------------------------


def test_grad_inside_a_model_records_onto_the_parameters_tape():
    # model(x) = w·x², an input derivative 2wx inside the loss, loss = (2wx − 1)².
    w = wg.tensor(3.0, requires_grad=True)

    def model(x):
        return w * x**2

    slope = wg.grad(model)(2.0)  # 2·w·x = 12, still recorded as a function of w
    assert slope.item() == pytest.approx(12.0)
    loss = (slope - 1.0) ** 2
    loss.backward()
    assert w.grad.item() == pytest.approx(2 * (12.0 - 1.0) * 2 * 2.0, rel=1e-15)  # ∂/∂w = 2(2wx−1)·2x


def test_grad_over_a_batch_inside_a_model_with_array_parameters():
    # model(x) = tanh(a·x + b) elementwise; d model/dx = a·(1 − tanh²); loss = Σ (d model/dx)².
    rng = np.random.default_rng(1)
    a_value, b_value, xs = rng.normal(size=3), rng.normal(size=3), rng.normal(size=3)
    a = wg.tensor(a_value, requires_grad=True)
    b = wg.tensor(b_value, requires_grad=True)

    def model(x):
        return wnp.tanh(a * x + b)

    slopes = wg.grad(lambda x: model(x).sum())(xs)
    loss = (slopes**2).sum()
    loss.backward()
    tanh = np.tanh(a_value * xs + b_value)
    slope = a_value * (1 - tanh**2)
    # d slope/da = (1 − tanh²) − 2a·tanh·(1 − tanh²)·x ; d slope/db = −2a·tanh·(1 − tanh²)
    np.testing.assert_allclose(slopes.detach().numpy(), slope, rtol=1e-14)
    np.testing.assert_allclose(
        a.grad.detach().numpy(), 2 * slope * ((1 - tanh**2) - 2 * a_value * tanh * (1 - tanh**2) * xs), rtol=1e-12
    )
    np.testing.assert_allclose(b.grad.detach().numpy(), 2 * slope * (-2 * a_value * tanh * (1 - tanh**2)), rtol=1e-12)


def test_grad_of_a_tensor_argument_is_a_recorded_tensor():
    t = wg.tensor(2.0, requires_grad=True)
    first = wg.grad(lambda x: x**3)(t)
    assert isinstance(first, wg.Tensor) and first.item() == pytest.approx(12.0)
    (second,) = wg.autograd.grad(first, t, create_graph=True)
    (third,) = wg.autograd.grad(second, t)
    assert second.item() == pytest.approx(12.0) and third.item() == pytest.approx(6.0)


def test_jvp_of_a_tensor_argument_records_the_tangent():
    start = np.array([1.0, 2.0])
    t = wg.tensor(start, requires_grad=True)
    _, tangent = wg.jvp(lambda x: wnp.sin(x) * x, (t,), (np.ones(2),))
    tangent.sum().backward()  # d/dx [cos x · x + sin x] = 2 cos x − x sin x
    np.testing.assert_allclose(t.grad.detach().numpy(), 2 * np.cos(start) - start * np.sin(start), rtol=1e-14)
