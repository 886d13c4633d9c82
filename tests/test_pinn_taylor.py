"""Second-order Taylor mode in `pinn.Derivatives`, for any callable network.

`Derivatives` runs `wengert.core.taylor.second_order_jet` on whatever u is: a
one-hidden-layer tanh network matches its derivatives by hand; networks of
every shape — nn.MLP and Sequential, a Module with its own ``forward``, a
residual network, Fourier-feature inputs, a plain function, the functional
dialect — give the jvp-of-jvp values (float64 and float32); a residual loss
built from them has the same parameter gradients as through jvps of jvps, in
the Tensor dialect (``loss.backward()``) and the functional one (``wg.grad``),
and passes check_grads; bad input is named.
"""

import functools

import numpy as np
import pytest

import wengert as wg
import wengert.nn as nn
import wengert.numpy as wnp
from wengert import pinn
from wengert.core import primal_value
from wengert.pinn import DenseNetwork
from wengert.testing import check_grads

RNG = np.random.default_rng(7)
POINTS = np.column_stack([RNG.uniform(-1.0, 1.0, 12), RNG.uniform(0.0, 1.0, 12)])  # (x, t)
ALL_KEYS = [(), (0,), (1,), (0, 0), (0, 1), (1, 1)]
REQUESTS = ["u", "u_x", "u_t", "u_xx", "u_xt", "u_tt"]


def raw(value):
    return np.asarray(primal_value(value))


def jvp_fields(u, points, requests=REQUESTS, names="xt"):
    return pinn.Derivatives(u, points, names=names, method="jvp")(*requests)


def taylor(u, points, requests=REQUESTS, names="xt"):
    fields = pinn.Derivatives(u, points, names=names, method="taylor")
    return fields(*requests)


# -- a network with derivatives by hand ------------------------------------------------------------------

HIDDEN_WEIGHT = np.array([[0.7, -1.3, 0.4], [0.9, 0.2, -1.1]])  # (2, 3): x, t → 3 hidden units
HIDDEN_BIAS = np.array([0.1, -0.3, 0.25])
OUT_WEIGHT = np.array([[1.5], [-0.8], [0.6]])
OUT_BIAS = np.array([0.05])


def by_hand(points):
    """u = Σ_k v_k tanh(z_k) + c: u_i = Σ v_k s_k W_ik, u_ij = Σ v_k (−2 y_k s_k) W_ik W_jk, s = 1 − y²."""
    y = np.tanh(points @ HIDDEN_WEIGHT + HIDDEN_BIAS)
    s = 1.0 - y * y
    v = OUT_WEIGHT[:, 0]
    fields = {(): y @ OUT_WEIGHT + OUT_BIAS}
    for i in range(2):
        fields[(i,)] = ((s * HIDDEN_WEIGHT[i]) @ v)[:, None]
        for j in range(i, 2):
            fields[(i, j)] = ((-2.0 * y * s * HIDDEN_WEIGHT[i] * HIDDEN_WEIGHT[j]) @ v)[:, None]
    return fields


def one_layer_model(dtype=np.float64):
    model = nn.MLP([2, 3, 1], activation="tanh", dtype=dtype)
    model.load_state_dict(
        {
            "layers.0.weight": HIDDEN_WEIGHT.T.astype(dtype),  # nn.Linear keeps (out, in)
            "layers.0.bias": HIDDEN_BIAS.astype(dtype),
            "layers.2.weight": OUT_WEIGHT.T.astype(dtype),
            "layers.2.bias": OUT_BIAS.astype(dtype),
        }
    )
    return model


def test_one_layer_tanh_network_matches_its_closed_forms():
    expected = by_hand(POINTS)
    for request, key in zip(REQUESTS, ALL_KEYS):
        np.testing.assert_allclose(raw(taylor(one_layer_model(), POINTS, [request])), expected[key], rtol=1e-13)


def test_one_layer_tanh_network_in_float32():
    expected = by_hand(POINTS)
    points = POINTS.astype(np.float32)
    for request, key in zip(REQUESTS, ALL_KEYS):
        value = raw(taylor(one_layer_model(np.float32), points, [request]))
        assert value.dtype == np.float32
        np.testing.assert_allclose(value, expected[key], rtol=2e-5, atol=2e-6)


# -- networks of every shape against jvp-of-jvp ------------------------------------------------------------


class ScaledMLP(nn.MLP):
    """A subclass that overrides forward."""

    def forward(self, x):
        return 2.0 * super().forward(x)


class Residual(nn.Module):
    """u = W_out·(h + tanh(W h)), h = sin(W_in x): a skip connection and a sine layer."""

    def __init__(self):
        super().__init__()
        self.inner = nn.Linear(2, 6, seed=1)
        self.hidden = nn.Linear(6, 6, seed=2)
        self.out = nn.Linear(6, 1, seed=3)

    def forward(self, x):
        h = wnp.sin(self.inner(x))
        return self.out(h + wnp.tanh(self.hidden(h)))


class FourierFeatures(nn.Module):
    """[cos(2π x B), sin(2π x B)] into an MLP with GELU and softplus."""

    def __init__(self):
        super().__init__()
        self.frequencies = np.random.default_rng(5).normal(size=(2, 4))
        self.mlp = nn.Sequential(nn.Linear(8, 6, seed=4), nn.GELU(), nn.Linear(6, 6, seed=5), nn.Softplus())
        self.head = nn.Linear(6, 2, seed=6)

    def forward(self, x):
        z = 2.0 * np.pi * (x @ self.frequencies.astype(x.dtype))
        return self.head(self.mlp(wnp.concatenate([wnp.cos(z), wnp.sin(z)], axis=-1)))


def closure_network(points):
    return wnp.tanh(points @ HIDDEN_WEIGHT + HIDDEN_BIAS) @ OUT_WEIGHT


def plain_function(points):
    x, t = points[:, :1], points[:, 1:]
    return wnp.exp(-t) * wnp.sin(np.pi * x) / (1.0 + x**2) + wnp.arcsinh(x * t) + wnp.where(x > 0, x**3, -(x**2))


NETWORKS = {
    "mlp tanh": lambda: nn.MLP([2, 6, 5, 2], activation="tanh", seed=3),
    "mlp sigmoid, no biases": lambda: nn.MLP([2, 5, 1], activation="sigmoid", bias=False, seed=4),
    "sequential": lambda: nn.Sequential(nn.Tanh(), nn.Linear(2, 4, seed=0), nn.SiLU(), nn.Linear(4, 1, seed=2)),
    "lambda activation": lambda: nn.MLP([2, 4, 1], activation=lambda z: wnp.tanh(z) * 0.5, seed=0),
    "subclass with its own forward": lambda: ScaledMLP([2, 4, 1], seed=0),
    "residual": Residual,
    "fourier features": FourierFeatures,
    "closure": lambda: closure_network,
    "plain function": lambda: plain_function,
}


@pytest.mark.parametrize("name", NETWORKS)
@pytest.mark.parametrize(("dtype", "rtol"), [(np.float64, 1e-11), (np.float32, 2e-4)])
def test_every_network_gives_the_jvp_of_jvp_fields(name, dtype, rtol):
    network = NETWORKS[name]()
    if isinstance(network, nn.Module) and dtype == np.float32:
        network = network.float()
    points = POINTS.astype(dtype)
    fields = pinn.Derivatives(network, points, names="xt")
    assert fields.method == "taylor"
    results = fields(*REQUESTS)
    assert fields.passes == 1
    for request, a, b in zip(REQUESTS, results, jvp_fields(network, points)):
        assert raw(a).dtype == raw(b).dtype, request  # closures over float64 weights promote, as jvps do
        assert raw(a).dtype == dtype or not isinstance(network, nn.Module), request
        scale = np.max(np.abs(raw(b))) + 1e-30
        np.testing.assert_allclose(raw(a), raw(b), rtol=rtol, atol=rtol * scale, err_msg=request)
    wave = fields.combination({"u_tt": 1.0, "u_xx": -1.0, "u_x": 0.5})
    expected = raw(results[5]) - raw(results[3]) + 0.5 * raw(results[1])
    np.testing.assert_allclose(raw(wave), expected, rtol=rtol, atol=rtol * (np.max(np.abs(expected)) + 1e-30))


def test_three_coordinates_every_mixed_derivative_and_the_module_functions():
    model = nn.MLP([3, 7, 2], activation="tanh", seed=5)
    points = np.random.default_rng(1).normal(size=(9, 3))
    keys = [(), (0,), (1,), (2,), (0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2)]
    taylor_values = pinn.Derivatives(model, points, method="taylor")(*keys)
    jvp_values = pinn.Derivatives(model, points, method="jvp")(*keys)
    for key, a, b in zip(keys, taylor_values, jvp_values):
        np.testing.assert_allclose(raw(a), raw(b), rtol=1e-12, atol=1e-14, err_msg=str(key))
    np.testing.assert_allclose(raw(pinn.derivative(model, points, wrt=1)), raw(jvp_values[2]), rtol=1e-12)
    np.testing.assert_allclose(raw(pinn.second_derivative(model, points, wrt=(2, 1))), raw(jvp_values[8]), rtol=1e-12)
    gradient = raw(pinn.gradient(model, points))
    assert gradient.shape == (9, 2, 3)
    for j in range(3):
        np.testing.assert_allclose(gradient[..., j], raw(jvp_values[1 + j]), rtol=1e-12)
    laplacian = raw(pinn.laplacian(model, points, spatial=(0, 2)))
    np.testing.assert_allclose(laplacian, raw(jvp_values[4]) + raw(jvp_values[9]), rtol=1e-12, atol=1e-14)


def test_affine_network_has_constant_first_and_zero_second_derivatives():
    model = nn.Linear(2, 3, seed=0)
    u_x, u_xx, u_xt = taylor(model, POINTS, ["u_x", "u_xx", "u_xt"])
    np.testing.assert_allclose(raw(u_x), np.broadcast_to(raw(model.weight)[:, 0], (len(POINTS), 3)))
    assert np.all(raw(u_xx) == 0) and np.all(raw(u_xt) == 0)
    assert raw(u_xx).shape == (len(POINTS), 3)


def test_third_order_requests_take_jvp_passes_and_strict_taylor_refuses_them():
    model = nn.MLP([2, 4, 1], seed=0)
    fields = pinn.Derivatives(model, POINTS, names="xt")
    u_xxt = fields("u_xxt")
    expected = pinn.Derivatives(model, POINTS, names="xt", method="jvp")("u_xxt")
    np.testing.assert_allclose(raw(u_xxt), raw(expected), rtol=1e-12)
    with pytest.raises(ValueError, match="order ≤ 2"):
        pinn.Derivatives(model, POINTS, names="xt", method="taylor")("u_xxt")


def test_which_method_derivatives_took():
    assert pinn.Derivatives(closure_network, POINTS).method == "taylor"
    assert pinn.Derivatives(ScaledMLP([2, 4, 1], seed=0), POINTS).method == "taylor"
    assert pinn.Derivatives(nn.MLP([2, 4, 1], seed=0), POINTS, method="jvp").method == "jvp"
    assert pinn.Derivatives(nn.MLP([2, 4, 1], seed=0), POINTS, mode="reverse").method == "reverse"


# -- parameter gradients: Tensor dialect, functional dialect, finite differences ----------------------------

SIZES = (2, 5, 5, 1)


def residual_loss(u, points, method="auto"):
    """Burgers-like residual with first, second and mixed derivatives, plus a collapsed wave operator."""
    fields = pinn.Derivatives(u, points, names="xt", method=method)
    u_value, u_t, u_x, u_xx, u_xt = fields("u", "u_t", "u_x", "u_xx", "u_xt")
    residual = u_t + u_value * u_x - 0.1 * u_xx
    wave = fields.combination({"u_tt": 1.0, "u_xx": -1.0})
    return (residual**2).mean() + 0.1 * (u_xt**2).mean() + 0.01 * (wave**2).mean()


def dense_layout(arrays):
    """nn.Linear's (out, in) weights as DenseNetwork's (in, out) ones (biases as they are)."""
    return [np.ascontiguousarray(a.T) if np.ndim(a) == 2 else a for a in arrays]


def model_gradients(method):
    model = nn.MLP(SIZES, activation="tanh", seed=11)
    residual_loss(model, POINTS, method).backward()
    return [p.grad.numpy().copy() for p in model.parameters()]


@pytest.fixture(scope="module")
def jvp_gradients():
    return model_gradients("jvp")


def test_tensor_gradients_through_taylor_mode_equal_those_through_jvps(jvp_gradients):
    for taylor_gradient, expected in zip(model_gradients("taylor"), jvp_gradients):
        np.testing.assert_allclose(taylor_gradient, expected, rtol=1e-11, atol=1e-14)


def test_functional_dialect_with_functional_call(jvp_gradients):
    model = nn.MLP(SIZES, activation="tanh", seed=11)
    values = {name: p.detach().numpy().copy() for name, p in model.named_parameters()}

    def loss(values):
        network = functools.partial(nn.functional_call, model, values)
        return residual_loss(network, POINTS)

    gradients = wg.grad(loss)(values)
    for name, expected in zip(values, jvp_gradients):
        np.testing.assert_allclose(gradients[name], expected, rtol=1e-11, atol=1e-14)


def test_functional_dialect_with_a_dense_network(jvp_gradients):
    model = nn.MLP(SIZES, activation="tanh", seed=11)
    parameters = dense_layout(p.detach().numpy().copy() for p in model.parameters())
    gradients = wg.grad(lambda parameters: residual_loss(DenseNetwork(parameters, "tanh"), POINTS))(parameters)
    for result, expected in zip(gradients, dense_layout(jvp_gradients)):
        np.testing.assert_allclose(result, expected, rtol=1e-11, atol=1e-14)


def test_taylor_mode_loss_passes_check_grads():
    shapes = [p.shape for p in dense_layout(p.detach().numpy() for p in nn.MLP((2, 3, 3, 1), seed=0).parameters())]
    sizes = [int(np.prod(shape)) for shape in shapes]

    def loss_of_flat(flat):
        pieces = wnp.split(flat, np.cumsum(sizes)[:-1])
        parameters = [wnp.reshape(piece, shape) for piece, shape in zip(pieces, shapes)]
        return residual_loss(DenseNetwork(parameters, "tanh"), POINTS[:5], method="taylor")

    flat = np.random.default_rng(2).normal(size=sum(sizes)) * 0.7
    check_grads(loss_of_flat, (flat,), order=1, modes=("fwd", "rev"))


def test_points_as_tensors_are_differentiable_through_taylor_mode():
    model = nn.MLP([2, 5, 1], seed=1)
    by_method = {}
    for method in ("taylor", "jvp"):
        points = wg.tensor(POINTS[:6], requires_grad=True)
        u_xx = pinn.Derivatives(model, points, names="xt", method=method)("u_xx")
        (by_method[method],) = wg.autograd.grad(u_xx.sum(), points)
    np.testing.assert_allclose(by_method["taylor"].numpy(), by_method["jvp"].numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", ["residual", "fourier features", "subclass with its own forward"])
def test_parameter_gradients_of_any_module_equal_those_through_jvps(name):
    gradients = {}
    for method in ("taylor", "jvp"):
        model = NETWORKS[name]()
        residual_loss(model, POINTS, method).backward()
        gradients[method] = [p.grad.numpy().copy() for p in model.parameters() if p.grad is not None]
    assert len(gradients["taylor"]) == len(gradients["jvp"]) > 0
    for a, b in zip(gradients["taylor"], gradients["jvp"]):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)


def test_a_plain_function_of_parameters_and_points_through_grad():
    """The functional dialect without any network class: u(params, points) written by hand."""

    def u(params, points):
        w1, b1, w2 = params
        return wnp.sin(points @ w1 + b1) @ w2 + points[:, :1] * points[:, 1:] ** 2

    rng = np.random.default_rng(3)
    params = [rng.normal(size=(2, 5)), rng.normal(size=5), rng.normal(size=(5, 1))]

    def loss(params, method):
        return residual_loss(functools.partial(u, params), POINTS, method)

    taylor_gradient = wg.grad(lambda p: loss(p, "taylor"))(params)
    jvp_gradient = wg.grad(lambda p: loss(p, "jvp"))(params)
    for a, b in zip(taylor_gradient, jvp_gradient):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)


# -- bad input is named ---------------------------------------------------------------------------------

MODEL = nn.MLP([2, 4, 1], seed=0)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: pinn.Derivatives(MODEL, POINTS, method="symbolic"), ValueError, "method must be one of"),
        (lambda: pinn.Derivatives(MODEL, POINTS, mode="reverse", method="taylor"), ValueError, "forward-mode"),
        (lambda: pinn.Derivatives(MODEL, POINTS, names="xt", method="taylor")("u_xxt"), ValueError, "order ≤ 2"),
        (lambda: pinn.Derivatives(MODEL, POINTS[:, :1])("u"), ValueError, "last axis must have length 2"),
        (
            lambda: pinn.Derivatives(nn.Sequential(nn.Tanh(), nn.Linear(2, 1, dtype=np.float32)), POINTS)((0,)),
            TypeError,
            "dtype float64 but the weights have dtype float32",
        ),
        (lambda: pinn.Derivatives(lambda p: p.sum(axis=0), POINTS)((0,)), ValueError, "row"),
        (lambda: pinn.Derivatives(MODEL, POINTS).combination({}), TypeError, "non-empty mapping"),
        (lambda: pinn.Derivatives(MODEL, POINTS).combination({(0, 0): "1"}), TypeError, "real number"),
        (lambda: pinn.Derivatives(MODEL, POINTS, names="xt").combination({"u_y": 1.0}), ValueError, "names"),
        (lambda: pinn.Derivatives(MODEL, POINTS, names="xt")("uxx"), ValueError, "without its underscore: .*'u_xx'"),
        (lambda: pinn.Derivatives(MODEL, POINTS, names="xt")("xt"), ValueError, "ask for 'u_xt'"),
        (lambda: pinn.Derivatives(MODEL, POINTS, names="xt")("u_x_t"), ValueError, "one underscore"),
        (lambda: pinn.Derivatives(MODEL, POINTS, names="xt")("du/dx"), ValueError, "such as 'u_xt'"),
        (
            lambda: pinn.Derivatives(MODEL, POINTS, names="xt").combination({"uxx": 1.0, "u_t": 1.0}),
            ValueError,
            "underscore",
        ),
        (lambda: pinn.laplacian(MODEL, POINTS, mode="reverse", method="taylor"), ValueError, "forward-mode"),
        (lambda: DenseNetwork([np.ones((2, 2))], "tanh"), ValueError, r"\[W1, b1"),
        (lambda: DenseNetwork([np.ones((2, 1)), np.zeros(1)], "swish"), ValueError, "activation must be"),
    ],
)
def test_bad_input_is_named(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize("method", ["auto", "taylor", "jvp"])
def test_the_value_alone_and_value_terms_of_a_combination(method):
    """u alone (a Taylor pass with no direction) and c·u in a combination, for a plain function."""
    u = lambda p: wnp.sin(p[:, :1]) * wnp.exp(-p[:, 1:])  # noqa: E731
    exact = np.sin(POINTS[:, :1]) * np.exp(-POINTS[:, 1:])
    fields = pinn.Derivatives(u, POINTS, names="xt", method=method)
    np.testing.assert_allclose(fields("u"), exact, rtol=1e-14)
    np.testing.assert_allclose(fields(()), exact, rtol=1e-14)
    np.testing.assert_allclose(fields("phi"), exact, rtol=1e-14)  # any name without an underscore is the value
    np.testing.assert_allclose(
        pinn.Derivatives(u, POINTS, names="xt", method=method).combination({"u": 2.0}), 2 * exact, rtol=1e-14
    )
    wave = pinn.Derivatives(u, POINTS, names="xt", method=method).combination({"u_xx": 1.0, "u": 1.0})
    np.testing.assert_allclose(wave, 0.0, atol=1e-14)  # u_xx = −u
