"""``wengert.optim``: update rules against their textbook formulas, schedules, clipping, the SciPy bridge."""

import builtins
import math

import numpy as np
import pytest

import wengert as wg
import wengert.nn as nn
import wengert.numpy as wnp
import wengert.optim as optim

# The quadratic f(x) = ½ Σ a·x², whose gradient is a·x, for each of two parameters.
CURVATURES = (np.array([1.0, 4.0, 0.25]), np.array([[2.0, 0.5], [3.0, 1.0]]))
STARTS = (np.array([1.0, -2.0, 3.0]), np.array([[0.5, -1.5], [2.0, 1.0]]))


def quadratic_setup(count=2):
    params = [wg.tensor(start, requires_grad=True) for start in STARTS[:count]]

    def loss():
        return sum((0.5 * a * p * p).sum() for a, p in zip(CURVATURES, params))

    return params, loss


def run(optimizer, params, loss, steps=3):
    history = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss().backward()
        optimizer.step()
        history.append([p.detach().numpy().copy() for p in params])
    return history


def textbook_adam(x, a, lr, beta1, beta2, eps, steps, weight_decay=0.0, decoupled=False, amsgrad=False):
    m, v, v_max, out = np.zeros_like(x), np.zeros_like(x), np.zeros_like(x), []
    for t in range(1, steps + 1):
        g = a * x
        if weight_decay and not decoupled:
            g = g + weight_decay * x
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g**2
        m_hat = m / (1 - beta1**t)
        if amsgrad:  # PyTorch's AMSGrad: the running maximum of v, bias-corrected
            v_max = np.maximum(v_max, v)
            v_hat = v_max / (1 - beta2**t)
        else:
            v_hat = v / (1 - beta2**t)
        if decoupled:
            x = x * (1 - lr * weight_decay)
        x = x - lr * m_hat / (np.sqrt(v_hat) + eps)
        out.append(x)
    return out


def textbook_sgd(x, a, lr, momentum, dampening, nesterov, weight_decay, steps):
    buffer, out = None, []
    for _ in range(steps):
        g = a * x + weight_decay * x
        if momentum:
            buffer = g.copy() if buffer is None else momentum * buffer + (1 - dampening) * g
            g = g + momentum * buffer if nesterov else buffer
        x = x - lr * g
        out.append(x)
    return out


def assert_matches(history, expected_per_param):
    for step, values in enumerate(history):
        for value, expected in zip(values, expected_per_param):
            np.testing.assert_allclose(value, expected[step], rtol=1e-12, atol=1e-12)


# -- Adam, AdamW, SGD against their formulas --------------------------------------------------------


@pytest.mark.parametrize("count", [1, 2])  # one parameter: per-parameter update; two: the fused group update
@pytest.mark.parametrize(
    "options",
    [{}, {"weight_decay": 0.1}, {"amsgrad": True}, {"betas": (0.5, 0.75), "eps": 1e-3}],
    ids=["plain", "weight_decay", "amsgrad", "betas_eps"],
)
def test_adam_first_three_steps_match_the_textbook(count, options):
    params, loss = quadratic_setup(count)
    lr = 0.1
    history = run(optim.Adam(params, lr=lr, **options), params, loss)
    beta1, beta2 = options.get("betas", (0.9, 0.999))
    expected = [
        textbook_adam(
            start,
            a,
            lr,
            beta1,
            beta2,
            options.get("eps", 1e-8),
            3,
            weight_decay=options.get("weight_decay", 0.0),
            amsgrad=options.get("amsgrad", False),
        )
        for start, a in zip(STARTS[:count], CURVATURES)
    ]
    assert_matches(history, expected)


def test_amsgrad_differs_from_adam_when_the_second_moment_falls():
    # A large gradient followed by small ones: v falls, so AMSGrad's running maximum takes over.
    x = np.array([1.0])
    a = np.array([1.0])
    plain = textbook_adam(x, a, 0.5, 0.9, 0.5, 1e-8, 3)
    ams = textbook_adam(x, a, 0.5, 0.9, 0.5, 1e-8, 3, amsgrad=True)
    assert not np.allclose(plain[-1], ams[-1])
    p = wg.tensor(x, requires_grad=True)
    history = run(optim.Adam([p], lr=0.5, betas=(0.9, 0.5), amsgrad=True), [p], lambda: (0.5 * p * p).sum())
    np.testing.assert_allclose(history[-1][0], ams[-1], rtol=1e-12)


@pytest.mark.parametrize("count", [1, 2])
def test_adamw_decays_the_weights_decoupled_from_the_gradient(count):
    params, loss = quadratic_setup(count)
    history = run(optim.AdamW(params, lr=0.1, weight_decay=0.3), params, loss)
    expected = [
        textbook_adam(start, a, 0.1, 0.9, 0.999, 1e-8, 3, weight_decay=0.3, decoupled=True)
        for start, a in zip(STARTS[:count], CURVATURES)
    ]
    assert_matches(history, expected)
    coupled = textbook_adam(STARTS[0], CURVATURES[0], 0.1, 0.9, 0.999, 1e-8, 3, weight_decay=0.3)
    assert not np.allclose(history[-1][0], coupled[-1])
    assert optim.AdamW(params).param_groups[0]["weight_decay"] == 0.01


@pytest.mark.parametrize(
    "options",
    [
        {"momentum": 0.0},
        {"momentum": 0.9},
        {"momentum": 0.9, "dampening": 0.3},
        {"momentum": 0.8, "nesterov": True},
        {"momentum": 0.9, "weight_decay": 0.05},
        {"momentum": 0.0, "weight_decay": 0.05},
    ],
    ids=["plain", "momentum", "dampening", "nesterov", "momentum_weight_decay", "weight_decay"],
)
def test_sgd_first_three_steps_match_the_formula(options):
    params, loss = quadratic_setup(2)
    history = run(optim.SGD(params, lr=0.05, **options), params, loss)
    expected = [
        textbook_sgd(
            start,
            a,
            0.05,
            options.get("momentum", 0.0),
            options.get("dampening", 0.0),
            options.get("nesterov", False),
            options.get("weight_decay", 0.0),
            3,
        )
        for start, a in zip(STARTS, CURVATURES)
    ]
    assert_matches(history, expected)


def test_hyperparameter_errors():
    p = wg.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="Nesterov momentum needs momentum > 0"):
        optim.SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="lr must be a non-negative number"):
        optim.Adam([p], lr=-1.0)
    with pytest.raises(ValueError, match="betas must be two numbers in"):
        optim.Adam([p], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.Adam([])
    with pytest.raises(ValueError, match="not a leaf tensor"):
        optim.SGD([p * 2.0], lr=0.1)
    with pytest.raises(TypeError, match="item 0 is a ndarray, not a tensor"):
        optim.SGD([np.zeros(2)], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
    with pytest.raises(TypeError, match="unknown hyperparameters \\['momentun'\\]"):
        optim.SGD([{"params": [p], "momentun": 0.9}], lr=0.1)


# -- groups, skipped parameters, state --------------------------------------------------------------


def test_param_groups_have_their_own_learning_rates():
    a, b = wg.tensor([1.0], requires_grad=True), wg.tensor([1.0], requires_grad=True)
    optimizer = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    ((a * a).sum() + (b * b).sum()).backward()
    optimizer.step()
    assert a.tolist() == [pytest.approx(0.8)] and b.tolist() == [pytest.approx(0.0)]


def test_parameters_without_gradients_are_left_alone_and_keep_their_own_step_count():
    used, unused = wg.tensor([1.0, 2.0], requires_grad=True), wg.tensor([5.0], requires_grad=True)
    optimizer = optim.Adam([used, unused], lr=0.1)
    for _ in range(2):
        optimizer.zero_grad()
        (used * used).sum().backward()
        optimizer.step()
    assert unused.tolist() == [5.0] and unused not in optimizer.state
    expected = textbook_adam(np.array([1.0, 2.0]), np.array([2.0, 2.0]), 0.1, 0.9, 0.999, 1e-8, 4)
    optimizer.zero_grad()
    (used * used + unused * unused).sum().backward()
    optimizer.step()  # used: its third step; unused: its first
    np.testing.assert_allclose(used.detach().numpy(), expected[2], rtol=1e-12)
    np.testing.assert_allclose(unused.detach().numpy(), [5.0 - 0.1], rtol=1e-9)
    assert optimizer.state[used]["step"] == 3 and optimizer.state[unused]["step"] == 1


FUSABLE = {
    "adam": lambda ps: optim.Adam(ps, lr=0.01, weight_decay=0.01, amsgrad=True),
    "adamw": lambda ps: optim.AdamW(ps, lr=0.01),
    "sgd_dampening": lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.01),
    "sgd_nesterov": lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True),
}


@pytest.mark.parametrize("name", sorted(FUSABLE))
def test_fused_and_per_parameter_updates_agree_bit_for_bit(name):
    model_a, model_b = nn.MLP([2, 6, 1], seed=0), nn.MLP([2, 6, 1], seed=0)
    x = np.random.default_rng(0).standard_normal((10, 2))
    fused = FUSABLE[name](model_a.parameters())
    per_parameter = FUSABLE[name](model_b.parameters())
    per_parameter._fused_update = lambda *args: False
    fused_steps = []
    fused_update = fused._fused_update
    fused._fused_update = lambda *args: fused_steps.append(fused_update(*args)) or fused_steps[-1]
    for step in range(6):
        for model, optimizer in ((model_a, fused), (model_b, per_parameter)):
            optimizer.zero_grad()
            (model(x) ** 2).mean().backward()
            if step == 3:  # one parameter without a gradient: this step is per parameter in both
                model.layers[0].bias.grad = None
            optimizer.step()
    # The fused path ran; after the skipped step SGD fuses again, while Adam's parameters now have different
    # step counts (bias corrections) and stay per parameter.
    assert fused_steps[:3] == [True] * 3 and all(fused_steps[3:]) is name.startswith("sgd")
    for pa, pb in zip(model_a.parameters(), model_b.parameters()):
        np.testing.assert_array_equal(pa.detach().numpy(), pb.detach().numpy())
    for key in ("exp_avg", "momentum_buffer"):
        for pa, pb in zip(model_a.parameters(), model_b.parameters()):
            if key in fused.state[pa]:
                np.testing.assert_array_equal(fused.state[pa][key], per_parameter.state[pb][key])


def test_groups_of_large_parameters_are_updated_one_parameter_at_a_time():
    small = [wg.tensor(np.ones(3), requires_grad=True) for _ in range(2)]
    large = [wg.tensor(np.ones(5000), requires_grad=True) for _ in range(2)]
    for params in (small, large):
        optimizer = optim.Adam(params, lr=0.1)
        for p in params:
            p.grad = wg.tensor(np.ones_like(p.detach().numpy()))
        optimizer.step()
        assert bool(optimizer._flat) is (params is small)


def test_sgd_gradients_of_another_dtype_compute_in_theirs():
    # A float64 gradient assigned to float32 parameters by hand: the momentum buffer is float32 and the first
    # buffer is the gradient itself, whichever path runs.
    params = [wg.tensor(np.ones(3, np.float32), requires_grad=True) for _ in range(2)]
    optimizer = optim.SGD(params, lr=0.5, momentum=0.9, dampening=0.5)
    for _ in range(2):
        for p in params:
            p.grad = wg.tensor(np.full(3, 1.0 / 3.0))
        optimizer.step()
    for p in params:
        assert p.dtype == np.float32 and optimizer.state[p]["momentum_buffer"].dtype == np.float32
        buffer = np.float32(0.9) * np.float32(1.0 / 3.0) + 0.5 * (1.0 / 3.0)  # b₂ = μ·g + (1 - dampening)·g
        np.testing.assert_allclose(optimizer.state[p]["momentum_buffer"], np.full(3, buffer), rtol=1e-7)


def test_optimizer_state_dict_round_trip_continues_identically():
    x = np.random.default_rng(1).standard_normal((10, 2))

    def train(model, optimizer, steps):
        for _ in range(steps):
            optimizer.zero_grad()
            (model(x) ** 2).mean().backward()
            optimizer.step()

    reference = nn.MLP([2, 4, 1], seed=0)
    reference_optimizer = optim.Adam(reference.parameters(), lr=0.05)
    train(reference, reference_optimizer, 6)

    first = nn.MLP([2, 4, 1], seed=0)
    first_optimizer = optim.Adam(first.parameters(), lr=0.05)
    train(first, first_optimizer, 3)
    saved_model, saved_optimizer = first.state_dict(), first_optimizer.state_dict()
    train(first, first_optimizer, 2)  # changes after saving must not leak into the saved copy

    second = nn.MLP([2, 4, 1], seed=9)
    second.load_state_dict(saved_model)
    second_optimizer = optim.Adam(second.parameters(), lr=1.0)
    second_optimizer.load_state_dict(saved_optimizer)
    assert second_optimizer.param_groups[0]["lr"] == 0.05
    train(second, second_optimizer, 3)
    for a, b in zip(reference.parameters(), second.parameters()):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-13, atol=1e-15)


def test_optimizer_load_state_dict_checks_the_layout():
    a = wg.tensor([1.0, 2.0], requires_grad=True)
    optimizer = optim.SGD([a], lr=0.1, momentum=0.9)
    (a * a).sum().backward()
    optimizer.step()
    state = optimizer.state_dict()
    assert state["state"][0]["momentum_buffer"].tolist() == [2.0, 4.0]
    with pytest.raises(ValueError, match="1 parameter groups saved, 2 here"):
        optim.SGD([{"params": [a]}, {"params": [wg.tensor(1.0, requires_grad=True)]}], lr=0.1).load_state_dict(state)
    with pytest.raises(ValueError, match=r"'momentum_buffer' of parameter 0 has shape \(2,\)"):
        optim.SGD([wg.tensor([1.0, 2.0, 3.0], requires_grad=True)], lr=0.1).load_state_dict(state)


def test_a_backward_pass_through_a_graph_recorded_before_the_step_raises():
    model = nn.Linear(2, 1, seed=0)
    x = np.ones((3, 2))
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    loss = (model(x) ** 2).sum()
    loss.backward(retain_graph=True)
    optimizer.step()
    with pytest.raises(RuntimeError, match="SGD.step"):
        loss.backward()


def test_step_with_a_closure_returns_its_loss():
    x = wg.tensor([2.0], requires_grad=True)
    optimizer = optim.SGD([x], lr=0.25)

    def closure():
        optimizer.zero_grad()
        loss = (x * x).sum()
        loss.backward()
        return loss

    assert optimizer.step(closure).item() == 4.0 and x.tolist() == [1.0]


def test_optimizers_accept_a_module_and_keep_float32():
    model = nn.MLP([2, 3, 1], seed=0, dtype=np.float32)
    x = np.ones((4, 2), np.float32)
    for optimizer in (optim.SGD(model, lr=0.1, momentum=0.9), optim.Adam(model), optim.AdamW(model, amsgrad=True)):
        for _ in range(2):
            optimizer.zero_grad()
            (model(x) ** 2).mean().backward()
            optimizer.step()
        for p in model.parameters():
            assert p.dtype == np.float32
            for value in optimizer.state[p].values():
                assert not isinstance(value, np.ndarray) or value.dtype == np.float32


def test_zero_dimensional_parameters():
    x = wg.tensor(3.0, requires_grad=True)
    for optimizer in (optim.SGD([x], lr=0.1, momentum=0.5), optim.Adam([x], lr=0.1)):
        optimizer.zero_grad()
        (x * x).backward()
        optimizer.step()
        assert type(x.primal) is np.ndarray and x.shape == ()


# -- schedulers ----------------------------------------------------------------------------------------


def _two_group_optimizer():
    a, b = wg.tensor(1.0, requires_grad=True), wg.tensor(1.0, requires_grad=True)
    return optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)


def _rates(scheduler, epochs):
    rates = []
    for _ in range(epochs):
        rates.append(scheduler.get_last_lr())
        scheduler.optimizer.step()
        scheduler.step()
    return rates


def test_step_lr_sequence():
    rates = _rates(optim.StepLR(_two_group_optimizer(), step_size=3, gamma=0.1), 8)
    expected = [[0.1 * 0.1 ** (e // 3), 0.5 * 0.1 ** (e // 3)] for e in range(8)]
    np.testing.assert_allclose(rates, expected, rtol=1e-15)
    assert [r[0] for r in rates[:4]] == [0.1, 0.1, 0.1, pytest.approx(0.01)]


def test_exponential_lr_sequence_and_groups_follow():
    scheduler = optim.ExponentialLR(_two_group_optimizer(), gamma=0.9)
    rates = _rates(scheduler, 6)
    np.testing.assert_allclose(rates, [[0.1 * 0.9**e, 0.5 * 0.9**e] for e in range(6)], rtol=1e-15)
    assert [g["lr"] for g in scheduler.optimizer.param_groups] == scheduler.get_last_lr()
    assert scheduler.last_epoch == 6


def test_cosine_and_lambda_schedules():
    cosine = optim.CosineAnnealingLR(_two_group_optimizer(), T_max=4, eta_min=0.01)
    rates = [r[0] for r in _rates(cosine, 6)]
    expected = [0.01 + 0.09 * (1 + math.cos(math.pi * e / 4)) / 2 for e in range(6)]  # rising after T_max
    np.testing.assert_allclose(rates, expected, rtol=1e-15)
    warmup = optim.LambdaLR(_two_group_optimizer(), lambda epoch: min(1.0, (epoch + 1) / 3))
    np.testing.assert_allclose([r[1] for r in _rates(warmup, 4)], [0.5 / 3, 1.0 / 3, 0.5, 0.5], rtol=1e-15)


def test_scheduler_state_dict_round_trip():
    scheduler = optim.StepLR(_two_group_optimizer(), step_size=2, gamma=0.5)
    _rates(scheduler, 3)
    restored = optim.StepLR(_two_group_optimizer(), step_size=2, gamma=0.5)
    restored.load_state_dict(scheduler.state_dict())
    restored.step()
    scheduler.step()
    assert restored.get_last_lr() == scheduler.get_last_lr() and restored.last_epoch == 4


# -- clipping -------------------------------------------------------------------------------------------


def _with_grads(*grads):
    params = []
    for g in grads:
        p = wg.tensor(np.zeros_like(np.asarray(g, dtype=float)), requires_grad=True)
        p.grad = wg.tensor(np.asarray(g, dtype=float))
        params.append(p)
    return params


def test_clip_grad_norm_scales_all_gradients_together():
    params = _with_grads([3.0, 4.0], [[12.0]])
    grad_object = params[0].grad
    total = optim.clip_grad_norm_(params, max_norm=6.5)
    assert total == pytest.approx(13.0, rel=1e-15)
    scale = 6.5 / (13.0 + 1e-6)
    np.testing.assert_allclose(params[0].grad.detach().numpy(), [3.0 * scale, 4.0 * scale], rtol=1e-15)
    np.testing.assert_allclose(params[1].grad.detach().numpy(), [[12.0 * scale]], rtol=1e-15)
    assert params[0].grad is grad_object  # the gradient tensor is updated, not replaced


@pytest.mark.parametrize(
    ("norm_type", "total"), [(1.0, 19.0), (float("inf"), 12.0), (3.0, (27 + 64 + 1728) ** (1 / 3))]
)
def test_clip_grad_norm_other_norms(norm_type, total):
    params = _with_grads([3.0, -4.0], [[-12.0]])
    assert optim.clip_grad_norm_(params, max_norm=1.0, norm_type=norm_type) == pytest.approx(total, rel=1e-14)
    clipped = np.concatenate([p.grad.detach().numpy().ravel() for p in params])
    norm = np.max(np.abs(clipped)) if math.isinf(norm_type) else np.sum(np.abs(clipped) ** norm_type) ** (1 / norm_type)
    assert norm == pytest.approx(1.0, rel=1e-5)


def test_clip_grad_norm_leaves_small_gradients_and_skips_missing_ones():
    params = _with_grads([0.3, 0.4])
    params.append(wg.tensor([1.0], requires_grad=True))  # no gradient
    assert optim.clip_grad_norm_(params, max_norm=1.0) == pytest.approx(0.5)
    np.testing.assert_array_equal(params[0].grad.detach().numpy(), [0.3, 0.4])
    assert params[1].grad is None
    assert optim.clip_grad_norm_([params[1]], 1.0) == 0.0
    nonfinite = _with_grads([np.inf, 1.0])
    with pytest.raises(RuntimeError, match="total norm"):
        optim.clip_grad_norm_(nonfinite, 1.0, error_if_nonfinite=True)


def test_clip_grad_value_and_float32():
    params = _with_grads([0.5, -3.0, 2.0])
    optim.clip_grad_value_(params, 1.0)
    assert params[0].grad.tolist() == [0.5, -1.0, 1.0]
    p = wg.tensor(np.zeros(2, np.float32), requires_grad=True)
    p.grad = wg.tensor(np.array([30.0, 40.0], np.float32))
    assert optim.clip_grad_norm_([p], 5.0) == pytest.approx(50.0)
    assert p.grad.dtype == np.float32


# -- SciPy --------------------------------------------------------------------------------------------


def rosenbrock(x):
    return (100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2).sum()


def test_scipy_lbfgs_minimises_the_10d_rosenbrock_function():
    pytest.importorskip("scipy")
    x = wg.tensor(np.tile([-1.2, 1.0], 5), requires_grad=True)
    calls = []

    def loss():
        calls.append(1)
        return rosenbrock(x)

    result = optim.scipy_minimize(loss, [x], method="L-BFGS-B", gtol=1e-12, ftol=1e-15, maxiter=1000)
    assert result.success and "CONVERGENCE" in str(result.message)
    np.testing.assert_allclose(x.detach().numpy(), np.ones(10), rtol=0, atol=1e-6)
    assert result.fun < 1e-12 and result.nit > 10
    assert len(calls) == result.nfev  # one loss evaluation (and one backward pass) per SciPy evaluation
    assert x.grad is None  # the bridge returns gradients to SciPy, not into .grad
    np.testing.assert_array_equal(x.detach().numpy(), result.x)


def test_scipy_newton_cg_uses_exact_hessian_vector_products():
    pytest.importorskip("scipy")
    x = wg.tensor(np.tile([-1.2, 1.0], 2), requires_grad=True)
    result = optim.scipy_minimize(lambda: rosenbrock(x), x, method="Newton-CG", xtol=1e-12)
    assert result.success and result.nhev > 0
    np.testing.assert_allclose(x.detach().numpy(), np.ones(4), atol=1e-8)


def test_scipy_minimize_fits_a_model_and_keeps_float32():
    pytest.importorskip("scipy")
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (40, 1)).astype(np.float32)
    model = nn.Linear(1, 1, seed=0, dtype=np.float32)
    result = optim.scipy_minimize(lambda: nn.mse_loss(model(x), 2.0 * x - 0.5), model, method="BFGS")
    assert result.success
    assert model.weight.dtype == np.float32
    np.testing.assert_allclose([model.weight.item(), model.bias.item()], [2.0, -0.5], atol=1e-3)


def test_scipy_derivative_free_methods_and_errors():
    pytest.importorskip("scipy")
    x = wg.tensor([2.0, -1.0], requires_grad=True)
    result = optim.scipy_minimize(lambda: ((x - 0.5) ** 2).sum(), [x], method="Nelder-Mead", xatol=1e-8, fatol=1e-12)
    assert result.success
    np.testing.assert_allclose(x.detach().numpy(), [0.5, 0.5], atol=1e-6)
    with pytest.raises(ValueError, match="needs the full Hessian"):
        optim.scipy_minimize(lambda: (x * x).sum(), [x], method="dogleg")
    with pytest.raises(RuntimeError, match="does not depend on any parameter"):
        optim.scipy_minimize(lambda: (x.detach() * 2.0).sum(), [x])
    with pytest.raises(TypeError, match="one-element tensor"):
        optim.scipy_minimize(lambda: x * x, [x])


def test_scipy_minimize_names_the_extra_when_scipy_is_missing(monkeypatch):
    real_import = builtins.__import__

    def without_scipy(name, *args, **kwargs):
        if name == "scipy" or name.startswith("scipy."):
            raise ImportError("No module named 'scipy'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", without_scipy)
    x = wg.tensor([1.0], requires_grad=True)
    with pytest.raises(ImportError, match=r"pip install 'wengert\[scipy\]'"):
        optim.scipy_minimize(lambda: (x * x).sum(), [x])


def test_a_full_training_loop_with_schedule_and_clipping():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1.0, 1.0, (64, 1))
    y = np.sin(3.0 * x)
    model = nn.MLP([1, 16, 16, 1], activation="tanh", seed=0)
    optimizer = optim.Adam(model.parameters(), lr=0.02)
    scheduler = optim.ExponentialLR(optimizer, gamma=0.995)
    for _ in range(400):
        optimizer.zero_grad()
        loss = nn.mse_loss(model(x), y)
        loss.backward()
        optim.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
    assert loss.item() < 1e-3
    assert scheduler.get_last_lr()[0] == pytest.approx(0.02 * 0.995**400)
    assert float(wnp.max(wnp.abs(model(x) - y))) < 0.1
