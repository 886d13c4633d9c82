"""The PINN trainer and problems: Adam then L-BFGS on weighted loss terms, histories, and each problem's residual.

The residual checks put the problem's own reference solution (written in
wengert.numpy, hence differentiable) in place of the network: every loss term
must then vanish, which pins down signs, coefficients and scalings. The SIR
residual, which has no closed-form solution to plug in, is checked against
central finite differences of the network instead.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import wengert as wg
import wengert.nn as nn
import wengert.numpy as wnp
from wengert.pinn import Derivatives
from wengert.pinn import problems as problems_module
from wengert.pinn.problems import SIR, Burgers, FieldNetwork, Heat1D, Poisson1D, Wave1D
from wengert.pinn.references import burgers_reference, sir_reference
from wengert.pinn.trainer import History, StepInfo, Trainer, geometric_ramp, step_schedule

# -- the published SIR setup: a short inverse run -----------------------------------------------------


@pytest.fixture(scope="module")
def short_sir_run():
    # the published setup on a smaller network (2 x 32 tanh, 64 collocation points), for speed
    problem = SIR(hidden=(32, 32), collocation=64, physics_warmup=100, seed=0)
    history = problem.trainer().fit(adam_steps=300, lr=5e-3, progress=False)
    return problem, history


def test_short_sir_inverse_run_lowers_the_loss(short_sir_run):
    _, history = short_sir_run
    assert len(history) == 300 and history.adam_steps == 300
    assert history.loss[-1] < 0.05 * history.loss[0]
    assert history.terms["data"][-1] < history.terms["data"][0]
    assert history.terms["ic"][-1] < 1e-2 * history.terms["ic"][0]


def test_short_sir_inverse_run_moves_beta_and_gamma_toward_the_truth(short_sir_run):
    problem, history = short_sir_run
    beta, gamma = history.params["beta"], history.params["gamma"]
    assert beta[0] == pytest.approx(0.5, rel=1e-2) and gamma[0] == pytest.approx(0.2, rel=1e-2)
    assert abs(beta[-1] - 0.3) < abs(beta[0] - 0.3) - 0.01
    assert abs(gamma[-1] - 0.1) < abs(gamma[0] - 0.1)
    assert history.params["R0"][-1] == pytest.approx(beta[-1] / gamma[-1], rel=1e-12)
    # the tracked values are the parameters' own, read after each step
    assert beta[-1] == pytest.approx(math.exp(problem.log_beta.item()), rel=1e-12)


def test_sir_evaluate_reports_rates_against_the_truth(short_sir_run):
    problem, history = short_sir_run
    report = problem.evaluate()
    beta = report["parameters"]["beta"]
    assert beta["truth"] == 0.3 and beta["found"] == pytest.approx(history.params["beta"][-1])
    assert beta["relative_error"] == pytest.approx(beta["found"] / 0.3 - 1.0)
    assert report["parameters"]["R0"]["truth"] == pytest.approx(3.0)
    assert set(report["relative_l2_error"]) == {"S", "I", "R"}


def test_sir_observations_follow_the_settings():
    problem = SIR(hidden=(4,), collocation=8, seed=3)
    assert problem.data.t.shape == (30,) and problem.data.values.shape == (30, 1)
    assert problem.data.t[0] == 0.0 and problem.data.t[-1] == 60.0
    exact = sir_reference(t_eval=problem.data.t).I
    np.testing.assert_allclose(problem.data.exact[:, 0], exact, rtol=1e-9)
    assert 5.0 < np.std(problem.data.values[:, 0] - exact) < 40.0  # σ = 20


def test_sir_physics_residual_matches_finite_differences():
    # r_S = ds/dτ + βT·s·i, r_I = di/dτ − βT·s·i + γT·i, r_R = dr/dτ − γT·i; mean over points of the sum of squares.
    problem = SIR(hidden=(8, 8), collocation=12, seed=1, beta_guess=0.4, gamma_guess=0.15)
    tau, step = problem.collocation, 1e-6
    u = problem.predict(tau)
    u_tau = (problem.predict(tau + step) - problem.predict(tau - step)) / (2 * step)
    s, i = u[:, 0], u[:, 1]
    infections, recoveries = 0.4 * 60.0 * s * i, 0.15 * 60.0 * i
    residuals = np.stack(
        [u_tau[:, 0] + infections, u_tau[:, 1] - infections + recoveries, u_tau[:, 2] - recoveries], axis=1
    )
    expected = np.mean(np.sum(residuals**2, axis=1))
    assert problem.losses()["physics"]().item() == pytest.approx(expected, rel=1e-7)


def test_sir_initial_condition_term_sums_over_compartments():
    problem = SIR(hidden=(8,), collocation=8, seed=2)
    start = problem.predict(np.zeros((1, 1)))[0]
    expected = np.sum((start - np.array([0.99, 0.01, 0.0])) ** 2)
    assert problem.losses()["ic"]().item() == pytest.approx(expected, rel=1e-12)


def test_sir_forward_problem_has_no_data_term_and_fixed_rates():
    problem = SIR(inverse=False, hidden=(8,), collocation=8, seed=0)
    assert sorted(problem.losses()) == ["ic", "physics"] and problem.parameters == {}
    assert problem.rates() == (0.3, 0.1)
    assert "parameters" not in problem.evaluate()


def test_sir_physics_weight_warms_up_geometrically():
    problem = SIR(hidden=(4,), collocation=8, seed=0, physics_warmup=100)
    trainer = problem.trainer()
    assert trainer.weights_at(0)["physics"] == pytest.approx(1e-3)
    assert trainer.weights_at(50)["physics"] == pytest.approx(1e-2)
    assert trainer.weights_at(100)["physics"] == trainer.weights_at(10**6)["physics"] == pytest.approx(0.1)
    assert trainer.weights_at(0)["ic"] == 5.0 and trainer.weights_at(0)["data"] == 1.0
    assert SIR(hidden=(4,), collocation=8, physics_warmup=0).weights["physics"] == 0.1


# -- each problem's residual vanishes on its reference solution ---------------------------------------


def _as_model(solution):
    """A 'network' that returns a reference solution u(x, t) at (N, 2) points, as a column."""
    return lambda points: wnp.expand_dims(solution(points[:, 0], points[:, 1]), -1)


def test_burgers_inference_terms_vanish_on_the_cole_hopf_solution():
    problem = Burgers(hidden=(4,), boundary=40, collocation=30, seed=0)
    problem.collocation = problem.collocation[problem.collocation[:, 1] > 0.05]  # ∂u/∂t has no value at t = 0
    problem.model = _as_model(lambda x, t: burgers_reference(x, t))
    losses = problem.losses()
    assert float(losses["physics"]()) < 1e-16
    assert float(losses["data"]()) < 1e-24  # −sin πx at t = 0 and 0 on x = ±1
    assert len(problem.points) == 40 and set(np.unique(problem.values[np.abs(problem.points[:, 0]) == 1.0])) <= {0.0}


def test_burgers_identification_residual_uses_lambda1_and_log_lambda2():
    problem = Burgers(identify=True, hidden=(4,), observations=60, seed=0)
    problem.collocation = problem.points = problem.points[problem.points[:, 1] > 0.05]
    problem.values = np.asarray(burgers_reference(problem.points[:, :1], problem.points[:, 1:]))
    problem.model = _as_model(lambda x, t: burgers_reference(x, t))
    losses = problem.losses()
    assert float(losses["physics"]()) > 1e-2  # λ1 = 0, λ2 = e⁻⁶ at the start
    with wg.no_grad():
        problem.lambda1.copy_(1.0)
        problem.log_lambda2.copy_(math.log(0.01 / math.pi))
    assert float(losses["physics"]()) < 1e-16 and float(losses["data"]()) < 1e-24
    lambda1, lambda2 = problem.coefficients()
    assert lambda1 is problem.lambda1 and float(lambda2) == pytest.approx(0.01 / math.pi)


def test_burgers_observations_come_from_the_reference_grid():
    problem = Burgers(identify=True, hidden=(4,), observations=100, noise=0.0, seed=1)
    assert problem.points.shape == (100, 2) and problem.values.shape == (100, 1)
    np.testing.assert_allclose(problem.values[:, 0], burgers_reference(problem.points[:, 0], problem.points[:, 1]))
    assert sorted(problem.parameters) == ["lambda1", "log_lambda2"]


def test_wave_terms_vanish_on_the_standing_wave():
    problem = Wave1D(hidden=(4,), collocation=50, initial=20, boundary=20, seed=0)
    problem.model = _as_model(problem.solution)
    for name, term in problem.losses().items():
        assert float(term()) < 1e-20, name


def test_wave_physics_term_on_a_network_equals_the_jvp_of_jvp_residual():
    # Taylor mode (the input map folded into the first layer, u_tt − c²·u_xx as one collapsed stream)
    # against two second derivatives by jvp-of-jvp: the term and its gradient in every parameter
    problem = Wave1D(c=1.5, t_max=2.0, hidden=(8, 8), collocation=40, initial=10, boundary=10, seed=3)
    assert Derivatives(problem.model, problem.collocation, names="xt").method == "taylor"

    def grads():  # the output bias does not reach second derivatives: no gradient (None), as in PyTorch
        return [np.zeros(p.shape) if p.grad is None else np.asarray(p.grad) for p in problem.model.parameters()]

    taylor_term = problem.losses()["physics"]()
    taylor_term.backward()
    taylor_grads = grads()
    problem.model.zero_grad()
    u_tt, u_xx = Derivatives(problem.model, problem.collocation, names="xt", method="jvp")("u_tt", "u_xx")
    jvp_term = (((u_tt - problem.c**2 * u_xx) / (problem.c * np.pi) ** 2) ** 2).mean()
    jvp_term.backward()
    assert float(jvp_term) > 1e-6  # an untrained network: the term is not trivially zero
    assert float(taylor_term) == pytest.approx(float(jvp_term), rel=1e-12)
    for taylor_grad, jvp_grad in zip(taylor_grads, grads()):
        np.testing.assert_allclose(taylor_grad, jvp_grad, rtol=1e-10, atol=1e-14)


def test_field_network_input_map_in_taylor_mode_matches_jvp_for_every_derivative():
    net = FieldNetwork([2, 6, 6, 1], bounds=[(-2.0, 3.0), (0.0, 10.0)], seed=1)
    points = np.random.default_rng(0).uniform([-2.0, 0.0], [3.0, 10.0], size=(25, 2))
    requests = ("u", "u_x", "u_t", "u_xx", "u_tt", "u_xt")
    taylor = Derivatives(net, points, names="xt")
    assert taylor.method == "taylor"
    expected = Derivatives(net, points, names="xt", method="jvp")(*requests)
    for value, reference in zip(taylor(*requests), expected):
        np.testing.assert_allclose(value.detach().numpy(), reference.detach().numpy(), rtol=1e-10, atol=1e-13)


def test_heat_terms_vanish_on_the_decaying_modes():
    problem = Heat1D(hidden=(4,), collocation=50, initial=20, boundary=20, seed=0)
    problem.model = _as_model(problem.solution)
    for name, term in problem.losses().items():
        assert float(term()) < 1e-20, name


def test_poisson_trains_to_its_closed_form_solution():
    problem = Poisson1D(hidden=(16,), collocation=32, seed=0)
    history = problem.trainer().fit(adam_steps=0, lbfgs_steps=300, progress=False)
    assert history.phase == ["lbfgs"] * len(history) and history.lbfgs_iterations == len(history)
    assert problem.evaluate()["relative_l2_error"] < 1e-2


def test_field_network_maps_its_box_onto_the_unit_square():
    net = FieldNetwork([2, 3, 1], bounds=[(-1.0, 1.0), (0.0, 4.0)], seed=0)
    inner = net.net
    points = np.array([[1.0, 4.0], [-1.0, 0.0], [0.0, 2.0]])
    np.testing.assert_allclose(
        net(points).detach().numpy(), inner(np.array([[1.0, 1.0], [-1.0, -1.0], [0.0, 0.0]])).detach().numpy()
    )
    with pytest.raises(ValueError, match="bounds"):
        FieldNetwork([2, 3, 1], bounds=[(0.0, 1.0)])


# -- the trainer -------------------------------------------------------------------------------------


def _line_fit():
    slope = nn.Parameter(0.0)
    x = np.linspace(0.0, 1.0, 8)
    return slope, {"fit": lambda: ((slope * x - 2.0 * x) ** 2).mean(), "small": lambda: slope * slope}


def test_adam_then_lbfgs_reaches_the_weighted_minimum():
    # minimise mean((a - 2)² x²) + 0.5 a²: a* = 2m / (m + 0.5), m = mean(x²)
    slope, losses = _line_fit()
    m = np.mean(np.linspace(0.0, 1.0, 8) ** 2)
    trainer = Trainer(None, losses, weights={"small": 0.5}, params={"slope": slope})
    history = trainer.fit(adam_steps=50, lr=0.05, lbfgs_steps=20, progress=False)
    assert slope.item() == pytest.approx(2 * m / (m + 0.5), rel=1e-10)
    assert history.phase[:50] == ["adam"] * 50 and set(history.phase[50:]) == {"lbfgs"}
    assert 1 <= history.lbfgs_iterations <= 20 and history.lbfgs_evaluations >= history.lbfgs_iterations
    assert history.params["slope"][-1] == slope.item()
    assert "CONVERGENCE" in history.lbfgs_message or "NORM" in history.lbfgs_message


def test_history_records_unweighted_terms_and_the_weighted_total():
    slope, losses = _line_fit()
    trainer = Trainer(None, losses, weights={"fit": 3.0, "small": 0.25}, params=[slope])
    history = trainer.fit(adam_steps=5, lr=0.1, progress=False)
    for k in range(5):
        total = 3.0 * history.terms["fit"][k] + 0.25 * history.terms["small"][k]
        assert history.loss[k] == pytest.approx(total, rel=1e-14)
    assert list(history.params) == ["param0"] and history.lr == [0.1] * 5
    assert history.weights == {"fit": 3.0, "small": 0.25}
    assert history.time == sorted(history.time) and history.wall_time >= history.time[-1]
    assert history.cpu_time > 0 and history.step == list(range(5))


def test_weight_schedules_are_evaluated_at_each_step():
    slope, losses = _line_fit()
    ramp = geometric_ramp(0.01, 1.0, 4)
    trainer = Trainer(None, losses, weights={"small": ramp}, params={"slope": slope})
    history = trainer.fit(adam_steps=6, lr=0.01, progress=False)
    for k in range(6):
        expected = history.terms["fit"][k] + min(0.01 * 100 ** (k / 4), 1.0) * history.terms["small"][k]
        assert history.loss[k] == pytest.approx(expected, rel=1e-12)
    assert history.weights == {"fit": 1.0, "small": 1.0}


def test_learning_rate_schedule_and_separate_rate_for_physical_parameters():
    model = nn.Linear(1, 1, seed=0)
    rate = nn.Parameter(1.0)
    x = np.linspace(-1.0, 1.0, 5)[:, None]
    trainer = Trainer(
        model, {"fit": lambda: ((model(x) - rate * x) ** 2).mean() + (rate - 2.0) ** 2}, params={"rate": rate}
    )
    history = trainer.fit(adam_steps=6, lr=0.1, schedule=step_schedule(2, 0.5), params_lr=0.5, progress=False)
    assert history.lr == [0.1, 0.1, 0.05, 0.05, 0.025, 0.025]
    assert history.params["rate"][0] == pytest.approx(1.5)  # Adam's first step moves by the group's rate


def test_a_callback_sees_every_step_and_can_stop_training():
    slope, losses = _line_fit()
    seen: list[StepInfo] = []

    def callback(info: StepInfo) -> bool:
        seen.append(info)
        return info.step == 5

    history = Trainer(None, losses, params={"slope": slope}).fit(
        adam_steps=5, lr=0.1, lbfgs_steps=50, callback=callback, progress=False
    )
    assert [info.step for info in seen] == list(range(6)) and len(history) == 6
    assert [info.phase for info in seen] == ["adam"] * 5 + ["lbfgs"]
    assert history.stopped_early and history.lbfgs_iterations == 1
    assert seen[3].loss == history.loss[3] and seen[3].params == {"slope": history.params["slope"][3]}
    assert seen[0].trainer.history is history and math.isnan(seen[5].lr)


def test_fit_again_continues_the_same_history():
    slope, losses = _line_fit()
    trainer = Trainer(None, losses, params={"slope": slope}, seed=7)
    trainer.fit(adam_steps=3, lr=0.1, progress=False)
    history = trainer.fit(adam_steps=2, lr=0.1, progress=False)
    assert len(history) == 5 and history.step == list(range(5)) and history.adam_steps == 5
    assert history.seed == 7 and trainer.rng.integers(10**9) == np.random.default_rng(7).integers(10**9)


def test_to_dict_is_json_ready_and_thins_long_histories():
    slope, losses = _line_fit()
    history = Trainer(None, losses, params={"slope": slope}).fit(adam_steps=10, lr=0.1, lbfgs_steps=3, progress=False)
    record = json.loads(json.dumps(history.to_dict(every=4), allow_nan=False))
    assert record["step"][:3] == [0, 4, 8] and record["step"][-1] == len(history) - 1
    assert record["lr"][-1] is None  # NaN (no learning rate during L-BFGS) becomes null
    assert set(record["terms"]) == {"fit", "small"} and len(record["params"]["slope"]) == len(record["step"])
    assert History().final() == {} and history.final()["params"]["slope"] == slope.item()
    with pytest.raises(ValueError, match="every"):
        history.to_dict(every=0)


def test_progress_falls_back_to_plain_lines_without_tqdm(monkeypatch, capsys):
    import builtins

    real_import = builtins.__import__

    def no_tqdm(name, *args, **kwargs):
        if name.startswith("tqdm"):
            raise ImportError("no tqdm here")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tqdm)
    slope, losses = _line_fit()
    Trainer(None, losses, params={"slope": slope}).fit(adam_steps=20, lr=0.1, progress=True)
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 10 and lines[-1].startswith("Adam: 20/20 steps") and "slope=" in lines[-1]
    # One bar per stage: L-BFGS gets its own count.
    slope, losses = _line_fit()
    Trainer(None, losses, params={"slope": slope}).fit(adam_steps=10, lr=0.1, lbfgs_steps=10, progress=True)
    lines = capsys.readouterr().err.strip().splitlines()
    assert lines[9].startswith("Adam: 10/10 steps") and lines[10].startswith("L-BFGS: 1/10 steps")


def test_progress_bar_with_tqdm_and_silence_without_progress(capsys):
    pytest.importorskip("tqdm")
    slope, losses = _line_fit()
    trainer = Trainer(None, losses, params={"slope": slope})
    trainer.fit(adam_steps=30, lr=0.1, progress=True)
    assert "30/30" in capsys.readouterr().err
    trainer.fit(adam_steps=30, lr=0.1)  # short runs show nothing by default
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        (({}, None), TypeError, "non-empty dict"),
        (({"a": 3.0}, None), TypeError, "not a function"),
        (({"a": lambda: None}, {"b": 1.0}), ValueError, "unknown loss terms"),
        (({"a": lambda: None}, {"a": -1.0}), ValueError, "non-negative"),
        (({"a": lambda: None}, {"a": float("nan")}), ValueError, "finite"),
    ],
)
def test_bad_trainer_settings_are_refused(arguments, error, message):
    losses, weights = arguments
    with pytest.raises(error, match=message):
        Trainer(None, losses, weights, params={"p": nn.Parameter(1.0)})


def test_bad_loss_values_and_parameters_are_refused():
    p = nn.Parameter(np.ones(3))
    with pytest.raises(TypeError, match="one-element tensor"):
        Trainer(None, {"vector": lambda: p * 2.0}, params=[p]).fit(adam_steps=1, progress=False)
    with pytest.raises(TypeError, match="one-element tensor"):
        Trainer(None, {"number": lambda: 1.0}, params=[p]).fit(adam_steps=1, progress=False)
    with pytest.raises(FloatingPointError, match="'bad'"):
        Trainer(None, {"bad": lambda: (p * np.inf).sum()}, params=[p]).fit(adam_steps=1, progress=False)
    with pytest.raises(TypeError, match="requires grad"):
        Trainer(None, {"a": lambda: p.sum()}, params={"p": wg.tensor(1.0)})
    with pytest.raises(ValueError, match="nothing to train"):
        Trainer(None, {"a": lambda: p.sum()})
    with pytest.raises(TypeError, match="Module"):
        Trainer(lambda x: x, {"a": lambda: p.sum()})
    with pytest.raises(ValueError, match="non-negative"):
        Trainer(None, {"a": lambda: p.sum()}, params=[p]).fit(adam_steps=-1)
    with pytest.raises(ValueError, match="weight 0"):
        Trainer(None, {"a": lambda: p.sum()}, {"a": 0.0}, params=[p]).fit(adam_steps=1, progress=False)


def test_schedule_helpers_check_their_arguments():
    with pytest.raises(ValueError, match="step_size"):
        step_schedule(0)
    with pytest.raises(ValueError, match="positive"):
        geometric_ramp(0.0, 1.0, 10)
    with pytest.raises(ValueError, match="steps"):
        geometric_ramp(0.1, 1.0, 0)


def test_problems_module_exports():
    assert {"SIR", "Burgers", "Wave1D", "Heat1D", "Poisson1D"} <= set(problems_module.__all__)
