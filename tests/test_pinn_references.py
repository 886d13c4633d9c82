"""The data side of the PINN problems: reference solutions and collocation samplers.

Burgers: the published values of the Cole–Hopf solution (u at two points, the
steepest slope of the shock), convergence in the number of quadrature nodes,
the boundary and initial data, and the PDE itself checked with wengert's own
derivatives of the quadrature formula. SIR: conservation, an invariant, and a
fine-step RK4 written here. Wave, heat, Poisson: PDE, boundary and initial data.
Samplers: shapes, bounds, seeds, Sobol' balance, Latin-hypercube strata, faces.
"""

import builtins
import math
import sys

import numpy as np
import pytest

import wengert.numpy as wnp
from wengert import pinn

NU = 0.01 / math.pi
SHOCK_TIME = 1.6037 / math.pi  # where the shock at x = 0 is steepest


def as_function(reference, **parameters):
    """A reference u(x, t) as a function of (N, 2) points with (N, 1) outputs, for pinn.Derivatives."""
    return lambda points: wnp.expand_dims(reference(points[:, 0], points[:, 1], **parameters), 1)


# -- Burgers -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "x, t, published",
    [(0.5, 0.75, -0.4614133), (-0.5, 0.25, 0.8031984)],
)
def test_burgers_matches_the_published_values(x, t, published):
    assert float(pinn.burgers_reference(x, t)) == pytest.approx(published, abs=1e-6)


def test_burgers_steepest_shock_slope_matches_the_published_value():
    slope = float(pinn.burgers_reference_dx(0.0, SHOCK_TIME))
    assert slope == pytest.approx(-152.005, rel=1e-3)
    assert slope == pytest.approx(-152.00516, rel=1e-6)  # the more precise literature value


def test_burgers_slope_matches_central_differences():
    x = np.array([-0.7, -0.2, 0.03, 0.4, 0.9])
    t = np.array([0.1, 0.5, 0.6, 0.9, 0.3])
    step = 1e-6
    numeric = (pinn.burgers_reference(x + step, t) - pinn.burgers_reference(x - step, t)) / (2 * step)
    np.testing.assert_allclose(pinn.burgers_reference_dx(x, t), numeric, rtol=1e-6, atol=1e-6)


def test_burgers_quadrature_has_converged_in_the_number_of_nodes():
    points = dict(x=np.array([0.5, -0.5, 0.01, -0.9, 0.0]), t=np.array([0.75, 0.25, 0.6, 0.99, 0.99]))
    finest = pinn.burgers_reference(**points, nodes=300)
    finest_slope = pinn.burgers_reference_dx(0.0, SHOCK_TIME, nodes=300)
    for nodes in (100, 150, 200, 250):
        np.testing.assert_allclose(pinn.burgers_reference(**points, nodes=nodes), finest, rtol=0, atol=1e-13)
        slope = pinn.burgers_reference_dx(0.0, SHOCK_TIME, nodes=nodes)
        assert slope == pytest.approx(finest_slope, rel=1e-11)


def test_burgers_boundary_and_initial_data():
    t = np.linspace(0.0, 1.0, 11)
    np.testing.assert_allclose(pinn.burgers_reference(-1.0, t), 0.0, atol=1e-12)
    np.testing.assert_allclose(pinn.burgers_reference(1.0, t), 0.0, atol=1e-12)
    x = np.linspace(-1.0, 1.0, 41)
    np.testing.assert_allclose(pinn.burgers_reference(x, 0.0), -np.sin(np.pi * x), atol=1e-14)


def test_burgers_satisfies_its_equation_by_wengerts_derivatives():
    # u_t + u·u_x − ν·u_xx = 0, with the derivatives taken by Taylor mode through the quadrature formula.
    points = np.array([[0.5, 0.75], [-0.5, 0.25], [0.01, 0.6], [-0.3, 0.9], [0.9, 0.1], [-0.05, 0.45]])
    fields = pinn.Derivatives(as_function(pinn.burgers_reference), points, names="xt")
    u, u_t, u_x, u_xx = fields("u", "u_t", "u_x", "u_xx")
    residual = u_t + u * u_x - NU * u_xx
    scale = np.abs(u_t) + np.abs(u * u_x) + np.abs(NU * u_xx)
    assert np.all(np.abs(residual) <= 1e-12 * scale + 1e-13)
    assert fields.passes == 1  # one second-order Taylor pass through the whole formula


def test_burgers_is_odd_in_x_and_bounded():
    x = np.linspace(-1.0, 1.0, 21)
    for t in (0.2, 0.5, 0.99):
        u = pinn.burgers_reference(x, t)
        np.testing.assert_allclose(u, -u[::-1], atol=1e-13)
        assert np.all(np.abs(u) <= 1.0 + 1e-12)


def trapezoid_burgers(x, t, nu, step):
    """The Cole–Hopf integrals by a fine trapezoid rule in η (spectrally accurate here), in log space."""
    eta = np.arange(-2.5, 2.5 + step / 2, step)
    values = []
    for position, time in zip(x, t):
        shifted = position - eta
        exponent = -(eta**2) / (4 * nu * time) - np.cos(np.pi * shifted) / (2 * np.pi * nu)
        weights = np.exp(exponent - exponent.max())
        values.append(-np.sum(weights * np.sin(np.pi * shifted)) / np.sum(weights))
    return np.array(values)


@pytest.mark.parametrize(
    "nu, t, nodes",
    [(NU, 0.99, 100), (NU, 0.02, 100), (1e-3, 0.9, 300), (1e-4, 0.15, 300)],
)
def test_burgers_quadrature_matches_a_fine_trapezoid_rule(nu, t, nodes):
    x = np.array([-0.9, -0.5, -0.1, -0.01, 0.0, 0.004, 0.2, 0.7])
    times = np.full_like(x, t)
    reference = trapezoid_burgers(x, times, nu, step=min(2e-4, np.sqrt(nu) / 20))
    np.testing.assert_allclose(pinn.burgers_reference(x, times, nu=nu, nodes=nodes), reference, atol=1e-12)


def test_burgers_does_not_overflow_at_small_viscosity():
    # exponents of ±1/(2πν) ≈ ±1600 would overflow without the shift by the largest one
    with np.errstate(over="raise"):
        u = pinn.burgers_reference(np.linspace(-1.0, 1.0, 9), 0.15, nu=1e-4, nodes=300)
    assert np.all(np.isfinite(u)) and np.all(np.abs(u) <= 1.0)


def test_burgers_refuses_viscosities_its_nodes_cannot_resolve():
    with pytest.raises(ValueError, match="too small"):
        pinn.burgers_reference(0.3, 1.0, nu=1e-3)  # 100 nodes reach only nu >= 2.9e-3 at t = 1
    with pytest.raises(ValueError, match="40 Gauss-Hermite nodes"):
        pinn.burgers_reference(0.3, 0.75, nodes=40)  # too few nodes for the benchmark's late times
    assert np.isfinite(pinn.burgers_reference(0.3, 1.0, nu=1e-3, nodes=300))


def test_burgers_broadcasts_x_against_t():
    x = np.linspace(-1.0, 1.0, 5)
    t = np.array([0.1, 0.4, 0.7])
    table = pinn.burgers_reference(x[:, None], t[None, :])
    assert table.shape == (5, 3)
    for j, time in enumerate(t):
        np.testing.assert_allclose(table[:, j], pinn.burgers_reference(x, time), rtol=1e-14, atol=1e-16)


def test_burgers_grid_is_the_published_layout():
    grid = pinn.burgers_reference_grid()
    assert grid.x.shape == (256,) and grid.t.shape == (100,) and grid.u.shape == (256, 100)
    assert grid.x[0] == -1.0 and grid.x[-1] == 1.0
    np.testing.assert_allclose(grid.t, np.arange(100) * 0.01, atol=1e-15)
    assert grid.points.shape == (25600, 2) and grid.values.shape == (25600, 1)
    k = 37 * 100 + 62  # row 37 of x, column 62 of t
    np.testing.assert_allclose(grid.points[k], [grid.x[37], grid.t[62]])
    assert grid.values[k, 0] == grid.u[37, 62]
    np.testing.assert_allclose(grid.u[:, 0], -np.sin(np.pi * grid.x), atol=1e-14)
    assert pinn.relative_l2_error(grid.values, grid.values) == 0.0


def test_relative_l2_error():
    reference = np.array([3.0, 4.0])
    assert pinn.relative_l2_error(np.array([3.0, 5.0]), reference) == pytest.approx(0.2)
    with pytest.raises(ValueError, match="shape"):
        pinn.relative_l2_error(np.zeros(3), reference)
    with pytest.raises(ValueError, match="zero"):
        pinn.relative_l2_error(reference, np.zeros(2))


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: pinn.burgers_reference(0.0, -0.1), "non-negative"),
        (lambda: pinn.burgers_reference(0.0, 0.5, nu=0.0), "viscosity"),
        (lambda: pinn.burgers_reference(0.0, 0.5, nodes=1000), "nodes"),
        (lambda: pinn.burgers_reference_grid(nx=1), "nx"),
    ],
)
def test_burgers_bad_input_is_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# -- SIR ---------------------------------------------------------------------------------------------


def rk4_sir(beta, gamma, population, initial, days, step):
    """Classical fixed-step RK4 for the SIR system, reported every day."""

    def rates(state):
        s, i, _ = state
        infections = beta * s * i / population
        return np.array([-infections, infections - gamma * i, gamma * i])

    state = np.array(initial, dtype=float)
    steps_per_day = round(1.0 / step)
    daily = [state]
    for _ in range(days):
        for _ in range(steps_per_day):
            k1 = rates(state)
            k2 = rates(state + 0.5 * step * k1)
            k3 = rates(state + 0.5 * step * k2)
            k4 = rates(state + step * k3)
            state = state + step / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
        daily.append(state)
    return np.array(daily)


@pytest.fixture(scope="module")
def sir():
    return pinn.sir_reference()


def test_sir_reports_every_day_by_default(sir):
    assert sir.t.shape == sir.S.shape == sir.I.shape == sir.R.shape == (61,)
    np.testing.assert_array_equal(sir.t, np.arange(61.0))
    np.testing.assert_allclose([sir.S[0], sir.I[0], sir.R[0]], [990.0, 10.0, 0.0])


def test_sir_conserves_the_population(sir):
    np.testing.assert_allclose(sir.S + sir.I + sir.R, 1000.0, rtol=0, atol=1e-8)


def test_sir_keeps_its_first_integral(sir):
    # dS/dR = −βS/(γN), so S·exp(R0·R/N) with R0 = β/γ = 3 stays at S(0) = 990.
    np.testing.assert_allclose(sir.S * np.exp(3.0 * sir.R / 1000.0), 990.0, rtol=1e-9)


def test_sir_matches_a_fine_step_rk4(sir):
    reference = rk4_sir(0.3, 0.1, 1000.0, (990.0, 10.0, 0.0), 60, step=0.05)  # global error ~1e-10
    np.testing.assert_allclose(np.stack([sir.S, sir.I, sir.R], axis=1), reference, rtol=1e-9, atol=1e-9)


def test_sir_epidemic_rises_and_falls(sir):
    peak = int(np.argmax(sir.I))
    assert 0 < peak < 60 and sir.I[peak] > 100
    assert np.all(np.diff(sir.S) < 0) and np.all(np.diff(sir.R) > 0)


def test_sir_reports_at_requested_times_and_parameters():
    times = np.array([0.0, 12.5, 30.0])
    solution = pinn.sir_reference(beta=0.5, gamma=0.2, population=500, initial=(499, 1, 0), days=30, t_eval=times)
    np.testing.assert_array_equal(solution.t, times)
    reference = rk4_sir(0.5, 0.2, 500.0, (499.0, 1.0, 0.0), 30, step=0.05)
    np.testing.assert_allclose(solution.I[[0, 2]], reference[[0, 30], 1], rtol=1e-8)


@pytest.mark.parametrize(
    "keywords, message",
    [
        (dict(initial=(990.0, 10.0)), "three compartments"),
        (dict(days=0.0), "days"),
        (dict(population=0.0), "population"),
        (dict(t_eval=[0.0, 61.0]), "t_eval"),
    ],
)
def test_sir_bad_input_is_named(keywords, message):
    with pytest.raises(ValueError, match=message):
        pinn.sir_reference(**keywords)


def test_sir_observations_default_shape_and_days():
    data = pinn.sir_observations()
    assert data.t.shape == (30,) and data.values.shape == (30, 1) and data.compartments == ("I",)
    np.testing.assert_allclose(data.t, np.linspace(0.0, 60.0, 30))
    np.testing.assert_allclose(data.exact[:, 0], pinn.sir_reference(t_eval=data.t).I, rtol=1e-12)


def test_sir_observations_have_the_requested_noise_on_average():
    data = pinn.sir_observations(n=4000, sigma=20.0, seed=3, compartments=("S", "I", "R"))
    assert data.values.shape == (4000, 3)
    noise = data.values - data.exact
    assert abs(noise.mean()) < 4 * 20.0 / np.sqrt(noise.size)
    assert noise.std() == pytest.approx(20.0, rel=0.03)


def test_sir_observations_are_reproducible_by_seed():
    first = pinn.sir_observations(n=10, seed=7)
    again = pinn.sir_observations(n=10, seed=7)
    other = pinn.sir_observations(n=10, seed=8)
    np.testing.assert_array_equal(first.values, again.values)
    assert not np.allclose(first.values, other.values)


def test_sir_observations_bad_input_is_named():
    with pytest.raises(ValueError, match="compartments"):
        pinn.sir_observations(compartments=("E",))
    with pytest.raises(ValueError, match="sigma"):
        pinn.sir_observations(sigma=-1.0)
    with pytest.raises(ValueError, match="n must be"):
        pinn.sir_observations(n=0)


def _without(module_name, monkeypatch):
    """Make ``import <module_name>`` fail, as it would without the package installed."""
    real_import = builtins.__import__

    def failing_import(name, *args, **kwargs):
        if name == module_name or name.startswith(module_name + "."):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", failing_import)
    for loaded in [key for key in sys.modules if key == module_name or key.startswith(module_name + ".")]:
        monkeypatch.delitem(sys.modules, loaded)


def test_missing_scipy_names_the_extra(monkeypatch):
    _without("scipy", monkeypatch)
    with pytest.raises(ImportError, match=r"pip install 'wengert\[scipy\]'"):
        pinn.sir_reference()
    with pytest.raises(ImportError, match=r"pip install 'wengert\[scipy\]'"):
        pinn.sobol(8, (0.0, 1.0))
    assert pinn.uniform(3, (0.0, 1.0), seed=0).shape == (3, 1)  # NumPy-only samplers still work


# -- wave, heat, Poisson ---------------------------------------------------------------------------------

SPACE_TIME = np.array([[0.13, 0.0], [0.37, 0.21], [0.5, 0.5], [0.71, 0.83], [0.94, 1.7]])


@pytest.mark.parametrize("c", [1.0, 2.5])
def test_wave_reference_satisfies_its_equation(c):
    fields = pinn.Derivatives(as_function(pinn.wave_reference, c=c), SPACE_TIME, names="xt")
    u_tt, u_xx = fields("u_tt", "u_xx")
    np.testing.assert_allclose(u_tt, c**2 * u_xx, rtol=1e-12, atol=1e-11)
    assert np.max(np.abs(u_xx)) > 1.0  # not trivially zero


def test_wave_reference_boundary_and_initial_data():
    t = np.linspace(0.0, 2.0, 9)
    np.testing.assert_allclose(pinn.wave_reference(0.0, t), 0.0, atol=1e-15)
    np.testing.assert_allclose(pinn.wave_reference(1.0, t), 0.0, atol=1e-14)
    x = np.linspace(0.0, 1.0, 11)
    np.testing.assert_allclose(pinn.wave_reference(x, 0.0), np.sin(np.pi * x) + 0.5 * np.sin(3 * np.pi * x), atol=1e-15)
    initial = np.stack([x, np.zeros_like(x)], axis=1)
    velocity = pinn.derivative(as_function(pinn.wave_reference), initial, wrt=1)
    np.testing.assert_allclose(velocity, 0.0, atol=1e-15)


@pytest.mark.parametrize("diffusivity", [0.1, 1.0])
def test_heat_reference_satisfies_its_equation(diffusivity):
    fields = pinn.Derivatives(as_function(pinn.heat_reference, diffusivity=diffusivity), SPACE_TIME, names="xt")
    u_t, u_xx = fields("u_t", "u_xx")
    np.testing.assert_allclose(u_t, diffusivity * u_xx, rtol=1e-12, atol=1e-13)


def test_heat_reference_boundary_and_initial_data():
    t = np.linspace(0.0, 1.0, 6)
    np.testing.assert_allclose(pinn.heat_reference(0.0, t), 0.0, atol=1e-15)
    np.testing.assert_allclose(pinn.heat_reference(1.0, t), 0.0, atol=1e-14)
    x = np.linspace(0.0, 1.0, 11)
    np.testing.assert_allclose(pinn.heat_reference(x, 0.0), np.sin(np.pi * x) + 0.5 * np.sin(3 * np.pi * x))
    # each mode decays at its own rate κ(kπ)²
    expected = np.exp(-0.1 * np.pi**2) - 0.5 * np.exp(-0.9 * np.pi**2)
    assert float(pinn.heat_reference(0.5, 1.0)) == pytest.approx(expected, rel=1e-14)


def test_poisson_reference_satisfies_its_equation_and_boundary_data():
    x = np.linspace(0.0, 1.0, 13).reshape(-1, 1)
    curvature = pinn.second_derivative(lambda points: pinn.poisson_reference(points), x, wrt=(0, 0))
    np.testing.assert_allclose(-curvature, pinn.poisson_source(x), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(pinn.poisson_reference(np.array([0.0, 1.0])), 0.0, atol=1e-14)
    modes = ((2, 0.3), (5, -1.0))
    curvature = pinn.second_derivative(lambda points: pinn.poisson_reference(points, modes), x, wrt=(0, 0))
    np.testing.assert_allclose(-curvature, pinn.poisson_source(x, modes), rtol=1e-12, atol=1e-11)


def test_sine_series_reject_bad_modes():
    with pytest.raises(ValueError, match="modes"):
        pinn.wave_reference(0.5, 0.5, modes=((0, 1.0),))
    with pytest.raises(ValueError, match="modes"):
        pinn.poisson_reference(0.5, modes=())


# -- collocation samplers -----------------------------------------------------------------------------

BOX = [(-1.0, 1.0), (0.0, 2.0)]
INTERIOR = [pinn.uniform, pinn.latin_hypercube, pinn.sobol]


@pytest.mark.parametrize("sampler", INTERIOR)
@pytest.mark.parametrize("bounds, dimension", [((0.5, 3.0), 1), (BOX, 2), ([(0, 1), (-2, -1), (5, 6)], 3)])
def test_interior_samplers_shape_and_bounds(sampler, bounds, dimension):
    points = sampler(64, bounds, seed=1)
    box = pinn.as_bounds(bounds)
    assert points.shape == (64, dimension) and points.dtype == np.float64
    assert np.all(points >= box[:, 0]) and np.all(points <= box[:, 1])


@pytest.mark.parametrize("sampler", INTERIOR)
def test_interior_samplers_are_reproducible_by_seed(sampler):
    np.testing.assert_array_equal(sampler(16, BOX, seed=5), sampler(16, BOX, seed=5))
    assert not np.allclose(sampler(16, BOX, seed=5), sampler(16, BOX, seed=6))
    generator_draw = sampler(16, BOX, seed=np.random.default_rng(5))
    assert generator_draw.shape == (16, 2)


def strata(points, bounds, n):
    box = pinn.as_bounds(bounds)
    return np.floor((points - box[:, 0]) / (box[:, 1] - box[:, 0]) * n).astype(int)


@pytest.mark.parametrize("n", [7, 50])
def test_latin_hypercube_has_one_point_per_stratum_in_every_coordinate(n):
    points = pinn.latin_hypercube(n, BOX, seed=2)
    for column in strata(points, BOX, n).T:
        assert sorted(column.tolist()) == list(range(n))


@pytest.mark.parametrize("scramble", [True, False])
def test_sobol_is_balanced_for_powers_of_two(scramble):
    # A (0, m, 2)-net: every elementary box [a/2^i, (a+1)/2^i) × [b/2^j, (b+1)/2^j) with i + j = m holds one point.
    m = 5
    n = 2**m
    unit = (pinn.sobol(n, BOX, seed=3, scramble=scramble) - [-1.0, 0.0]) / [2.0, 2.0]
    for i in range(m + 1):
        j = m - i
        cells = np.floor(unit[:, 0] * 2**i).astype(int) * 2**j + np.floor(unit[:, 1] * 2**j).astype(int)
        assert sorted(cells.tolist()) == list(range(n))


def test_sobol_warns_when_n_is_not_a_power_of_two():
    with pytest.warns(UserWarning, match="balance"):
        points = pinn.sobol(10, BOX, seed=0)
    assert points.shape == (10, 2)


def test_grid_covers_the_box_end_points_included():
    points = pinn.grid((3, 4), BOX)
    assert points.shape == (12, 2)
    assert sorted(set(points[:, 0].tolist())) == [-1.0, 0.0, 1.0]
    np.testing.assert_allclose(sorted(set(points[:, 1].tolist())), np.linspace(0.0, 2.0, 4))
    assert pinn.grid(5, (0.0, 1.0)).shape == (5, 1)


@pytest.mark.parametrize("method", ["uniform", "lhs", "sobol"])
def test_boundary_points_lie_on_the_spatial_faces(method):
    points = pinn.boundary_points(64, BOX, time_axis=-1, seed=0, method=method)
    assert points.shape == (64, 2)
    np.testing.assert_array_equal(np.sort(np.unique(points[:, 0])), [-1.0, 1.0])
    assert np.sum(points[:, 0] == -1.0) == np.sum(points[:, 0] == 1.0) == 32
    assert np.all((points[:, 1] >= 0.0) & (points[:, 1] <= 2.0))
    assert len(np.unique(points[:, 1])) > 50  # time varies along the faces


def test_boundary_points_of_a_spatial_box_share_points_by_face_length():
    # a 4 × 1 rectangle: the faces x = ±2 have length 1, the faces y = 0, 1 have length 4
    bounds = [(-2.0, 2.0), (0.0, 1.0)]
    points = pinn.boundary_points(100, bounds, seed=0)
    on_x_faces = np.isin(points[:, 0], [-2.0, 2.0])
    on_y_faces = np.isin(points[:, 1], [0.0, 1.0])
    assert np.all(on_x_faces | on_y_faces)
    assert np.sum(on_x_faces) == 20 and np.sum(on_y_faces) == 80


def test_boundary_points_of_an_interval_are_its_end_points():
    np.testing.assert_array_equal(pinn.boundary_points(2, (0.0, 1.0)), [[0.0], [1.0]])
    np.testing.assert_array_equal(pinn.boundary_points(5, (0.0, 1.0))[:, 0], [0.0, 0.0, 0.0, 1.0, 1.0])


def test_boundary_points_reproducible_and_time_axis_first():
    bounds = [(0.0, 3.0), (-1.0, 1.0)]  # (t, x)
    points = pinn.boundary_points(10, bounds, time_axis=0, seed=4)
    np.testing.assert_array_equal(points, pinn.boundary_points(10, bounds, time_axis=0, seed=4))
    assert set(points[:, 1].tolist()) == {-1.0, 1.0}


@pytest.mark.parametrize("method", ["uniform", "lhs", "sobol"])
def test_initial_points_lie_on_the_initial_face(method):
    points = pinn.initial_points(32, BOX, seed=0, method=method)
    assert points.shape == (32, 2)
    np.testing.assert_array_equal(points[:, 1], 0.0)
    assert np.all((points[:, 0] >= -1.0) & (points[:, 0] <= 1.0)) and len(np.unique(points[:, 0])) == 32
    time_first = pinn.initial_points(8, [(1.0, 2.0), (-1.0, 1.0), (0.0, 1.0)], time_axis=0, seed=0)
    np.testing.assert_array_equal(time_first[:, 0], 1.0)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: pinn.uniform(10, [(1.0, 0.0)]), "lo < hi"),
        (lambda: pinn.uniform(10, [(0.0, np.inf)]), "finite"),
        (lambda: pinn.uniform(10, [(0.0, 1.0, 2.0)]), "bounds must be"),
        (lambda: pinn.uniform(0, (0.0, 1.0)), "n must be"),
        (lambda: pinn.latin_hypercube(2.5, (0.0, 1.0)), "n must be"),
        (lambda: pinn.boundary_points(4, BOX, method="halton"), "method"),
        (lambda: pinn.boundary_points(4, [(0.0, 1.0)], time_axis=0), "no spatial"),
        (lambda: pinn.initial_points(4, (0.0, 1.0)), "space-time"),
        (lambda: pinn.initial_points(4, BOX, time_axis=2), "time_axis"),
        (lambda: pinn.grid((3,), BOX), "entries"),
    ],
)
def test_sampler_bad_input_is_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()
