"""Reference solutions of the PINN problems, computed here rather than loaded from data files.

Each PDE solution is written with `wengert.numpy`, so besides plain arrays it
accepts tracers: wengert can differentiate the references themselves, which is
how the tests check that they satisfy their equations, and how the Burgers
shock gradient ``burgers_reference_dx`` is computed (forward mode through the
quadrature formula).

- SIR epidemic: `sir_reference` (an adaptive Runge–Kutta solve with SciPy) and
  `sir_observations` (noisy counts for inverse problems).
- Viscous Burgers: `burgers_reference` by the Cole–Hopf transform with
  Gauss–Hermite quadrature, `burgers_reference_dx`, `burgers_reference_grid`.
- Wave, heat and Poisson equations on [0, 1]: closed-form Fourier sine series
  (`wave_reference`, `heat_reference`, `poisson_reference`, `poisson_source`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from .. import numpy as wnp
from ..core import primal_value
from ..transforms import jvp

BURGERS_NU = 0.01 / math.pi
"""The viscosity of the Burgers benchmark of Raissi, Perdikaris and Karniadakis (2019)."""

COMPARTMENTS = ("S", "I", "R")
MAX_HERMITE_NODES = 300  # numpy's hermgauss overflows in its weights beyond about 360 nodes
# How far (in the rule's variable z) the largest node must lie beyond the characteristic displacement for the
# quadrature to stay at machine precision; checked against a fine trapezoid rule down to nu = 3e-4.
HERMITE_MARGIN = 4.0


def _scipy(module: str) -> Any:
    """Import a SciPy submodule, or say how to install the optional extra."""
    try:
        return __import__(f"scipy.{module}", fromlist=[module])
    except ImportError as error:  # pragma: no cover - exercised only without SciPy
        raise ImportError(
            f"this function needs SciPy (scipy.{module}); install it with: pip install 'wengert[scipy]'"
        ) from error


# -- SIR ---------------------------------------------------------------------------------------------


class SIRSolution(NamedTuple):
    """Times and compartment sizes of an SIR epidemic (unpacks as ``t, S, I, R``)."""

    t: np.ndarray
    S: np.ndarray
    I: np.ndarray  # noqa: E741  (the epidemiologists' name)
    R: np.ndarray


class SIRObservations(NamedTuple):
    """Noisy observations of SIR compartments: ``values[k, c]`` observes ``compartments[c]`` at ``t[k]``."""

    t: np.ndarray
    values: np.ndarray
    exact: np.ndarray
    compartments: tuple[str, ...]


def _sir_rates(beta: float, gamma: float, population: float):
    def rates(_t: float, state: np.ndarray) -> np.ndarray:
        susceptible, infected, _ = state
        infections = beta * susceptible * infected / population
        recoveries = gamma * infected
        return np.array([-infections, infections - recoveries, recoveries])

    return rates


def sir_reference(
    beta: float = 0.3,
    gamma: float = 0.1,
    population: float = 1000.0,
    initial: Sequence[float] = (990.0, 10.0, 0.0),
    days: float = 60.0,
    t_eval: Sequence[float] | np.ndarray | None = None,
) -> SIRSolution:
    """The SIR epidemic dS/dt = −βSI/N, dI/dt = βSI/N − γI, dR/dt = γI, solved to about 1e-11 relative.

    SciPy's DOP853 (an 8th-order Runge–Kutta method) integrates from day 0 to
    ``days`` with rtol = 1e-12 (at rtol = 1e-10 the global error is still
    3e-8, more than a reference should carry; the tighter solve costs about
    800 evaluations); the solution is reported at ``t_eval`` (default: every
    day, 0, 1, …, days). S + I + R stays equal to the initial total.

    Example:
        >>> t, S, I, R = sir_reference()
        >>> t.shape, round(float(S[0] + I[0] + R[0]))
        ((61,), 1000)
        >>> bool(abs(S[-1] + I[-1] + R[-1] - 1000.0) < 1e-8)
        True
    """
    integrate = _scipy("integrate")
    initial = np.asarray(initial, dtype=float)
    if initial.shape != (3,):
        raise ValueError(f"initial must hold the three compartments (S, I, R), got shape {initial.shape}")
    if not days > 0:
        raise ValueError(f"days must be positive, got {days!r}")
    if population <= 0:
        raise ValueError(f"population must be positive, got {population!r}")
    times = np.arange(math.floor(days) + 1, dtype=float) if t_eval is None else np.asarray(t_eval, dtype=float)
    if times.ndim != 1 or times.size == 0 or times.min() < 0 or times.max() > days:
        raise ValueError(f"t_eval must be a non-empty 1-D array of times within [0, days={days}]")
    solution = integrate.solve_ivp(
        _sir_rates(beta, gamma, population),
        (0.0, float(days)),
        initial,
        method="DOP853",
        t_eval=times,
        rtol=1e-12,
        atol=1e-12 * max(float(np.abs(initial).sum()), 1.0),
    )
    if not solution.success:  # pragma: no cover - DOP853 does not fail on this smooth problem
        raise RuntimeError(f"the SIR solve failed: {solution.message}")
    susceptible, infected, recovered = solution.y
    return SIRSolution(solution.t, susceptible, infected, recovered)


def sir_observations(
    n: int = 30,
    sigma: float = 20.0,
    seed: int | np.random.Generator | None = 0,
    compartments: Sequence[str] = ("I",),
    **sir_parameters: Any,
) -> SIRObservations:
    """``n`` noisy observations of the SIR reference at evenly spaced days, for inverse problems.

    The days are ``linspace(0, days, n)``; each observed value is the exact
    compartment size plus independent Gaussian noise of standard deviation
    ``sigma`` (not clipped at zero, so the noise stays unbiased).
    ``sir_parameters`` (beta, gamma, population, initial, days) go to `sir_reference`.

    Example:
        >>> data = sir_observations(n=5, sigma=0.0, compartments=("S", "I"))
        >>> data.values.shape, bool(np.allclose(data.values, data.exact))
        ((5, 2), True)
    """
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    if sigma < 0:
        raise ValueError(f"sigma must be non-negative, got {sigma!r}")
    if isinstance(compartments, str):
        compartments = (compartments,)
    compartments = tuple(compartments)
    unknown = [name for name in compartments if name not in COMPARTMENTS]
    if unknown or not compartments:
        raise ValueError(f"compartments must be a non-empty selection of {COMPARTMENTS}, got {compartments!r}")
    days = float(sir_parameters.get("days", 60.0))
    times = np.linspace(0.0, days, n)
    solution = sir_reference(t_eval=times, **sir_parameters)
    exact = np.stack([getattr(solution, name) for name in compartments], axis=1)
    noise = np.random.default_rng(seed).normal(0.0, sigma, size=exact.shape)
    return SIRObservations(times, exact + noise, exact, compartments)


# -- Burgers -----------------------------------------------------------------------------------------


def _hermite_rule(nodes: int) -> tuple[np.ndarray, np.ndarray]:
    """Gauss–Hermite nodes z and log-weights for ∫ g(z) exp(−z²) dz."""
    if not isinstance(nodes, (int, np.integer)) or not 2 <= nodes <= MAX_HERMITE_NODES:
        raise ValueError(f"nodes must be an integer between 2 and {MAX_HERMITE_NODES}, got {nodes!r}")
    points, weights = np.polynomial.hermite.hermgauss(int(nodes))
    return points, np.log(weights)


def burgers_reference(x: Any, t: Any, nu: float = BURGERS_NU, nodes: int = 100) -> Any:
    """The viscous Burgers solution u(x, t) for u(x, 0) = −sin(πx), u(±1, t) = 0.

    Solves u_t + u·u_x = ν·u_xx by the Cole–Hopf transform u = −2ν·φ_x/φ, with
    φ the heat-equation solution from φ(x, 0) = exp(−cos(πx) / (2πν)):

        u(x, t) = −∫ sin(π(x − η)) f(x − η) G(η) dη / ∫ f(x − η) G(η) dη,
        f(y) = exp(−cos(πy) / (2πν)),  G(η) = exp(−η² / (4νt)).

    Substituting η = √(4νt)·z turns both integrals into Gauss–Hermite sums
    over ``nodes`` points. The exponents −cos(πy)/(2πν) + log wᵢ span ±1/(2πν)
    (±50 at the benchmark's ν = 0.01/π), so the largest is subtracted before
    exponentiating: the ratio does not change and nothing overflows at small ν.
    The sine's oddness gives u(±1, t) = 0 exactly.

    The integrand's mass sits near η = t·u(x, t), the displacement along the
    characteristic, which is z ≈ u·√(t/(4ν)) in the rule's variable; the rule
    must reach past it. So ν is limited: √(t/(4ν)) may be at most (largest
    node − 4), which admits t ≤ 1 for ν ≥ 2.9e-3 with 100 nodes (the
    benchmark's ν = 3.2e-3 included, to machine precision) and ν ≥ 6.4e-4
    with 300. Beyond that the call raises instead of returning a wrong value.

    ``x`` and ``t`` broadcast against each other (t ≥ 0); they may be wengert
    tracers, so the formula can be differentiated. At t = 0 only in x: the
    formula depends on t through √t, which has no derivative at 0, and
    wengert's convention for √ at 0 (the zero subgradient) makes ∂u/∂t come
    out as 0 there, not the true −u·u_x + ν·u_xx.

    Example:
        >>> round(float(burgers_reference(0.5, 0.75)), 7)
        -0.4614133
    """
    t_values = np.asarray(primal_value(t))
    if np.any(t_values < 0) or not np.all(np.isfinite(t_values)):
        raise ValueError("burgers_reference: t must be finite and non-negative")
    if not nu > 0:
        raise ValueError(f"burgers_reference: the viscosity nu must be positive, got {nu!r}")
    points, log_weights = _hermite_rule(nodes)
    reach = math.sqrt(float(np.max(t_values, initial=0.0)) / (4.0 * nu))
    if reach > points[-1] - HERMITE_MARGIN:
        raise ValueError(
            f"burgers_reference: nu={nu:.3g} is too small for t up to {float(np.max(t_values)):.3g} with {nodes} "
            f"Gauss-Hermite nodes: the characteristic displacement lies at z ≈ {reach:.1f}, beyond the nodes' "
            f"reach {points[-1] - HERMITE_MARGIN:.1f}; use more nodes (at most {MAX_HERMITE_NODES}), a larger nu "
            "or earlier times"
        )
    spread = wnp.expand_dims(wnp.sqrt((4.0 * nu) * t), -1)  # √(4νt), with a quadrature axis
    shifted = wnp.expand_dims(x, -1) - spread * points  # y = x − η at every node
    exponent = log_weights - wnp.cos(math.pi * shifted) * (1.0 / (2.0 * math.pi * nu))
    # A constant shift of the exponents cancels in the ratio; taking it from the primal values keeps the
    # derivative rules out of it.
    largest = np.max(np.asarray(primal_value(exponent)), axis=-1, keepdims=True)
    weights = wnp.exp(exponent - largest)
    return -wnp.sum(weights * wnp.sin(math.pi * shifted), axis=-1) / wnp.sum(weights, axis=-1)


def burgers_reference_dx(x: Any, t: Any, nu: float = BURGERS_NU, nodes: int = 100) -> np.ndarray:
    """∂u/∂x of `burgers_reference`, by wengert's forward mode through the quadrature formula.

    Example:
        >>> round(float(burgers_reference_dx(0.0, 1.6037 / np.pi)), 3)  # the steepest point of the shock
        -152.005
    """
    x, t = np.broadcast_arrays(np.asarray(x, dtype=float), np.asarray(t, dtype=float))
    _, slope = jvp(lambda position: burgers_reference(position, t, nu, nodes), (x,), (np.ones_like(x),))
    return slope


class BurgersGrid(NamedTuple):
    """The Burgers reference on a grid: ``u[i, j] = u(x[i], t[j])``; ``points``/``values`` flatten it row by row."""

    x: np.ndarray
    t: np.ndarray
    u: np.ndarray
    points: np.ndarray
    values: np.ndarray


def burgers_reference_grid(nx: int = 256, nt: int = 100, nu: float = BURGERS_NU, nodes: int = 100) -> BurgersGrid:
    """`burgers_reference` on the grid of Raissi et al. (2019): 256 x-points on [−1, 1] × 100 times in [0, 1).

    ``x = linspace(−1, 1, nx)`` and ``t = k / nt`` for k = 0 … nt−1 (with
    nt = 100: 0, 0.01, …, 0.99, the times of the published data set). ``u``
    has shape (nx, nt) like the data set's ``usol``; ``points`` is the
    (nx·nt, 2) array of (x, t) pairs and ``values`` the (nx·nt, 1) solution
    there, ready for `relative_l2_error`.

    Example:
        >>> grid = burgers_reference_grid(nx=5, nt=4)
        >>> grid.u.shape, grid.points.shape, grid.values.shape
        ((5, 4), (20, 2), (20, 1))
    """
    for name, count in (("nx", nx), ("nt", nt)):
        if not isinstance(count, (int, np.integer)) or count < 2:
            raise ValueError(f"{name} must be an integer of at least 2, got {count!r}")
    x = np.linspace(-1.0, 1.0, nx)
    t = np.arange(nt) / nt
    u = burgers_reference(x[:, None], t[None, :], nu, nodes)
    points = np.stack(np.broadcast_arrays(x[:, None], t[None, :]), axis=-1).reshape(-1, 2)
    return BurgersGrid(x, t, u, points, u.reshape(-1, 1))


def relative_l2_error(prediction: Any, reference: Any) -> float:
    """‖prediction − reference‖₂ / ‖reference‖₂, the error measure of the PINN literature.

    Example:
        >>> relative_l2_error(np.array([1.0, 2.0]), np.array([1.0, 2.0]))
        0.0
    """
    prediction = np.asarray(primal_value(prediction), dtype=float)
    reference = np.asarray(primal_value(reference), dtype=float)
    if prediction.shape != reference.shape:
        raise ValueError(f"prediction has shape {prediction.shape} but the reference has shape {reference.shape}")
    scale = np.linalg.norm(reference)
    if scale == 0:
        raise ValueError("the reference is zero everywhere; a relative error is undefined")
    return float(np.linalg.norm(prediction - reference) / scale)


# -- Wave, heat, Poisson: Fourier sine series on [0, 1] ------------------------------------------------

Modes = Sequence[tuple[int, float]]
"""Sine modes ((k, a_k), ...): the term a_k·sin(kπx)."""


def _check_modes(modes: Modes) -> tuple[tuple[int, float], ...]:
    checked = tuple((int(k), float(a)) for k, a in modes)
    if not checked or any(k < 1 for k, _ in checked):
        raise ValueError(f"modes must be a non-empty sequence of (k, amplitude) with integers k ≥ 1, got {modes!r}")
    return checked


def wave_reference(x: Any, t: Any, c: float = 1.0, modes: Modes = ((1, 1.0), (3, 0.5))) -> Any:
    """A standing-wave solution of u_tt = c²·u_xx on [0, 1]: Σ a_k sin(kπx) cos(kcπt).

    The default is u = sin(πx)·cos(cπt) + 0.5·sin(3πx)·cos(3cπt), the solution for

    - boundary data u(0, t) = u(1, t) = 0,
    - initial displacement u(x, 0) = sin(πx) + 0.5·sin(3πx),
    - initial velocity u_t(x, 0) = 0.

    Example:
        >>> round(float(wave_reference(0.5, 0.0)), 12)  # sin(π/2) + 0.5·sin(3π/2)
        0.5
    """
    total = 0.0
    for k, amplitude in _check_modes(modes):
        total = total + amplitude * wnp.sin((k * math.pi) * x) * wnp.cos((k * c * math.pi) * t)
    return total


def heat_reference(x: Any, t: Any, diffusivity: float = 0.1, modes: Modes = ((1, 1.0), (3, 0.5))) -> Any:
    """The solution of the heat equation u_t = κ·u_xx on [0, 1]: Σ a_k sin(kπx) exp(−κ(kπ)²t).

    The default (κ = 0.1) is u = sin(πx)·e^{−0.1π²t} + 0.5·sin(3πx)·e^{−0.9π²t}, the solution for

    - boundary data u(0, t) = u(1, t) = 0,
    - initial data u(x, 0) = sin(πx) + 0.5·sin(3πx).

    Example:
        >>> round(float(heat_reference(0.5, 0.0)), 12)
        0.5
    """
    total = 0.0
    for k, amplitude in _check_modes(modes):
        total = total + amplitude * wnp.sin((k * math.pi) * x) * wnp.exp((-diffusivity * (k * math.pi) ** 2) * t)
    return total


def poisson_reference(x: Any, modes: Modes = ((1, 1.0), (4, 0.1))) -> Any:
    """The solution of the 1-D Poisson problem −u'' = f on [0, 1], u(0) = u(1) = 0: Σ a_k sin(kπx).

    The default is u = sin(πx) + 0.1·sin(4πx), whose source term f is given by
    `poisson_source` (f = π²·sin(πx) + 1.6π²·sin(4πx)).

    Example:
        >>> round(float(poisson_reference(0.5)), 12)
        1.0
    """
    total = 0.0
    for k, amplitude in _check_modes(modes):
        total = total + amplitude * wnp.sin((k * math.pi) * x)
    return total


def poisson_source(x: Any, modes: Modes = ((1, 1.0), (4, 0.1))) -> Any:
    """The source f = −u'' of `poisson_reference` with the same modes: Σ a_k (kπ)² sin(kπx).

    Example:
        >>> round(float(poisson_source(0.5, modes=((1, 1.0),))) / np.pi**2, 12)
        1.0
    """
    total = 0.0
    for k, amplitude in _check_modes(modes):
        total = total + (amplitude * (k * math.pi) ** 2) * wnp.sin((k * math.pi) * x)
    return total
