"""PINN problems, each with its network, loss terms, physical parameters and reference solution.

- `SIR`: the SIR epidemic, inverse (β and γ learned from noisy counts of I) or forward.
- `Burgers`: viscous Burgers, u_t + u·u_x = ν·u_xx with u(x, 0) = −sin πx and
  u(±1, t) = 0 — inference of u (Raissi, Perdikaris & Karniadakis 2019) or
  identification of λ1, λ2 in u_t + λ1·u·u_x − λ2·u_xx = 0.
- `Wave1D`: u_tt = c²·u_xx on [0, 1] with a closed-form standing-wave solution.
- `Heat1D`: u_t = κ·u_xx on [0, 1]; `Poisson1D`: −u'' = f on [0, 1].

A problem builds everything from its settings and one ``seed`` (network
initialisation, collocation points, noise), hands a ready `Trainer` out of
``trainer()``, and measures the trained network against its reference
solution with ``evaluate()``. Input derivatives inside the residuals come from
forward mode (`Derivatives`: a jvp per direction, a jvp of a jvp for second
derivatives) on a network whose weights are tensors that require grad, so the
trainer's ``loss.backward()`` reaches the weights through them.

Example:
    >>> problem = Poisson1D(collocation=32, hidden=(16,), seed=0)
    >>> history = problem.trainer().fit(adam_steps=0, lbfgs_steps=200, progress=False)
    >>> problem.evaluate()["relative_l2_error"] < 1e-2
    True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import numpy as wnp
from ..nn import MLP, Module, Parameter
from ..tensor import Tensor, no_grad
from .derivatives import Derivatives
from .references import (
    BURGERS_NU,
    burgers_reference,
    burgers_reference_grid,
    heat_reference,
    poisson_reference,
    poisson_source,
    relative_l2_error,
    sir_observations,
    sir_reference,
    wave_reference,
)
from .sampling import grid, latin_hypercube
from .trainer import Trainer, geometric_ramp

LossFunction = Callable[[], Any]


# -- the network ---------------------------------------------------------------------------------------


class FieldNetwork(Module):
    """A tanh MLP whose inputs are first mapped from the box ``bounds`` onto [−1, 1] in every coordinate.

    The affine input map (as in Raissi et al.'s code) keeps the first layer's
    pre-activations of order one whatever the domain's units; it is part of
    the function, so input derivatives include its factor 2 / (hi − lo).
    ``bounds=None`` leaves the inputs as they are.

    Example:
        >>> net = FieldNetwork([2, 8, 1], bounds=[(-1.0, 1.0), (0.0, 10.0)], seed=0)
        >>> net(np.array([[0.0, 5.0]])).shape
        (1, 1)
    """

    def __init__(
        self,
        sizes: Sequence[int],
        bounds: Sequence[tuple[float, float]] | None = None,
        activation: Any = "tanh",
        output_activation: Any = None,
        init: str = "glorot_normal",
        seed: int | None = None,
    ) -> None:
        super().__init__()
        self.net = MLP(sizes, activation=activation, output_activation=output_activation, init=init, seed=seed)
        if bounds is None:
            self.center = None
            self.inverse_half_width = None
        else:
            box = np.asarray(bounds, dtype=float).reshape(-1, 2)
            if box.shape[0] != sizes[0]:
                raise ValueError(f"FieldNetwork: {box.shape[0]} bounds for {sizes[0]} inputs")
            self.center = box.mean(axis=1)
            self.inverse_half_width = 2.0 / (box[:, 1] - box[:, 0])

    def forward(self, x: Any) -> Any:
        if self.center is not None:
            x = (x - self.center) * self.inverse_half_width
        return self.net(x)


def _mean_square(value: Any) -> Any:
    return (value * value).mean()


def _mean_squared_norm(rows: Any) -> Any:
    """The mean over points (rows) of the squared residual vector's length (summed over its components)."""
    return (rows * rows).sum(axis=1).mean()


def _predict(model: Module, points: np.ndarray) -> np.ndarray:
    with no_grad():
        out = model(np.asarray(points, dtype=float))
    return np.asarray(out.primal if isinstance(out, Tensor) else out)


# -- the common interface ------------------------------------------------------------------------------


class Problem:
    """What every problem provides: ``model``, ``parameters``, ``losses()``, ``weights``, ``trainer()``, ``evaluate()``.

    Subclasses set ``name``, ``model`` (a `Module`), ``parameters`` (the
    learnable physical parameters by name, possibly empty), ``weights`` and
    ``seed``, and define ``losses()`` and ``evaluate()``; ``track()`` names
    the quantities recorded at every step (by default the parameters' values).
    """

    name = "problem"
    model: Module
    parameters: dict[str, Parameter]
    weights: dict[str, Any]
    seed: int | None

    def losses(self) -> dict[str, LossFunction]:
        raise NotImplementedError

    def track(self) -> dict[str, Callable[[], float]] | None:
        return None

    def trainer(self) -> Trainer:
        """A `Trainer` over this problem's network, loss terms, weights and physical parameters."""
        return Trainer(
            self.model, self.losses(), self.weights, params=self.parameters, track=self.track(), seed=self.seed
        )

    def predict(self, points: np.ndarray) -> np.ndarray:
        """The network's output at ``points`` (an (N, d) array), as a plain array."""
        return _predict(self.model, points)

    def evaluate(self) -> dict[str, Any]:
        raise NotImplementedError


# -- SIR -----------------------------------------------------------------------------------------------


class SIR(Problem):
    """The SIR epidemic: learn β and γ from noisy counts of I (``inverse=True``), or solve with known rates.

    The network maps scaled time τ = t / T ∈ [0, 1] (T = ``days``) through
    tanh layers (``hidden``, PyTorch's default initialisation, as in the
    PyTorch setup this follows) to (S, I, R) / N through sigmoid outputs.
    The rates are learned as log β and log γ, so they stay positive.

    Loss terms (weights ``data_weight``, ``physics_weight``, ``ic_weight``),
    each the mean over its points of the squared residual summed over
    compartments, as in the physics term of the PyTorch setup:

    - ``data``: the misfit of the observed compartments, as fractions of N;
    - ``physics``: at ``collocation`` evenly spaced τ, the residuals in scaled
      time, r_S = ds/dτ + βT·s·i, r_I = di/dτ − βT·s·i + γT·i,
      r_R = dr/dτ − γT·i (s, i, r the fractions); the mean over points of
      r_S² + r_I² + r_R². In τ the rates are βT ≈ 18 and γT ≈ 6 and the
      derivatives of order one, so residuals measure the violation of the
      equations over the whole run, in fractions of N, like the other terms;
      per day they would be T times smaller and the physics term T² = 3600
      times weaker (measured: the fit then follows the noise and β drifts to 0.18);
    - ``ic``: the misfit of (s, i, r) at τ = 0 — summed over the three
      compartments, not averaged: averaged, weight 5 lets I(0) drift to 12
      people to fit the first noisy counts, and β follows it down 5%
      (least squares on the exact ODE with that penalty: β = 0.287 on the
      default data; summed, 0.290).

    ``physics_warmup`` steps raise the physics weight geometrically from
    1/100 of its value to its value. Starting at full weight, the untrained
    network's residual (βT·s·i ≈ 5) outweighs the data a hundredfold and
    training falls into the equations' trivial solution I ≈ 0 from which the
    data cannot pull it (measured with this network: the data misfit stayed at
    2.7e-2, sixty times the noise variance, even with β, γ started at the
    truth). Starting lower (1/10,000) lets the rates wander off (β fell to
    0.06) while the physics is too weak to hold them.

    ``seed`` seeds the observation noise, the network's initial weights and ``trainer().rng``.

    Example:
        >>> problem = SIR(hidden=(16, 16), collocation=32, seed=0)
        >>> sorted(problem.losses()), sorted(problem.parameters)
        (['data', 'ic', 'physics'], ['log_beta', 'log_gamma'])
    """

    name = "sir"

    def __init__(
        self,
        inverse: bool = True,
        beta: float = 0.3,
        gamma: float = 0.1,
        population: float = 1000.0,
        initial: Sequence[float] = (990.0, 10.0, 0.0),
        days: float = 60.0,
        observations: int = 30,
        sigma: float = 20.0,
        observed: Sequence[str] = ("I",),
        hidden: Sequence[int] = (64, 64, 64, 64),
        collocation: int = 256,
        data_weight: float = 1.0,
        physics_weight: float = 0.1,
        ic_weight: float = 5.0,
        physics_warmup: int = 3000,
        beta_guess: float = 0.5,
        gamma_guess: float = 0.2,
        seed: int | None = 0,
    ) -> None:
        if not (beta > 0 and gamma > 0 and beta_guess > 0 and gamma_guess > 0):
            raise ValueError("SIR: the rates and their initial guesses must be positive")
        if int(collocation) < 2:
            raise ValueError(f"SIR: collocation must be at least 2 points, got {collocation!r}")
        self.inverse = bool(inverse)
        self.beta, self.gamma = float(beta), float(gamma)
        self.population, self.days = float(population), float(days)
        self.initial = np.asarray(initial, dtype=float)
        if self.initial.shape != (3,):
            raise ValueError(f"SIR: initial must hold (S0, I0, R0), got {initial!r}")
        self.seed = seed
        self.observed = tuple(observed)
        self.data = sir_observations(
            n=observations,
            sigma=sigma,
            seed=seed,
            compartments=self.observed,
            beta=beta,
            gamma=gamma,
            population=population,
            initial=tuple(self.initial),
            days=days,
        )
        self.columns = [("S", "I", "R").index(name) for name in self.observed]
        self.sigma = float(sigma)
        self.model = FieldNetwork(
            [1, *hidden, 3], activation="tanh", output_activation="sigmoid", init="pytorch", seed=seed
        )
        self.collocation = np.linspace(0.0, 1.0, int(collocation))[:, None]
        if self.inverse:
            self.log_beta = Parameter(math.log(beta_guess))
            self.log_gamma = Parameter(math.log(gamma_guess))
            self.parameters = {"log_beta": self.log_beta, "log_gamma": self.log_gamma}
        else:
            self.log_beta = self.log_gamma = None
            self.parameters = {}
        physics: Any = float(physics_weight)
        if physics_warmup and physics_weight > 0:
            physics = geometric_ramp(physics_weight / 100.0, physics_weight, int(physics_warmup))
        self.weights = {"physics": physics, "ic": float(ic_weight)}
        if self.inverse:
            self.weights["data"] = float(data_weight)

    # rates as wengert values: traced exp(log rate) when learned, plain floats when known
    def rates(self) -> tuple[Any, Any]:
        """(β, γ) per day: tensors when learned, floats when known."""
        if self.inverse:
            return wnp.exp(self.log_beta), wnp.exp(self.log_gamma)
        return self.beta, self.gamma

    def _data_loss(self) -> Any:
        times = (self.data.t / self.days)[:, None]
        predicted = self.model(times)[:, self.columns]
        return _mean_squared_norm(predicted - self.data.values / self.population)

    def _physics_loss(self) -> Any:
        fields = Derivatives(self.model, self.collocation, names="t")
        u, u_t = fields("u", "u_t")
        s, i = u[:, 0], u[:, 1]
        beta, gamma = self.rates()
        infections = (beta * self.days) * s * i
        recoveries = (gamma * self.days) * i
        residual_s = u_t[:, 0] + infections
        residual_i = u_t[:, 1] - infections + recoveries
        residual_r = u_t[:, 2] - recoveries
        return (residual_s * residual_s + residual_i * residual_i + residual_r * residual_r).mean()

    def _ic_loss(self) -> Any:
        return _mean_squared_norm(self.model(np.zeros((1, 1))) - self.initial / self.population)

    def losses(self) -> dict[str, LossFunction]:
        terms = {"physics": self._physics_loss, "ic": self._ic_loss}
        if self.inverse:
            terms = {"data": self._data_loss, **terms}
        return terms

    def track(self) -> dict[str, Callable[[], float]] | None:
        if not self.inverse:
            return {}
        beta = lambda: math.exp(float(self.log_beta.primal))
        gamma = lambda: math.exp(float(self.log_gamma.primal))
        return {"beta": beta, "gamma": gamma, "R0": lambda: beta() / gamma()}

    def curves(self, days: np.ndarray | None = None) -> dict[str, np.ndarray]:
        """The fitted (S, I, R) counts and the reference at ``days`` (default: every day)."""
        days = np.arange(math.floor(self.days) + 1, dtype=float) if days is None else np.asarray(days, float)
        fitted = self.predict(days[:, None] / self.days) * self.population
        truth = sir_reference(self.beta, self.gamma, self.population, tuple(self.initial), self.days, t_eval=days)
        return {
            "t": days,
            "fit": fitted,
            "truth": np.stack([truth.S, truth.I, truth.R], axis=1),
        }

    def evaluate(self) -> dict[str, Any]:
        """Recovered β, γ, R0 against the truth, and the relative L2 error of each fitted compartment."""
        curves = self.curves()
        errors = {name: relative_l2_error(curves["fit"][:, k], curves["truth"][:, k]) for k, name in enumerate("SIR")}
        report: dict[str, Any] = {"relative_l2_error": errors}
        if self.inverse:
            beta = math.exp(float(self.log_beta.primal))
            gamma = math.exp(float(self.log_gamma.primal))
            truth = {"beta": self.beta, "gamma": self.gamma, "R0": self.beta / self.gamma}
            found = {"beta": beta, "gamma": gamma, "R0": beta / gamma}
            report["parameters"] = {
                name: {"found": found[name], "truth": truth[name], "relative_error": found[name] / truth[name] - 1.0}
                for name in truth
            }
        return report


# -- Burgers -------------------------------------------------------------------------------------------


class Burgers(Problem):
    """Viscous Burgers on x ∈ [−1, 1], t ∈ [0, 1]: inference of u, or identification of λ1 and λ2.

    Inference (``identify=False``), the setting of Raissi et al. (2019):
    ``boundary`` (N_u = 100) points drawn from the initial data
    u(x, 0) = −sin πx (256 x-values) and the boundary data u(±1, t) = 0
    (100 times), ``collocation`` (N_f = 10,000) Latin-hypercube points where
    the residual u_t + u·u_x − ν·u_xx must vanish (the N_u points too), and
    the loss MSE_u + MSE_f; they report a relative L2 error of 6.7e-4 after L-BFGS.

    Identification (``identify=True``): ``observations`` (2,000) points drawn
    from the reference solution on the 256 × 100 grid (with optional relative
    ``noise``), and the loss MSE_u + MSE_f with f = u_t + λ1·u·u_x − λ2·u_xx at
    the same points, λ1 learned directly (from 0) and λ2 as exp(log λ2) (from
    log λ2 = −6), as in the paper, which reports λ1 = 0.99915, λ2 = 0.0031794
    (truth 1 and 0.01/π = 0.0031831) on clean data.

    The network: ``hidden`` tanh layers (8 of 20: 9 weight layers), Glorot-normal
    initialisation, inputs mapped onto [−1, 1]². The reference is the
    Cole–Hopf solution (`burgers_reference`) on the paper's grid.

    Example:
        >>> problem = Burgers(hidden=(8, 8), boundary=20, collocation=50, seed=0)
        >>> sorted(problem.losses())
        ['data', 'physics']
    """

    name = "burgers"
    bounds = ((-1.0, 1.0), (0.0, 1.0))

    def __init__(
        self,
        identify: bool = False,
        nu: float = BURGERS_NU,
        hidden: Sequence[int] = (20,) * 8,
        boundary: int = 100,
        collocation: int = 10_000,
        observations: int = 2000,
        noise: float = 0.0,
        lambda1_guess: float = 0.0,
        log_lambda2_guess: float = -6.0,
        seed: int | None = 0,
    ) -> None:
        self.identify = bool(identify)
        self.nu = float(nu)
        self.seed = seed
        rng = np.random.default_rng(seed)
        self.reference = burgers_reference_grid(256, 100, nu=self.nu)
        self.model = FieldNetwork([2, *hidden, 1], bounds=self.bounds, seed=seed)
        if self.identify:
            count = min(int(observations), len(self.reference.points))
            chosen = rng.choice(len(self.reference.points), count, replace=False)
            self.points = self.reference.points[chosen]
            values = self.reference.values[chosen]
            if noise:
                values = values + noise * np.std(values) * rng.standard_normal(values.shape)
            self.values = values
            self.collocation = self.points
            self.lambda1 = Parameter(float(lambda1_guess))
            self.log_lambda2 = Parameter(float(log_lambda2_guess))
            self.parameters = {"lambda1": self.lambda1, "log_lambda2": self.log_lambda2}
        else:
            x, t = self.reference.x, self.reference.t
            initial = np.stack([x, np.zeros_like(x)], axis=1)
            edges = np.concatenate([np.stack([np.full_like(t, side), t], axis=1) for side in (-1.0, 1.0)])
            candidates = np.concatenate([initial, edges])
            candidate_values = np.concatenate([-np.sin(np.pi * x), np.zeros(len(edges))])[:, None]
            chosen = rng.choice(len(candidates), min(int(boundary), len(candidates)), replace=False)
            self.points, self.values = candidates[chosen], candidate_values[chosen]
            interior = latin_hypercube(int(collocation), self.bounds, seed=rng)
            self.collocation = np.concatenate([interior, self.points])
            self.parameters = {}
        self.weights = {"data": 1.0, "physics": 1.0}

    def coefficients(self) -> tuple[Any, Any]:
        """(λ1, λ2): tensors when identified, (1, ν) otherwise."""
        if self.identify:
            return self.lambda1, wnp.exp(self.log_lambda2)
        return 1.0, self.nu

    def _physics_loss(self) -> Any:
        fields = Derivatives(self.model, self.collocation, names="xt")
        u, u_t, u_x, u_xx = fields("u", "u_t", "u_x", "u_xx")
        lambda1, lambda2 = self.coefficients()
        return _mean_square(u_t + lambda1 * u * u_x - lambda2 * u_xx)

    def losses(self) -> dict[str, LossFunction]:
        return {"data": lambda: _mean_square(self.model(self.points) - self.values), "physics": self._physics_loss}

    def track(self) -> dict[str, Callable[[], float]] | None:
        if not self.identify:
            return {}
        return {
            "lambda1": lambda: float(self.lambda1.primal),
            "lambda2": lambda: math.exp(float(self.log_lambda2.primal)),
        }

    def evaluate(self) -> dict[str, Any]:
        """Relative L2 error on the 256 × 100 grid; with identification, λ1 and λ2 against the truth."""
        prediction = self.predict(self.reference.points)
        report: dict[str, Any] = {"relative_l2_error": relative_l2_error(prediction, self.reference.values)}
        if self.identify:
            lambda1 = float(self.lambda1.primal)
            lambda2 = math.exp(float(self.log_lambda2.primal))
            report["parameters"] = {
                "lambda1": {"found": lambda1, "truth": 1.0, "relative_error": lambda1 - 1.0},
                "lambda2": {"found": lambda2, "truth": self.nu, "relative_error": lambda2 / self.nu - 1.0},
            }
        return report

    def solution(self, x: Any, t: Any) -> Any:
        """The reference solution u(x, t)."""
        return burgers_reference(x, t, self.nu)


# -- wave, heat, Poisson -------------------------------------------------------------------------------


class _BoxProblem(Problem):
    """A scalar field u(x, t) on [0, 1] × [0, t_max] with sampled collocation, initial and boundary points."""

    bounds: tuple[tuple[float, float], ...]

    def _sample(self, collocation: int, initial: int, boundary: int, seed: int | None) -> None:
        rng = np.random.default_rng(seed)
        self.collocation = latin_hypercube(int(collocation), self.bounds, seed=rng)
        x0 = latin_hypercube(int(initial), self.bounds[:1], seed=rng)
        self.initial_points = np.concatenate([x0, np.zeros_like(x0)], axis=1)
        times = latin_hypercube(int(boundary), self.bounds[1:], seed=rng)
        half = len(times) // 2
        self.boundary_points = np.concatenate(
            [
                np.concatenate([np.zeros((half, 1)), times[:half]], axis=1),
                np.concatenate([np.ones((len(times) - half, 1)), times[half:]], axis=1),
            ]
        )

    def solution(self, x: Any, t: Any) -> Any:
        raise NotImplementedError

    def evaluate(self) -> dict[str, Any]:
        """Relative L2 error against the closed-form solution on a 101 × 101 grid."""
        points = grid((101, 101), self.bounds)
        reference = np.asarray(self.solution(points[:, :1], points[:, 1:]))
        return {"relative_l2_error": relative_l2_error(self.predict(points), reference)}


class Wave1D(_BoxProblem):
    """The wave equation u_tt = c²·u_xx on x ∈ [0, 1], t ∈ [0, t_max], with its closed-form solution.

    Initial displacement u(x, 0) = sin πx + 0.5·sin 3πx, initial velocity
    u_t(x, 0) = 0, fixed ends u(0, t) = u(1, t) = 0: the solution is
    sin πx·cos cπt + 0.5·sin 3πx·cos 3cπt (`wave_reference`). Loss terms:
    ``physics`` (the residual at Latin-hypercube collocation points, divided
    by (cπ)² so that the fundamental mode's residual terms are of order one), ``ic`` (displacement),
    ``ic_velocity`` and ``bc``; the initial and boundary terms weigh
    ``condition_weight`` (they fix the solution: the residual alone admits any wave).

    Example:
        >>> problem = Wave1D(hidden=(8,), collocation=40, seed=0)
        >>> sorted(problem.losses())
        ['bc', 'ic', 'ic_velocity', 'physics']
    """

    name = "wave"

    def __init__(
        self,
        c: float = 1.0,
        t_max: float = 1.0,
        hidden: Sequence[int] = (64, 64, 64, 64),
        collocation: int = 2000,
        initial: int = 200,
        boundary: int = 200,
        condition_weight: float = 10.0,
        seed: int | None = 0,
    ) -> None:
        self.c, self.t_max, self.seed = float(c), float(t_max), seed
        self.bounds = ((0.0, 1.0), (0.0, self.t_max))
        self._sample(collocation, initial, boundary, seed)
        self.model = FieldNetwork([2, *hidden, 1], bounds=self.bounds, seed=seed)
        self.parameters = {}
        weight = float(condition_weight)
        self.weights = {"physics": 1.0, "ic": weight, "ic_velocity": weight, "bc": weight}

    def solution(self, x: Any, t: Any) -> Any:
        return wave_reference(x, t, c=self.c)

    def losses(self) -> dict[str, LossFunction]:
        scale = 1.0 / (self.c * math.pi) ** 2
        displacement = np.asarray(self.solution(self.initial_points[:, :1], 0.0))

        def physics() -> Any:
            # u_tt − c²·u_xx as one collapsed Taylor stream: 4 streams through the network instead of 5.
            fields = Derivatives(self.model, self.collocation, names="xt")
            return _mean_square(fields.combination({"u_tt": 1.0, "u_xx": -(self.c**2)}) * scale)

        def velocity() -> Any:
            u_t = Derivatives(self.model, self.initial_points, names="xt")("u_t")
            return _mean_square(u_t / (self.c * math.pi))

        return {
            "physics": physics,
            "ic": lambda: _mean_square(self.model(self.initial_points) - displacement),
            "ic_velocity": velocity,
            "bc": lambda: _mean_square(self.model(self.boundary_points)),
        }


class Heat1D(_BoxProblem):
    """The heat equation u_t = κ·u_xx on x ∈ [0, 1], t ∈ [0, t_max], with its closed-form solution.

    u(x, 0) = sin πx + 0.5·sin 3πx, u(0, t) = u(1, t) = 0 (`heat_reference`).

    Example:
        >>> sorted(Heat1D(hidden=(8,), collocation=40, seed=0).losses())
        ['bc', 'ic', 'physics']
    """

    name = "heat"

    def __init__(
        self,
        diffusivity: float = 0.1,
        t_max: float = 1.0,
        hidden: Sequence[int] = (32, 32, 32),
        collocation: int = 1000,
        initial: int = 100,
        boundary: int = 100,
        condition_weight: float = 1.0,
        seed: int | None = 0,
    ) -> None:
        self.diffusivity, self.t_max, self.seed = float(diffusivity), float(t_max), seed
        self.bounds = ((0.0, 1.0), (0.0, self.t_max))
        self._sample(collocation, initial, boundary, seed)
        self.model = FieldNetwork([2, *hidden, 1], bounds=self.bounds, seed=seed)
        self.parameters = {}
        self.weights = {"physics": 1.0, "ic": float(condition_weight), "bc": float(condition_weight)}

    def solution(self, x: Any, t: Any) -> Any:
        return heat_reference(x, t, diffusivity=self.diffusivity)

    def losses(self) -> dict[str, LossFunction]:
        initial_values = np.asarray(self.solution(self.initial_points[:, :1], 0.0))

        def physics() -> Any:
            u_t, u_xx = Derivatives(self.model, self.collocation, names="xt")("u_t", "u_xx")
            return _mean_square(u_t - self.diffusivity * u_xx)

        return {
            "physics": physics,
            "ic": lambda: _mean_square(self.model(self.initial_points) - initial_values),
            "bc": lambda: _mean_square(self.model(self.boundary_points)),
        }


class Poisson1D(Problem):
    """The Poisson problem −u'' = f on [0, 1], u(0) = u(1) = 0, f = π²·sin πx + 1.6π²·sin 4πx.

    The solution is sin πx + 0.1·sin 4πx (`poisson_reference`). The residual
    is divided by π² so that its terms are of order one.

    Example:
        >>> sorted(Poisson1D(hidden=(8,), collocation=16, seed=0).losses())
        ['bc', 'physics']
    """

    name = "poisson"
    bounds = ((0.0, 1.0),)

    def __init__(
        self,
        hidden: Sequence[int] = (32, 32),
        collocation: int = 128,
        bc_weight: float = 1.0,
        seed: int | None = 0,
    ) -> None:
        self.seed = seed
        self.collocation = np.linspace(0.0, 1.0, int(collocation))[:, None]
        self.ends = np.array([[0.0], [1.0]])
        self.model = FieldNetwork([1, *hidden, 1], bounds=self.bounds, seed=seed)
        self.parameters = {}
        self.weights = {"physics": 1.0, "bc": float(bc_weight)}

    def losses(self) -> dict[str, LossFunction]:
        source = np.asarray(poisson_source(self.collocation))

        def physics() -> Any:
            u_xx = Derivatives(self.model, self.collocation, names="x")("u_xx")
            return _mean_square((u_xx + source) / math.pi**2)

        return {"physics": physics, "bc": lambda: _mean_square(self.model(self.ends))}

    def evaluate(self) -> dict[str, Any]:
        """Relative L2 error against the closed-form solution at 1001 points."""
        points = np.linspace(0.0, 1.0, 1001)[:, None]
        return {"relative_l2_error": relative_l2_error(self.predict(points), poisson_reference(points))}


__all__ = ["SIR", "Burgers", "FieldNetwork", "Heat1D", "Poisson1D", "Problem", "Wave1D"]
