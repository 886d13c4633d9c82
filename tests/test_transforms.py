"""The JAX-dialect transforms against analytic derivatives and finite differences.

grad, value_and_grad, vjp, jvp, linearize, jacfwd, jacrev, jacobian, hessian,
hvp and vmap: pytrees in and out, argnums, has_aux, the mode `jacobian`
chooses, perturbation confusion through the public transforms, and the errors
bad input gets.
"""

import dataclasses
from typing import Any, NamedTuple

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert.testing import check_grads


class Params(NamedTuple):
    weight: Any
    bias: Any


@dataclasses.dataclass
class Layer:
    weight: Any
    bias: Any


X = np.array([0.3, -1.2, 0.8])


def cubic_and_sine(x):
    """f(x) = Σ x³ + sin(x₀)·x₁, with gradient (3x₀² + cos(x₀)x₁, 3x₁² + sin(x₀), 3x₂²)."""
    return wnp.sum(x**3) + wnp.sin(x[0]) * x[1]


def cubic_and_sine_gradient(x):
    return np.array([3 * x[0] ** 2 + np.cos(x[0]) * x[1], 3 * x[1] ** 2 + np.sin(x[0]), 3 * x[2] ** 2])


def cubic_and_sine_hessian(x):
    return np.array(
        [
            [6 * x[0] - np.sin(x[0]) * x[1], np.cos(x[0]), 0.0],
            [np.cos(x[0]), 6 * x[1], 0.0],
            [0.0, 0.0, 6 * x[2]],
        ]
    )


# -- grad, value_and_grad ---------------------------------------------------------------------


def test_grad_matches_the_analytic_gradient_and_finite_differences():
    np.testing.assert_allclose(wg.grad(cubic_and_sine)(X), cubic_and_sine_gradient(X), rtol=1e-14)
    check_grads(cubic_and_sine, (X,), order=3)


def test_grad_of_a_python_float_is_a_python_float():
    gradient = wg.grad(lambda x: x**3)(2.0)
    assert type(gradient) is float
    assert gradient == 12.0


def test_grad_keeps_float32():
    gradient = wg.grad(lambda x: wnp.sum(x * x))(np.array([1.0, 2.0], dtype=np.float32))
    assert gradient.dtype == np.float32
    np.testing.assert_array_equal(gradient, [2.0, 4.0])


def test_value_and_grad_returns_the_value_and_the_gradient():
    value, gradient = wg.value_and_grad(cubic_and_sine)(X)
    assert value == pytest.approx(np.sum(X**3) + np.sin(X[0]) * X[1], rel=1e-15)
    np.testing.assert_allclose(gradient, cubic_and_sine_gradient(X), rtol=1e-14)


@pytest.mark.parametrize(
    ("argnums", "expected"),
    [
        (0, 3.0 * 5.0),
        (1, 2.0 * 5.0),
        (2, 2.0 * 3.0),
        (-1, 2.0 * 3.0),
        ((0, 2), (3.0 * 5.0, 2.0 * 3.0)),
        ((2, 0), (2.0 * 3.0, 3.0 * 5.0)),
        ((1,), (2.0 * 5.0,)),
    ],
    ids=str,
)
def test_grad_argnums_int_and_tuple(argnums, expected):
    # An int gives one gradient, a tuple a tuple of gradients in the order asked for.
    gradient = wg.grad(lambda a, b, c: a * b * c, argnums=argnums)(2.0, 3.0, 5.0)
    assert gradient == expected
    assert isinstance(gradient, tuple) == isinstance(argnums, tuple)


def test_grad_passes_keyword_arguments_through_undifferentiated():
    assert wg.grad(lambda x, scale=1.0: scale * x**2)(3.0, scale=5.0) == 30.0


def test_grad_of_a_function_that_ignores_its_input_is_zero():
    np.testing.assert_array_equal(wg.grad(lambda a, b: wnp.sum(b), argnums=0)(X, X), np.zeros(3))
    assert wg.grad(lambda x: 3.0)(2.0) == 0.0


def test_grad_with_has_aux_returns_the_aux_undifferentiated():
    def loss(x):
        return wnp.sum(x**2), {"norm": wnp.sqrt(wnp.sum(x**2)), "doubled": 2 * x}

    gradient, aux = wg.grad(loss, has_aux=True)(X)
    np.testing.assert_allclose(gradient, 2 * X, rtol=1e-15)
    assert set(aux) == {"norm", "doubled"}
    assert type(aux["doubled"]) is np.ndarray  # a plain array, not a tracer
    np.testing.assert_allclose(aux["doubled"], 2 * X)
    assert float(aux["norm"]) == pytest.approx(np.linalg.norm(X))

    (value, aux), gradient = wg.value_and_grad(loss, has_aux=True)(X)
    assert value == pytest.approx(np.sum(X**2))
    np.testing.assert_allclose(gradient, 2 * X, rtol=1e-15)


# -- pytrees ----------------------------------------------------------------------------------


def affine_loss(params, x):
    """Σ (w·x + b)² for params with fields weight (2×3) and bias (2,)."""
    weight, bias = (params["weight"], params["bias"]) if isinstance(params, dict) else (params.weight, params.bias)
    return wnp.sum((weight @ x + bias) ** 2)


WEIGHT = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
BIAS = np.array([0.1, -0.2])


def affine_gradients():
    residual = WEIGHT @ X + BIAS
    return 2 * np.outer(residual, X), 2 * residual


@pytest.mark.parametrize(
    "make",
    [
        lambda w, b: {"weight": w, "bias": b},
        lambda w, b: Params(w, b),
        lambda w, b: Layer(w, b),
    ],
    ids=["dict", "namedtuple", "dataclass"],
)
def test_grad_of_pytree_parameters_has_their_structure(make):
    gradient = wg.grad(affine_loss)(make(WEIGHT, BIAS), X)
    assert type(gradient) is type(make(WEIGHT, BIAS))
    weight_gradient, bias_gradient = affine_gradients()
    if isinstance(gradient, dict):
        np.testing.assert_allclose(gradient["weight"], weight_gradient, rtol=1e-14)
        np.testing.assert_allclose(gradient["bias"], bias_gradient, rtol=1e-14)
    else:
        np.testing.assert_allclose(gradient.weight, weight_gradient, rtol=1e-14)
        np.testing.assert_allclose(gradient.bias, bias_gradient, rtol=1e-14)


def test_grad_of_nested_tuples_and_lists():
    def f(tree):
        (a, [b, c]) = tree
        return a * b + wnp.sum(c) * a

    gradient = wg.grad(f)((2.0, [3.0, np.array([1.0, 4.0])]))
    assert gradient[0] == 3.0 + 5.0
    assert gradient[1][0] == 2.0
    np.testing.assert_array_equal(gradient[1][1], [2.0, 2.0])
    assert isinstance(gradient, tuple)
    assert isinstance(gradient[1], list)


def test_check_grads_on_pytree_inputs():
    check_grads(lambda p: affine_loss(p, X), ({"weight": WEIGHT, "bias": BIAS},), order=2)


def test_jvp_with_pytree_inputs_and_outputs():
    def f(params):
        return {"scaled": params.weight * params.bias, "total": (wnp.sum(params.weight),)}

    primals = Params(np.array([1.0, 2.0]), 3.0)
    tangents = Params(np.array([1.0, -1.0]), 0.5)
    out, tangent_out = wg.jvp(f, (primals,), (tangents,))
    np.testing.assert_array_equal(out["scaled"], [3.0, 6.0])
    # d(w·b) = dw·b + w·db
    np.testing.assert_array_equal(tangent_out["scaled"], [1.0 * 3.0 + 1.0 * 0.5, -1.0 * 3.0 + 2.0 * 0.5])
    assert tangent_out["total"][0] == 0.0


def test_vjp_with_dataclass_output_and_namedtuple_input():
    def f(params):
        return Layer(weight=params.weight * 2.0, bias=wnp.sum(params.weight) * params.bias)

    primals = Params(np.array([1.0, 2.0]), 3.0)
    out, vjp_fn = wg.vjp(f, primals)
    assert isinstance(out, Layer)
    (cotangent,) = vjp_fn(Layer(np.array([1.0, 10.0]), 1.0))
    assert isinstance(cotangent, Params)
    np.testing.assert_array_equal(cotangent.weight, [2.0 + 3.0, 20.0 + 3.0])
    assert cotangent.bias == 3.0


@pytest.mark.parametrize("jacobian_function", [wg.jacfwd, wg.jacrev, wg.jacobian], ids=lambda f: f.__name__)
def test_jacobians_of_pytrees_are_pytrees_of_blocks(jacobian_function):
    def f(params):
        return {"y": params["w"] * params["b"], "s": wnp.sum(params["w"] ** 2)}

    params = {"w": np.array([1.0, 2.0]), "b": 3.0}
    jac = jacobian_function(f)(params)
    np.testing.assert_array_equal(jac["y"]["w"], 3.0 * np.eye(2))
    np.testing.assert_array_equal(jac["y"]["b"], [1.0, 2.0])
    np.testing.assert_array_equal(jac["s"]["w"], [2.0, 4.0])
    assert float(jac["s"]["b"]) == 0.0
    assert np.shape(jac["s"]["b"]) == ()


@pytest.mark.parametrize("jacobian_function", [wg.jacfwd, wg.jacrev], ids=lambda f: f.__name__)
def test_jacobian_argnums_tuple_and_has_aux(jacobian_function):
    def f(a, b):
        return a * b, {"sum": wnp.sum(a)}

    (jac_a, jac_b), aux = jacobian_function(f, argnums=(0, 1), has_aux=True)(np.array([1.0, 2.0]), 3.0)
    np.testing.assert_array_equal(jac_a, 3.0 * np.eye(2))
    np.testing.assert_array_equal(jac_b, [1.0, 2.0])
    assert float(aux["sum"]) == 3.0


# -- vjp, jvp, linearize ---------------------------------------------------------------------


def test_vjp_fn_can_be_called_several_times_with_different_cotangents():
    matrix = np.array([[1.0, 2.0, 0.0], [0.0, -1.0, 3.0]])

    out, vjp_fn = wg.vjp(lambda x: wnp.tanh(matrix @ x), X)
    jacobian = (1 - np.tanh(matrix @ X) ** 2)[:, None] * matrix
    np.testing.assert_allclose(out, np.tanh(matrix @ X))
    for cotangent in (np.array([1.0, 0.0]), np.array([0.0, 1.0]), np.array([2.0, -3.0]), np.array([1.0, 0.0])):
        (pulled,) = vjp_fn(cotangent)
        np.testing.assert_allclose(pulled, cotangent @ jacobian, rtol=1e-14)


def test_vjp_of_several_primals_returns_one_cotangent_each():
    out, vjp_fn = wg.vjp(lambda a, b: a * b, 2.0, np.array([1.0, 3.0]))
    cotangent_a, cotangent_b = vjp_fn(np.array([1.0, 1.0]))
    assert cotangent_a == 4.0
    np.testing.assert_array_equal(cotangent_b, [2.0, 2.0])


def test_vjp_and_jvp_with_has_aux():
    out, vjp_fn, aux = wg.vjp(lambda a: (a * 2.0, wnp.sum(a)), X, has_aux=True)
    assert float(aux) == pytest.approx(np.sum(X))
    np.testing.assert_array_equal(vjp_fn(np.ones(3))[0], 2.0 * np.ones(3))
    out, tangent, aux = wg.jvp(lambda a: (a * 2.0, wnp.sum(a)), (X,), (np.ones(3),), has_aux=True)
    np.testing.assert_array_equal(tangent, 2.0 * np.ones(3))
    assert float(aux) == pytest.approx(np.sum(X))


def test_jvp_equals_the_jacobian_times_the_tangent():
    tangent = np.array([1.0, -2.0, 0.5])
    out, tangent_out = wg.jvp(cubic_and_sine, (X,), (tangent,))
    assert out == pytest.approx(float(cubic_and_sine(X)), rel=1e-15)
    assert tangent_out == pytest.approx(cubic_and_sine_gradient(X) @ tangent, rel=1e-14)


def test_linearize_equals_jvp_and_does_not_rerun_the_function():
    calls = []

    def f(x, y):
        calls.append(1)
        return wnp.sin(x) * y + x**2

    x, y = np.array([0.3, 1.1]), np.array([2.0, -1.0])
    out, jvp_fn = wg.linearize(f, x, y)
    assert len(calls) == 1
    np.testing.assert_allclose(out, np.sin(x) * y + x**2)
    rng = np.random.default_rng(0)
    directions = [(rng.standard_normal(2), rng.standard_normal(2)) for _ in range(3)]
    linearized = [jvp_fn(tx, ty) for tx, ty in directions]
    assert len(calls) == 1  # the tangent map reuses the recording
    for (tx, ty), tangent_out in zip(directions, linearized):
        np.testing.assert_allclose(tangent_out, wg.jvp(f, (x, y), (tx, ty))[1], rtol=1e-14)
        np.testing.assert_allclose(tangent_out, np.cos(x) * y * tx + np.sin(x) * ty + 2 * x * tx, rtol=1e-14)


# -- Jacobians --------------------------------------------------------------------------------


def random_function(n, m, seed):
    """A random smooth map R^n → R^m and its Jacobian."""
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((m, n))
    b = rng.standard_normal((m, n))

    def f(x):
        return wnp.tanh(a @ x) + b @ (x * x)

    def jacobian(x):
        return (1 - np.tanh(a @ x) ** 2)[:, None] * a + b * (2 * x)[None, :]

    return f, jacobian, rng.standard_normal(n)


@pytest.mark.parametrize(("n", "m"), [(1, 5), (5, 1), (3, 4), (4, 3)], ids=lambda v: str(v))
def test_jacfwd_jacrev_and_jacobian_agree_with_the_analytic_jacobian(n, m):
    f, jacobian, x = random_function(n, m, seed=10 * n + m)
    expected = jacobian(x)
    forward = wg.jacfwd(f)(x)
    reverse = wg.jacrev(f)(x)
    auto = wg.jacobian(f)(x)
    assert forward.shape == reverse.shape == auto.shape == (m, n)
    np.testing.assert_allclose(forward, expected, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(reverse, expected, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(auto, expected, rtol=1e-13, atol=1e-15)
    for mode in ("forward", "reverse"):
        np.testing.assert_allclose(wg.jacobian(f, mode=mode)(x), expected, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize(
    ("n", "m", "mode"),
    [(8, 2000, "forward"), (2000, 8, "reverse"), (3, 3, "reverse")],
    ids=["tall-forward", "wide-reverse", "square-reverse"],
)
def test_jacobian_chooses_forward_for_few_inputs_and_reverse_for_few_outputs(n, m, mode):
    rng = np.random.default_rng(1)
    matrix = rng.standard_normal((m, n)) / np.sqrt(n)
    x = rng.standard_normal(n)
    jacobian = wg.jacobian(lambda v: wnp.tanh(matrix @ v))
    assert jacobian.last_mode is None
    jac = jacobian(x)
    assert jacobian.last_mode == mode
    np.testing.assert_allclose(jac, (1 - np.tanh(matrix @ x) ** 2)[:, None] * matrix, rtol=1e-12, atol=1e-15)


def test_jacobian_explicit_mode_is_honoured_and_recorded():
    jacobian = wg.jacobian(lambda v: wnp.concatenate([v, v**2]), mode="reverse")
    np.testing.assert_array_equal(jacobian(np.array([3.0])), [[1.0], [6.0]])
    assert jacobian.last_mode == "reverse"


@pytest.mark.parametrize("jacobian_function", [wg.jacfwd, wg.jacrev, wg.jacobian], ids=lambda f: f.__name__)
def test_jacobian_of_a_matrix_function_has_shape_out_shape_plus_in_shape(jacobian_function):
    rng = np.random.default_rng(2)
    weight = rng.standard_normal((3, 4))
    inputs = rng.standard_normal((2, 4))

    def f(x):  # (2, 4) -> (2, 3)
        return wnp.sin(x) @ weight.T

    jac = jacobian_function(f)(inputs)
    assert jac.shape == (2, 3, 2, 4)
    # ∂ out[i, j] / ∂ x[k, l] = δ_ik cos(x[k, l]) W[j, l]
    expected = np.einsum("ik,kl,jl->ijkl", np.eye(2), np.cos(inputs), weight)
    np.testing.assert_allclose(jac, expected, rtol=1e-14, atol=1e-16)


@pytest.mark.parametrize("chunk_size", [1, 3, 7, 100])
def test_chunk_size_gives_the_same_jacobian(chunk_size):
    f, jacobian, _ = random_function(5, 4, seed=3)
    x = np.linspace(-1.0, 1.0, 5)
    expected = jacobian(x)
    np.testing.assert_allclose(wg.jacfwd(f, chunk_size=chunk_size)(x), expected, rtol=1e-13)
    np.testing.assert_allclose(wg.jacrev(f, chunk_size=chunk_size)(x), expected, rtol=1e-13)
    for mode in ("forward", "reverse"):
        np.testing.assert_allclose(wg.jacobian(f, mode=mode, chunk_size=chunk_size)(x), expected, rtol=1e-13)


def test_jacobian_of_a_scalar_function_of_a_scalar():
    for jacobian_function in (wg.jacfwd, wg.jacrev, wg.jacobian):
        assert float(jacobian_function(wnp.sin)(0.5)) == pytest.approx(np.cos(0.5), rel=1e-15)


# -- Hessians ---------------------------------------------------------------------------------


def rosenbrock(x):
    return wnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def rosenbrock_hessian(x):
    """The closed form: tridiagonal, H_ii = 1200x_i² − 400x_{i+1} + 2 (+200 if i > 0), H_i,i+1 = −400x_i."""
    n = len(x)
    hessian = np.zeros((n, n))
    for i in range(n - 1):
        hessian[i, i] += 1200 * x[i] ** 2 - 400 * x[i + 1] + 2
        hessian[i + 1, i + 1] += 200
        hessian[i, i + 1] = hessian[i + 1, i] = -400 * x[i]
    return hessian


ROSENBROCK_POINT = np.array([-1.2, 1.0, 0.5, 2.0, -0.3])


def test_hessian_of_rosenbrock_matches_the_closed_form():
    hessian = wg.hessian(rosenbrock)(ROSENBROCK_POINT)
    np.testing.assert_allclose(hessian, rosenbrock_hessian(ROSENBROCK_POINT), rtol=1e-13, atol=1e-12)
    np.testing.assert_array_equal(hessian, hessian.T)
    # At the minimum (1, …, 1) the Hessian is positive definite.
    assert np.all(np.linalg.eigvalsh(wg.hessian(rosenbrock)(np.ones(5))) > 0)


def test_hessian_of_a_function_of_a_matrix_has_shape_in_shape_twice():
    hessian = wg.hessian(lambda m: wnp.sum(m**3))(np.arange(6.0).reshape(2, 3))
    assert hessian.shape == (2, 3, 2, 3)
    np.testing.assert_array_equal(hessian.reshape(6, 6), np.diag(6 * np.arange(6.0)))


def test_hvp_equals_the_hessian_times_the_vector():
    rng = np.random.default_rng(4)
    hessian = rosenbrock_hessian(ROSENBROCK_POINT)
    for _ in range(3):
        v = rng.standard_normal(5)
        np.testing.assert_allclose(wg.hvp(rosenbrock, (ROSENBROCK_POINT,), (v,)), hessian @ v, rtol=1e-12)


@pytest.mark.parametrize("layout", ["C", "F"])
@pytest.mark.parametrize("side", ["matrix @ dual", "dual @ matrix"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.complex128])
def test_product_of_a_large_matrix_and_a_dual_vector_reads_it_once(monkeypatch, layout, side, dtype):
    # The fused pass (row blocks used for primal and tangent) equals two plain products.
    from wengert.numpy import products

    monkeypatch.setattr(products, "_FUSE_MIN_ELEMENTS", 1)
    monkeypatch.setattr(products, "_FUSE_BLOCK_BYTES", 64)  # several blocks, a ragged last one
    rng = np.random.default_rng(7)
    matrix = np.asarray(rng.standard_normal((37, 23)), dtype=dtype, order=layout)
    rows, cols = matrix.shape
    x, x_dot = rng.standard_normal((2, cols if side == "matrix @ dual" else rows))
    fused = products._matmul_fused(
        [matrix, x] if side == "matrix @ dual" else [x, matrix], [None, x_dot][:: 1 if side == "matrix @ dual" else -1]
    )
    assert fused is not None
    expected = (matrix @ x, matrix @ x_dot) if side == "matrix @ dual" else (x @ matrix, x_dot @ matrix)
    tolerance = 1e-5 if dtype == np.float32 else 1e-13
    for got, want in zip(fused, expected):
        assert got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=tolerance, atol=tolerance)
    # Through the public transforms.
    f = (lambda v: wnp.sin(matrix @ v)) if side == "matrix @ dual" else (lambda v: wnp.sin(v @ matrix))
    out, tangent = wg.jvp(f, (x,), (x_dot,))
    product, product_dot = expected
    np.testing.assert_allclose(out, np.sin(product), rtol=tolerance, atol=tolerance)
    np.testing.assert_allclose(tangent, np.cos(product) * product_dot, rtol=tolerance, atol=tolerance)


def test_hvp_with_a_large_matrix_matches_the_closed_form():
    # B6's function at a size where the fused product and the skipped primal gradient are used.
    rng = np.random.default_rng(0)
    n = 600
    A = rng.standard_normal((n, n)) / np.sqrt(n)
    x, v = rng.standard_normal((2, n))

    def f(x):
        return wnp.sum(wnp.log(1.0 + (A @ x) ** 2))

    y = A @ x
    expected = A.T @ ((2 - 2 * y**2) / (1 + y**2) ** 2 * (A @ v))
    np.testing.assert_allclose(wg.hvp(f, (x,), (v,)), expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(wg.jvp(wg.grad(f), (x,), (v,))[1], expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(wg.hessian(f)(x) @ v, expected, rtol=1e-10, atol=1e-10)


def test_hvp_of_several_arguments():
    # f = x²y: H = [[2y, 2x], [2x, 0]]; H·(1, 0) = (2y, 2x)
    assert wg.hvp(lambda x, y: x**2 * y, (2.0, 3.0), (1.0, 0.0)) == (6.0, 4.0)


def test_third_derivative_of_sine_is_minus_cosine():
    third = wg.grad(wg.grad(wg.grad(wnp.sin)))
    for x in (0.0, 0.7, -2.5):
        assert third(x) == pytest.approx(-np.cos(x), rel=1e-15, abs=1e-16)


def test_mixed_hessians_agree_with_each_other():
    expected = cubic_and_sine_hessian(X)
    for name, make in {
        "jacfwd(jacrev)": lambda f: wg.jacfwd(wg.jacrev(f)),
        "jacrev(jacrev)": lambda f: wg.jacrev(wg.jacrev(f)),
        "jacfwd(jacfwd)": lambda f: wg.jacfwd(wg.jacfwd(f)),
        "jacrev(jacfwd)": lambda f: wg.jacrev(wg.jacfwd(f)),
        "jacfwd(grad)": lambda f: wg.jacfwd(wg.grad(f)),
        "hessian": wg.hessian,
    }.items():
        np.testing.assert_allclose(make(cubic_and_sine)(X), expected, rtol=1e-14, atol=1e-15, err_msg=name)


# -- every transform is itself differentiable (finite differences) ----------------------------


TANGENT = np.array([0.5, -1.0, 2.0])
DERIVED = {
    "grad": wg.grad(cubic_and_sine),
    "value_and_grad": lambda x: wg.value_and_grad(cubic_and_sine)(x)[1],
    "vjp": lambda x: wg.vjp(lambda v: wnp.sin(v) * v[0], x)[1](TANGENT)[0],
    "jvp": lambda x: wg.jvp(lambda v: wnp.sin(v) * v[0], (x,), (TANGENT,))[1],
    "linearize": lambda x: wg.linearize(lambda v: wnp.sin(v) * v[0], x)[1](TANGENT),
    "jacfwd": wg.jacfwd(lambda v: wnp.tanh(v) * v[1]),
    "jacrev": wg.jacrev(lambda v: wnp.tanh(v) * v[1]),
    "jacobian": wg.jacobian(lambda v: wnp.tanh(v) * v[1]),
    "hessian": wg.hessian(cubic_and_sine),
    "hvp": lambda x: wg.hvp(cubic_and_sine, (x,), (TANGENT,)),
    "vmap": lambda x: wg.vmap(lambda row: wnp.sum(wnp.sin(row) * x))(np.outer(x, x)),
}


@pytest.mark.parametrize("name", DERIVED)
def test_derivative_functions_pass_check_grads(name):
    check_grads(DERIVED[name], (X,), order=2)


# -- vmap -------------------------------------------------------------------------------------


def test_vmap_of_grad_is_the_per_example_gradient():
    rows = np.array([[1.0, 2.0], [3.0, -4.0], [0.5, 0.0]])
    np.testing.assert_array_equal(wg.vmap(wg.grad(lambda r: wnp.sum(r**3)))(rows), 3 * rows**2)


def test_grad_of_vmap():
    rows = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(wg.grad(lambda m: wnp.sum(wg.vmap(lambda r: wnp.dot(r, r))(m)))(rows), 2 * rows)


def test_vmap_axes():
    matrix = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(wg.vmap(lambda a, b: a * b, in_axes=(0, None))(np.arange(3.0), 2.0), [0, 2, 4])
    np.testing.assert_array_equal(wg.vmap(wnp.sum, in_axes=1)(matrix), matrix.sum(axis=0))
    np.testing.assert_array_equal(wg.vmap(lambda r: r * 2, out_axes=1)(matrix), (2 * matrix).T)
    np.testing.assert_array_equal(wg.vmap(wg.vmap(lambda a: a * a))(matrix), matrix**2)
    np.testing.assert_array_equal(wg.vmap(lambda p: p["a"] * p["b"])({"a": np.arange(3.0), "b": np.ones(3)}), [0, 1, 2])


def test_vmap_of_jvp_and_of_vjp_give_the_jacobian():
    x = np.array([0.3, 1.4])
    expected = np.diag(np.cos(x))
    np.testing.assert_allclose(wg.vmap(lambda v: wg.jvp(wnp.sin, (x,), (v,))[1])(np.eye(2)), expected, atol=1e-16)
    np.testing.assert_allclose(wg.vmap(lambda c: wg.vjp(wnp.sin, x)[1](c)[0])(np.eye(2)), expected, atol=1e-16)


# -- perturbation confusion through the public transforms ------------------------------------


def forward_derivative(f):
    return lambda x: wg.jvp(f, (x,), (1.0,))[1]


DERIVATIVES = {"jvp": forward_derivative, "grad": wg.grad}


@pytest.mark.parametrize("inner", DERIVATIVES)
@pytest.mark.parametrize("outer", DERIVATIVES)
def test_perturbation_confusion_all_four_nestings(outer, inner):
    # d/dx [x · d/dy (x + y)] = d/dx [x · 1] = 1; confusing the perturbations gives 2.
    assert DERIVATIVES[outer](lambda x: x * DERIVATIVES[inner](lambda y: x + y)(1.0))(1.0) == 1.0


@pytest.mark.parametrize("inner", DERIVATIVES)
@pytest.mark.parametrize("outer", DERIVATIVES)
def test_inner_derivative_of_a_constant_is_zero_at_every_nesting(outer, inner):
    # autodidax's should_be_zero: the inner derivative of a function that ignores y is 0.
    def f(x):
        should_be_zero = DERIVATIVES[inner](lambda y: x)(0.0)
        return x * 3.0 + should_be_zero

    assert DERIVATIVES[outer](f)(2.0) == 3.0


JACOBIANS = {"jacfwd": wg.jacfwd, "jacrev": wg.jacrev}


@pytest.mark.parametrize("inner", JACOBIANS)
@pytest.mark.parametrize("outer", JACOBIANS)
def test_perturbation_confusion_with_jacobians(outer, inner):
    # The inner Jacobian of Σ(x + y) in y is all ones, whatever x: the outer Jacobian of 2x is 2I.
    x0 = np.array([1.0, 2.0])

    def f(x):
        return x * wnp.sum(JACOBIANS[inner](lambda y: wnp.sum(x + y))(x0))

    np.testing.assert_array_equal(JACOBIANS[outer](f)(x0), 2.0 * np.eye(2))


def test_perturbation_confusion_with_vmap_between_two_grads():
    ys = np.array([0.5, 1.5, 2.0])

    # d/dx Σ_y d/dz (x·z·y) = d/dx Σ_y x·y = Σ y
    def f(x):
        return wnp.sum(wg.vmap(lambda y: wg.grad(lambda z: x * z * y)(1.0))(ys))

    assert wg.grad(f)(0.7) == pytest.approx(4.0, rel=1e-15)
    assert forward_derivative(f)(0.7) == pytest.approx(4.0, rel=1e-15)


@pytest.mark.parametrize("jacobian_function", [wg.jacfwd, wg.jacrev], ids=lambda f: f.__name__)
def test_jacobian_of_vmap_and_vmap_of_jacobian(jacobian_function):
    ys = np.array([0.5, 1.5, 2.0])
    np.testing.assert_array_equal(jacobian_function(lambda x: wg.vmap(lambda y: x * y)(ys))(0.5), ys)
    xs = np.array([1.0, 2.0])
    np.testing.assert_array_equal(wg.vmap(lambda x: jacobian_function(lambda y: x * y**2)(3.0))(xs), 6.0 * xs)


def test_grad_inside_jvp_inside_grad():
    # g(x) = x · d/dy [x·y² · d/dz(y·z)] at y = 2: the inner grad is y, so g = x · 3x·y² = 12x², g' = 24x.
    def g(x):
        return x * forward_derivative(lambda y: x * y**2 * wg.grad(lambda z: y * z)(3.0))(2.0)

    assert wg.grad(g)(1.5) == pytest.approx(24 * 1.5, rel=1e-15)


# -- errors -----------------------------------------------------------------------------------


def test_grad_of_a_non_scalar_output_says_so():
    with pytest.raises(TypeError, match=r"scalar output.*shape \(3,\).*jacrev"):
        wg.grad(lambda x: x * 2.0)(X)


def test_grad_of_a_tuple_output_says_so():
    with pytest.raises(TypeError, match="single scalar output"):
        wg.grad(lambda x: (wnp.sum(x), wnp.sum(x)))(X)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (3, r"argument 0 is an integer \(3\).*Pass 3.0"),
        (True, "argument 0 is an integer"),
        (np.array([1, 2]), "argument 0 has dtype int64"),
        (1j, "argument 0 is complex"),
    ],
    ids=["int", "bool", "int-array", "complex"],
)
def test_grad_of_a_non_float_input_says_so(value, message):
    with pytest.raises(TypeError, match=message):
        wg.grad(lambda x: wnp.sum(x * 2.0))(value)


def test_jvp_and_jacobians_of_integer_inputs_say_so():
    with pytest.raises(TypeError, match="primal 0 is an integer"):
        wg.jvp(wnp.sin, (3,), (1,))
    with pytest.raises(TypeError, match="jacfwd: input has dtype int64"):
        wg.jacfwd(lambda x: x * 2.0)(np.arange(3))
    with pytest.raises(TypeError, match="jacrev: argument 0 has dtype int64"):
        wg.jacrev(lambda x: x * 2.0)(np.arange(3))
    with pytest.raises(TypeError, match="jacobian: argument 0 is an integer"):
        wg.jacobian(lambda x: x * 2.0)(2)


def test_argnums_out_of_range_says_so():
    with pytest.raises(ValueError, match="argnums 1 is out of range"):
        wg.grad(lambda x: x * 2.0, argnums=1)(1.0)


def test_has_aux_without_a_pair_says_so():
    with pytest.raises(TypeError, match=r"has_aux=True.*pair"):
        wg.grad(lambda x: wnp.sum(x), has_aux=True)(X)


def test_jvp_with_a_mismatched_tangent_shape_says_so():
    with pytest.raises(ValueError, match=r"tangent 0 has shape \(2,\) but its primal has shape \(3,\)"):
        wg.jvp(wnp.sin, (X,), (np.ones(2),))
    with pytest.raises(ValueError, match="different structures"):
        wg.jvp(lambda a, b: a * b, (X, X), (np.ones(3),))
    with pytest.raises(TypeError, match="as tuples"):
        wg.jvp(wnp.sin, X, np.ones(3))


def test_linearize_with_a_mismatched_tangent_says_so():
    _, jvp_fn = wg.linearize(wnp.sin, X)
    with pytest.raises(ValueError, match=r"tangent 0 has shape \(2,\), its primal \(3,\)"):
        jvp_fn(np.ones(2))
    with pytest.raises(ValueError, match="do not match the primals"):
        jvp_fn(np.ones(3), np.ones(3))


def test_vjp_fn_with_the_wrong_cotangent_structure_or_shape_says_so():
    _, vjp_fn = wg.vjp(lambda a: (a * 2.0, wnp.sum(a)), X)
    with pytest.raises(ValueError, match=r"structure \* does not match the output's tuple\(\*, \*\)"):
        vjp_fn(np.ones(3))
    with pytest.raises(ValueError, match="structure list"):
        vjp_fn([np.ones(3), 1.0])
    with pytest.raises(ValueError, match=r"cotangent has shape \(2,\) but the output has shape \(3,\)"):
        vjp_fn((np.ones(2), 1.0))
    # After the errors the function still works.
    np.testing.assert_array_equal(vjp_fn((np.ones(3), 1.0))[0], 3.0 * np.ones(3))


def test_jacobian_with_an_unknown_mode_says_so():
    with pytest.raises(ValueError, match="mode must be 'auto', 'forward' or 'reverse'"):
        wg.jacobian(wnp.sin, mode="fast")


def test_vmap_with_mismatched_batch_sizes_says_so():
    with pytest.raises(ValueError, match=r"different batch sizes \[2, 3\]"):
        wg.vmap(lambda a, b: a + b)(np.ones(2), np.ones(3))
    with pytest.raises(ValueError, match="at least one argument with a batch axis"):
        wg.vmap(lambda a: a, in_axes=None)(np.ones(2))


# -- regression: a derivative that overflows under batching ------------------------------------


def test_jacobians_where_the_derivative_overflows():
    # The 0·∞ = 0 guard must build its mask per example under vmap (it once used the raw batched
    # array as an unbatched constant: jacfwd(exp) had shape (2, 2, 2) with NaN and jacrev raised).
    x = np.array([1000.0, 0.0])
    with np.errstate(over="ignore", invalid="ignore"):
        for jacobian_function in (wg.jacfwd, wg.jacrev):
            jac = jacobian_function(wnp.exp)(x)
            assert jac.shape == (2, 2)
            np.testing.assert_array_equal(jac, [[np.inf, 0.0], [0.0, 1.0]])
        hessian = wg.hessian(lambda v: wnp.sum(wnp.log(1.0 + wnp.exp(v))))(x)
    np.testing.assert_array_equal(hessian, [[0.0, 0.0], [0.0, 0.25]])


# -- known bugs ---------------------------------------------------------------------------------


@pytest.mark.parametrize("jacobian_function", [wg.jacfwd, wg.jacrev, wg.jacobian], ids=lambda f: f.__name__)
def test_jacobian_of_a_tuple_valued_function(jacobian_function):
    x = np.array([1.0, 2.0])
    jac = jacobian_function(lambda a: (a * 2.0, a * 3.0))(x)
    assert isinstance(jac, tuple)
    assert len(jac) == 2
    np.testing.assert_array_equal(jac[0], 2.0 * np.eye(2))
    np.testing.assert_array_equal(jac[1], 3.0 * np.eye(2))


def test_hessian_with_respect_to_a_tuple_argument():
    x = np.array([1.0, 2.0])
    hessian = wg.hessian(lambda pair: wnp.sum(pair[0] * pair[1]))((x, x))
    assert len(hessian) == 2
    np.testing.assert_array_equal(hessian[0][1], np.eye(2))
    np.testing.assert_array_equal(hessian[1][0], np.eye(2))
    np.testing.assert_array_equal(hessian[1][1], np.zeros((2, 2)))


@pytest.mark.parametrize(
    "call",
    [
        lambda f, x: wg.jvp(f, (x,), (x,), has_aux=True),
        lambda f, x: wg.jacfwd(f, has_aux=True)(x),
    ],
    ids=["jvp", "jacfwd"],
)
def test_forward_mode_has_aux_without_a_pair_says_so(call):
    with pytest.raises(TypeError, match=r"has_aux=True.*pair"):
        call(lambda a: a * 2.0, np.array([1.0, 2.0]))
