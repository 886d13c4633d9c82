"""Taylor mode (`wg.jet`): closed forms, JAX's jet, and composition with grad, vmap, jit and itself."""

from __future__ import annotations

import math

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp

RNG = np.random.default_rng(15)


def test_the_derivatives_of_exp_sin_and_tanh_along_a_line():
    # x(t) = x0 + t: the series are f', f'', f''' ... at x0.
    _, series = wg.jet(wnp.exp, (0.3,), ((1.0, 0.0, 0.0, 0.0),))
    np.testing.assert_allclose(series, [math.exp(0.3)] * 4, rtol=1e-14)
    _, series = wg.jet(wnp.sin, (0.5,), ((1.0, 0.0, 0.0, 0.0),))
    np.testing.assert_allclose(series, [math.cos(0.5), -math.sin(0.5), -math.cos(0.5), math.sin(0.5)], rtol=1e-14)
    y = math.tanh(0.4)
    d1 = 1 - y * y
    expected = [d1, -2 * y * d1, (6 * y * y - 2) * d1, (16 * y - 24 * y**3) * d1]
    _, series = wg.jet(wnp.tanh, (0.4,), ((1.0, 0.0, 0.0, 0.0),))
    np.testing.assert_allclose(series, expected, rtol=1e-13)


def test_a_composite_with_a_curved_input_path_by_faa_di_bruno():
    # y = sin(cos(x)) on x(t) = x0 + a t + b t^2/2: y'' = f''(x0) a^2 + f'(x0) b.
    x0, a, b = 0.7, 1.3, -0.4
    inner, outer = math.cos(x0), math.sin(math.cos(x0))
    f1 = -math.cos(inner) * math.sin(x0)
    f2 = -outer * math.sin(x0) ** 2 - math.cos(inner) * math.cos(x0)
    _, (first, second) = wg.jet(lambda x: wnp.sin(wnp.cos(x)), (x0,), ((a, b),))
    assert first == pytest.approx(f1 * a, rel=1e-14)
    assert second == pytest.approx(f2 * a * a + f1 * b, rel=1e-13)


def test_against_jax_jet_with_every_input_series_term_nonzero():
    jax = pytest.importorskip("jax")
    from jax.experimental.jet import jet as jax_jet

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    w1, w2 = RNG.standard_normal((3, 8)), RNG.standard_normal((8, 2))
    x = RNG.standard_normal((4, 3))
    series = tuple(RNG.standard_normal((4, 3)) for _ in range(4))

    def ours(p):
        h = wnp.tanh(p @ w1)
        return wnp.log(1.0 + (h @ w2) ** 2) / (2.0 + wnp.sin(p[:, :2])) + wnp.exp(-(p[:, 1:] ** 2))

    def theirs(p):
        h = jnp.tanh(p @ w1)
        return jnp.log(1.0 + (h @ w2) ** 2) / (2.0 + jnp.sin(p[:, :2])) + jnp.exp(-(p[:, 1:] ** 2))

    value, terms = wg.jet(ours, (x,), (series,))
    expected_value, expected_terms = jax_jet(theirs, (x,), (series,))
    np.testing.assert_allclose(value, expected_value, rtol=1e-12)
    for got, want in zip(terms, expected_terms):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-10)


def test_second_order_taylor_gives_the_laplacian_summed_over_directions():
    w = RNG.standard_normal((4, 6))

    def u(p):
        return wnp.sum(wnp.tanh(p @ w), axis=-1)

    x = RNG.standard_normal((5, 4))
    laplacian = sum(
        wg.jet(u, (x,), ((np.tile(e, (5, 1)), np.zeros((5, 4))),))[1][1] for e in np.eye(4)
    )  # each direction's second coefficient is e·H·e
    expected = np.array([np.trace(wg.hessian(u)(row)) for row in x])
    np.testing.assert_allclose(laplacian, expected, rtol=1e-12)


def test_jet_composes_with_grad_vmap_jit_and_itself():
    w = RNG.standard_normal((3, 5))
    x, v = RNG.standard_normal((2, 3)), RNG.standard_normal((2, 3))

    def curvature(weights):
        _, (_, second) = wg.jet(lambda p: wnp.tanh(p @ weights), (x,), ((v, np.zeros_like(v)),))
        return wnp.sum(second**2)

    gradient = wg.grad(curvature)(w)
    step = np.zeros_like(w)
    step[1, 2] = 1e-6
    assert gradient[1, 2] == pytest.approx((curvature(w + step) - curvature(w - step)) / 2e-6, rel=1e-6)
    batched = wg.vmap(lambda p: wg.jet(wnp.sin, (p,), ((1.0, 0.0),))[1][1])(np.array([0.1, 0.2]))
    np.testing.assert_allclose(batched, -np.sin([0.1, 0.2]), rtol=1e-15)
    assert wg.jit(lambda p: wg.jet(wnp.exp, (p,), ((1.0, 1.0),))[1][1])(0.0) == pytest.approx(2.0, rel=1e-15)
    # A jet of a jet: the derivative of f'(x) along a line is f''(x).
    outer = wg.jet(lambda p: wg.jet(wnp.sin, (p,), ((1.0,),))[1][0], (0.3,), ((1.0,),))[1][0]
    assert outer == pytest.approx(-math.sin(0.3), rel=1e-15)


def test_series_take_their_primals_precision_and_bad_calls_are_refused():
    value, (first,) = wg.jet(wnp.exp, (np.float32(0.5),), ((1.0,),))
    assert np.asarray(first).dtype == np.float32
    with pytest.raises(ValueError, match="every series must hold the same positive number of terms"):
        wg.jet(wnp.add, (1.0, 2.0), ((1.0,), (1.0, 0.0)))
    with pytest.raises(ValueError, match="2 primals but 1 series"):
        wg.jet(wnp.add, (1.0, 2.0), ((1.0,),))
    with pytest.raises(TypeError, match="as tuples"):
        wg.jet(wnp.exp, 1.0, (1.0,))


x2 = np.array([0.3, 0.6])


@pytest.mark.parametrize(
    "primals, series, error, message",
    [
        ((np.array([1, 2]),), ((np.array([0.5, 0.5]),),), TypeError, "primal 0 has dtype int64; only floating"),
        ((np.array([True, False]),), ((x2,),), TypeError, "primal 0 has dtype bool"),
        ((x2,), ((1j * x2,),), TypeError, r"term 0 \(order 1\) of series 0 is complex"),
        ((x2,), ((x2 > 0,),), TypeError, "of series 0 is boolean"),
        ((x2,), ((np.ones((3, 2)),),), ValueError, r"term 0 \(order 1\) of series 0 has shape \(3, 2\) but primal 0"),
        ((x2,), ((x2, np.ones(3)),), ValueError, r"term 1 \(order 2\) of series 0 has shape \(3,\)"),
        ((None,), ((1.0,),), TypeError, "primal 0 is NoneType"),
        (((0.1, 0.2),), ((1.0,),), TypeError, "primal 0 is tuple; each primal is one array"),
        (("a",), ((1.0,),), TypeError, "jet: primal 0 is"),
        ((x2,), (None,), TypeError, "series 0 is NoneType; a series is a tuple"),
        ((x2,), (((x2, x2),),), TypeError, r"term 0 \(order 1\) of series 0 is a tuple"),
        ((x2,), (("ab",),), TypeError, "term 0 .* of series 0"),
        ((), (), ValueError, "no primals"),
    ],
)
def test_bad_primals_and_series_are_refused_by_name(primals, series, error, message):
    """What `jvp` refuses `jet` refuses too: nothing is truncated to an integer dtype, nothing broadcast."""
    with pytest.raises(error, match=message):
        wg.jet(wnp.exp, primals, series)
    with pytest.raises(TypeError, match="not callable"):
        wg.jet("exp", (x2,), ((x2,),))


class Box:
    def __init__(self, content):
        self.content = content


wg.register_pytree_node(Box, lambda box: ((box.content,), None), lambda _, children: Box(children[0]))


def test_output_series_have_the_output_structure_with_k_terms_at_each_leaf():
    """JAX's layout: a tuple output's series is a tuple of per-output lists of K terms."""
    a = np.array([0.5, 0.7])
    value, series = wg.jet(lambda p: (wnp.sin(p), 2 * p), (a,), ((np.ones(2), np.zeros(2), np.zeros(2)),))
    (sines, doubles) = series
    np.testing.assert_allclose(value[0], np.sin(a), rtol=1e-15)
    np.testing.assert_allclose(sines, [np.cos(a), -np.sin(a), -np.cos(a)], rtol=1e-14)
    np.testing.assert_allclose(doubles, [2 * np.ones(2), np.zeros(2), np.zeros(2)], rtol=1e-15)
    value, series = wg.jet(lambda p: {"u": wnp.exp(p)}, (a,), ((np.ones(2), np.zeros(2)),))
    np.testing.assert_allclose(series["u"], [np.exp(a), np.exp(a)], rtol=1e-14)
    value, series = wg.jet(lambda p: Box(wnp.sin(p)), (a,), ((np.ones(2),),))  # one leaf keeps its container
    assert isinstance(value, Box) and isinstance(series, Box)
    np.testing.assert_allclose(series.content[0], np.cos(a), rtol=1e-15)


def collapsed_jet(u, x, directions):
    """u(x), its slopes along each direction, and Σ_i D²u[v_i, v_i]: one collapsed second-order stream."""
    from wengert.core.taylor import second_order_jet

    value, slopes, second = second_order_jet(u, x, directions, [[(i, i, 1.0) for i in range(len(directions))]])
    return value, slopes, second[0]


def test_collapsed_taylor_mode_sums_the_second_order_terms_of_all_directions_in_one_pass():
    w1, b1, w2 = RNG.standard_normal((5, 9)), RNG.standard_normal(9), RNG.standard_normal((9, 1))

    def u(p):
        h = wnp.tanh(p @ w1 + b1)
        return (wnp.exp(-(h * h)) * h @ w2)[..., 0]

    x = RNG.standard_normal((7, 5))
    directions = RNG.standard_normal((3, 5))
    stacked = np.broadcast_to(directions[:, None, :], (3, 7, 5))
    value, slopes, curvature = collapsed_jet(u, x, stacked)
    per_direction = [wg.jet(u, (x,), ((np.broadcast_to(v, x.shape), None),))[1] for v in directions]
    np.testing.assert_allclose(value, u(x), rtol=1e-14)
    np.testing.assert_allclose(slopes, [first for first, _ in per_direction], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(curvature, sum(second for _, second in per_direction), rtol=1e-11, atol=1e-13)
    # tan has no closed-form kind: its curvature comes from second-order jets of its JVP rule.
    small = x * 0.3
    lap = wg.laplacian(lambda p: wnp.sum(wnp.tan(p), axis=-1))(small)
    np.testing.assert_allclose(lap, np.sum(2 * np.tan(small) / np.cos(small) ** 2, axis=-1), rtol=1e-12)


def test_second_order_streams_give_mixed_derivatives_and_weighted_operators_of_any_primitive():
    """Each stream is Σ c·∂_i∂_j, for primitives of every kind (closed forms, bilinear, jets of JVP rules)."""
    from wengert.core.taylor import second_order_jet

    def f(p):  # tan and arcsinh take the jet path; power (two moving arguments), multiply, tanh the rest
        a, b, c = p[..., 0], p[..., 1], p[..., 2]
        return wnp.tan(a * b) + wnp.arcsinh(b) * wnp.tanh(c) + (1.5 + a * a) ** (0.5 + c * c)

    x = RNG.uniform(-0.6, 0.6, size=(4, 3))
    hessians = wg.vmap(wg.hessian(f))(x)  # (4, 3, 3)
    streams = [[(0, 1, 1.0)], [(2, 2, 1.0)], [(0, 0, 2.0), (1, 2, -3.0), (2, 1, 0.5), (0, 0, 1.0)], [(1, 1, 0.0)]]
    units = np.broadcast_to(np.eye(3)[:, None, :], (3, 4, 3))
    value, first, second = second_order_jet(f, x, units, streams)
    np.testing.assert_allclose(value, f(x), rtol=1e-14)
    np.testing.assert_allclose(first, wg.vmap(wg.grad(f))(x).T, rtol=1e-12)
    np.testing.assert_allclose(second[0], hessians[:, 0, 1], rtol=1e-11)
    np.testing.assert_allclose(second[1], hessians[:, 2, 2], rtol=1e-11)
    np.testing.assert_allclose(second[2], 3 * hessians[:, 0, 0] - 2.5 * hessians[:, 1, 2], rtol=1e-11)
    assert second[3] is None or np.all(np.asarray(second[3]) == 0)
    # Directions need not be unit vectors: v1ᵀHv2 along two random directions.
    v = RNG.standard_normal((2, 3))
    _, _, (cross,) = second_order_jet(f, x, np.broadcast_to(v[:, None, :], (2, 4, 3)), [[(0, 1, 1.0)]])
    np.testing.assert_allclose(cross, np.einsum("i,nij,j->n", v[0], hessians, v[1]), rtol=1e-10)


@pytest.mark.parametrize(
    "name",
    ["tanh", "exp", "sin", "cos", "square", "log", "log1p", "expm1", "sqrt", "sinh", "cosh", "arctan"]
    + ["reciprocal", "sigmoid", "softplus"],
)
def test_every_closed_form_first_and_second_derivative_agrees_with_per_direction_jets(name):
    function = getattr(wnp, name)
    w = RNG.standard_normal((4, 6)) * 0.3

    def u(p):  # twice, so that a second-order stream comes in: inputs in [1.2, 3], inside every domain
        return wnp.sum(function(function(p @ w + 1.5) * 0.3 + 1.5), axis=-1)

    x = RNG.standard_normal((5, 4)) * 0.3
    directions = RNG.standard_normal((3, 4))
    _, slopes, curvature = collapsed_jet(u, x, np.broadcast_to(directions[:, None, :], (3, 5, 4)))
    jets = [wg.jet(u, (x,), ((np.broadcast_to(v, x.shape), None),))[1] for v in directions]
    np.testing.assert_allclose(slopes, [first for first, _ in jets], rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(curvature, sum(second for _, second in jets), rtol=1e-11, atol=1e-12)


def test_first_order_stacks_made_on_demand_stay_exact_through_long_chains_and_reused_intermediates():
    """The second-order trace makes a first-order stack when it is read; values never depend on when."""
    from wengert.core.taylor import second_order_jet

    w = RNG.standard_normal((3, 4))

    def reused(p):  # z is read again after tanh(z): its stack must not have been overwritten
        z = p @ w
        h = wnp.tanh(z)
        return wnp.sum(h * 2.0 + z * z, axis=-1)

    def long_chain(p):  # 3,000 linear steps after a curved one: reading the end must not recurse deeply
        h = wnp.sin(p)
        for _ in range(3000):
            h = h * 1.0001 + 0.001
        return wnp.sum(h, axis=-1)

    x = RNG.standard_normal((5, 3))
    units = np.broadcast_to(np.eye(3)[:, None, :], (3, 5, 3))
    for f in (reused, long_chain):
        value, first, (laplace,) = second_order_jet(f, x, units, [[(i, i, 1.0) for i in range(3)]])
        np.testing.assert_allclose(value, f(x), rtol=1e-13)
        np.testing.assert_allclose(first, wg.vmap(wg.grad(f))(x).T, rtol=1e-11)
        hessians = wg.vmap(wg.hessian(f))(x)
        np.testing.assert_allclose(laplace, np.trace(hessians, axis1=1, axis2=2), rtol=1e-10, atol=1e-12)
        _, none, (again,) = second_order_jet(f, x, units, [[(i, i, 1.0) for i in range(3)]], first_order=False)
        assert none is None
        np.testing.assert_allclose(again, laplace, rtol=1e-14)


def _falling(power: float, k: int) -> float:
    """d^k/dx^k (1 + x)^power at 0: power·(power − 1)…(power − k + 1)."""
    return math.prod(power - i for i in range(k))


@pytest.mark.parametrize(
    "f, derivative",
    [
        (lambda x: 1.0 / (1.0 - x), lambda k: math.factorial(k)),
        (lambda x: x / (1.0 + x), lambda k: (-1) ** (k + 1) * math.factorial(k)),
        (lambda x: wnp.log(1.0 + x), lambda k: (-1) ** (k + 1) * math.factorial(k - 1)),
        (wnp.log1p, lambda k: (-1) ** (k + 1) * math.factorial(k - 1)),
        (lambda x: wnp.log2(1.0 + x), lambda k: (-1) ** (k + 1) * math.factorial(k - 1) / math.log(2)),
        (lambda x: wnp.log10(1.0 + x), lambda k: (-1) ** (k + 1) * math.factorial(k - 1) / math.log(10)),
        (lambda x: wnp.sqrt(1.0 + x), lambda k: _falling(0.5, k)),
        (lambda x: wnp.cbrt(1.0 + x), lambda k: _falling(1.0 / 3.0, k)),
        (lambda x: (1.0 + x) ** 2.5, lambda k: _falling(2.5, k)),
        (lambda x: (1.0 + x) ** -3, lambda k: _falling(-3.0, k)),
        (lambda x: wnp.sin(x + 0.4), lambda k: math.sin(0.4 + k * math.pi / 2)),
        (lambda x: wnp.cos(x + 0.4), lambda k: math.cos(0.4 + k * math.pi / 2)),
        (lambda x: wnp.sinh(x + 0.4), lambda k: math.cosh(0.4) if k % 2 else math.sinh(0.4)),
        (lambda x: wnp.cosh(x + 0.4), lambda k: math.sinh(0.4) if k % 2 else math.cosh(0.4)),
        (lambda x: wnp.arctan(x), lambda k: 0.0 if k % 2 == 0 else (-1) ** ((k - 1) // 2) * math.factorial(k - 1)),
        # linear primitives (reshape, getitem, where) map each coefficient: no jets of their JVPs
        (lambda x: wnp.where(x > -1.0, 1.0 / (1.0 - wnp.reshape(x, (1, 1))[0, 0]), 0.0), math.factorial),
    ],
)
def test_quotients_logarithms_roots_powers_and_sines_to_order_16_by_their_recurrences(f, derivative):
    """Closed forms at 0 to order 16: these primitives have recurrences (the JVP rule differentiated by
    jets of jets took time exponential in the order: minutes at 16)."""
    order = 16
    _, series = wg.jet(f, (0.0,), ((1.0,) + (0.0,) * (order - 1),))
    expected = [derivative(k) for k in range(1, order + 1)]
    np.testing.assert_allclose(np.asarray(series, dtype=float), expected, rtol=1e-12, atol=1e-12)


def test_a_power_with_a_moving_exponent_equals_nested_jvps_and_a_zero_base_keeps_the_jvp_conventions():
    a, b = np.array([0.7, 1.3]), np.array([0.4, 2.2])
    ta, tb, second_a, second_b = (
        np.array([0.3, -0.2]),
        np.array([0.2, 0.6]),
        np.array([0.1, 0.5]),
        np.array([-0.3, 0.1]),
    )
    along = lambda t: (a + ta * t + second_a * t**2 / 2) ** (b + tb * t + second_b * t**2 / 2)  # noqa: E731
    nested = [along]
    for _ in range(4):
        nested.append(lambda t, g=nested[-1]: wg.jvp(g, (t,), (1.0,))[1])
    _, series = wg.jet(lambda p, q: p**q, (a, b), ((ta, second_a, 0 * a, 0 * a), (tb, second_b, 0 * b, 0 * b)))
    for k in range(1, 5):
        np.testing.assert_allclose(series[k - 1], nested[k](0.0), rtol=1e-11)
    # a zero base takes the JVP rule: (0 + t)² and (0 + t)³ are polynomials, finite at every order
    line = (np.ones(2), np.zeros(2), np.zeros(2))
    _, square = wg.jet(lambda p: p**2.0, (np.array([0.0, 1.0]),), (line,))
    _, cube = wg.jet(lambda p: p**3, (np.array([0.0, 1.0]),), (line,))
    np.testing.assert_array_equal(square, [[0.0, 2.0], [2.0, 2.0], [0.0, 0.0]])
    np.testing.assert_array_equal(cube, [[0.0, 3.0], [0.0, 6.0], [6.0, 6.0]])


def test_a_broadcast_quotient_and_a_logarithm_of_a_curved_path_equal_nested_jvps():
    """Every term of both inputs' series nonzero, the quotient broadcasting a row over a column."""
    a, b = np.array([[0.5], [1.5]]), np.array([1.2, 2.0, 3.0])
    ta, tb = np.array([[0.3], [-0.7]]), np.array([0.4, -0.2, 0.9])
    second_a, second_b = np.array([[0.2], [0.1]]), np.array([-0.3, 0.5, 0.1])

    def path(t):  # x(t) = x0 + x1·t + x2·t²/2 for both inputs
        return a + ta * t + second_a * t**2 / 2, b + tb * t + second_b * t**2 / 2

    def f(p, q):
        return wnp.log(p / q + 2.0) * wnp.sqrt(q)

    along = lambda t: f(*path(t))  # noqa: E731
    nested = [along]
    for _ in range(4):
        previous = nested[-1]
        nested.append(lambda t, g=previous: wg.jvp(g, (t,), (1.0,))[1])
    _, series = wg.jet(f, (a, b), ((ta, second_a, 0 * a, 0 * a), (tb, second_b, 0 * b, 0 * b)))
    for k in range(1, 5):
        np.testing.assert_allclose(series[k - 1], nested[k](0.0), rtol=1e-11, atol=1e-13)


M = np.array([[0.4, -0.3], [0.2, 0.5]])


@pytest.mark.parametrize(
    "f",
    [
        lambda p, q: wnp.log1p(p) + wnp.log2(q) * wnp.log10(p + q),
        lambda p, q: wnp.cbrt(p - 2.0) * wnp.sqrt(q),
        lambda p, q: wnp.sin(p) * wnp.cos(q) + wnp.sinh(p * q) / wnp.cosh(q),
        lambda p, q: wnp.einsum("i,i->", p, q) * wnp.einsum("i,ij,j->", p, M, q),
        lambda p, q: wnp.convolve(p, q) + wnp.correlate(wnp.concatenate([p, q]), q, mode="valid").sum(),
        lambda p, q: (p / q) ** (q - 0.5),
        lambda p, q: wg.grad(lambda r: wnp.sum(wnp.convolve(r, q) ** 3))(p),  # its VJP correlates
    ],
    ids=["logarithms", "roots", "sines", "einsum", "convolve", "power", "correlate"],
)
def test_the_recurrences_on_curved_paths_of_two_inputs_equal_nested_jvps(f):
    """Both inputs on curved paths (every term of orders 1-3 nonzero): the jet's four terms equal four
    nested jvps of f along the path, for each rule's moving and constant operands."""
    a, b = np.array([0.7, 1.3]), np.array([1.1, 0.6])
    terms_a = [np.array([0.3, -0.2]), np.array([0.1, 0.5]), np.array([-0.4, 0.2])]
    terms_b = [np.array([0.2, 0.6]), np.array([-0.3, 0.1]), np.array([0.5, -0.2])]

    def path(t):
        moved_a = a + sum(c * t ** (k + 1) / math.factorial(k + 1) for k, c in enumerate(terms_a))
        moved_b = b + sum(c * t ** (k + 1) / math.factorial(k + 1) for k, c in enumerate(terms_b))
        return f(moved_a, moved_b)

    nested = [path]
    for _ in range(4):
        nested.append(lambda t, g=nested[-1]: wg.jvp(g, (t,), (1.0,))[1])
    _, series = wg.jet(f, (a, b), ((*terms_a, 0 * a), (*terms_b, 0 * b)))
    for k in range(1, 5):
        np.testing.assert_allclose(series[k - 1], nested[k](0.0), rtol=1e-10, atol=1e-12)
