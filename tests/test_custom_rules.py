"""User-defined derivative rules: custom_jvp, custom_vjp, and stop_gradient.

The running example is JAX's log1pexp, f(x) = log(1 + exp(x)): written naively,
exp overflows for large x and the derivative is lost; a custom JVP rule
t·(1 − 1/(1 + exp(x))) gives the right slope, and every transform must use it.
"""

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert.testing import check_grads


def log1pexp_naive(x):
    return wnp.log(1.0 + wnp.exp(x))


@wg.custom_jvp
def log1pexp(x):
    return wnp.log(1.0 + wnp.exp(x))


@log1pexp.defjvp
def log1pexp_jvp(primals, tangents):
    (x,), (tangent,) = primals, tangents
    return log1pexp(x), tangent * (1.0 - 1.0 / (1.0 + wnp.exp(x)))


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


# -- the naive formulation fails --------------------------------------------------------------


@pytest.mark.parametrize(
    "x",
    [np.float32(100.0), np.float64(1000.0), 1000.0],
    ids=["float32-100", "float64-1000", "pyfloat-1000"],
)
def test_naive_log1pexp_overflows_and_loses_the_gradient(x):
    # exp(x) overflows to inf, so the value is inf. In reverse mode log's rule sends 1/inf = 0
    # back, and by the 0·∞ = 0 convention exp passes on exactly 0: the gradient is 0.0, not 1.
    # Forward mode multiplies the tangent 1 by exp's derivative inf, then log divides by inf: NaN.
    with np.errstate(over="ignore", invalid="ignore"):
        value = log1pexp_naive(x)
        gradient = wg.grad(log1pexp_naive)(x)
        _, tangent = wg.jvp(log1pexp_naive, (x,), (np.ones_like(x),))
        forward_derivative = wg.jacfwd(log1pexp_naive)(x)
    assert np.isposinf(value)
    assert gradient == 0.0
    assert np.asarray(gradient).dtype == np.asarray(x).dtype
    assert np.isnan(tangent) and np.isnan(forward_derivative)


def test_naive_log1pexp_is_fine_in_float64_at_100():
    # exp(100) ≈ 2.7e43 does not overflow in float64: the slope 1 − 1/(1 + e¹⁰⁰) rounds to exactly 1.
    assert log1pexp_naive(100.0) == 100.0
    assert wg.grad(log1pexp_naive)(100.0) == 1.0


# -- custom_jvp: the rule fixes it, and every transform honours it ----------------------------


@pytest.mark.parametrize(
    "x",
    [np.float32(100.0), np.float64(1000.0), 1000.0],
    ids=["float32-100", "float64-1000", "pyfloat-1000"],
)
def test_custom_jvp_log1pexp_gradient_is_one(x):
    with np.errstate(over="ignore"):
        gradient = wg.grad(log1pexp)(x)
        _, tangent = wg.jvp(log1pexp, (x,), (np.ones_like(x),))
        tensor = wg.tensor(x, requires_grad=True)
        log1pexp(tensor).backward()
    assert gradient == 1.0
    assert np.asarray(gradient).dtype == np.asarray(x).dtype
    assert tangent == 1.0
    assert tensor.grad.item() == 1.0


def test_custom_jvp_log1pexp_matches_the_logistic_function_everywhere():
    xs = np.array([1000.0, 30.0, 2.0, 0.0, -5.0])
    with np.errstate(over="ignore"):
        # 1 − 1/(1 + eˣ) cancels a little for x < 0: a few ulps.
        np.testing.assert_allclose(wg.jacfwd(log1pexp)(xs), np.diag(sigmoid(xs)), rtol=1e-13)
        np.testing.assert_allclose(wg.jacrev(log1pexp)(xs), np.diag(sigmoid(xs)), rtol=1e-13)


def test_custom_jvp_log1pexp_second_derivative_where_the_rule_is_finite():
    xs = np.array([5.0, 0.0, -3.0])
    second = sigmoid(xs) * (1 - sigmoid(xs))
    np.testing.assert_allclose(wg.hessian(lambda v: wnp.sum(log1pexp(v)))(xs), np.diag(second), rtol=1e-13)
    assert wg.grad(wg.grad(log1pexp))(0.0) == pytest.approx(0.25, rel=1e-15)
    check_grads(log1pexp, (xs,), order=2)


def test_check_grads_catches_a_wrong_custom_rule():
    @wg.custom_jvp
    def wrong_sin(x):
        return wnp.sin(x)

    wrong_sin.defjvp(lambda primals, tangents: (wrong_sin(primals[0]), 2.0 * tangents[0] * wnp.cos(primals[0])))
    with pytest.raises(AssertionError):
        check_grads(wrong_sin, (np.array([0.3, 0.5]),), order=1)


def make_doubled_sine():
    """sin with a deliberately wrong rule (2·cos): a transform that ignores the rule gives cos."""
    calls = []

    @wg.custom_jvp
    def doubled_sine(x):
        return wnp.sin(x)

    @doubled_sine.defjvp
    def doubled_sine_jvp(primals, tangents):
        calls.append(1)
        (x,), (tangent,) = primals, tangents
        return doubled_sine(x), 2.0 * tangent * wnp.cos(x)

    return doubled_sine, calls


XS = np.array([0.3, 0.5, -1.1])


def tensor_gradient(f, x):
    tensor = wg.tensor(x, requires_grad=True)
    wnp.sum(f(tensor)).backward()
    return tensor.grad.detach().numpy()


RULE_USERS = {
    "grad": lambda f: wg.grad(lambda v: wnp.sum(f(v)))(XS),
    "value_and_grad": lambda f: wg.value_and_grad(lambda v: wnp.sum(f(v)))(XS)[1],
    "vjp": lambda f: wg.vjp(f, XS)[1](np.ones(3))[0],
    "jvp": lambda f: wg.jvp(f, (XS,), (np.ones(3),))[1],
    "linearize": lambda f: wg.linearize(f, XS)[1](np.ones(3)),
    "jacfwd": lambda f: np.diag(wg.jacfwd(f)(XS)),
    "jacrev": lambda f: np.diag(wg.jacrev(f)(XS)),
    "vmap(jvp)": lambda f: np.diag(wg.vmap(lambda t: wg.jvp(f, (XS,), (t,))[1])(np.eye(3))),
    "Tensor.backward": lambda f: tensor_gradient(f, XS),
    "Dual": lambda f: f(wg.Dual(XS, np.ones(3))).tangent,
}


@pytest.mark.parametrize("name", RULE_USERS)
def test_custom_jvp_rule_is_used_by_every_transform(name):
    doubled_sine, calls = make_doubled_sine()
    np.testing.assert_allclose(RULE_USERS[name](doubled_sine), 2.0 * np.cos(XS), rtol=1e-15)
    assert calls


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_custom_jvp_rule_is_used_by_jacobian(mode):
    doubled_sine, calls = make_doubled_sine()
    np.testing.assert_allclose(np.diag(wg.jacobian(doubled_sine, mode=mode)(XS)), 2.0 * np.cos(XS), rtol=1e-15)


@pytest.mark.parametrize(
    "second_derivative",
    [
        lambda f: np.diag(wg.hessian(lambda v: wnp.sum(f(v)))(XS)),
        lambda f: wg.hvp(lambda v: wnp.sum(f(v)), (XS,), (np.ones(3),)),
        lambda f: wg.grad(wg.grad(f))(XS[0]),
        lambda f: wg.jvp(wg.grad(f), (XS[0],), (1.0,))[1],
        lambda f: wg.grad(lambda x: wg.jvp(f, (x,), (1.0,))[1])(XS[0]),
        lambda f: tensor_gradient(lambda t: wg.grad(lambda v: wnp.sum(f(v)))(t), XS),
    ],
    ids=["hessian", "hvp", "grad(grad)", "jvp(grad)", "grad(jvp)", "Tensor.backward(grad)"],
)
def test_custom_jvp_rule_is_differentiated_at_second_order(second_derivative):
    # The second derivative is that of the rule 2·cos: −2·sin.
    doubled_sine, calls = make_doubled_sine()
    result = np.asarray(second_derivative(doubled_sine))
    np.testing.assert_allclose(result, -2.0 * np.sin(XS[: result.size]), rtol=1e-15)
    assert calls


def test_custom_jvp_rule_under_autograd_create_graph():
    doubled_sine, _ = make_doubled_sine()
    x = wg.tensor(XS, requires_grad=True)
    (first,) = wg.autograd.grad(wnp.sum(doubled_sine(x)), x, create_graph=True)
    (second,) = wg.autograd.grad(wnp.sum(first), x)
    np.testing.assert_allclose(first.detach().numpy(), 2.0 * np.cos(XS), rtol=1e-15)
    np.testing.assert_allclose(second.detach().numpy(), -2.0 * np.sin(XS), rtol=1e-15)


def test_custom_jvp_of_several_arguments_with_constant_ones():
    @wg.custom_jvp
    def scaled_sine(x, scale):
        return wnp.sin(x) * scale

    @scaled_sine.defjvp
    def scaled_sine_jvp(primals, tangents):
        (x, scale), (tangent_x, tangent_scale) = primals, tangents
        return scaled_sine(x, scale), tangent_x * wnp.cos(x) * scale + tangent_scale * wnp.sin(x)

    # A constant argument reaches the rule as a zero tangent.
    assert wg.grad(scaled_sine)(0.3, 2.0) == pytest.approx(2.0 * np.cos(0.3), rel=1e-15)
    assert wg.grad(scaled_sine, argnums=1)(0.3, 2.0) == pytest.approx(np.sin(0.3), rel=1e-15)
    assert wg.jvp(lambda s: scaled_sine(0.3, s), (2.0,), (1.0,))[1] == pytest.approx(np.sin(0.3), rel=1e-15)
    check_grads(scaled_sine, (XS, np.array([1.5, -2.0, 0.5])), order=2)


def test_custom_jvp_with_pytree_arguments():
    @wg.custom_jvp
    def weighted(params):
        return params["w"] * wnp.sin(params["x"])

    @weighted.defjvp
    def weighted_jvp(primals, tangents):
        ((params,), (dparams,)) = primals, tangents
        out = weighted(params)
        return out, dparams["w"] * wnp.sin(params["x"]) + params["w"] * wnp.cos(params["x"]) * dparams["x"]

    gradient = wg.grad(weighted)({"w": 2.0, "x": 0.5})
    assert gradient["w"] == pytest.approx(np.sin(0.5), rel=1e-15)
    assert gradient["x"] == pytest.approx(2.0 * np.cos(0.5), rel=1e-15)


def test_custom_jvp_without_a_rule_or_with_a_tuple_output_says_so():
    @wg.custom_jvp
    def no_rule(x):
        return x

    with pytest.raises(TypeError, match=r"no_rule: no JVP rule; decorate one with @no_rule.defjvp"):
        no_rule(1.0)

    @wg.custom_jvp
    def pair(x):
        return x, x

    pair.defjvp(lambda primals, tangents: (primals, tangents))
    with pytest.raises(TypeError, match="must return a single array or scalar, not a tuple"):
        pair(1.0)


def test_vmap_of_grad_through_custom_jvp():
    doubled_sine, _ = make_doubled_sine()
    np.testing.assert_allclose(wg.vmap(wg.grad(doubled_sine))(XS), 2.0 * np.cos(XS), rtol=1e-15)


def test_vmap_of_jvp_through_custom_jvp_with_a_batched_constant_argument():
    @wg.custom_jvp
    def scaled_sine(x, scale):
        return wnp.sin(x) * scale

    scaled_sine.defjvp(
        lambda p, t: (scaled_sine(*p), t[0] * wnp.cos(p[0]) * p[1] + t[1] * wnp.sin(p[0])),
    )
    scales = np.array([1.0, 2.0, 3.0])
    tangents = wg.vmap(lambda s: wg.jvp(lambda x: scaled_sine(x, s), (0.3,), (1.0,))[1])(scales)
    np.testing.assert_allclose(tangents, np.cos(0.3) * scales, rtol=1e-15)


# -- custom_vjp ----------------------------------------------------------------------------------


@wg.custom_vjp
def clip_gradient(low, high, x):
    """The identity, whose gradient is clipped to [low, high] on the way back."""
    return x


def clip_gradient_forward(low, high, x):
    return x, (low, high)


def clip_gradient_backward(residuals, cotangent):
    low, high = residuals
    return None, None, wnp.clip(cotangent, low, high)


clip_gradient.defvjp(clip_gradient_forward, clip_gradient_backward)


def test_custom_vjp_clips_the_gradient():
    weights = np.array([5.0, -0.5, -3.0])

    def loss(x):
        return wnp.sum(clip_gradient(-1.0, 1.0, x) * weights)

    x = np.array([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(clip_gradient(-1.0, 1.0, x), x)
    np.testing.assert_array_equal(wg.grad(loss)(x), [1.0, -0.5, -1.0])
    np.testing.assert_array_equal(wg.jacrev(lambda v: clip_gradient(-1.0, 1.0, v) * weights)(x), np.diag([1, -0.5, -1]))
    np.testing.assert_array_equal(wg.vmap(wg.grad(lambda v: 5.0 * clip_gradient(-1.0, 1.0, v)))(x), np.ones(3))
    tensor = wg.tensor(x, requires_grad=True)
    loss(tensor).backward()
    np.testing.assert_array_equal(tensor.grad.detach().numpy(), [1.0, -0.5, -1.0])


def make_sine_with_a_vjp():
    calls = {"forward": 0, "backward": 0}

    @wg.custom_vjp
    def sine(x):
        return wnp.sin(x)

    def forward(x):
        calls["forward"] += 1
        return wnp.sin(x), x

    def backward(x, cotangent):
        calls["backward"] += 1
        return (cotangent * wnp.cos(x),)  # in wnp operations: differentiable again

    sine.defvjp(forward, backward)
    return sine, calls


def test_custom_vjp_rule_is_used_and_differentiates_again():
    sine, calls = make_sine_with_a_vjp()
    assert wg.grad(sine)(0.3) == pytest.approx(np.cos(0.3), rel=1e-15)
    assert calls["backward"] == 1
    assert wg.grad(wg.grad(sine))(0.3) == pytest.approx(-np.sin(0.3), rel=1e-15)
    assert wg.grad(wg.grad(wg.grad(sine)))(0.3) == pytest.approx(-np.cos(0.3), rel=1e-15)
    jac2 = wg.jacrev(wg.jacrev(sine))(XS)
    np.testing.assert_allclose(np.einsum("iii->i", jac2), -np.sin(XS), rtol=1e-15)
    x = wg.tensor(0.3, requires_grad=True)
    (first,) = wg.autograd.grad(sine(x), x, create_graph=True)
    (second,) = wg.autograd.grad(first, x)
    assert second.item() == pytest.approx(-np.sin(0.3), rel=1e-15)
    check_grads(sine, (XS,), order=2, modes=("rev",))


@pytest.mark.parametrize(
    "forward_transform",
    [
        lambda f: wg.jvp(f, (0.3,), (1.0,)),
        lambda f: wg.jacfwd(f)(XS),
        lambda f: wg.hessian(lambda v: wnp.sum(f(v)))(XS),
        lambda f: wg.hvp(lambda v: wnp.sum(f(v)), (XS,), (XS,)),
        lambda f: f(wg.Dual(0.3, 1.0)),
    ],
    ids=["jvp", "jacfwd", "hessian", "hvp", "Dual"],
)
def test_custom_vjp_in_forward_mode_raises_a_clear_type_error(forward_transform):
    sine, _ = make_sine_with_a_vjp()
    with pytest.raises(TypeError, match=r"sine has a custom VJP rule only: forward-mode.*custom_jvp"):
        forward_transform(sine)


@pytest.mark.parametrize(
    ("backward", "message"),
    [
        (lambda res, g: (g * res[1],), r"one cotangent per argument \(2\), got tuple of length 1"),
        (lambda res, g: (g, g, g), r"one cotangent per argument \(2\), got tuple of length 3"),
        (lambda res, g: g * res[1], r"one cotangent per argument \(2\), got float"),
        (lambda res, g: (g * res[1], (g,)), r"structure tuple\(\*\) differs from \*"),
    ],
    ids=["too-few", "too-many", "not-a-tuple", "wrong-structure"],
)
def test_custom_vjp_with_the_wrong_cotangents_says_so(backward, message):
    @wg.custom_vjp
    def product(x, y):
        return x * y

    product.defvjp(lambda x, y: (x * y, (x, y)), backward)
    with pytest.raises(TypeError, match="product: .*" + message):
        wg.grad(product)(2.0, 3.0)


def test_custom_vjp_with_a_wrongly_shaped_cotangent_says_so():
    @wg.custom_vjp
    def product(x, y):
        return x * y

    product.defvjp(lambda x, y: (x * y, (x, y)), lambda res, g: (g * res[1], np.ones(3)))
    with pytest.raises((TypeError, ValueError), match="shape"):
        wg.grad(lambda x, y: wnp.sum(product(x, y)), argnums=1)(np.ones(2), np.ones(2))


def test_custom_vjp_without_a_rule_or_with_a_tuple_output_says_so():
    @wg.custom_vjp
    def no_rule(x):
        return x

    with pytest.raises(TypeError, match=r"no_rule: no VJP rule; call no_rule.defvjp\(forward, backward\)"):
        no_rule(1.0)

    @wg.custom_vjp
    def pair(x):
        return x, x

    pair.defvjp(lambda x: ((x, x), None), lambda res, g: (g,))
    with pytest.raises(TypeError, match="must return a single array or scalar, not a tuple"):
        pair(1.0)


def test_custom_vjp_with_pytree_arguments():
    @wg.custom_vjp
    def weighted(params, x):
        return params["w"] * x

    def backward(residuals, cotangent):
        params, x = residuals
        return {"w": wnp.sum(cotangent * x)}, cotangent * params["w"]

    weighted.defvjp(lambda params, x: (weighted(params, x), (params, x)), backward)
    gradient = wg.grad(lambda p, x: wnp.sum(weighted(p, x)), argnums=(0, 1))({"w": 2.0}, XS)
    assert gradient[0]["w"] == pytest.approx(np.sum(XS), rel=1e-15)
    np.testing.assert_array_equal(gradient[1], 2.0 * np.ones(3))


# -- stop_gradient ------------------------------------------------------------------------------


def times_stopped(x):
    """x · stop_gradient(x)²: value x³, derivative stop(x)² = x², second derivative 0."""
    return x * wg.stop_gradient(x) ** 2


STOPPED_DERIVATIVES = {
    "grad": lambda: wg.grad(lambda v: wnp.sum(times_stopped(v)))(XS),
    "vjp": lambda: wg.vjp(times_stopped, XS)[1](np.ones(3))[0],
    "jvp": lambda: wg.jvp(times_stopped, (XS,), (np.ones(3),))[1],
    "linearize": lambda: wg.linearize(times_stopped, XS)[1](np.ones(3)),
    "jacfwd": lambda: np.diag(wg.jacfwd(times_stopped)(XS)),
    "jacrev": lambda: np.diag(wg.jacrev(times_stopped)(XS)),
    "jacobian-forward": lambda: np.diag(wg.jacobian(times_stopped, mode="forward")(XS)),
    "jacobian-reverse": lambda: np.diag(wg.jacobian(times_stopped, mode="reverse")(XS)),
    "vmap(grad)": lambda: wg.vmap(wg.grad(times_stopped))(XS),
    "Dual": lambda: np.array([times_stopped(wg.Dual(x, 1.0)).tangent for x in XS]),
    "Tensor.backward": lambda: tensor_gradient(times_stopped, XS),
}


@pytest.mark.parametrize("name", STOPPED_DERIVATIVES)
def test_stop_gradient_is_a_constant_to_every_transform(name):
    np.testing.assert_allclose(STOPPED_DERIVATIVES[name](), XS**2, rtol=1e-15)


def test_stop_gradient_at_second_order():
    # d/dx [x² · stop(x)] = 2x · stop(x); its derivative is 2 · stop(x) (the stopped factor stays constant).
    def f(v):
        return wnp.sum(v**2 * wg.stop_gradient(v))

    np.testing.assert_allclose(wg.hessian(f)(XS), np.diag(2.0 * XS), rtol=1e-15)
    np.testing.assert_allclose(wg.hvp(f, (XS,), (np.ones(3),)), 2.0 * XS, rtol=1e-15)
    x = wg.tensor(XS, requires_grad=True)
    (first,) = wg.autograd.grad(f(x), x, create_graph=True)
    (second,) = wg.autograd.grad(wnp.sum(first), x)
    np.testing.assert_allclose(second.detach().numpy(), 2.0 * XS, rtol=1e-15)


def test_stop_gradient_values_and_types():
    np.testing.assert_array_equal(wg.stop_gradient(XS), XS)
    tree = wg.stop_gradient({"a": XS, "b": (1.0,)})
    assert tree["b"] == (1.0,)
    tensor = wg.tensor(XS, requires_grad=True)
    stopped = wg.stop_gradient(tensor * 2.0)
    assert isinstance(stopped, wg.Tensor)
    assert not stopped.requires_grad
    np.testing.assert_array_equal(stopped.detach().numpy(), 2.0 * XS)
    assert wg.grad(lambda v: wg.stop_gradient(v) * 1.0)(1.0) == 0.0


def test_stop_gradient_inside_an_inner_grad_does_not_stop_the_outer_one():
    # The inner function stops y, not x: d/dx [x · d/dy (x·y + stop(y)²)] = d/dx [x · x] = 2x.
    def f(x):
        return x * wg.grad(lambda y: x * y + wg.stop_gradient(y) ** 2)(1.0)

    assert wg.grad(f)(1.5) == 3.0
    assert wg.jvp(f, (1.5,), (1.0,))[1] == 3.0
