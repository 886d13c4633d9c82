"""Optional cross-checks against PyTorch and JAX (skipped when they are not installed).

The same programs — an MLP loss, second derivatives, the SIR physics loss —
are differentiated by wengert and by the peer in float64; they agree to 1e-10.
"""

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp

TOLERANCE = dict(rtol=1e-10, atol=1e-12)
LAYER_SIZES = (2, 6, 5, 1)


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


@pytest.fixture(scope="module")
def jax():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    return jax


def mlp_data(seed=3):
    rng = np.random.default_rng(seed)
    weights = []
    for fan_in, fan_out in zip(LAYER_SIZES[:-1], LAYER_SIZES[1:], strict=True):
        weights.append(rng.normal(size=(fan_in, fan_out)) / np.sqrt(fan_in))
        weights.append(0.1 * rng.normal(size=fan_out))
    inputs = rng.normal(size=(10, LAYER_SIZES[0]))
    targets = np.sin(inputs[:, :1]) * inputs[:, 1:]
    return weights, inputs, targets


def mlp_loss(weights, inputs, targets, tanh):
    """Mean squared error of a tanh MLP; ``tanh`` is the library's own."""
    hidden = inputs
    for weight, bias in zip(weights[:-2:2], weights[1:-2:2], strict=True):
        hidden = tanh(hidden @ weight + bias)
    prediction = hidden @ weights[-2] + weights[-1]
    return ((prediction - targets) ** 2).mean()


def wengert_mlp_gradients(weights, inputs, targets):
    leaves = [wg.tensor(w, requires_grad=True) for w in weights]
    loss = mlp_loss(leaves, inputs, targets, wnp.tanh)
    loss.backward()
    return loss.item(), [leaf.grad.numpy() for leaf in leaves]


def sin_times_square(x, sin):
    return sin(x) * x**2


POINTS = np.array([-2.0, -0.3, 0.0, 1.5, 3.0])


# -- PyTorch -------------------------------------------------------------------------------------


def test_mlp_loss_gradients_match_pytorch(torch):
    weights, inputs, targets = mlp_data()
    value, grads = wengert_mlp_gradients(weights, inputs, targets)
    leaves = [torch.tensor(w, dtype=torch.float64, requires_grad=True) for w in weights]
    loss = mlp_loss(leaves, torch.tensor(inputs), torch.tensor(targets), torch.tanh)
    loss.backward()
    assert value == pytest.approx(loss.item(), rel=1e-12)
    for ours, theirs in zip(grads, leaves, strict=True):
        np.testing.assert_allclose(ours, theirs.grad.numpy(), **TOLERANCE)


def test_second_and_third_derivatives_match_pytorch(torch):
    x = wg.tensor(POINTS, requires_grad=True)
    xt = torch.tensor(POINTS, requires_grad=True)
    ours = sin_times_square(x, wnp.sin)
    theirs = sin_times_square(xt, torch.sin)
    for _ in range(3):
        (ours,) = wg.autograd.grad(ours.sum(), x, create_graph=True)
        (theirs,) = torch.autograd.grad(theirs.sum(), xt, create_graph=True)
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), **TOLERANCE)


def test_hessian_of_the_mlp_loss_in_the_inputs_matches_pytorch(torch):
    # Row by row: the gradient in the inputs, then the gradient of each of its elements.
    weights, inputs, targets = mlp_data()
    x = wg.tensor(inputs[:3], requires_grad=True)
    xt = torch.tensor(inputs[:3], requires_grad=True)
    (ours,) = wg.autograd.grad(mlp_loss(weights, x, targets[:3], wnp.tanh), x, create_graph=True)
    torch_weights = [torch.tensor(w) for w in weights]
    (theirs,) = torch.autograd.grad(
        mlp_loss(torch_weights, xt, torch.tensor(targets[:3]), torch.tanh), xt, create_graph=True
    )
    for index in np.ndindex(*inputs[:3].shape):
        (our_row,) = wg.autograd.grad(ours[index], x, retain_graph=True)
        (their_row,) = torch.autograd.grad(theirs[index], xt, retain_graph=True)
        np.testing.assert_allclose(our_row.numpy(), their_row.numpy(), **TOLERANCE)


# -- the SIR physics loss, both dialects against PyTorch ------------------------------------------

COLLOCATION = np.linspace(0.0, 2.0, 9).reshape(-1, 1)


def physics_parameters(seed=5):
    rng = np.random.default_rng(seed)
    sizes = (1, 8, 8, 3)
    weights = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
        weights.append(rng.normal(size=(fan_in, fan_out)) / np.sqrt(fan_in))
        weights.append(0.1 * rng.normal(size=fan_out))
    return weights, 0.5, 0.2


def sir_network(t, weights, tanh):
    hidden = t
    for weight, bias in zip(weights[:-2:2], weights[1:-2:2], strict=True):
        hidden = tanh(hidden @ weight + bias)
    return hidden @ weights[-2] + weights[-1]


def sir_residual_loss(sir, rates, beta, gamma):
    s, i = sir[:, 0], sir[:, 1]
    infections = beta * s * i
    residual_s = rates[:, 0] + infections
    residual_i = rates[:, 1] - infections + gamma * i
    residual_r = rates[:, 2] - gamma * i
    return (residual_s**2 + residual_i**2 + residual_r**2).mean()


def tensor_physics_loss(weights, beta, gamma, autograd_grad, tensor, tanh, stack):
    """The physics loss in the PyTorch dialect, for either library (given its functions)."""
    t = tensor(COLLOCATION).clone().requires_grad_(True)
    sir = sir_network(t, weights, tanh)
    ones = tensor(np.ones(len(COLLOCATION)))
    rates = [autograd_grad(sir[:, j], t, grad_outputs=ones, create_graph=True)[0][:, 0] for j in range(3)]
    return sir_residual_loss(sir, stack(rates, 1), beta, gamma)


def test_physics_loss_and_its_gradients_match_pytorch(torch):
    weights, beta, gamma = physics_parameters()
    ours = [wg.tensor(w, requires_grad=True) for w in [*weights, beta, gamma]]
    theirs = [torch.tensor(w, dtype=torch.float64, requires_grad=True) for w in [*weights, beta, gamma]]
    our_loss = tensor_physics_loss(
        ours[:-2],
        ours[-2],
        ours[-1],
        wg.autograd.grad,
        wg.tensor,
        wnp.tanh,
        lambda xs, axis: wnp.stack(xs, axis),
    )
    their_loss = tensor_physics_loss(
        theirs[:-2],
        theirs[-2],
        theirs[-1],
        torch.autograd.grad,
        lambda data: torch.tensor(data, dtype=torch.float64),
        torch.tanh,
        lambda xs, axis: torch.stack(xs, axis),
    )
    our_loss.backward()
    their_loss.backward()
    assert our_loss.item() == pytest.approx(their_loss.item(), rel=1e-12)
    for mine, peer in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(mine.grad.numpy(), peer.grad.numpy(), **TOLERANCE)


# -- JAX -----------------------------------------------------------------------------------------


def test_mlp_loss_gradients_match_jax(jax):
    weights, inputs, targets = mlp_data()
    value, grads = wengert_mlp_gradients(weights, inputs, targets)
    jax_value, jax_grads = jax.value_and_grad(mlp_loss)(weights, inputs, targets, jax.numpy.tanh)
    assert value == pytest.approx(float(jax_value), rel=1e-12)
    for ours, theirs in zip(grads, jax_grads, strict=True):
        np.testing.assert_allclose(ours, np.asarray(theirs), **TOLERANCE)
    functional = wg.grad(mlp_loss)(weights, inputs, targets, wnp.tanh)
    for ours, theirs in zip(functional, jax_grads, strict=True):
        np.testing.assert_allclose(ours, np.asarray(theirs), **TOLERANCE)


def test_second_derivatives_match_jax(jax):
    jnp = jax.numpy
    for x in POINTS:
        theirs = jax.grad(jax.grad(jax.grad(lambda v: sin_times_square(v, jnp.sin))))(x)
        ours_reverse = wg.grad(wg.grad(wg.grad(lambda v: sin_times_square(v, wnp.sin))))(float(x))
        ours_mixed = wg.grad(lambda v: wg.jvp(wg.grad(lambda u: sin_times_square(u, wnp.sin)), (v,), (1.0,))[1])(
            float(x)
        )
        assert ours_reverse == pytest.approx(float(theirs), rel=1e-10, abs=1e-12)
        assert ours_mixed == pytest.approx(float(theirs), rel=1e-10, abs=1e-12)


def test_hessian_of_the_mlp_loss_in_the_weights_matches_jax(jax):
    # Hessian of the loss in the last layer's weights, by wengert's forward-over-reverse columns.
    weights, inputs, targets = mlp_data()

    def loss_in_last_layer(last, lib_tanh):
        return mlp_loss([*weights[:-2], last, weights[-1]], inputs, targets, lib_tanh)

    theirs = np.asarray(jax.hessian(loss_in_last_layer)(weights[-2], jax.numpy.tanh))
    gradient = wg.grad(lambda last: loss_in_last_layer(last, wnp.tanh))
    columns = []
    for index in np.ndindex(*weights[-2].shape):
        direction = np.zeros_like(weights[-2])
        direction[index] = 1.0
        columns.append(wg.jvp(gradient, (weights[-2],), (direction,))[1])
    ours = np.stack(columns, axis=-1).reshape(theirs.shape)
    np.testing.assert_allclose(ours, theirs, **TOLERANCE)


def test_physics_loss_gradients_match_jax(jax):
    jnp = jax.numpy
    weights, beta, gamma = physics_parameters()

    def jax_loss(weights, beta, gamma):
        sir, rates = jax.jvp(lambda t: sir_network(t, weights, jnp.tanh), (COLLOCATION,), (jnp.ones_like(COLLOCATION),))
        return sir_residual_loss(sir, rates, beta, gamma)

    jax_value, (jax_weights, jax_beta, jax_gamma) = jax.value_and_grad(jax_loss, argnums=(0, 1, 2))(
        weights, beta, gamma
    )
    ours = [wg.tensor(w, requires_grad=True) for w in [*weights, beta, gamma]]
    loss = tensor_physics_loss(
        ours[:-2],
        ours[-2],
        ours[-1],
        wg.autograd.grad,
        wg.tensor,
        wnp.tanh,
        lambda xs, axis: wnp.stack(xs, axis),
    )
    loss.backward()
    assert loss.item() == pytest.approx(float(jax_value), rel=1e-12)
    for mine, peer in zip(ours, [*jax_weights, jax_beta, jax_gamma], strict=True):
        np.testing.assert_allclose(mine.grad.numpy(), np.asarray(peer), **TOLERANCE)
