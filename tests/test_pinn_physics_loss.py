"""The SIR physics-informed loss in the PyTorch dialect: derivatives inside the loss, then backward.

The network maps time t to (S, I, R). The loss is the mean squared residual of
dS/dt = −βSI, dI/dt = βSI − γI, dR/dt = γI at collocation points, where the
time derivatives come from ``wg.autograd.grad(..., create_graph=True)`` so that
``loss.backward()`` differentiates through them to the weights and to β, γ.
Everything is checked against central finite differences in float64.
"""

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp

LAYER_SIZES = (1, 8, 8, 3)
COLLOCATION = np.linspace(0.0, 2.0, 12).reshape(-1, 1)
STEP = 1e-5


def make_parameters(seed=0):
    """Weights and biases of a tanh MLP, and the log-rates of β and γ, all leaf tensors."""
    rng = np.random.default_rng(seed)
    parameters = []
    for fan_in, fan_out in zip(LAYER_SIZES[:-1], LAYER_SIZES[1:], strict=True):
        parameters.append(wg.tensor(rng.normal(size=(fan_in, fan_out)) / np.sqrt(fan_in), requires_grad=True))
        parameters.append(wg.tensor(0.1 * rng.normal(size=fan_out), requires_grad=True))
    log_beta = wg.tensor(np.log(0.5), requires_grad=True)
    gamma = wg.tensor(0.2, requires_grad=True)
    return parameters, log_beta, gamma


def network(t, parameters):
    hidden = t
    for weight, bias in zip(parameters[:-2:2], parameters[1:-2:2], strict=True):
        hidden = wnp.tanh(hidden @ weight + bias)
    return hidden @ parameters[-2] + parameters[-1]


def time_derivative(output, t):
    """d output / dt at every collocation point (one reverse sweep, recorded for later differentiation)."""
    (derivative,) = wg.autograd.grad(output, t, grad_outputs=wg.tensor(np.ones(len(t))), create_graph=True)
    return derivative[:, 0]


def physics_loss(parameters, log_beta, gamma, collocation=COLLOCATION):
    t = wg.tensor(collocation).clone().requires_grad_(True)
    sir = network(t, parameters)
    susceptible, infected, recovered = sir[:, 0], sir[:, 1], sir[:, 2]
    beta = wnp.exp(log_beta)
    infections = beta * susceptible * infected
    residual_s = time_derivative(susceptible, t) + infections
    residual_i = time_derivative(infected, t) - infections + gamma * infected
    residual_r = time_derivative(recovered, t) - gamma * infected
    return (residual_s**2 + residual_i**2 + residual_r**2).mean()


def loss_value(parameters, log_beta, gamma):
    return physics_loss(parameters, log_beta, gamma).item()


def central_difference_gradient(parameters, log_beta, gamma, leaf):
    """∂loss/∂leaf element by element, perturbing the leaf's own array in place."""
    values = leaf.detach().numpy().reshape(-1)  # a view: perturbing it changes the leaf
    gradient = np.empty(values.size)
    for k in range(values.size):
        original = values[k]
        values[k] = original + STEP
        above = loss_value(parameters, log_beta, gamma)
        values[k] = original - STEP
        below = loss_value(parameters, log_beta, gamma)
        values[k] = original
        gradient[k] = (above - below) / (2 * STEP)
    return gradient.reshape(leaf.shape)


@pytest.fixture(scope="module")
def trained_gradients():
    parameters, log_beta, gamma = make_parameters()
    loss = physics_loss(parameters, log_beta, gamma)
    loss.backward()
    return parameters, log_beta, gamma, loss


def test_loss_is_a_positive_scalar_that_requires_grad(trained_gradients):
    *_, loss = trained_gradients
    assert loss.shape == () and loss.requires_grad and loss.item() > 0


def test_every_parameter_receives_a_gradient_of_its_shape(trained_gradients):
    parameters, log_beta, gamma, _ = trained_gradients
    for leaf in [*parameters, log_beta, gamma]:
        assert leaf.grad is not None and leaf.grad.shape == leaf.shape and leaf.grad.dtype == np.float64
        assert not leaf.grad.requires_grad


@pytest.mark.parametrize("name", ["W1", "b1", "W2", "b2", "W3", "b3", "log_beta", "gamma"])
def test_parameter_gradient_matches_central_differences(trained_gradients, name):
    parameters, log_beta, gamma, _ = trained_gradients
    leaves = dict(zip(["W1", "b1", "W2", "b2", "W3", "b3"], parameters, strict=True))
    leaves.update(log_beta=log_beta, gamma=gamma)
    leaf = leaves[name]
    numeric = central_difference_gradient(parameters, log_beta, gamma, leaf)
    np.testing.assert_allclose(leaf.grad.numpy(), numeric, rtol=1e-6, atol=1e-9)


def test_rate_gradients_match_their_closed_form(trained_gradients):
    # ∂loss/∂γ = mean(2·r_I·I − 2·r_R·I) and ∂loss/∂log β = mean(2·r_S·βSI − 2·r_I·βSI).
    parameters, log_beta, gamma, _ = trained_gradients
    t = wg.tensor(COLLOCATION, requires_grad=True)
    with wg.no_grad():
        sir = network(t.detach(), parameters).numpy()
    derivatives = np.stack(
        [time_derivative(network(t, parameters)[:, j], t).detach().numpy() for j in range(3)], axis=1
    )
    s, i, _ = sir.T
    beta, g = np.exp(log_beta.item()), gamma.item()
    r_s = derivatives[:, 0] + beta * s * i
    r_i = derivatives[:, 1] - beta * s * i + g * i
    r_r = derivatives[:, 2] - g * i
    assert gamma.grad.item() == pytest.approx(np.mean(2 * r_i * i - 2 * r_r * i), rel=1e-12)
    assert log_beta.grad.item() == pytest.approx(np.mean((2 * r_s - 2 * r_i) * beta * s * i), rel=1e-12)


def test_time_derivatives_match_central_differences_of_the_network():
    parameters, _, _ = make_parameters()
    t = wg.tensor(COLLOCATION, requires_grad=True)
    sir = network(t, parameters)
    with wg.no_grad():
        above = network(wg.tensor(COLLOCATION + STEP), parameters).numpy()
        below = network(wg.tensor(COLLOCATION - STEP), parameters).numpy()
    numeric = (above - below) / (2 * STEP)
    for column in range(3):
        derivative = time_derivative(sir[:, column], t)
        np.testing.assert_allclose(derivative.detach().numpy(), numeric[:, column], rtol=1e-7, atol=1e-10)


def test_time_derivative_by_grad_outputs_equals_the_gradient_of_the_sum():
    parameters, _, _ = make_parameters()
    t = wg.tensor(COLLOCATION, requires_grad=True)
    susceptible = network(t, parameters)[:, 0]
    (by_seed,) = wg.autograd.grad(susceptible, t, grad_outputs=np.ones(len(t)), retain_graph=True)
    (by_sum,) = wg.autograd.grad(susceptible.sum(), t)
    np.testing.assert_allclose(by_seed.numpy(), by_sum.numpy(), rtol=1e-15)


def test_the_same_loss_by_the_functional_dialect():
    # grad over (parameters, log β, γ) of a loss whose time derivative is a jvp in t.
    parameters, log_beta, gamma = make_parameters()
    physics_loss(parameters, log_beta, gamma).backward()

    def functional_loss(weights, log_rate, recovery):
        def outputs(t):
            return network(t, weights)

        sir, rates = wg.jvp(outputs, (COLLOCATION,), (np.ones_like(COLLOCATION),))
        s, i = sir[:, 0], sir[:, 1]
        infections = wnp.exp(log_rate) * s * i
        residual_s = rates[:, 0] + infections
        residual_i = rates[:, 1] - infections + recovery * i
        residual_r = rates[:, 2] - recovery * i
        return (residual_s**2 + residual_i**2 + residual_r**2).mean()

    plain = [p.detach().numpy().copy() for p in parameters]
    grads = wg.grad(functional_loss, argnums=(0, 1, 2))(plain, log_beta.item(), gamma.item())
    for tensor_grad, functional_grad in zip(parameters, grads[0], strict=True):
        np.testing.assert_allclose(tensor_grad.grad.numpy(), functional_grad, rtol=1e-12, atol=1e-15)
    assert grads[1] == pytest.approx(log_beta.grad.item(), rel=1e-12)
    assert grads[2] == pytest.approx(gamma.grad.item(), rel=1e-12)
