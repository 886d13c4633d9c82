"""``wengert.nn``: module bookkeeping, saving and loading, layers, activations, losses, training, float32."""

import copy
import math
import pickle

import numpy as np
import pytest

import wengert as wg
import wengert.nn as nn
import wengert.numpy as wnp
import wengert.optim as optim
from wengert.testing import check_grads

# -- helpers ---------------------------------------------------------------------------------------


class Block(nn.Module):
    """Two layers, the second used twice, plus a buffer."""

    def __init__(self, seed: int) -> None:
        super().__init__()
        self.inner = nn.Linear(3, 3, seed=seed)
        self.shared = nn.Linear(3, 3, seed=seed + 1)
        self.again = self.shared  # the same module under a second name
        self.register_buffer("scale", np.array([1.0, 2.0, 3.0]))

    def forward(self, x):
        return self.again(wnp.tanh(self.shared(self.inner(x)))) * self.scale


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.layers = nn.Sequential(nn.Linear(2, 3, seed=0), nn.Tanh(), Block(seed=1))
        self.head = nn.Linear(3, 1, seed=5)
        self.gain = nn.Parameter(np.array(0.5))

    def forward(self, x):
        return self.head(self.layers(x)) * self.gain


def flat_parameters(model):
    return np.concatenate([p.detach().numpy().ravel() for p in model.parameters()])


def functional_loss(model, x, target, loss=nn.mse_loss):
    """The loss as a function of one flat vector of all parameters (for check_grads and wg.grad)."""
    named = list(model.named_parameters())

    def loss_of_flat(flat):
        values, offset = {}, 0
        for name, parameter in named:
            size = parameter.detach().numpy().size
            values[name] = wnp.reshape(flat[offset : offset + size], parameter.shape)
            offset += size
        return loss(nn.functional_call(model, values, x), target)

    return loss_of_flat


def two_moons(n, noise, rng):
    """Two interleaved half circles (labels 0 and 1), as in scikit-learn's make_moons."""
    n_outer = n // 2
    n_inner = n - n_outer
    t_outer = rng.uniform(0.0, np.pi, n_outer)
    t_inner = rng.uniform(0.0, np.pi, n_inner)
    outer = np.stack([np.cos(t_outer), np.sin(t_outer)], axis=1)
    inner = np.stack([1.0 - np.cos(t_inner), 0.5 - np.sin(t_inner)], axis=1)
    x = np.concatenate([outer, inner]) + noise * rng.standard_normal((n, 2))
    return x, np.concatenate([np.zeros(n_outer, dtype=int), np.ones(n_inner, dtype=int)])


# -- Module bookkeeping ----------------------------------------------------------------------------


def test_parameter_names_follow_the_module_tree_and_shared_ones_come_once():
    net = Net()
    names = [name for name, _ in net.named_parameters()]
    assert names == [
        "gain",
        "layers.0.weight",
        "layers.0.bias",
        "layers.2.inner.weight",
        "layers.2.inner.bias",
        "layers.2.shared.weight",
        "layers.2.shared.bias",
        "head.weight",
        "head.bias",
    ]
    assert len(list(net.parameters())) == 9
    assert net.num_parameters() == 1 + 6 + 3 + 2 * (9 + 3) + 3 + 1
    assert all(isinstance(p, nn.Parameter) and p.requires_grad and p.is_leaf for p in net.parameters())


def test_children_and_modules_each_once():
    net = Net()
    assert [type(m).__name__ for m in net.children()] == ["Sequential", "Linear"]
    assert [name for name, _ in net.named_modules()] == [
        "",
        "layers",
        "layers.0",
        "layers.1",
        "layers.2",
        "layers.2.inner",
        "layers.2.shared",
        "head",
    ]
    block = net.layers[2]
    assert [name for name, _ in block.named_children()] == ["inner", "shared"]
    assert [name for name, _ in net.named_buffers()] == ["layers.2.scale"]


def test_attribute_reads_and_replacement():
    layer = nn.Linear(2, 2, seed=0)
    weight = layer.weight
    assert layer._parameters["weight"] is weight
    new_weight = nn.Parameter(np.zeros((2, 2)))
    layer.weight = new_weight
    assert layer.weight is new_weight and layer._parameters["weight"] is new_weight
    with pytest.raises(TypeError, match="Parameter or None"):
        layer.weight = wg.tensor(np.zeros((2, 2)))
    with pytest.raises(TypeError, match="Module or None"):
        Net().head = 3.0
    del layer.bias
    assert [name for name, _ in layer.named_parameters()] == ["weight"]


def test_assignment_before_init_is_explained():
    class Broken(nn.Module):
        def __init__(self):
            self.layer = nn.Linear(1, 1, seed=0)

    with pytest.raises(AttributeError, match="super\\(\\).__init__"):
        Broken()


def test_train_eval_and_zero_grad():
    net = Net()
    assert all(m.training for m in net.modules())
    assert net.eval() is net and not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    x = np.ones((4, 2))
    net(x).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not np.any(p.grad.detach().numpy()) for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_repr_is_readable():
    text = repr(nn.MLP([2, 4, 1], activation="relu", seed=0))
    assert text == (
        "MLP(\n"
        "  (layers): Sequential(\n"
        "    (0): Linear(in_features=2, out_features=4, bias=True)\n"
        "    (1): ReLU()\n"
        "    (2): Linear(in_features=4, out_features=1, bias=True)\n"
        "  )\n"
        ")"
    )
    assert repr(nn.GELU()) == "GELU(approximate='none')"
    assert repr(nn.Parameter([1.0])).startswith("Parameter containing:\ntensor(")


def test_parameter_is_a_leaf_tensor_and_copies_its_data():
    data = np.array([1.0, 2.0])
    p = nn.Parameter(data)
    data[0] = 5.0
    assert isinstance(p, wg.Tensor) and p.tolist() == [1.0, 2.0] and p.requires_grad and p.is_leaf
    assert nn.Parameter([1, 2]).dtype == np.float64
    assert not nn.Parameter([1.0], requires_grad=False).requires_grad
    assert nn.Parameter(np.zeros(2, np.float32)).dtype == np.float32
    assert type(p * 2.0) is wg.Tensor  # results of operations are ordinary tensors


# -- state_dict ------------------------------------------------------------------------------------


def test_state_dict_round_trip_restores_outputs_and_keeps_parameter_objects():
    net, other = Net(), Net()
    with wg.no_grad():
        for p in other.parameters():
            p.add_(1.0)
    x = np.random.default_rng(0).standard_normal((5, 2))
    state = net.state_dict()
    assert list(state) == [name for name, _ in net.named_parameters()] + ["layers.2.scale"]
    # PyTorch's: tensors that record nothing
    assert all(type(value) is wg.Tensor and not value.requires_grad for value in state.values())
    objects = list(other.parameters())
    assert other.load_state_dict(state) == ([], [])
    assert all(a is b for a, b in zip(other.parameters(), objects))
    np.testing.assert_array_equal(other(x).detach().numpy(), net(x).detach().numpy())


def test_state_dict_holds_copies_both_ways():
    layer = nn.Linear(2, 2, seed=0)
    state = layer.state_dict()
    state["weight"][...] = 7.0
    assert not np.any(layer.weight.detach().numpy() == 7.0)
    layer.load_state_dict(state)
    state["weight"][...] = 9.0
    assert np.all(layer.weight.detach().numpy() == 7.0)


def test_load_state_dict_names_missing_and_unexpected_keys():
    layer = nn.Linear(2, 2, seed=0)
    state = layer.state_dict()
    del state["bias"]
    state["extra"] = np.zeros(1)
    with pytest.raises(RuntimeError, match=r"missing keys: \['bias'\].*unexpected keys: \['extra'\]"):
        layer.load_state_dict(state)
    before = layer.bias.detach().numpy().copy()
    result = layer.load_state_dict(state, strict=False)
    assert result.missing_keys == ["bias"] and result.unexpected_keys == ["extra"]
    np.testing.assert_array_equal(layer.bias.detach().numpy(), before)


def test_load_state_dict_rejects_shape_mismatch_even_when_not_strict():
    layer = nn.Linear(2, 3, seed=0)
    state = layer.state_dict()
    state["weight"] = np.zeros((2, 3))  # the (in, out) transpose of the (out, in) weight
    for strict in (True, False):
        with pytest.raises(RuntimeError, match=r"'weight': shape \(2, 3\) in the state dict, \(3, 2\) in the model"):
            layer.load_state_dict(state, strict=strict)


def test_load_state_dict_converts_to_the_parameter_dtype_and_bumps_the_version():
    layer = nn.Linear(2, 2, seed=0, dtype=np.float32)
    x = wg.tensor(np.ones((1, 2), np.float32))
    out = (layer(x) ** 2).sum()  # saves the weight for the backward pass
    layer.load_state_dict({"weight": np.eye(2), "bias": [1, 2]})
    assert layer.weight.dtype == np.float32 and layer.bias.tolist() == [1.0, 2.0]
    with pytest.raises(RuntimeError, match="load_state_dict"):
        out.backward()


# -- Linear, Sequential, MLP -------------------------------------------------------------------------


def test_linear_computes_x_at_weight_transposed_plus_bias_with_weight_out_by_in():
    layer = nn.Linear(3, 2, seed=0)
    assert layer.weight.shape == (2, 3) and layer.bias.shape == (2,)
    x = np.random.default_rng(1).standard_normal((4, 3))
    np.testing.assert_allclose(
        layer(x).detach().numpy(), x @ layer.weight.detach().numpy().T + layer.bias.detach().numpy(), rtol=0, atol=0
    )
    assert layer(x[0]).shape == (2,)
    no_bias = nn.Linear(3, 2, bias=False, seed=0)
    assert no_bias.bias is None and [n for n, _ in no_bias.named_parameters()] == ["weight"]
    np.testing.assert_array_equal(no_bias(x).detach().numpy(), x @ no_bias.weight.detach().numpy().T)


def test_linear_checks_the_input_width_and_dtype():
    layer = nn.Linear(3, 2, seed=0, dtype=np.float32)
    with pytest.raises(ValueError, match=r"shape \(4, 2\); its last axis must have length 3"):
        layer(np.ones((4, 2)))
    with pytest.raises(TypeError, match="input has dtype float64 but the weights have dtype float32"):
        layer(wg.tensor(np.ones((4, 3))))
    assert layer(np.ones((4, 3))).dtype == np.float32  # plain arrays are converted
    assert layer([[1, 2, 3]]).dtype == np.float32


def test_seeds_make_initialisation_reproducible():
    a = nn.MLP([3, 5, 2], seed=7)
    b = nn.MLP([3, 5, 2], rng=np.random.default_rng(7))
    c = nn.MLP([3, 5, 2], rng=7)
    for pa, pb, pc in zip(a.parameters(), b.parameters(), c.parameters()):
        np.testing.assert_array_equal(pa.detach().numpy(), pb.detach().numpy())
        np.testing.assert_array_equal(pa.detach().numpy(), pc.detach().numpy())
    assert not np.array_equal(
        a.layers[0].weight.detach().numpy(), nn.MLP([3, 5, 2], seed=8).layers[0].weight.detach().numpy()
    )
    with pytest.raises(ValueError, match="either rng= or seed="):
        nn.Linear(2, 2, rng=1, seed=1)
    with pytest.raises(TypeError, match="wengert.Generator or an integer seed"):
        nn.Linear(2, 2, rng=np.random.RandomState(0))


def test_glorot_normal_and_pytorch_initialisation_statistics():
    glorot = nn.Linear(400, 600, init="glorot_normal", seed=0)
    assert glorot.weight.detach().numpy().std() == pytest.approx(math.sqrt(2.0 / 1000.0), rel=0.02)
    assert abs(glorot.weight.detach().numpy().mean()) < 1e-3 and not np.any(glorot.bias.detach().numpy())
    torch_like = nn.Linear(400, 600, seed=0)  # the default: PyTorch's
    bound = 1.0 / math.sqrt(400)
    weight, bias = torch_like.weight.detach().numpy(), torch_like.bias.detach().numpy()
    assert np.abs(weight).max() <= bound and np.abs(weight).max() > 0.99 * bound
    assert weight.std() == pytest.approx(bound / math.sqrt(3.0), rel=0.02)  # uniform on ±bound
    assert np.abs(bias).max() <= bound and np.any(bias)
    custom = nn.Linear(2, 3, init=lambda shape, rng, dtype: np.full(shape, 0.5, dtype), seed=0)
    assert np.all(custom.weight.detach().numpy() == 0.5)
    with pytest.raises(ValueError, match="unknown init 'xavier'"):
        nn.Linear(2, 2, init="xavier")


def test_float32_initialisation_is_the_float64_one_rounded():
    a = nn.MLP([2, 4, 1], seed=3)
    b = nn.MLP([2, 4, 1], seed=3, dtype=np.float32)
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert pb.dtype == np.float32
        np.testing.assert_array_equal(pa.detach().numpy().astype(np.float32), pb.detach().numpy())


def test_sequential_and_module_list():
    net = nn.Sequential(nn.Linear(2, 3, seed=0), nn.ReLU())
    net.append(nn.Linear(3, 1, seed=1))
    assert len(net) == 3 and isinstance(net[-1], nn.Linear) and len(net[1:]) == 2
    x = np.ones((2, 2))
    np.testing.assert_array_equal(net(x).detach().numpy(), net[2](net[1](net[0](x))).detach().numpy())
    with pytest.raises(TypeError, match="not a Module"):
        nn.Sequential(nn.Linear(1, 1, seed=0), wnp.tanh)
    blocks = nn.ModuleList(nn.Linear(2, 2, seed=i) for i in range(3))
    assert [n for n, _ in blocks.named_parameters()][:3] == ["0.weight", "0.bias", "1.weight"]


def test_mlp_structure_and_activations():
    model = nn.MLP([3, 7, 5, 2], activation="sin", output_activation="sigmoid", seed=0)
    kinds = [type(m).__name__ for m in model.layers]
    assert kinds == ["Linear", "Sin", "Linear", "Sin", "Linear", "Sigmoid"]
    out = model(np.random.default_rng(0).standard_normal((4, 3)))
    assert out.shape == (4, 2) and np.all((out.detach().numpy() > 0) & (out.detach().numpy() < 1))
    assert model.in_features == 3 and model.out_features == 2
    lambda_model = nn.MLP([1, 2, 1], activation=wnp.cos, seed=0)
    assert type(lambda_model.layers[1]).__name__ == "Lambda"
    with pytest.raises(ValueError, match="unknown activation 'swoosh'"):
        nn.MLP([1, 2, 1], activation="swoosh")


def test_model_runs_on_plain_arrays_without_recording():
    model = nn.MLP([2, 4, 1], seed=0)
    with wg.no_grad():
        out = model(np.ones((3, 2)))
    assert not out.requires_grad


# -- gradients -----------------------------------------------------------------------------------------


def test_mlp_gradients_pass_check_grads_in_functional_form():
    rng = np.random.default_rng(0)
    model = nn.MLP([2, 5, 4, 1], activation="tanh", seed=1)
    x, target = rng.standard_normal((6, 2)), rng.standard_normal((6, 1))
    check_grads(functional_loss(model, x, target), (flat_parameters(model),), order=2, modes=("fwd", "rev"))


@pytest.mark.parametrize("activation", ["relu", "sigmoid", "softplus", "sin", "gelu", "silu"])
def test_every_activation_in_an_mlp_passes_check_grads(activation):
    rng = np.random.default_rng(1)
    model = nn.MLP([2, 4, 3], activation=activation, seed=2)
    x, labels = rng.standard_normal((5, 2)), rng.integers(0, 3, 5)
    loss = functional_loss(model, x, labels, loss=nn.cross_entropy)
    check_grads(loss, (flat_parameters(model),), order=1 if activation == "relu" else 2)


def test_backward_agrees_with_the_functional_gradient_and_finite_differences():
    rng = np.random.default_rng(2)
    model = nn.MLP([3, 6, 2], activation="tanh", seed=3)
    x, labels = rng.standard_normal((8, 3)), rng.integers(0, 2, 8)
    nn.cross_entropy(model(x), labels).backward()
    from_backward = np.concatenate([p.grad.detach().numpy().ravel() for p in model.parameters()])
    loss_of_flat = functional_loss(model, x, labels, loss=nn.cross_entropy)
    flat = flat_parameters(model)
    np.testing.assert_allclose(from_backward, wg.grad(loss_of_flat)(flat), rtol=1e-12, atol=1e-14)
    step = 1e-6
    for index in (0, 7, len(flat) - 1):
        e = np.zeros_like(flat)
        e[index] = step
        numeric = (loss_of_flat(flat + e) - loss_of_flat(flat - e)) / (2 * step)
        assert from_backward[index] == pytest.approx(float(numeric), rel=1e-6, abs=1e-9)


def test_input_derivatives_for_pinn_style_losses():
    """d/dx of a network output inside the loss, then the loss's gradient for the parameters."""
    model = nn.MLP([1, 8, 1], activation="tanh", seed=0)
    x = wg.tensor(np.linspace(-1.0, 1.0, 5)[:, None], requires_grad=True)
    u = model(x)
    (du_dx,) = wg.autograd.grad(u.sum(), x, create_graph=True)
    loss = (du_dx**2).mean()
    loss.backward()
    w1, b1, w2 = (p.detach().numpy() for p in list(model.parameters())[:3])
    w1, w2 = w1.T, w2.T  # (in, out), for x @ w
    # u'(x) = Σ_j w2_j (1 - tanh²(w1_j x + b1_j)) w1_j, checked against the closed form
    h = np.tanh(x.detach().numpy() @ w1 + b1)
    np.testing.assert_allclose(du_dx.detach().numpy(), ((1 - h**2) * w1) @ w2, rtol=1e-12)
    grads = [p.grad for p in model.parameters()]
    assert all(g is not None for g in grads[:3]) and grads[3] is None  # the output bias does not enter du/dx


def test_forward_mode_input_derivatives_record_onto_the_parameters_tape():
    """wg.jvp of the model in x (level 1) over parameters that are tensors (level 0): u_x and u_xx, then backward."""
    model = nn.MLP([1, 8, 1], activation="tanh", seed=0)
    x = np.linspace(-1.0, 1.0, 5)[:, None]

    def u_x(points):
        return wg.jvp(model, (points,), (np.ones_like(points),))[1]

    _, u_xx = wg.jvp(u_x, (x,), (np.ones_like(x),))
    w1, b1, w2 = (p.detach().numpy() for p in list(model.parameters())[:3])
    w1, w2 = w1.T, w2.T  # (in, out), for x @ w
    h = np.tanh(x @ w1 + b1)
    np.testing.assert_allclose(u_xx.detach().numpy(), (-2 * h * (1 - h**2) * w1**2) @ w2, rtol=1e-12)
    (u_xx**2).mean().backward()
    assert [p.grad is not None for p in model.parameters()] == [True, True, True, False]


def test_copied_and_pickled_models_have_their_own_gradients():
    model = nn.MLP([2, 3, 1], seed=0)
    model.tied = model.layers[0]  # a shared module stays shared in the copy
    x = np.ones((2, 2))
    for clone in (copy.deepcopy(model), pickle.loads(pickle.dumps(model))):
        assert clone.tied is clone.layers[0] and clone.layers[0].weight is not model.layers[0].weight
        np.testing.assert_array_equal(clone(x).detach().numpy(), model(x).detach().numpy())
        clone(x).sum().backward()
        assert all(p.grad is not None for p in clone.parameters())
        assert all(p.grad is None for p in model.parameters())


def test_functional_call_restores_parameters_and_rejects_unknown_names():
    layer = nn.Linear(2, 1, seed=0)
    weight = layer.weight
    out = nn.functional_call(layer, {"weight": np.ones((1, 2)), "bias": np.zeros(1)}, np.array([[1.0, 2.0]]))
    assert out.tolist() == [[3.0]] and layer.weight is weight
    with pytest.raises(KeyError, match="no parameters or buffers named \\['wieght'\\]"):
        nn.functional_call(layer, {"wieght": 0.0}, np.ones((1, 2)))


# -- activations ------------------------------------------------------------------------------------


def test_activation_values():
    x = np.linspace(-3.0, 3.0, 13)
    np.testing.assert_allclose(nn.Tanh()(x), np.tanh(x))
    np.testing.assert_allclose(nn.ReLU()(x), np.maximum(x, 0))
    np.testing.assert_allclose(nn.Sigmoid()(x), 1 / (1 + np.exp(-x)))
    np.testing.assert_allclose(nn.Softplus()(x), np.log1p(np.exp(x)))
    np.testing.assert_allclose(nn.Softplus(beta=2.0)(x), np.log1p(np.exp(2 * x)) / 2)
    np.testing.assert_allclose(nn.Sin()(x), np.sin(x))
    np.testing.assert_allclose(nn.Sin(3.0)(x), np.sin(3 * x))
    np.testing.assert_allclose(nn.SiLU()(x), x / (1 + np.exp(-x)))
    np.testing.assert_array_equal(nn.Identity()(x), x)


def test_gelu_tanh_approximation_is_close_to_the_exact_gelu():
    x = np.linspace(-6.0, 6.0, 2001)
    exact = 0.5 * x * (1 + np.array([math.erf(v / math.sqrt(2)) for v in x]))
    approx = nn.GELU(approximate="tanh")(x)
    assert np.max(np.abs(approx - exact)) < 5e-4
    assert nn.gelu(1.0, approximate="tanh") == pytest.approx(0.8411919906082768, abs=1e-15)
    assert repr(nn.GELU(approximate="tanh")) == "GELU(approximate='tanh')"
    with pytest.raises(ValueError, match="'none' or 'tanh'"):
        nn.GELU(approximate="fast")


def test_exact_gelu_with_erf():
    x = np.linspace(-4.0, 4.0, 9)
    exact = 0.5 * x * (1 + np.array([math.erf(v / math.sqrt(2)) for v in x]))
    np.testing.assert_allclose(nn.GELU(approximate="none")(x), exact, rtol=1e-12, atol=1e-15)


# -- losses -------------------------------------------------------------------------------------------


def test_mse_loss_reductions_and_shape_check():
    prediction, target = np.array([[1.0], [2.0], [4.0]]), np.array([[0.0], [0.0], [1.0]])
    assert nn.mse_loss(prediction, target) == pytest.approx((1 + 4 + 9) / 3)
    assert nn.mse_loss(prediction, target, reduction="sum") == 14.0
    np.testing.assert_array_equal(nn.mse_loss(prediction, target, reduction="none"), [[1.0], [4.0], [9.0]])
    with pytest.raises(ValueError, match=r"target of shape \(3,\) does not match the prediction of shape \(3, 1\)"):
        nn.mse_loss(prediction, target.ravel())
    with pytest.raises(ValueError, match="reduction must be one of"):
        nn.mse_loss(prediction, target, reduction="average")


def _log_softmax(z):
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def test_cross_entropy_and_nll_loss_values():
    rng = np.random.default_rng(0)
    logits, labels = rng.standard_normal((6, 4)), rng.integers(0, 4, 6)
    per_example = -_log_softmax(logits)[np.arange(6), labels]
    np.testing.assert_allclose(nn.cross_entropy(logits, labels, reduction="none"), per_example, rtol=1e-14)
    assert nn.cross_entropy(logits, labels) == pytest.approx(per_example.mean(), rel=1e-14)
    assert nn.cross_entropy(logits, labels, reduction="sum") == pytest.approx(per_example.sum(), rel=1e-14)
    assert nn.nll_loss(_log_softmax(logits), labels) == pytest.approx(per_example.mean(), rel=1e-14)
    assert nn.cross_entropy(logits[0], labels[0]) == pytest.approx(per_example[0], rel=1e-14)  # one example


def test_cross_entropy_soft_targets_and_label_smoothing():
    rng = np.random.default_rng(1)
    logits, labels = rng.standard_normal((5, 3)), rng.integers(0, 3, 5)
    one_hot = np.eye(3)[labels]
    assert nn.cross_entropy(logits, one_hot) == pytest.approx(float(nn.cross_entropy(logits, labels)), rel=1e-14)
    epsilon = 0.2
    smoothed = (1 - epsilon) * one_hot + epsilon / 3
    expected = -(smoothed * _log_softmax(logits)).sum(axis=1).mean()
    assert nn.cross_entropy(logits, labels, label_smoothing=epsilon) == pytest.approx(expected, rel=1e-14)
    assert nn.cross_entropy(logits, one_hot, label_smoothing=epsilon) == pytest.approx(expected, rel=1e-14)


def test_cross_entropy_is_stable_and_its_gradient_is_softmax_minus_one_hot():
    logits = wg.tensor([[1000.0, 0.0, -1000.0], [0.0, 0.0, 0.0]], requires_grad=True)
    labels = np.array([1, 2])
    loss = nn.cross_entropy(logits, labels)
    assert loss.item() == pytest.approx((1000.0 + math.log(3.0)) / 2)
    loss.backward()
    softmax = np.exp(_log_softmax(logits.detach().numpy()))
    np.testing.assert_allclose(logits.grad.detach().numpy(), (softmax - np.eye(3)[labels]) / 2, atol=1e-15)


def test_class_label_errors():
    logits = np.zeros((3, 4))
    with pytest.raises(IndexError, match="label 4 is out of range for 4 classes"):
        nn.cross_entropy(logits, [0, 1, 4])
    with pytest.raises(IndexError, match="label -1"):
        nn.nll_loss(logits, [0, -1, 2])
    with pytest.raises(ValueError, match=r"labels of shape \(2,\) do not match scores of shape \(3, 4\)"):
        nn.cross_entropy(logits, [0, 1])
    with pytest.raises(TypeError, match="class labels must be integers"):
        nn.nll_loss(logits, np.array([0.0, 1.0, 2.0]))


def test_binary_cross_entropy_with_logits():
    x, y = np.array([-800.0, -1.0, 0.0, 2.0, 800.0]), np.array([1.0, 0.0, 1.0, 1.0, 0.0])
    expected = np.array([800.0, np.log1p(np.exp(-1.0)), np.log(2.0), np.log1p(np.exp(-2.0)), 800.0])
    np.testing.assert_allclose(nn.binary_cross_entropy_with_logits(x, y, reduction="none"), expected, rtol=1e-14)
    check_grads(lambda z: nn.binary_cross_entropy_with_logits(z, y[1:4]), (x[1:4],))


# -- training -------------------------------------------------------------------------------------------


def _train(model, x, labels, steps, lr):
    optimizer = optim.Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        optimizer.zero_grad()
        loss = nn.cross_entropy(model(x), labels)
        loss.backward()
        optimizer.step()
    with wg.no_grad():
        predictions = model(x).detach().numpy().argmax(axis=1)
    return loss, float(np.mean(predictions == labels))


def test_xor_is_learned_exactly():
    x = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    labels = np.array([0, 1, 1, 0])
    loss, accuracy = _train(nn.MLP([2, 8, 2], activation="tanh", seed=0), x, labels, steps=200, lr=0.05)
    assert accuracy == 1.0 and loss.item() < 0.01


def test_two_moons_reach_97_percent_training_accuracy():
    x, labels = two_moons(300, noise=0.2, rng=np.random.default_rng(0))
    model = nn.MLP([2, 32, 32, 2], activation="tanh", seed=0)
    _, accuracy = _train(model, x, labels, steps=300, lr=0.01)
    assert accuracy >= 0.97
    test_x, test_labels = two_moons(300, noise=0.2, rng=np.random.default_rng(1))
    with wg.no_grad():
        assert np.mean(model(test_x).detach().numpy().argmax(axis=1) == test_labels) >= 0.93


# -- float32 end to end --------------------------------------------------------------------------------


def test_float32_end_to_end():
    x, labels = two_moons(64, noise=0.1, rng=np.random.default_rng(0))
    x = x.astype(np.float32)
    model = nn.MLP([2, 16, 2], activation="gelu", seed=0, dtype=np.float32)
    hidden = model.layers[1](model.layers[0](x))
    assert hidden.dtype == np.float32
    loss, accuracy = _train(model, x, labels, steps=100, lr=0.02)
    assert loss.dtype == np.float32 and accuracy > 0.9
    for p in model.parameters():
        assert p.dtype == np.float32 and p.grad.dtype == np.float32
    for loss_fn, target in ((nn.mse_loss, np.zeros((64, 2))), (nn.cross_entropy, labels)):
        assert loss_fn(model(x), target).dtype == np.float32
    assert nn.binary_cross_entropy_with_logits(model(x), np.ones((64, 2))).dtype == np.float32
    state = model.state_dict()
    assert all(value.dtype == np.float32 for value in state.values())


def test_module_to_converts_parameters_and_buffers():
    net = Net().to(np.float32)
    assert all(p.dtype == np.float32 for p in net.parameters())
    assert net.layers[2].scale.dtype == np.float32
    assert net(np.ones((2, 2))).dtype == np.float32
    with pytest.raises(TypeError, match="floating-point"):
        net.to(np.int32)
