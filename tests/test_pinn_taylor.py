"""Second-order Taylor mode (`wengert.pinn.taylor`) and `Derivatives`' use of it.

A one-hidden-layer tanh network has derivatives by hand; every activation
Taylor mode knows gives the jvp-of-jvp values at every point (float64 and
float32); a residual loss built from Taylor-mode derivatives has the same
parameter gradients as through jvps of jvps, in the Tensor dialect
(``loss.backward()``) and the functional one (``wg.grad``), and passes
check_grads; networks Taylor mode does not know fall back to the jvp passes
with the same values; bad input is named.
"""

import functools

import numpy as np
import pytest

import wengert as wg
import wengert.nn as nn
import wengert.numpy as wnp
from wengert import pinn
from wengert.core import primal_value
from wengert.pinn.taylor import Activation, Affine, DenseNetwork, network_stages, taylor_fields
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
    fields = pinn.Derivatives(one_layer_model(), POINTS, method="taylor")
    expected = by_hand(POINTS)
    for key, result in zip(ALL_KEYS, fields(*ALL_KEYS)):
        np.testing.assert_allclose(raw(result), expected[key], rtol=1e-13, atol=1e-15, err_msg=f"{key}")
    assert fields.passes == 1


def test_one_layer_tanh_network_in_float32():
    fields = pinn.Derivatives(one_layer_model(np.float32), POINTS.astype(np.float32), method="taylor")
    expected = by_hand(POINTS)
    for key in ALL_KEYS:
        result = raw(fields(key))
        assert result.dtype == np.float32, key
        np.testing.assert_allclose(result, expected[key], rtol=2e-5, atol=2e-6, err_msg=f"{key}")


def test_stages_by_hand_match_the_module():
    stages = [Affine(HIDDEN_WEIGHT, HIDDEN_BIAS), Activation("tanh"), Affine(OUT_WEIGHT, OUT_BIAS)]
    fields = taylor_fields(stages, POINTS, ALL_KEYS)
    expected = by_hand(POINTS)
    for key in ALL_KEYS:
        np.testing.assert_allclose(fields[key], expected[key], rtol=1e-13, atol=1e-15)


# -- every activation against jvp of jvp ------------------------------------------------------------------

ACTIVATIONS = {
    "tanh": "tanh",
    "sigmoid": "sigmoid",
    "softplus": "softplus",
    "softplus beta=2": nn.Softplus(2.0),
    "sin": "sin",
    "sin frequency=3": nn.Sin(3.0),
    "relu": "relu",
    "silu": "silu",
    "gelu": "gelu",
    "identity": "identity",
    "Lambda(wnp.tanh)": wnp.tanh,
    "Lambda(wnp.cos)": wnp.cos,
}


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-12), (np.float32, 2e-5)])
def test_taylor_mode_equals_jvp_of_jvp(activation, dtype, rtol):
    model = nn.MLP([2, 6, 5, 2], activation=ACTIVATIONS[activation], seed=3, dtype=dtype)
    assert network_stages(model) is not None
    points = POINTS.astype(dtype)
    for request, expected, result in zip(REQUESTS, jvp_fields(model, points), taylor(model, points)):
        assert raw(result).dtype == dtype
        scale = np.max(np.abs(raw(expected))) + 1.0
        np.testing.assert_allclose(raw(result), raw(expected), rtol=rtol, atol=rtol * scale, err_msg=request)


def test_three_coordinates_every_mixed_derivative():
    points = RNG.normal(size=(9, 3))
    model = nn.Sequential(nn.Linear(3, 7, seed=1), nn.Tanh(), nn.Sequential(nn.Linear(7, 4, seed=2), nn.Sin()))
    keys = [(), (0,), (1,), (2,), (0, 0), (0, 1), (0, 2), (1, 1), (1, 2), (2, 2)]
    expected = pinn.Derivatives(model, points, method="jvp")(*keys)
    result = pinn.Derivatives(model, points, method="taylor")(*keys)
    for key, a, b in zip(keys, result, expected):
        np.testing.assert_allclose(raw(a), raw(b), rtol=1e-12, atol=1e-14, err_msg=f"{key}")


def test_network_without_biases_and_output_activation():
    model = nn.MLP([2, 5, 3], activation="sigmoid", output_activation="tanh", bias=False, seed=4)
    for a, b in zip(taylor(model, POINTS), jvp_fields(model, POINTS)):
        np.testing.assert_allclose(raw(a), raw(b), rtol=1e-12, atol=1e-14)


def test_affine_network_has_constant_first_and_zero_second_derivatives():
    model = nn.Linear(2, 3, seed=0)
    u, u_x, u_xx = taylor(model, POINTS, ["u", "u_x", "u_xx"])
    assert raw(u_x).shape == (12, 3) and raw(u_xx).shape == (12, 3)
    np.testing.assert_allclose(raw(u_x), np.broadcast_to(model.weight.detach().numpy()[:, 0], (12, 3)))
    np.testing.assert_array_equal(raw(u_xx), 0.0)


def test_network_that_starts_with_an_activation():
    model = nn.Sequential(nn.Sin(2.0), nn.Linear(2, 4, seed=0), nn.Tanh(), nn.Linear(4, 1, seed=1))
    assert pinn.Derivatives(model, POINTS).method == "taylor"
    for a, b in zip(taylor(model, POINTS), jvp_fields(model, POINTS)):
        np.testing.assert_allclose(raw(a), raw(b), rtol=1e-12, atol=1e-14)


def test_float64_points_into_a_float32_model_are_converted_as_linear_does():
    model = nn.MLP([2, 4, 1], seed=0, dtype=np.float32)
    u_xx = pinn.Derivatives(model, POINTS, names="xt")("u_xx")
    assert raw(u_xx).dtype == np.float32


# -- sharing and collapsing streams ---------------------------------------------------------------------


def test_one_taylor_pass_gives_every_derivative_of_order_two():
    model = nn.MLP([2, 6, 1], seed=0)
    fields = pinn.Derivatives(model, POINTS, names="xt")
    assert fields.method == "taylor"
    fields("u_tt", "u_xx")
    fields("u", "u_x", "u_t")  # came free with the second-order streams
    assert fields.passes == 1
    fields("u_xt")
    assert fields.passes == 2


def test_third_order_requests_fall_back_to_jvp_passes():
    model = nn.MLP([2, 6, 1], seed=0)
    u_xxt, u_xx = pinn.Derivatives(model, POINTS, names="xt")("u_xxt", "u_xx")
    expected = jvp_fields(model, POINTS, ["u_xxt", "u_xx"])
    np.testing.assert_allclose(raw(u_xxt), raw(expected[0]), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(raw(u_xx), raw(expected[1]), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("method", ["auto", "jvp"])
def test_combination_equals_the_sum_of_its_terms(method):
    model = nn.MLP([2, 6, 6, 1], activation="softplus", seed=5)
    fields = pinn.Derivatives(model, POINTS, names="xt", method=method)
    operator = fields.combination({"u_tt": 1.0, "u_xx": -2.5, "u_xt": 0.5, "u_t": 3.0, "u": -1.0})
    u, u_t, u_xx, u_xt, u_tt = jvp_fields(model, POINTS, ["u", "u_t", "u_xx", "u_xt", "u_tt"])
    expected = raw(u_tt) - 2.5 * raw(u_xx) + 0.5 * raw(u_xt) + 3.0 * raw(u_t) - raw(u)
    np.testing.assert_allclose(raw(operator), expected, rtol=1e-12, atol=1e-13)
    assert fields.combination({"u_xx": -2.5, "u_tt": 1.0, "u_xt": 0.5, "u_t": 3, "u": -1}) is operator  # cached


def test_collapsed_wave_operator_is_one_pass():
    fields = pinn.Derivatives(nn.MLP([2, 6, 1], seed=0), POINTS, names="xt")
    fields.combination({"u_tt": 1.0, "u_xx": -1.0})
    assert fields.passes == 1


@pytest.mark.parametrize("spatial", [None, (0,), (0, 2)])
def test_laplacian_by_a_collapsed_stream_equals_jvp_passes(spatial):
    points = RNG.normal(size=(8, 3))
    model = nn.MLP([3, 6, 6, 2], activation="tanh", seed=6)
    result = pinn.laplacian(model, points, spatial=spatial)
    expected = pinn.laplacian(model, points, spatial=spatial, method="jvp")
    np.testing.assert_allclose(raw(result), raw(expected), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("outputs", [1, 2])
def test_derivative_second_derivative_and_gradient_take_taylor_mode_for_networks(monkeypatch, outputs):
    points = RNG.normal(size=(7, 3))
    model = nn.MLP([3, 6, 6, outputs], activation="tanh", seed=8)
    closure = lambda p: model(p)  # noqa: E731  (a function Taylor mode does not recognise: jvp passes)
    expected = {
        "d1": pinn.derivative(closure, points, wrt=1),
        "d00": pinn.second_derivative(closure, points, wrt=(0, 0)),
        "d21": pinn.second_derivative(closure, points, wrt=(2, 1)),
        "grad": pinn.gradient(closure, points),
    }

    def no_jvp_tower(*args, **kwargs):
        raise AssertionError("a recognised network went through jvp passes")

    monkeypatch.setattr(pinn.derivatives, "forward_tower", no_jvp_tower)
    monkeypatch.setattr(pinn.derivatives, "jvp", no_jvp_tower)
    results = {
        "d1": pinn.derivative(model, points, wrt=1),
        "d00": pinn.second_derivative(model, points, wrt=(0, 0)),
        "d21": pinn.second_derivative(model, points, wrt=(2, 1)),
        "grad": pinn.gradient(model, points),
    }
    for name, value in results.items():
        assert np.shape(raw(value)) == np.shape(raw(expected[name])), name
        np.testing.assert_allclose(raw(value), raw(expected[name]), rtol=1e-12, atol=1e-14, err_msg=name)


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
        assert pinn.Derivatives(network, POINTS).method == "taylor"
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


# -- what Taylor mode does not recognise ----------------------------------------------------------------


MODEL = nn.MLP([2, 4, 1], seed=0)


class ScaledMLP(nn.MLP):
    def forward(self, x):
        return 2.0 * super().forward(x)


def closure_network(points):
    return wnp.tanh(points @ HIDDEN_WEIGHT + HIDDEN_BIAS) @ OUT_WEIGHT


@pytest.mark.parametrize(
    "network",
    [
        closure_network,
        nn.MLP([2, 4, 1], activation=lambda z: wnp.tanh(z) * 0.5, seed=0),  # a Lambda of an unknown function
        nn.MLP([2, 4, 1], activation=nn.Softplus(), seed=0).layers[:2],  # Sequential slice: recognised
        ScaledMLP([2, 4, 1], seed=0),  # a subclass overriding forward
    ],
    ids=["function", "lambda activation", "sequential slice", "subclass"],
)
def test_other_functions_fall_back_with_the_same_values(network):
    for a, b in zip(pinn.Derivatives(network, POINTS, names="xt")(*REQUESTS), jvp_fields(network, POINTS)):
        np.testing.assert_allclose(raw(a), raw(b), rtol=1e-12, atol=1e-14)


def test_which_method_derivatives_took():
    assert pinn.Derivatives(closure_network, POINTS).method == "jvp"
    assert pinn.Derivatives(ScaledMLP([2, 4, 1], seed=0), POINTS).method == "jvp"
    assert pinn.Derivatives(nn.MLP([2, 4, 1], seed=0), POINTS).method == "taylor"
    assert pinn.Derivatives(functools.partial(nn.functional_call, MODEL, {}), POINTS).method == "taylor"
    assert pinn.Derivatives(functools.partial(nn.functional_call, MODEL, {}, 1), POINTS).method == "jvp"
    assert pinn.Derivatives(nn.MLP([2, 4, 1], seed=0), POINTS, method="jvp").method == "jvp"
    assert pinn.Derivatives(nn.MLP([2, 4, 1], seed=0), POINTS, mode="reverse").method == "reverse"


# -- bad input is named ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: pinn.Derivatives(MODEL, POINTS, method="symbolic"), ValueError, "method must be one of"),
        (lambda: pinn.Derivatives(closure_network, POINTS, method="taylor"), ValueError, "method='taylor' needs"),
        (lambda: pinn.Derivatives(MODEL, POINTS, mode="reverse", method="taylor"), ValueError, "forward-mode"),
        (lambda: pinn.Derivatives(MODEL, POINTS, names="xt", method="taylor")("u_xxt"), ValueError, "order ≤ 2"),
        (lambda: pinn.Derivatives(MODEL, POINTS[:, :1], method="taylor"), ValueError, "1 coordinates"),
        (lambda: pinn.Derivatives(MODEL, POINTS[:, :1])("u"), ValueError, "last axis must have length 2"),
        (
            lambda: pinn.Derivatives(nn.Sequential(nn.Tanh(), nn.Linear(2, 1, dtype=np.float32)), POINTS)((0,)),
            TypeError,
            "dtype float64 but the weights have dtype float32",
        ),
        (lambda: pinn.Derivatives(MODEL, POINTS).combination({}), TypeError, "non-empty mapping"),
        (lambda: pinn.Derivatives(MODEL, POINTS).combination({(0, 0): "1"}), TypeError, "real number"),
        (lambda: pinn.Derivatives(MODEL, POINTS, names="xt").combination({"u_y": 1.0}), ValueError, "names"),
        (lambda: taylor_fields(network_stages(MODEL), POINTS, [(0, 0, 1)]), ValueError, "second order"),
        (lambda: taylor_fields(network_stages(MODEL), POINTS, [(2,)]), ValueError, "outside"),
        (lambda: taylor_fields(network_stages(MODEL), POINTS, [], {"c": {(0,): 1.0}}), ValueError, "only second"),
        (lambda: taylor_fields(network_stages(MODEL), POINTS, [], {"c": {}}), ValueError, "no terms"),
        (lambda: DenseNetwork([np.ones((2, 2))], "tanh"), ValueError, r"\[W1, b1"),
        (lambda: DenseNetwork([np.ones((2, 1)), np.zeros(1)], "swish"), ValueError, "activation must be"),
    ],
)
def test_bad_input_is_named(call, error, message):
    with pytest.raises(error, match=message):
        call()


# -- tanh networks: the fused step against the composed path ----------------------------------------------

FUSED_NETWORKS = {
    "mlp": lambda dtype: nn.MLP([2, 6, 5, 2], activation="tanh", seed=3, dtype=dtype),
    "no biases, tanh output": lambda dtype: nn.MLP(
        [2, 5, 3], activation="tanh", output_activation="tanh", bias=False, seed=4, dtype=dtype
    ),
    "starts with tanh, identity, two affine layers in a row": lambda dtype: nn.Sequential(
        nn.Tanh(),
        nn.Linear(2, 4, seed=0, dtype=dtype),
        nn.Identity(),
        nn.Linear(4, 5, seed=1, dtype=dtype),
        nn.Tanh(),
        nn.Linear(5, 1, seed=2, dtype=dtype),
    ),
}


def fields_both_ways(monkeypatch, network, points, keys, combinations=None):
    stages = network_stages(network)
    by_path = {}
    for fused in (False, True):
        monkeypatch.setattr(pinn.taylor, "FUSED_TANH", fused)
        by_path[fused] = taylor_fields(stages, points, keys, combinations)
    return by_path[False], by_path[True]


@pytest.mark.parametrize("network", list(FUSED_NETWORKS))
@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-12), (np.float32, 2e-5)])
def test_fused_tanh_fields_equal_the_composed_path(monkeypatch, network, dtype, rtol):
    model = FUSED_NETWORKS[network](dtype)
    points = POINTS.astype(dtype)
    wave = {"wave": {(1, 1): 1.0, (0, 0): -1.0}, "mixed": {(0, 1): 2.0, (1, 1): 0.5}}
    for keys, combinations in [(ALL_KEYS, None), ([(0, 0), (1, 1)], None), ([], wave), ([()], None)]:
        composed, fused = fields_both_ways(monkeypatch, model, points, keys, combinations)
        assert sorted(map(str, fused)) == sorted(map(str, composed))
        for key, expected in composed.items():
            assert raw(fused[key]).dtype == dtype and raw(fused[key]).shape == raw(expected).shape
            scale = np.max(np.abs(raw(expected))) + 1.0
            np.testing.assert_allclose(raw(fused[key]), raw(expected), rtol=rtol, atol=rtol * scale, err_msg=str(key))


def test_fused_tanh_parameter_gradients_equal_the_composed_path(monkeypatch):
    """Tensor dialect (loss.backward) and functional dialect (wg.grad), to 1e-12."""
    gradients = {}
    for fused in (False, True):
        monkeypatch.setattr(pinn.taylor, "FUSED_TANH", fused)
        tensors = model_gradients("taylor")
        model = nn.MLP(SIZES, activation="tanh", seed=11)
        parameters = dense_layout(p.detach().numpy().copy() for p in model.parameters())
        functional = wg.grad(lambda ps: residual_loss(DenseNetwork(ps, "tanh"), POINTS))(parameters)
        gradients[fused] = tensors + list(functional)
    for fused, composed in zip(gradients[True], gradients[False]):
        np.testing.assert_allclose(fused, composed, rtol=1e-12, atol=1e-14)


def test_fused_tanh_parameter_gradients_in_float32(monkeypatch):
    gradients = {}
    for fused in (False, True):
        monkeypatch.setattr(pinn.taylor, "FUSED_TANH", fused)
        model = nn.MLP(SIZES, activation="tanh", seed=11, dtype=np.float32)
        residual_loss(model, POINTS.astype(np.float32)).backward()
        gradients[fused] = [p.grad.numpy().copy() for p in model.parameters()]
    for fused, composed in zip(gradients[True], gradients[False]):
        assert fused.dtype == np.float32
        np.testing.assert_allclose(fused, composed, rtol=1e-4, atol=1e-6)


def test_fused_tanh_records_one_step_per_activation(monkeypatch):
    monkeypatch.setattr(pinn.taylor, "FUSED_TANH", True)
    parameters = dense_layout(p.detach().numpy().copy() for p in nn.MLP([2, 4, 4, 1], seed=0).parameters())
    stages = DenseNetwork(parameters, "tanh").stages()
    listing = wg.trace(
        lambda *ps: taylor_fields(DenseNetwork(list(ps), "tanh").stages(), POINTS, [(0, 0)])[(0, 0)], *parameters
    )
    text = listing.to_text()
    assert text.count("tanh_taylor_step(") == sum(isinstance(s, Activation) for s in stages) == 2
    assert "tanh(" not in text.replace("tanh_taylor_step(", "")


def test_tanh_networks_take_the_composed_path_by_default():
    parameters = dense_layout(p.detach().numpy().copy() for p in nn.MLP([2, 4, 4, 1], seed=0).parameters())
    listing = wg.trace(
        lambda *ps: taylor_fields(DenseNetwork(list(ps), "tanh").stages(), POINTS, [(0, 0)])[(0, 0)], *parameters
    )
    assert "tanh_taylor_step(" not in listing.to_text()


def test_mixed_activations_keep_the_composed_path():
    model = nn.Sequential(
        nn.Linear(2, 4, seed=0), nn.Tanh(), nn.Linear(4, 3, seed=1), nn.Sin(), nn.Linear(3, 1, seed=2)
    )
    parameters = [p.detach().numpy().copy() for p in model.parameters()]
    names = [name for name, _ in model.named_parameters()]

    def u_xx(*ps):
        network = functools.partial(nn.functional_call, model, dict(zip(names, ps)))
        return taylor_fields(network_stages(network), POINTS, [(0, 0)])[(0, 0)]

    assert "tanh_taylor_step" not in wg.trace(u_xx, *parameters).to_text()
