"""wengert.optim.LBFGS against torch.optim.LBFGS: the same points evaluated, the same state, the same counts."""

from __future__ import annotations

import numpy as np
import pytest

import wengert as wg
import wengert.nn as nn
import wengert.optim as optim
from wengert.optim import LBFGS


def rosenbrock(x):
    """Rosenbrock's function in 2-D; in N-D the chained form, ``scipy.optimize.rosen``."""
    if x.shape[0] == 2:
        return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2
    return (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()


def extended_rosenbrock(x):
    """The extended Rosenbrock function (Moré, Garbow & Hillstrom): independent 2-D Rosenbrock pairs."""
    odd, even = x[0::2], x[1::2]
    return (100 * (even - odd**2) ** 2 + (1 - odd) ** 2).sum()


PROBLEMS = {
    "2-D from (-1.5, 2)": (rosenbrock, [-1.5, 2.0]),
    "10-D chained": (rosenbrock, [-1.2, 1.0] * 5),
    "10-D extended": (extended_rosenbrock, np.random.default_rng(0).uniform(-1.5, 1.5, 10).tolist()),
}
STARTS = {"2-D": PROBLEMS["2-D from (-1.5, 2)"][1], "10-D": PROBLEMS["10-D chained"][1]}


def _run_wengert(start, calls, dtype=np.float64, function=rosenbrock, **settings):
    """The points the closure was evaluated at, the losses step() returned, and the optimiser."""
    x = wg.tensor(np.array(start, dtype=dtype), requires_grad=True)
    optimizer = LBFGS([x], **settings)
    points = []

    def closure():
        points.append(np.array(x.tolist(), dtype=dtype))
        optimizer.zero_grad()
        loss = function(x)
        loss.backward()
        return loss

    returned = [optimizer.step(closure).item() for _ in range(calls)]
    return np.array(points), returned, optimizer, x


def _run_torch(torch, start, calls, dtype=np.float64, function=rosenbrock, **settings):
    x = torch.tensor(np.array(start, dtype=dtype), requires_grad=True)
    optimizer = torch.optim.LBFGS([x], **settings)
    points = []

    def closure():
        points.append(x.detach().numpy().copy())
        optimizer.zero_grad()
        loss = function(x)
        loss.backward()
        return loss

    returned = [optimizer.step(closure).item() for _ in range(calls)]
    return np.array(points), returned, optimizer, x


# (max_iter per step() call, number of calls, other settings); 20 iterations in all
SCHEDULES = {
    "one step of 20 iterations": (20, 1, {}),
    "20 steps of 1 iteration": (1, 20, {}),
    "20 steps of 1 iteration, max_eval=6": (1, 20, {"max_eval": 6}),
    "4 steps of 5, short history, lr=0.5": (5, 4, {"history_size": 3, "lr": 0.5}),
    "one step, max_eval=12": (20, 1, {"max_eval": 12}),
    "one step, tolerance_change=1e-2": (20, 1, {"tolerance_change": 1e-2}),
    "3 steps, tolerance_change=0.5": (20, 3, {"tolerance_change": 0.5}),
    "2 steps, tolerance_grad=1": (10, 2, {"tolerance_grad": 1.0}),
}


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
@pytest.mark.parametrize("schedule", list(SCHEDULES))
@pytest.mark.parametrize("problem", list(PROBLEMS))
def test_rosenbrock_iterates_match_pytorch(problem, schedule, line_search_fn):
    torch = pytest.importorskip("torch")
    function, start = PROBLEMS[problem]
    max_iter, calls, settings = SCHEDULES[schedule]
    settings = {"max_iter": max_iter, "line_search_fn": line_search_fn, "function": function, **settings}
    mine, my_losses, my_optimizer, my_x = _run_wengert(start, calls, **settings)
    theirs, their_losses, their_optimizer, their_x = _run_torch(torch, start, calls, **settings)
    # Every point the closure saw (the iterates and the line search's trials), in order.
    assert mine.shape == theirs.shape
    np.testing.assert_allclose(mine, theirs, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(my_x.tolist(), their_x.detach().numpy(), rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(my_losses, their_losses, rtol=1e-8)
    my_state, their_state = my_optimizer.state[my_x], their_optimizer.state[their_x]
    assert my_state["func_evals"] == their_state["func_evals"] == len(mine)
    assert my_state["n_iter"] == their_state["n_iter"]
    assert len(my_state["old_dirs"]) == len(their_state["old_dirs"])
    for key in ("d", "prev_flat_grad"):
        np.testing.assert_allclose(my_state[key], their_state[key].numpy(), rtol=1e-7, atol=1e-10)
        assert my_state[key].dtype == np.float64
    for key in ("t", "H_diag", "prev_loss"):
        assert float(my_state[key]) == pytest.approx(float(their_state[key]), rel=1e-7)


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_a_small_change_of_the_loss_stops_as_in_pytorch(line_search_fn):
    """A flat function: the loss changes by less than tolerance_change while the steps are still long."""
    torch = pytest.importorskip("torch")
    settings = {"max_iter": 20, "line_search_fn": line_search_fn, "tolerance_change": 1e-4}
    settings["function"] = lambda x: 1e-2 * rosenbrock(x)
    mine, _, my_optimizer, my_x = _run_wengert(STARTS["2-D"], 2, **settings)
    theirs, _, their_optimizer, _ = _run_torch(torch, STARTS["2-D"], 2, **settings)
    assert len(mine) == len(theirs) < 20
    np.testing.assert_allclose(mine, theirs, rtol=1e-8, atol=1e-12)
    assert (
        my_optimizer.state[my_x]["n_iter"]
        == their_optimizer.state[their_optimizer.param_groups[0]["params"][0]]["n_iter"]
    )


def test_the_extended_rosenbrock_from_its_symmetric_start():
    """From (-1.2, 1, ..., -1.2, 1) the strong-Wolfe search extrapolates a cubic from trial steps 1 and 1.01.

    That magnifies the last-bit differences of the two libraries' sums about a
    million-fold (PyTorch's own run on other hardware would move as much), so
    this run is compared to 1e-5; the evaluations are the same in number.
    """
    torch = pytest.importorskip("torch")
    settings = {"max_iter": 20, "line_search_fn": "strong_wolfe", "function": extended_rosenbrock}
    mine, *_ = _run_wengert([-1.2, 1.0] * 5, 1, **settings)
    theirs, *_ = _run_torch(torch, [-1.2, 1.0] * 5, 1, **settings)
    assert mine.shape == theirs.shape == (25, 10)
    np.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=1e-9)


def test_the_runs_make_progress():
    """The comparisons above are not of runs that stall: the iterations get close to the minimum (1, 1)."""
    _, _, _, x = _run_wengert(STARTS["2-D"], 3, max_iter=20, line_search_fn="strong_wolfe")
    np.testing.assert_allclose(x.tolist(), [1.0, 1.0], atol=1e-5)
    points, _, optimizer, x = _run_wengert(STARTS["10-D"], 1, max_iter=100, line_search_fn="strong_wolfe")
    np.testing.assert_allclose(x.tolist(), np.ones(10), atol=1e-5)
    assert optimizer.state[x]["func_evals"] == len(points) <= 125  # max_eval = max_iter * 5 // 4


def test_default_max_eval_and_the_history_kept_between_steps():
    optimizer = LBFGS([wg.tensor([1.0], requires_grad=True)], max_iter=7)
    assert optimizer.param_groups[0]["max_eval"] == 8
    assert optimizer.defaults["history_size"] == 100 and optimizer.defaults["lr"] == 1
    _, _, optimizer, x = _run_wengert(STARTS["10-D"], 3, max_iter=4, history_size=5)
    state = optimizer.state[x]
    assert state["n_iter"] == 12
    assert 1 <= len(state["old_dirs"]) == len(state["old_stps"]) == len(state["ro"]) <= 5
    for s, y, ro in zip(state["old_stps"], state["old_dirs"], state["ro"]):
        assert ro == pytest.approx(1.0 / np.dot(y, s)) and np.dot(y, s) > 1e-10


# -- fitting ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_least_squares_fit_converges(line_search_fn):
    rng = np.random.default_rng(0)
    inputs = rng.normal(size=(64, 4))
    targets = inputs @ rng.normal(size=(4, 2)) + np.array([0.5, -1.0]) + 0.01 * rng.normal(size=(64, 2))
    model = nn.Linear(4, 2, seed=1)
    unused = wg.tensor([3.0], requires_grad=True)  # no gradient: it must stay put (zeros in the flat gradient)
    optimizer = LBFGS([*model.parameters(), unused], line_search_fn=line_search_fn, max_iter=50, tolerance_change=1e-14)

    def closure():
        optimizer.zero_grad()
        loss = ((model(inputs) - targets) ** 2).mean()
        loss.backward()
        return loss

    first = optimizer.step(closure)
    for _ in range(3):
        optimizer.step(closure)
    design = np.hstack([inputs, np.ones((64, 1))])
    solution = np.linalg.lstsq(design, targets, rcond=None)[0]
    np.testing.assert_allclose(model.weight.detach().numpy(), solution[:4].T, atol=1e-6)
    np.testing.assert_allclose(model.bias.detach().numpy(), solution[4], atol=1e-6)
    assert unused.tolist() == [3.0]
    assert first.item() > closure().item()
    assert model.weight.detach().numpy().shape == (2, 4)


def test_step_returns_the_closure_s_first_loss_and_records_the_graph_under_no_grad():
    x = wg.tensor([2.0, -3.0], requires_grad=True)
    optimizer = LBFGS([x], line_search_fn="strong_wolfe")
    returned = []

    def closure():
        optimizer.zero_grad()
        loss = ((x - 1.0) ** 2).sum()
        loss.backward()  # would raise if no graph were recorded
        returned.append(loss)
        return loss

    with wg.no_grad():
        result = optimizer.step(closure)
    assert result is returned[0] and result.item() == 17.0
    np.testing.assert_allclose(x.tolist(), [1.0, 1.0], atol=1e-8)


def test_a_stationary_start_returns_after_one_evaluation():
    x = wg.tensor([1.0, 1.0], requires_grad=True)
    optimizer = LBFGS([x])
    calls = []

    def closure():
        calls.append(1)
        optimizer.zero_grad()
        loss = rosenbrock(x)
        loss.backward()
        return loss

    assert optimizer.step(closure).item() == 0.0
    assert len(calls) == 1 and optimizer.state[x] == {"func_evals": 1, "n_iter": 0}
    assert x.tolist() == [1.0, 1.0]


# -- float32 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_float32_parameters_stay_float32_and_follow_pytorch(line_search_fn):
    torch = pytest.importorskip("torch")
    settings = {"max_iter": 10, "line_search_fn": line_search_fn}
    mine, _, optimizer, x = _run_wengert(STARTS["2-D"], 1, np.float32, **settings)
    theirs, *_ = _run_torch(torch, STARTS["2-D"], 1, np.float32, **settings)
    assert x.dtype == np.float32 and mine.dtype == np.float32
    state = optimizer.state[x]
    assert state["d"].dtype == state["prev_flat_grad"].dtype == np.float32
    assert all(y.dtype == np.float32 for y in state["old_dirs"])
    assert np.asarray(state["H_diag"]).dtype == np.float32  # t is lr, a Python float, after the first iteration
    # float32 rounding differs (NumPy's and PyTorch's sums), so the comparison is to float32 accuracy.
    assert mine.shape == theirs.shape
    np.testing.assert_allclose(mine, theirs, rtol=2e-4, atol=1e-5)


def test_float32_least_squares_converges():
    rng = np.random.default_rng(2)
    inputs = rng.normal(size=(40, 3)).astype(np.float32)
    targets = (inputs @ np.array([1.0, -2.0, 0.5], dtype=np.float32) + 0.25).astype(np.float32)
    weight = wg.tensor(np.zeros(3, np.float32), requires_grad=True)
    bias = wg.tensor(np.float32(0.0), requires_grad=True)  # a 0-d parameter
    optimizer = LBFGS([weight, bias], line_search_fn="strong_wolfe")

    def closure():
        optimizer.zero_grad()
        loss = ((inputs @ weight + bias - targets) ** 2).mean()
        loss.backward()
        return loss

    for _ in range(3):
        optimizer.step(closure)
    assert weight.dtype == bias.dtype == np.float32 and bias.shape == ()
    np.testing.assert_allclose(weight.tolist(), [1.0, -2.0, 0.5], atol=1e-4)
    assert bias.item() == pytest.approx(0.25, abs=1e-4)


# -- saving and loading -------------------------------------------------------------------------------


def test_state_dict_round_trip_continues_identically():
    start = STARTS["10-D"]
    _, _, optimizer, x = _run_wengert(start, 2, max_iter=3, history_size=4, line_search_fn="strong_wolfe")
    saved = optimizer.state_dict()
    assert saved["state"][0]["old_dirs"][0] is not optimizer.state[x]["old_dirs"][0]  # copies

    y = wg.tensor(np.array(x.tolist()), requires_grad=True)
    restored = LBFGS([y], max_iter=1, line_search_fn=None)  # the hyperparameters come from the saved groups
    restored.load_state_dict(saved)
    assert restored.param_groups[0]["max_iter"] == 3 and restored.param_groups[0]["line_search_fn"] == "strong_wolfe"

    def closure_for(tensor, opt):
        def closure():
            opt.zero_grad()
            loss = rosenbrock(tensor)
            loss.backward()
            return loss

        return closure

    for _ in range(2):
        optimizer.step(closure_for(x, optimizer))
        restored.step(closure_for(y, restored))
    assert y.tolist() == x.tolist()
    assert restored.state[y]["n_iter"] == optimizer.state[x]["n_iter"] > 6


def test_load_state_dict_refuses_state_for_other_sizes():
    _, _, optimizer, _ = _run_wengert(STARTS["2-D"], 1, max_iter=3)
    other = LBFGS([wg.tensor(np.zeros(3), requires_grad=True)])
    with pytest.raises(ValueError, match=r"'d' has shape \(2,\); the parameters here have 3 elements in all"):
        other.load_state_dict(optimizer.state_dict())
    with pytest.raises(ValueError, match=r"state saved for parameters \[1\]; LBFGS keeps all of its state"):
        other.load_state_dict({"state": {1: {}}, "param_groups": optimizer.state_dict()["param_groups"]})


# -- errors -------------------------------------------------------------------------------------------


def _optimizer(**settings):
    x = wg.tensor([1.0, 2.0], requires_grad=True)
    return LBFGS([x], **settings), x


def test_step_without_a_closure():
    optimizer, _ = _optimizer()
    with pytest.raises(TypeError, match=r"LBFGS\.step needs a closure, got no closure: a function that calls"):
        optimizer.step()
    with pytest.raises(TypeError, match=r"needs a closure, got 3\.0 \(float\)"):
        optimizer.step(3.0)


@pytest.mark.parametrize(
    ("returned", "exception", "message"),
    [
        (lambda x: None, TypeError, r"the closure returned None; it must return the loss \(end it with `return loss`"),
        (lambda x: x * 2, ValueError, r"returned a tensor of shape \(2,\); it must return the loss, a one-element"),
        (lambda x: "loss", TypeError, r"the closure returned 'loss' \(str\); it must return the loss"),
    ],
)
def test_closures_that_do_not_return_a_loss(returned, exception, message):
    optimizer, x = _optimizer()

    def closure():
        optimizer.zero_grad()
        (x**2).sum().backward()
        return returned(x)

    with pytest.raises(exception, match=message):
        optimizer.step(closure)


def test_error_types_match_pytorch():
    torch = pytest.importorskip("torch")
    for library, make in [(torch, lambda v: torch.tensor(v, requires_grad=True)), (wg, None)]:
        if library is torch:
            x = make([1.0, 2.0])
            optimizer = torch.optim.LBFGS([x])
        else:
            optimizer, x = _optimizer()

        def vector_loss(optimizer=optimizer, x=x):
            optimizer.zero_grad()
            (x**2).sum().backward()
            return x * 2

        def no_loss(optimizer=optimizer, x=x):
            optimizer.zero_grad()
            (x**2).sum().backward()

        with pytest.raises(ValueError):
            optimizer.step(vector_loss)
        with pytest.raises(TypeError):
            optimizer.step(no_loss)
        with pytest.raises(TypeError):
            optimizer.step()
    a, b = torch.zeros(1, requires_grad=True), torch.zeros(1, requires_grad=True)
    with pytest.raises(ValueError):
        torch.optim.LBFGS([{"params": [a]}, {"params": [b], "lr": 0.5}])


@pytest.mark.parametrize(
    ("settings", "exception", "message"),
    [
        (
            {"line_search_fn": "strong_wolf"},
            ValueError,
            r"line_search_fn must be None .* \(did you mean 'strong_wolfe'",
        ),
        ({"line_search_fn": "backtracking"}, ValueError, r"line_search_fn must be None \(fixed steps of length lr\)"),
        ({"line_search_fn": True}, ValueError, r"line_search_fn must be None"),
        ({"max_iter": 0}, ValueError, r"LBFGS: max_iter must be a positive int, got 0"),
        ({"max_iter": 2.5}, TypeError, r"LBFGS: max_iter must be a positive int, got 2\.5"),
        ({"max_eval": 0}, ValueError, r"LBFGS: max_eval must be a positive int"),
        ({"history_size": 0}, ValueError, r"LBFGS: history_size must be a positive int"),
        ({"tolerance_grad": "small"}, TypeError, r"LBFGS: tolerance_grad must be a real number"),
        ({"tolerance_change": float("nan")}, ValueError, r"LBFGS: tolerance_change must be a finite number"),
        ({"lr": -1.0}, ValueError, r"LBFGS: Invalid learning rate: -1\.0"),
    ],
)
def test_constructor_errors(settings, exception, message):
    with pytest.raises(exception, match=message):
        _optimizer(**settings)


def test_one_parameter_group_only():
    a, b = wg.tensor([1.0], requires_grad=True), wg.tensor([2.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"LBFGS doesn't support per-parameter options \(parameter groups\)"):
        LBFGS([{"params": [a]}, {"params": [b], "lr": 0.5}])
    optimizer = LBFGS([a, b])  # several parameters in one group are fine
    with pytest.raises(ValueError, match=r"per-parameter options"):
        optimizer.add_param_group({"params": [wg.tensor([0.0], requires_grad=True)]})


def test_hyperparameters_edited_after_construction_are_checked_at_step():
    optimizer, x = _optimizer()
    optimizer.param_groups[0]["line_search_fn"] = "wolfe"
    with pytest.raises(ValueError, match=r"line_search_fn must be None"):
        optimizer.step(lambda: (x**2).sum())


def test_exported_names():
    assert optim.LBFGS is LBFGS
    assert "LBFGS" in optim.__all__


# -- the line search alone ----------------------------------------------------------------------------

LINE_FUNCTIONS = {
    "exp": lambda t, lib, a, b: lib.exp(a * t) - b * t,
    "quartic": lambda t, lib, a, b: a * t**4 + 0.5 * t**2 - b * t,
    "wavy": lambda t, lib, a, b: lib.sin(a * t) - b * t + 0.05 * t**2,
    "hyperbola": lambda t, lib, a, b: lib.sqrt(1 + (a * (t - b)) ** 2),
}


@pytest.mark.parametrize("first_step", [0.01, 1.0, 10.0, 100.0])
@pytest.mark.parametrize("name", list(LINE_FUNCTIONS))
def test_strong_wolfe_search_matches_pytorch_on_1d_functions(name, first_step):
    """The step, loss and number of evaluations of the line search alone, over 12 shapes of each function.

    Among them (the hyperbola with a = b = 0.5 from a first step of 100) is a zoom whose cubic lands near
    an end of the interval twice in a row, which moves the trial a tenth of the interval inside.
    """
    torch = pytest.importorskip("torch")
    torch_search = getattr(pytest.importorskip("torch.optim.lbfgs"), "_strong_wolfe", None)
    if torch_search is None:
        pytest.skip("this PyTorch has no torch.optim.lbfgs._strong_wolfe to compare with")
    from wengert.optim.lbfgs import _strong_wolfe

    phi = LINE_FUNCTIONS[name]
    for a in (0.5, 1.0, 3.0, 10.0):
        for b in (0.5, 2.0, 5.0):

            def value_and_slope(t, a=a, b=b):
                point = torch.tensor([float(t)], dtype=torch.float64, requires_grad=True)
                value = phi(point, torch, a, b).sum()
                (slope,) = torch.autograd.grad(value, point)
                return value.item(), slope

            f0, g0 = value_and_slope(0.0)
            if g0.item() >= 0:
                continue  # not a descent direction
            direction = torch.ones(1, dtype=torch.float64)
            theirs = torch_search(
                lambda x, t, d: value_and_slope(t),
                torch.zeros(1, dtype=torch.float64),
                first_step,
                direction,
                f0,
                g0,
                g0.dot(direction),
            )

            def along(t):
                value, slope = value_and_slope(t)
                return value, slope.numpy()

            mine = _strong_wolfe(along, first_step, np.ones(1), f0, g0.numpy(), np.dot(g0.numpy(), np.ones(1)))
            assert mine[3] == theirs[3], (a, b)
            assert float(mine[2]) == pytest.approx(float(theirs[2]), rel=1e-9, abs=1e-15), (a, b)
            assert mine[0] == pytest.approx(theirs[0], rel=1e-12), (a, b)
