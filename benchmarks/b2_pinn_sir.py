"""B2, PINN-SIR training step: input derivatives inside the loss, backward, one Adam step.

An MLP 1→32→32→32→3 (tanh) maps the scaled time τ = t / 60 days to the
compartment fractions (s, i, r). At N = 256 collocation times the loss takes
ds/dτ, di/dτ, dr/dτ of the network; the SIR equations with learnable rates
β = softplus(β_raw), γ = softplus(γ_raw) give the residual

    ds/dτ + T·β·s·i,   di/dτ − T·β·s·i + T·γ·i,   dr/dτ − T·γ·i      (T = 60 days),

and the loss is mean(residual²) (summed over the three equations) plus the
mean squared misfit at 20 observed times. One step is the loss, its gradient
with respect to every weight and both rates, and one Adam update (lr 1e-3,
PyTorch's defaults otherwise). The figure is ms per step.

The workload's d/dt is reverse mode with the graph kept (three
``autograd.grad(S|I|R, t, grad_outputs=ones, create_graph=True)``, one
backward sweep per output); the rows marked "jvp for d/dt" take all three
derivatives from one forward-mode pass with a ones tangent (t is 1-D).

Every implementation starts from the same weights (drawn once with NumPy) and
is checked, before timing, on its first step: the loss, the gradients and the
parameters after the Adam update must agree with wengert's to 1e-8.

Run: ``python benchmarks/run.py B2 --threads 1`` (or ``python benchmarks/b2_pinn_sir.py``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from harness import PYTORCH, WENGERT, Case, Config, Figure, Row, as_array, block, import_jax, run_cases

WORKLOAD = "B2"
TITLE = (
    "B2 PINN-SIR step: MLP 1→32→32→32→3 tanh, N=256, d/dt of S, I, R, softplus β, γ, "
    "residual + 20-point data loss, backward, Adam (float64)"
)
SIZES = (1, 32, 32, 32, 3)
COLLOCATION = 256
OBSERVATIONS = 20
DAYS = 60.0  # the time scale T: the network sees τ = t / T in [0, 1]
TRUE_RATES = (0.3, 0.1)  # β, γ per day, which made the data
START_RATES = (0.2, 0.05)  # the learnable rates' starting values
LEARNING_RATE = 1e-3
BETAS = (0.9, 0.999)
EPS = 1e-8


# ----------------------------------------------------------------------------- the problem


def _sir_rk4(times: np.ndarray, beta: float, gamma: float, start: Sequence[float], substeps: int = 200) -> np.ndarray:
    """(s, i, r) at ``times`` (in days), by classical Runge–Kutta with ``substeps`` steps per interval."""

    def rates(state: np.ndarray) -> np.ndarray:
        infections = beta * state[0] * state[1]
        recoveries = gamma * state[1]
        return np.array([-infections, infections - recoveries, recoveries])

    state = np.array(start, dtype=np.float64)
    states = [state]
    for begin, end in zip(times[:-1], times[1:]):
        h = (end - begin) / substeps
        for _ in range(substeps):
            k1 = rates(state)
            k2 = rates(state + 0.5 * h * k1)
            k3 = rates(state + 0.5 * h * k2)
            k4 = rates(state + h * k3)
            state = state + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
        states.append(state)
    return np.stack(states)


def mlp_weights(sizes: Sequence[int], rng: np.random.Generator, dtype: Any = np.float64) -> list[np.ndarray]:
    """[W1, b1, W2, b2, …]: weights of shape (in, out), Glorot normal; biases N(0, 0.1²) (not zero, so checked).

    Example:
        >>> [w.shape for w in mlp_weights((2, 3, 1), np.random.default_rng(0))]
        [(2, 3), (3,), (3, 1), (1,)]
    """
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        params.append((rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / (fan_in + fan_out))).astype(dtype))
        params.append((0.1 * rng.standard_normal(fan_out)).astype(dtype))
    return params


def inverse_softplus(value: float) -> float:
    """The raw parameter whose softplus is ``value``.

    Example:
        >>> round(float(np.log1p(np.exp(inverse_softplus(0.3)))), 12)
        0.3
    """
    return float(np.log(np.expm1(value)))


def problem(seed: int = 0) -> dict[str, Any]:
    """The collocation times, the observations and the starting parameters (NumPy, float64).

    ``params`` is the flat list [W1, b1, …, W4, b4, β_raw, γ_raw], weights of
    shape (in, out) (Glorot normal), biases N(0, 0.1²), so that every
    implementation starts from these very numbers.

    Example:
        >>> data = problem()
        >>> data["t"].shape, data["t_data"].shape, data["data"].shape, len(data["params"])
        ((256, 1), (20, 1), (20, 3), 10)
    """
    rng = np.random.default_rng(seed)
    params: list[Any] = mlp_weights(SIZES, rng)
    params += [np.array(inverse_softplus(rate)) for rate in START_RATES]
    days = np.linspace(0.0, DAYS, OBSERVATIONS)
    exact = _sir_rk4(days, *TRUE_RATES, start=(0.99, 0.01, 0.0))
    noisy = exact + 0.005 * rng.standard_normal(exact.shape)
    return {
        "t": np.linspace(0.0, 1.0, COLLOCATION).reshape(-1, 1),
        "t_data": (days / DAYS).reshape(-1, 1),
        "data": noisy,
        "params": params,
    }


def sir_loss(s: Any, i: Any, r: Any, ds: Any, di: Any, dr: Any, fit: Any, data: Any, beta: Any, gamma: Any) -> Any:
    """Residual loss + data loss, written once for every engine (arguments are (N, 1) columns).

    Example:
        >>> column = np.full((2, 1), 0.5)
        >>> float(sir_loss(column, column, column, column, column, column, column, column, 0.0, 0.0))
        0.75
    """
    infections = DAYS * beta * s * i
    recoveries = DAYS * gamma * i
    residual = ((ds + infections) ** 2 + (di - infections + recoveries) ** 2 + (dr - recoveries) ** 2).mean()
    return residual + ((fit - data) ** 2).mean()


def mlp(params: Sequence[Any], x: Any, tanh: Callable[[Any], Any]) -> Any:
    """x ↦ the MLP's output for weights [W1, b1, …] of shape (in, out); tanh between the layers."""
    layers = len(params) // 2
    for layer in range(layers - 1):
        x = tanh(x @ params[2 * layer] + params[2 * layer + 1])
    return x @ params[-2] + params[-1]


# ----------------------------------------------------------------------------- shared by B2, B3 and B4


def checked_on_first_call(step: Callable[[], Callable[[], Sequence[Any]]]) -> Callable[[], Any]:
    """The call to time: ``step()`` runs one step and returns a function giving that step's answer parts.

    The harness checks the answer of the first call only, and keeps wengert's
    as the reference while the steps go on (and change the parameters), so
    the first call returns the answer as a flat NumPy array made at once; the
    later, timed calls return the parts function unevaluated and pay nothing
    for the answer.
    """
    first = True

    def call() -> Any:
        nonlocal first
        parts = step()
        if first:
            first = False
            return np.concatenate([np.ravel(as_array(part)) for part in parts()])
        return parts

    return call


def adam_update(
    params: Sequence[Any], grads: Sequence[Any], first: Sequence[Any], second: Sequence[Any], step: Any, sqrt: Callable
) -> tuple[list, list, list]:
    """One Adam update as PyTorch writes it; returns the new (params, first, second) lists.

    Example:
        >>> params, _, _ = adam_update([np.array(1.0)], [np.array(0.5)], [0.0], [0.0], 1, np.sqrt)
        >>> round(float(params[0]), 9)  # the first step moves by lr
        0.999
    """
    beta1, beta2 = BETAS
    new_first = [beta1 * m + (1.0 - beta1) * g for m, g in zip(first, grads)]
    new_second = [beta2 * v + (1.0 - beta2) * g * g for v, g in zip(second, grads)]
    step_size = LEARNING_RATE / (1.0 - beta1**step)
    root_correction = (1.0 - beta2**step) ** 0.5
    new_params = [
        p - step_size * m / (sqrt(v) / root_correction + EPS) for p, m, v in zip(params, new_first, new_second)
    ]
    return new_params, new_first, new_second


def numpy_adam_step(value_and_grad: Callable[[list], tuple], params: list[np.ndarray]) -> Callable[[], Any]:
    """The timed call of a functional engine's step: its value and gradient, then Adam in NumPy."""
    state = {"params": params, "step": 0}
    state["first"] = [np.zeros_like(p) for p in params]
    state["second"] = [np.zeros_like(p) for p in params]

    def step():
        loss, grads = value_and_grad(state["params"])
        state["step"] += 1
        state["params"], state["first"], state["second"] = adam_update(
            state["params"], grads, state["first"], state["second"], state["step"], np.sqrt
        )
        new_params = state["params"]
        return lambda: [loss, *grads, *new_params]

    return checked_on_first_call(step)


# ----------------------------------------------------------------------------- wengert


def wengert_mlp(sizes: Sequence[int], weights: Sequence[np.ndarray], activation: str) -> Any:
    """A ``wengert.nn.MLP`` holding ``weights`` ([W1, b1, …], W of shape (in, out), loaded as nn.Linear's (out, in))."""
    import wengert.nn as nn

    model = nn.MLP(sizes, activation=activation, dtype=weights[0].dtype)
    names = [name for name, _ in model.named_parameters()]
    model.load_state_dict({name: w.T if w.ndim == 2 else w for name, w in zip(names, weights)})
    return model


def torch_mlp(sizes: Sequence[int], weights: Sequence[np.ndarray], activation: str) -> Any:
    """A ``torch.nn.Sequential`` of ``Linear`` layers holding ``weights`` (transposed to PyTorch's (out, in))."""
    import torch

    dtype = {np.dtype(np.float64): torch.float64, np.dtype(np.float32): torch.float32}[weights[0].dtype]
    layers = []
    for index, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        linear = torch.nn.Linear(fan_in, fan_out, dtype=dtype)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(weights[2 * index].T))
            linear.bias.copy_(torch.from_numpy(weights[2 * index + 1]))
        layers += [linear, {"tanh": torch.nn.Tanh, "relu": torch.nn.ReLU}[activation]()]
    return torch.nn.Sequential(*layers[:-1])


def torch_layout(tensor: Any) -> Any:
    """A PyTorch or ``wengert.nn`` weight (or its gradient), (out, in), in the (in, out) layout of the reference."""
    if hasattr(tensor, "detach"):
        tensor = tensor.detach()
    return tensor.T if tensor.ndim == 2 else tensor


def grads_of(params: Sequence[Any]) -> list[Any]:
    """The ``.grad`` of each parameter, zeros where the loss does not depend on it (``None``)."""
    return [np.zeros(p.shape) if p.grad is None else p.grad for p in params]


def _wengert_model(data: dict[str, Any]):
    import wengert.nn as nn
    from wengert.optim import Adam

    model = wengert_mlp(SIZES, data["params"][:-2], "tanh")
    beta_raw, gamma_raw = (nn.Parameter(value) for value in data["params"][-2:])
    params = [*model.parameters(), beta_raw, gamma_raw]
    return model, beta_raw, gamma_raw, params, Adam(params, lr=LEARNING_RATE, betas=BETAS, eps=EPS)


def _tensor_answer(loss: Any, params: Sequence[Any]) -> Callable[[], list]:
    # nn.Linear keeps (out, in) weights: the transposed views match the reference's layout.
    return lambda: [loss, *[torch_layout(g) for g in grads_of(params)], *[torch_layout(p) for p in params]]


def wengert_tensor() -> Callable[[], Any]:
    import wengert as wg
    import wengert.numpy as wnp

    data = problem()
    model, beta_raw, gamma_raw, params, optimizer = _wengert_model(data)
    t, t_data, observed = data["t"], data["t_data"], data["data"]
    ones = np.ones_like(t)

    def step():
        optimizer.zero_grad()
        time = wg.tensor(t, requires_grad=True)
        u = model(time)
        s, i, r = u[:, 0:1], u[:, 1:2], u[:, 2:3]
        (ds,) = wg.autograd.grad(s, time, grad_outputs=ones, create_graph=True)
        (di,) = wg.autograd.grad(i, time, grad_outputs=ones, create_graph=True)
        (dr,) = wg.autograd.grad(r, time, grad_outputs=ones, create_graph=True)
        beta, gamma = wnp.softplus(beta_raw), wnp.softplus(gamma_raw)
        loss = sir_loss(s, i, r, ds, di, dr, model(t_data), observed, beta, gamma)
        loss.backward()
        optimizer.step()
        return _tensor_answer(loss, params)

    return checked_on_first_call(step)


def wengert_tensor_jvp() -> Callable[[], Any]:
    import wengert as wg
    import wengert.numpy as wnp

    data = problem()
    model, beta_raw, gamma_raw, params, optimizer = _wengert_model(data)
    t, t_data, observed = data["t"], data["t_data"], data["data"]
    ones = np.ones_like(t)

    def step():
        optimizer.zero_grad()
        # t is 1-D: one forward-mode pass with a ones tangent gives d/dt of all three outputs.
        u, du = wg.jvp(model, (t,), (ones,))
        s, i, r = u[:, 0:1], u[:, 1:2], u[:, 2:3]
        ds, di, dr = du[:, 0:1], du[:, 1:2], du[:, 2:3]
        beta, gamma = wnp.softplus(beta_raw), wnp.softplus(gamma_raw)
        loss = sir_loss(s, i, r, ds, di, dr, model(t_data), observed, beta, gamma)
        loss.backward()
        optimizer.step()
        return _tensor_answer(loss, params)

    return checked_on_first_call(step)


def _functional_loss(wg, wnp, data):
    t, t_data, observed = data["t"], data["t_data"], data["data"]
    ones = np.ones_like(t)

    def loss(params):
        weights = params[:-2]
        u, du = wg.jvp(lambda time: mlp(weights, time, wnp.tanh), (t,), (ones,))
        beta, gamma = wnp.softplus(params[-2]), wnp.softplus(params[-1])
        return sir_loss(
            u[:, 0:1],
            u[:, 1:2],
            u[:, 2:3],
            du[:, 0:1],
            du[:, 1:2],
            du[:, 2:3],
            mlp(weights, t_data, wnp.tanh),
            observed,
            beta,
            gamma,
        )

    return loss


def wengert_functional() -> Callable[[], Any]:
    import wengert as wg
    import wengert.numpy as wnp

    data = problem()
    value_and_grad = wg.value_and_grad(_functional_loss(wg, wnp, data))
    return numpy_adam_step(value_and_grad, [np.array(p) for p in data["params"]])


def wengert_jit() -> Callable[[], Any]:
    import wengert as wg
    import wengert.numpy as wnp

    data = problem()
    value_and_grad = wg.jit(wg.value_and_grad(_functional_loss(wg, wnp, data)))
    return numpy_adam_step(value_and_grad, [np.array(p) for p in data["params"]])


# ----------------------------------------------------------------------------- peers


def pytorch_eager() -> Callable[[], Any]:
    import torch

    data = problem()
    model = torch_mlp(SIZES, data["params"][:-2], "tanh")
    beta_raw, gamma_raw = (torch.nn.Parameter(torch.tensor(float(p), dtype=torch.float64)) for p in data["params"][-2:])
    params = [*model.parameters(), beta_raw, gamma_raw]
    optimizer = torch.optim.Adam(params, lr=LEARNING_RATE, betas=BETAS, eps=EPS)
    t = torch.from_numpy(data["t"])
    t_data = torch.from_numpy(data["t_data"])
    observed = torch.from_numpy(data["data"])
    ones = torch.ones_like(t)
    softplus = torch.nn.functional.softplus

    def step():
        optimizer.zero_grad(set_to_none=True)
        time = t.clone().requires_grad_(True)
        u = model(time)
        s, i, r = u[:, 0:1], u[:, 1:2], u[:, 2:3]
        (ds,) = torch.autograd.grad(s, time, grad_outputs=ones, create_graph=True)
        (di,) = torch.autograd.grad(i, time, grad_outputs=ones, create_graph=True)
        (dr,) = torch.autograd.grad(r, time, grad_outputs=ones, create_graph=True)
        loss = sir_loss(s, i, r, ds, di, dr, model(t_data), observed, softplus(beta_raw), softplus(gamma_raw))
        loss.backward()
        optimizer.step()
        # nn.Linear keeps (out, in) weights: transposed to the (in, out) layout of the reference.
        return lambda: [loss, *[torch_layout(g) for g in grads_of(params)], *[torch_layout(p) for p in params]]

    return checked_on_first_call(step)


def _jax_step():
    jax = import_jax()
    import jax.numpy as jnp

    data = problem()
    t, t_data, observed = (jnp.asarray(data[key]) for key in ("t", "t_data", "data"))
    ones = jnp.ones_like(t)

    def loss(params):
        weights = params[:-2]
        u, du = jax.jvp(lambda time: mlp(weights, time, jnp.tanh), (t,), (ones,))
        beta, gamma = jax.nn.softplus(params[-2]), jax.nn.softplus(params[-1])
        return sir_loss(
            u[:, 0:1],
            u[:, 1:2],
            u[:, 2:3],
            du[:, 0:1],
            du[:, 1:2],
            du[:, 2:3],
            mlp(weights, t_data, jnp.tanh),
            observed,
            beta,
            gamma,
        )

    value_and_grad = jax.value_and_grad(loss)

    def step(params, first, second, count):
        value, grads = value_and_grad(params)
        count = count + 1
        params, first, second = adam_update(params, grads, first, second, count, jnp.sqrt)
        return params, first, second, count, value, grads

    params = [jnp.asarray(p) for p in data["params"]]
    state = [params, [jnp.zeros_like(p) for p in params], [jnp.zeros_like(p) for p in params], jnp.asarray(0)]
    return jax, step, state


def _jax_runner(jit: bool) -> Callable[[], Any]:
    jax, step, state = _jax_step()
    if jit:
        step = jax.jit(step)

    def call():
        params, first, second, count, value, grads = block(step(*state))
        state[:] = [params, first, second, count]
        return lambda: [value, *grads, *params]

    return checked_on_first_call(call)


def jax_eager() -> Callable[[], Any]:
    return _jax_runner(jit=False)


def jax_jit() -> Callable[[], Any]:
    return _jax_runner(jit=True)


def hips_autograd() -> Callable[[], Any]:
    import autograd
    import autograd.numpy as anp

    data = problem()
    t, t_data, observed = data["t"], data["t_data"], data["data"]
    # One forward pass, three pullbacks with a ones seed on one output column each (as PyTorch's three grads).
    seeds = []
    for column in range(3):
        seed = np.zeros((COLLOCATION, 3))
        seed[:, column] = 1.0
        seeds.append(seed)

    def softplus(x):
        return anp.logaddexp(0.0, x)

    def loss(params):
        weights = params[:-2]
        pullback, u = autograd.make_vjp(lambda time: mlp(weights, time, anp.tanh))(t)
        ds, di, dr = (pullback(seed) for seed in seeds)
        beta, gamma = softplus(params[-2]), softplus(params[-1])
        fit = mlp(weights, t_data, anp.tanh)
        return sir_loss(u[:, 0:1], u[:, 1:2], u[:, 2:3], ds, di, dr, fit, observed, beta, gamma)

    return numpy_adam_step(autograd.value_and_grad(loss), [np.array(p) for p in data["params"]])


def run(config: Config) -> list[Row]:
    """Check and time B2 for wengert (both dialects, reverse and forward d/dt) and every importable peer."""
    task = "Adam step"
    cases = [
        Case("wengert Tensor", task, "3 × autograd.grad(create_graph) + backward", wengert_tensor, role=WENGERT),
        Case("wengert Tensor", task, "jvp for d/dt + backward", wengert_tensor_jvp),
        Case("wengert", task, "value_and_grad, jvp for d/dt", wengert_functional),
        Case("wengert jit", task, "jit(value_and_grad), jvp for d/dt", wengert_jit, jit=True),
        Case("PyTorch eager", task, "3 × autograd.grad(create_graph) + backward", pytorch_eager, role=PYTORCH),
        Case("JAX eager", task, "value_and_grad, jvp for d/dt", jax_eager),
        Case("JAX jit", task, "jit(step), jvp for d/dt", jax_jit, jit=True),
        Case("HIPS autograd", task, "value_and_grad, 3 pullbacks of make_vjp", hips_autograd),
    ]
    return run_cases(WORKLOAD, cases, config, Figure("ms", 1e3))


if __name__ == "__main__":
    import run as runner

    runner.main([WORKLOAD, *sys.argv[1:]])
