"""Input derivatives for PINN losses: ∂u/∂x_j, ∂²u/∂x_i∂x_j, Laplacians and gradients at every point.

Closed forms (sin x·e^{−t}, tanh(a·x + b·t), polynomials) give exact values at
every point; a small fixed tanh MLP is checked against central finite
differences and between the forward and reverse engines. Then the point of it
all: a Burgers residual loss built from these derivatives, with the network's
parameters as tensors that require grad, has parameter gradients
(``loss.backward()``) that match finite differences, and equal those of the
functional dialect (``wengert.grad``).
"""

import math

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert import pinn
from wengert.testing import check_grads

RNG = np.random.default_rng(42)
POINTS = np.column_stack([RNG.uniform(-1.0, 1.0, 25), RNG.uniform(0.0, 1.0, 25)])  # (x, t)
X, T = POINTS[:, :1], POINTS[:, 1:]
MODES = ["forward", "reverse"]


def sine_decay(points):
    """u = sin(x)·exp(−t), as an (N, 1) output."""
    return wnp.sin(points[:, :1]) * wnp.exp(-points[:, 1:])


A, B = 1.7, -0.6


def travelling_front(points):
    """u = tanh(a·x + b·t), as an (N,) output."""
    return wnp.tanh(A * points[:, 0] + B * points[:, 1])


def front_derivatives(points):
    """Closed forms of tanh(a·x + b·t): with s = 1 − u², u_x = a·s, u_xx = −2a²·u·s, u_xt = −2ab·u·s …"""
    u = np.tanh(A * points[:, 0] + B * points[:, 1])
    s = 1.0 - u**2
    return {
        (): u,
        (0,): A * s,
        (1,): B * s,
        (0, 0): -2 * A * A * u * s,
        (0, 1): -2 * A * B * u * s,
        (1, 1): -2 * B * B * u * s,
    }


def fixed_mlp_parameters(sizes=(2, 8, 8, 2), seed=0):
    rng = np.random.default_rng(seed)
    parameters = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        parameters.append(rng.normal(size=(fan_in, fan_out)) / np.sqrt(fan_in))
        parameters.append(0.3 * rng.normal(size=fan_out))
    return parameters


def mlp(parameters):
    """A tanh MLP u(points) → (N, k) with the given weights (arrays, tensors or tracers)."""

    def network(points):
        hidden = points
        for weight, bias in zip(parameters[:-2:2], parameters[1:-2:2]):
            hidden = wnp.tanh(hidden @ weight + bias)
        return hidden @ parameters[-2] + parameters[-1]

    return network


FIXED_MLP = mlp(fixed_mlp_parameters())


def plain_mlp(points):
    """The fixed MLP evaluated with NumPy only (for finite differences)."""
    parameters = fixed_mlp_parameters()
    hidden = points
    for weight, bias in zip(parameters[:-2:2], parameters[1:-2:2]):
        hidden = np.tanh(hidden @ weight + bias)
    return hidden @ parameters[-2] + parameters[-1]


def unit(j, d=2):
    return np.eye(d)[j]


def central_first(function, points, j, step=1e-6):
    return (function(points + step * unit(j)) - function(points - step * unit(j))) / (2 * step)


def central_second(function, points, i, j, step=1e-4):
    """∂²f/∂x_i∂x_j by the four-point central difference (the three-point one when i == j)."""
    if i == j:
        return (function(points + step * unit(i)) - 2 * function(points) + function(points - step * unit(i))) / step**2
    e_i, e_j = step * unit(i), step * unit(j)
    return (
        function(points + e_i + e_j)
        - function(points + e_i - e_j)
        - function(points - e_i + e_j)
        + function(points - e_i - e_j)
    ) / (4 * step**2)


# -- closed forms ------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_first_derivatives_of_sine_decay(mode):
    u = np.sin(X) * np.exp(-T)
    np.testing.assert_allclose(pinn.derivative(sine_decay, POINTS, wrt=0, mode=mode), np.cos(X) * np.exp(-T))
    np.testing.assert_allclose(pinn.derivative(sine_decay, POINTS, wrt=1, mode=mode), -u, rtol=1e-14)
    np.testing.assert_allclose(pinn.derivative(sine_decay, POINTS, wrt=-1, mode=mode), -u, rtol=1e-14)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "wrt, closed_form",
    [
        ((0, 0), lambda: -np.sin(X) * np.exp(-T)),
        ((1, 1), lambda: np.sin(X) * np.exp(-T)),
        ((0, 1), lambda: -np.cos(X) * np.exp(-T)),
        ((1, 0), lambda: -np.cos(X) * np.exp(-T)),
    ],
)
def test_second_derivatives_of_sine_decay(mode, wrt, closed_form):
    result = pinn.second_derivative(sine_decay, POINTS, wrt=wrt, mode=mode)
    assert result.shape == (25, 1)
    np.testing.assert_allclose(result, closed_form(), rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("mode", MODES)
def test_every_derivative_of_the_travelling_front(mode):
    expected = front_derivatives(POINTS)
    for key, value in expected.items():
        if len(key) == 1:
            result = pinn.derivative(travelling_front, POINTS, wrt=key[0], mode=mode)
        elif len(key) == 2:
            result = pinn.second_derivative(travelling_front, POINTS, wrt=key, mode=mode)
        else:
            continue
        assert result.shape == (25,)
        np.testing.assert_allclose(result, value, rtol=1e-13, atol=1e-14, err_msg=f"derivative {key}")


@pytest.mark.parametrize("mode", MODES)
def test_laplacian_of_a_polynomial(mode):
    # u = x²·y + y³·z: Δ over (x, y) is 2y + 6yz; over all three coordinates the same (u_zz = 0)
    points = RNG.normal(size=(10, 3))

    def polynomial(p):
        return p[:, 0] ** 2 * p[:, 1] + p[:, 1] ** 3 * p[:, 2]

    x, y, z = points.T
    np.testing.assert_allclose(pinn.laplacian(polynomial, points, spatial=(0, 1), mode=mode), 2 * y + 6 * y * z)
    np.testing.assert_allclose(pinn.laplacian(polynomial, points, mode=mode), 2 * y + 6 * y * z)
    np.testing.assert_allclose(pinn.laplacian(polynomial, points, spatial=(0,), mode=mode), 2 * y)


@pytest.mark.parametrize("mode", MODES)
def test_gradient_shapes_and_values(mode):
    two_outputs = lambda p: wnp.stack([wnp.sin(p[:, 0]) * wnp.exp(-p[:, 1]), p[:, 0] ** 2 * p[:, 1] ** 3], axis=1)
    jacobian = pinn.gradient(two_outputs, POINTS, mode=mode)
    assert jacobian.shape == (25, 2, 2)
    x, t = POINTS.T
    np.testing.assert_allclose(jacobian[:, 0, 0], np.cos(x) * np.exp(-t))
    np.testing.assert_allclose(jacobian[:, 0, 1], -np.sin(x) * np.exp(-t))
    np.testing.assert_allclose(jacobian[:, 1, 0], 2 * x * t**3)
    np.testing.assert_allclose(jacobian[:, 1, 1], 3 * x**2 * t**2)
    front = pinn.gradient(travelling_front, POINTS, mode=mode)
    expected = front_derivatives(POINTS)
    assert front.shape == (25, 2)
    np.testing.assert_allclose(front, np.stack([expected[(0,)], expected[(1,)]], axis=1), rtol=1e-13)


def test_forward_tower_orders_its_entries_by_bitmask():
    expected = front_derivatives(POINTS)
    value, d_x, d_t, d_xt = pinn.forward_tower(travelling_front, POINTS, (0, 1))
    for result, key in [(value, ()), (d_x, (0,)), (d_t, (1,)), (d_xt, (0, 1))]:
        np.testing.assert_allclose(result, expected[key], rtol=1e-13, atol=1e-14)
    third = pinn.forward_tower(lambda p: p[:, 0] ** 3 * p[:, 1], POINTS, (0, 0, 1))
    assert len(third) == 8
    np.testing.assert_allclose(third[7], 6 * POINTS[:, 0])  # ∂³/∂x²∂t of x³t


# -- the fixed MLP against finite differences ------------------------------------------------------------


@pytest.mark.parametrize("j", [0, 1])
def test_mlp_first_derivatives_match_central_differences(j):
    result = pinn.derivative(FIXED_MLP, POINTS, wrt=j)
    assert result.shape == (25, 2)
    np.testing.assert_allclose(result, central_first(plain_mlp, POINTS, j), rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("wrt", [(0, 0), (0, 1), (1, 1)])
def test_mlp_second_derivatives_match_central_differences(wrt):
    i, j = wrt
    result = pinn.second_derivative(FIXED_MLP, POINTS, wrt=wrt)
    np.testing.assert_allclose(result, central_second(plain_mlp, POINTS, i, j), rtol=1e-5, atol=1e-6)
    # and the derivative of the (exact) first derivative, by a finer difference
    slope = lambda p: pinn.derivative(FIXED_MLP, p, wrt=j)
    np.testing.assert_allclose(result, central_first(slope, POINTS, i), rtol=1e-7, atol=1e-9)


def test_mlp_forward_and_reverse_engines_agree():
    for wrt in [0, 1]:
        np.testing.assert_allclose(
            pinn.derivative(FIXED_MLP, POINTS, wrt=wrt),
            pinn.derivative(FIXED_MLP, POINTS, wrt=wrt, mode="reverse"),
            rtol=1e-13,
            atol=1e-15,
        )
    for wrt in [(0, 0), (1, 0), (1, 1)]:
        np.testing.assert_allclose(
            pinn.second_derivative(FIXED_MLP, POINTS, wrt=wrt),
            pinn.second_derivative(FIXED_MLP, POINTS, wrt=wrt, mode="reverse"),
            rtol=1e-12,
            atol=1e-14,
        )
    np.testing.assert_allclose(pinn.gradient(FIXED_MLP, POINTS), pinn.gradient(FIXED_MLP, POINTS, mode="reverse"))


def test_mixed_second_derivatives_are_symmetric():
    np.testing.assert_allclose(
        pinn.second_derivative(FIXED_MLP, POINTS, wrt=(0, 1)),
        pinn.second_derivative(FIXED_MLP, POINTS, wrt=(1, 0)),
        rtol=1e-13,
        atol=1e-15,
    )


def test_float32_points_give_float32_derivatives():
    points = POINTS.astype(np.float32)
    result = pinn.second_derivative(sine_decay, points, wrt=(0, 0))
    assert result.dtype == np.float32
    np.testing.assert_allclose(result, -np.sin(X) * np.exp(-T), rtol=1e-5, atol=1e-6)


# -- Derivatives: several at once, sharing passes --------------------------------------------------------


@pytest.mark.parametrize(("method", "passes"), [("auto", 1), ("jvp", 2)])
def test_derivatives_for_burgers_take_one_taylor_pass_or_two_jvp_passes(method, passes):
    fields = pinn.Derivatives(travelling_front, POINTS, names="xt", method=method)
    u, u_t, u_x, u_xx = fields("u", "u_t", "u_x", "u_xx")
    assert fields.passes == passes
    expected = front_derivatives(POINTS)
    for result, key in [(u, ()), (u_t, (1,)), (u_x, (0,)), (u_xx, (0, 0))]:
        np.testing.assert_allclose(result, expected[key], rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("method", ["auto", "jvp"])
def test_derivatives_mixed_pass_gives_both_first_derivatives(method):
    fields = pinn.Derivatives(travelling_front, POINTS, names="xt", method=method)
    u_x, u_t, u_xt = fields("u_x", "u_t", "u_xt")
    assert fields.passes == 1
    expected = front_derivatives(POINTS)
    np.testing.assert_allclose(u_xt, expected[(0, 1)], rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(u_t, expected[(1,)], rtol=1e-13)


@pytest.mark.parametrize("method", ["auto", "jvp"])
def test_derivatives_cache_results_and_accept_index_tuples(method):
    fields = pinn.Derivatives(sine_decay, POINTS, names=("x", "t"), method=method)
    u_xx = fields("u_xx")
    assert fields.passes == 1
    again, value, slope = fields((0, 0), (), [0])
    assert fields.passes == 1  # all three came out of the first pass
    assert again is u_xx
    np.testing.assert_allclose(slope, np.cos(X) * np.exp(-T))
    np.testing.assert_allclose(value, np.sin(X) * np.exp(-T))
    np.testing.assert_allclose(fields("u_tx"), fields("u_xt"))  # the same key
    u_ttt = fields("u_ttt")  # third order: a jvp of a jvp of a jvp
    np.testing.assert_allclose(u_ttt, -np.sin(X) * np.exp(-T), rtol=1e-13)


@pytest.mark.parametrize("mode", MODES)
def test_derivatives_in_both_modes_agree_with_the_operators(mode):
    fields = pinn.Derivatives(FIXED_MLP, POINTS, names="xt", mode=mode)
    u, u_t, u_xx = fields("u", "u_t", "u_xx")
    np.testing.assert_allclose(u, plain_mlp(POINTS), rtol=1e-14)
    np.testing.assert_allclose(u_t, pinn.derivative(FIXED_MLP, POINTS, wrt=1), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(u_xx, pinn.second_derivative(FIXED_MLP, POINTS, wrt=(0, 0)), rtol=1e-12, atol=1e-14)


# -- the point of it all: parameter gradients of a residual loss ---------------------------------------

NU = 0.01 / math.pi
SIZES = (2, 5, 5, 1)
STEP = 1e-6


def burgers_residual_loss(network, points, mode="forward"):
    """mean (u_t + u·u_x − ν·u_xx)² + mean (u_xt)²: first, second and mixed input derivatives inside a loss."""
    fields = pinn.Derivatives(network, points, names="xt", mode=mode)
    u, u_t, u_x, u_xx, u_xt = fields("u", "u_t", "u_x", "u_xx", "u_xt")
    residual = u_t + u * u_x - NU * u_xx
    return (residual**2).mean() + 0.1 * (u_xt**2).mean()


def tensor_parameters(seed=1):
    return [wg.tensor(value, requires_grad=True) for value in fixed_mlp_parameters(SIZES, seed)]


@pytest.fixture(scope="module")
def tensor_gradients():
    parameters = tensor_parameters()
    loss = burgers_residual_loss(mlp(parameters), POINTS)
    assert isinstance(loss, wg.Tensor) and loss.requires_grad
    loss.backward()
    return parameters, [p.grad.numpy().copy() for p in parameters]


def central_difference_gradient(parameters, leaf):
    """∂loss/∂leaf element by element, perturbing the leaf's own array in place."""
    values = leaf.detach().numpy().reshape(-1)  # a view: perturbing it changes the leaf
    gradient = np.empty(values.size)
    for k in range(values.size):
        original = values[k]
        values[k] = original + STEP
        with wg.no_grad():
            above = burgers_residual_loss(mlp(parameters), POINTS).item()
        values[k] = original - STEP
        with wg.no_grad():
            below = burgers_residual_loss(mlp(parameters), POINTS).item()
        values[k] = original
        gradient[k] = (above - below) / (2 * STEP)
    return gradient.reshape(leaf.shape)


def test_derivatives_of_a_tensor_network_are_recorded_tensors():
    parameters = tensor_parameters()
    for result in (
        pinn.derivative(mlp(parameters), POINTS, wrt=0),
        pinn.second_derivative(mlp(parameters), POINTS, wrt=(0, 1)),
        pinn.laplacian(mlp(parameters), POINTS, spatial=(0,)),
        pinn.gradient(mlp(parameters), POINTS),
    ):
        assert isinstance(result, wg.Tensor) and result.requires_grad


@pytest.mark.parametrize("index", range(6))
def test_residual_loss_parameter_gradients_match_central_differences(tensor_gradients, index):
    parameters, gradients = tensor_gradients
    numeric = central_difference_gradient(parameters, parameters[index])
    np.testing.assert_allclose(gradients[index], numeric, rtol=1e-6, atol=1e-9)


def test_reverse_mode_derivatives_give_the_same_parameter_gradients(tensor_gradients):
    _, forward_gradients = tensor_gradients
    parameters = tensor_parameters()
    burgers_residual_loss(mlp(parameters), POINTS, mode="reverse").backward()
    for parameter, expected in zip(parameters, forward_gradients):
        np.testing.assert_allclose(parameter.grad.numpy(), expected, rtol=1e-11, atol=1e-14)


def test_functional_dialect_gives_the_same_parameter_gradients(tensor_gradients):
    _, tensor_grads = tensor_gradients
    plain = fixed_mlp_parameters(SIZES, seed=1)
    functional = wg.grad(lambda parameters: burgers_residual_loss(mlp(parameters), POINTS))(plain)
    for result, expected in zip(functional, tensor_grads):
        np.testing.assert_allclose(result, expected, rtol=1e-12, atol=1e-15)


def test_residual_loss_passes_check_grads_in_both_modes():
    shapes = [p.shape for p in fixed_mlp_parameters(SIZES)]
    sizes = [int(np.prod(shape)) for shape in shapes]

    def loss_of_flat(flat):
        pieces = wnp.split(flat, np.cumsum(sizes)[:-1])
        parameters = [wnp.reshape(piece, shape) for piece, shape in zip(pieces, shapes)]
        return burgers_residual_loss(mlp(parameters), POINTS[:8])

    flat = np.concatenate([p.ravel() for p in fixed_mlp_parameters(SIZES, seed=2)])
    check_grads(loss_of_flat, (flat,), order=1, modes=("fwd", "rev"))


def test_input_points_as_tensors_are_differentiable_too():
    # inverse problems may ask how the loss moves with the collocation points themselves
    points = wg.tensor(POINTS[:6], requires_grad=True)
    u_x = pinn.derivative(travelling_front, points, wrt=0)
    (by_points,) = wg.autograd.grad(u_x.sum(), points)
    expected = front_derivatives(POINTS[:6])
    np.testing.assert_allclose(by_points.numpy()[:, 0], expected[(0, 0)], rtol=1e-13, atol=1e-14)
    np.testing.assert_allclose(by_points.numpy()[:, 1], expected[(0, 1)], rtol=1e-13, atol=1e-14)


# -- bad input is named -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: pinn.derivative(travelling_front, POINTS[:, 0]), ValueError, r"shape \(N, d\)"),
        (lambda: pinn.derivative(travelling_front, POINTS.astype(int)), TypeError, "floating point"),
        (lambda: pinn.derivative(travelling_front, POINTS, wrt=2), ValueError, "out of range"),
        (lambda: pinn.derivative(travelling_front, POINTS, wrt=0.5), TypeError, "integer"),
        (lambda: pinn.derivative(travelling_front, POINTS, mode="symbolic"), ValueError, "mode"),
        (lambda: pinn.second_derivative(travelling_front, POINTS, wrt=0), TypeError, "pair"),
        (lambda: pinn.laplacian(travelling_front, POINTS, spatial=(0, 0)), ValueError, "distinct"),
        (lambda: pinn.derivative(lambda p: wnp.sum(p), POINTS), ValueError, "one row per point"),
        (lambda: pinn.derivative(lambda p: p[:5], POINTS, mode="reverse"), ValueError, "one row per point"),
        (lambda: pinn.Derivatives(travelling_front, POINTS)("u_x"), ValueError, "names"),
        (lambda: pinn.Derivatives(travelling_front, POINTS, names="x"), ValueError, "each of the d=2"),
        (lambda: pinn.Derivatives(travelling_front, POINTS, names="xx"), ValueError, "distinct single"),
        (lambda: pinn.Derivatives(travelling_front, POINTS, names="xt")("u_y"), ValueError, "coordinate names"),
        (lambda: pinn.Derivatives(travelling_front, POINTS)((0, 5)), ValueError, "out of range"),
        (lambda: pinn.Derivatives(travelling_front, POINTS)(), TypeError, "at least one"),
    ],
)
def test_bad_input_is_named(call, error, message):
    with pytest.raises(error, match=message):
        call()
