"""wengert.numpy.linalg: values against NumPy, derivatives against finite differences and
closed forms, the adjoint identity between each JVP and VJP rule, and the errors for bad shapes."""

import re

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert.core import primal_value
from wengert.numpy import linalg
from wengert.testing import check_adjoint, check_grads

RNG = np.random.default_rng(20240611)


def spd(n, batch=()):
    """A symmetric positive definite Q diag(1..n) Qᵀ + I/2, eigenvalues well apart."""
    q, _ = np.linalg.qr(RNG.standard_normal((*batch, n, n)))
    m = q @ (np.arange(1.0, n + 1) * np.eye(n)) @ np.swapaxes(q, -1, -2) + 0.5 * np.eye(n)
    return (m + np.swapaxes(m, -1, -2)) / 2  # exactly symmetric


def general(n, batch=()):
    """A well-conditioned non-symmetric matrix."""
    return spd(n, batch) + 0.3 * RNG.standard_normal((*batch, n, n))


def vectors(*shape):
    return RNG.standard_normal(shape)


def fixed_sign(v):
    """Eigenvectors with the sign convention 'first component positive' (a constant factor)."""
    return v * wnp.sign(v[..., :1, :])


def tall(m, n, batch=()):
    """A well-conditioned m x n matrix (m >= n) with distinct singular values: Q diag(n..1) + noise."""
    q, _ = np.linalg.qr(RNG.standard_normal((*batch, m, n)))
    return q * np.arange(n, 0, -1.0)[None, :] + 0.1 * RNG.standard_normal((*batch, m, n))


def wide(m, n, batch=()):
    return np.swapaxes(tall(n, m, batch), -1, -2)


def qr_canonical(a, mode="reduced"):
    """Q and R with R's diagonal made positive: the QR factors whatever the library's sign convention."""
    q, r = linalg.qr(a, mode=mode)
    signs = wnp.sign(wnp.diagonal(r, 0, -2, -1)[..., : q.shape[-1]])
    return q * signs[..., None, :], r * signs[..., :, None]


def svd_canonical(a):
    """U, s, V of the reduced SVD, each singular pair's sign fixed by U's first row (sign-invariant)."""
    u, s, vh = linalg.svd(a, full_matrices=False)
    signs = wnp.sign(u[..., :1, :])
    return u * signs, s, wnp.swapaxes(vh, -1, -2) * signs


def numpy_norm_quietly(order, norm_function=np.linalg.norm):
    """A vector norm of a negative order, without NumPy's divide-by-zero warning at a zero entry."""

    def norm(x):
        with np.errstate(divide="ignore"):
            return norm_function(x, order)

    return norm


def traced_value(function, args):
    """The primal output of ``function`` evaluated on dual numbers (the traced code path)."""
    return wg.jvp(function, tuple(args), tuple(np.zeros_like(a) for a in args))[0]


# One line per (function, shapes): each is checked to second order in both modes and for adjointness.
GRAD_CASES = [
    ("inv", linalg.inv, lambda: (general(3),)),
    ("inv_batched", linalg.inv, lambda: (general(3, (2,)),)),
    ("solve_vector", linalg.solve, lambda: (general(3), vectors(3))),
    ("solve_matrix", linalg.solve, lambda: (general(3), vectors(3, 2))),
    ("solve_batched", linalg.solve, lambda: (general(3, (2,)), vectors(2, 3, 2))),
    ("solve_batched_a_vector_b", linalg.solve, lambda: (general(3, (2,)), vectors(3))),
    ("solve_broadcast_b", linalg.solve, lambda: (general(3, (2, 1)), vectors(4, 3, 2))),
    ("solve_triangular_lower", linalg.solve_triangular, lambda: (general(3), vectors(3))),
    (
        "solve_triangular_upper",
        lambda a, b: linalg.solve_triangular(a, b, lower=False),
        lambda: (general(3, (2,)), vectors(3, 2)),
    ),
    ("det", linalg.det, lambda: (general(3),)),
    ("det_batched", linalg.det, lambda: (general(3, (2,)),)),
    ("det_1x1", linalg.det, lambda: (general(1),)),
    ("logabsdet", lambda a: linalg.slogdet(a)[1], lambda: (general(3),)),
    ("logabsdet_negative_batched", lambda a: linalg.slogdet(a)[1], lambda: (-general(3, (2,)),)),
    ("cholesky", linalg.cholesky, lambda: (spd(3),)),
    ("cholesky_batched", linalg.cholesky, lambda: (spd(3, (2,)),)),
    ("eigvalsh", linalg.eigvalsh, lambda: (spd(3),)),
    ("eigvalsh_batched", linalg.eigvalsh, lambda: (spd(4, (2,)),)),
    ("eigh_values", lambda a: linalg.eigh(a)[0], lambda: (spd(3),)),
    ("eigh_vectors", lambda a: fixed_sign(linalg.eigh(a)[1]), lambda: (spd(3),)),
    ("eigh_vectors_batched", lambda a: fixed_sign(linalg.eigh(a)[1]), lambda: (spd(3, (2,)),)),
    ("eigh_both", lambda a: linalg.eigh(a)[0][..., None] * fixed_sign(linalg.eigh(a)[1]), lambda: (spd(3),)),
    ("norm_2", linalg.norm, lambda: (vectors(4),)),
    ("norm_1", lambda x: linalg.norm(x, 1), lambda: (vectors(4),)),
    ("norm_inf", lambda x: linalg.norm(x, np.inf), lambda: (vectors(4),)),
    ("norm_minus_inf", lambda x: linalg.norm(x, -np.inf), lambda: (vectors(4),)),
    ("norm_3", lambda x: linalg.norm(x, 3), lambda: (vectors(4),)),
    ("norm_1.5", lambda x: linalg.norm(x, 1.5), lambda: (vectors(4),)),
    ("norm_axis_keepdims", lambda x: linalg.norm(x, axis=1, keepdims=True), lambda: (vectors(3, 4),)),
    ("norm_negative_axis", lambda x: linalg.norm(x, 2, axis=-2), lambda: (vectors(3, 4, 2),)),
    ("norm_flattened", linalg.norm, lambda: (vectors(2, 3, 2),)),
    ("norm_fro", lambda x: linalg.norm(x, "fro"), lambda: (vectors(3, 4),)),
    (
        "norm_fro_axes",
        lambda x: linalg.norm(x, "fro", axis=(0, 2), keepdims=True),
        lambda: (vectors(3, 2, 4),),
    ),
    ("norm_matrix_1", lambda x: linalg.norm(x, 1), lambda: (vectors(3, 4),)),
    ("norm_matrix_minus_inf", lambda x: linalg.norm(x, -np.inf, axis=(2, 0)), lambda: (vectors(3, 4, 2),)),
    ("norm_spectral", lambda x: linalg.norm(x, 2), lambda: (vectors(3, 4),)),
    ("norm_nuclear", lambda x: linalg.norm(x, "nuc", keepdims=True), lambda: (vectors(4, 3),)),
    ("trace", linalg.trace, lambda: (vectors(3, 4),)),
    ("trace_offset_axes", lambda x: wnp.trace(x, -1, 2, 0), lambda: (vectors(3, 4, 5),)),
    ("matrix_power_3", lambda a: linalg.matrix_power(a, 3), lambda: (general(3),)),
    ("matrix_power_minus_2", lambda a: linalg.matrix_power(a, -2), lambda: (general(3, (2,)),)),
    ("matrix_power_minus_1", lambda a: linalg.matrix_power(a, -1), lambda: (general(3),)),
    ("matrix_power_1", lambda a: linalg.matrix_power(a, 1), lambda: (general(3),)),
    ("matrix_power_0", lambda a: linalg.matrix_power(a, 0) + a, lambda: (general(3, (2,)),)),
    ("cholesky_upper", lambda a: linalg.cholesky(a, upper=True), lambda: (spd(3),)),
    ("eigh_lower_triangle", lambda a: linalg.eigh(a, UPLO="L")[0], lambda: (general(3),)),
    ("eigh_upper_triangle_vectors", lambda a: fixed_sign(linalg.eigh(a, UPLO="U")[1]), lambda: (general(3, (2,)),)),
    ("eigvalsh_upper_triangle", lambda a: linalg.eigvalsh(a, "U"), lambda: (general(3),)),
    # eig of a matrix made symmetric (finite differences step in every direction)
    ("eig_symmetric", lambda a: fixed_sign(linalg.eig(a + a.T)[1]) * linalg.eig(a + a.T)[0], lambda: (spd(3),)),
    ("norm_minus_1", lambda x: linalg.norm(x, -1), lambda: (vectors(4),)),
    ("norm_minus_2", lambda x: linalg.norm(x, -2), lambda: (vectors(4),)),
    ("norm_0.5", lambda x: linalg.norm(x, 0.5, axis=0), lambda: (vectors(4, 2),)),
    ("norm_minus_1.5", lambda x: linalg.norm(x, -1.5), lambda: (vectors(3),)),
    ("norm_matrix_inf", lambda x: linalg.norm(x, np.inf, axis=(1, 2)), lambda: (vectors(2, 3, 4),)),
    ("norm_matrix_minus_1", lambda x: linalg.norm(x, -1), lambda: (vectors(3, 4),)),
    ("norm_matrix_minus_2", lambda x: linalg.norm(x, -2, axis=(2, 1), keepdims=True), lambda: (tall(4, 3, (2,)),)),
    ("norm_nuclear_wide", lambda x: linalg.norm(x, "nuc"), lambda: (wide(2, 4),)),
    # decompositions (linalg_decompositions.py): sign-invariant functions of the factors
    ("qr_tall", qr_canonical, lambda: (tall(4, 3),)),
    ("qr_square_batched", qr_canonical, lambda: (tall(3, 3, (2,)),)),
    ("qr_wide", qr_canonical, lambda: (wide(2, 4),)),
    ("qr_r_mode", lambda a: linalg.qr(a, mode="r") ** 2, lambda: (tall(4, 2),)),
    ("qr_complete_square", lambda a: qr_canonical(a, "complete"), lambda: (tall(3, 3),)),
    ("svd_values", lambda a: linalg.svd(a, compute_uv=False), lambda: (tall(4, 3),)),
    ("svdvals_wide_batched", linalg.svdvals, lambda: (wide(2, 3, (2,)),)),
    ("svd_tall", svd_canonical, lambda: (tall(4, 3),)),
    ("svd_wide", svd_canonical, lambda: (wide(3, 4),)),
    ("svd_square_batched", svd_canonical, lambda: (tall(3, 3, (2,)),)),
    (
        "svd_reconstruction",
        lambda a: (lambda u, s, vh: (u * s[..., None, :]) @ vh)(*linalg.svd(a, False)),
        lambda: (tall(3, 2),),
    ),
    ("svd_hermitian", lambda a: linalg.svd(a, hermitian=True)[1], lambda: (general(3),)),
    ("pinv_tall", linalg.pinv, lambda: (tall(4, 3),)),
    ("pinv_wide_batched", linalg.pinv, lambda: (wide(2, 3, (2,)),)),
    ("pinv_hermitian", lambda a: linalg.pinv(a, hermitian=True), lambda: (general(3),)),
    ("lstsq_overdetermined", lambda a, b: linalg.lstsq(a, b)[0], lambda: (tall(5, 3), vectors(5))),
    ("lstsq_underdetermined", lambda a, b: linalg.lstsq(a, b)[0], lambda: (wide(2, 4), vectors(2, 3))),
    ("lstsq_residuals", lambda a, b: linalg.lstsq(a, b)[1], lambda: (tall(5, 2), vectors(5, 2))),
    ("cond_2", linalg.cond, lambda: (general(3),)),
    ("cond_fro", lambda a: linalg.cond(a, "fro"), lambda: (general(3, (2,)),)),
]


@pytest.mark.parametrize("name, function, make_args", GRAD_CASES, ids=[case[0] for case in GRAD_CASES])
def test_second_order_derivatives_match_finite_differences(name, function, make_args):
    check_grads(function, make_args(), order=2, modes=("fwd", "rev"))


@pytest.mark.parametrize("name, function, make_args", GRAD_CASES, ids=[case[0] for case in GRAD_CASES])
def test_jvp_and_vjp_are_adjoint(name, function, make_args):
    check_adjoint(function, make_args())


def test_log_determinant_to_third_order():
    check_grads(lambda a: linalg.slogdet(a)[1], (general(3),), order=3, modes=("rev",))


# -- values against NumPy --------------------------------------------------------------------------


def _signs_fixed(vectors):
    """Eigenvectors with each column's largest entry made positive (their sign is arbitrary)."""
    raw = primal_value(vectors)  # the signs are read off the values (a constant factor)
    columns = np.argmax(np.abs(raw), axis=-2)
    signs = np.sign(np.take_along_axis(raw, columns[..., None, :], axis=-2))
    return vectors * signs


VALUE_CASES = [
    ("inv", linalg.inv, np.linalg.inv, lambda: (general(3, (2,)),)),
    ("solve", linalg.solve, np.linalg.solve, lambda: (general(3, (2,)), vectors(3))),
    ("solve_matrix", linalg.solve, np.linalg.solve, lambda: (general(3), vectors(3, 4))),
    ("det", linalg.det, np.linalg.det, lambda: (general(3, (2,)),)),
    ("logabsdet", lambda a: linalg.slogdet(a)[1], lambda a: np.linalg.slogdet(a)[1], lambda: (-general(3),)),
    ("cholesky", linalg.cholesky, np.linalg.cholesky, lambda: (spd(4, (2,)),)),
    ("eigvalsh", linalg.eigvalsh, np.linalg.eigvalsh, lambda: (spd(4),)),
    ("eigh_values", lambda a: linalg.eigh(a)[0], lambda a: np.linalg.eigh(a)[0], lambda: (spd(4),)),
    ("eigh_vectors", lambda a: linalg.eigh(a)[1], lambda a: np.linalg.eigh(a)[1], lambda: (spd(3, (2,)),)),
    ("norm", linalg.norm, np.linalg.norm, lambda: (vectors(2, 3, 2),)),
    ("norm_3", lambda x: linalg.norm(x, 3), lambda x: np.linalg.norm(x, 3), lambda: (vectors(5),)),
    (
        "norm_0",
        lambda x: linalg.norm(x, 0),
        lambda x: np.linalg.norm(x, 0),
        lambda: (np.array([0.0, 2.0, 0.0]),),
    ),
    (
        "norm_nuc",
        lambda x: linalg.norm(x, "nuc"),
        lambda x: np.linalg.norm(x, "nuc"),
        lambda: (vectors(3, 5),),
    ),
    ("norm_2_matrix", lambda x: linalg.norm(x, 2), lambda x: np.linalg.norm(x, 2), lambda: (vectors(5, 3),)),
    ("norm_minus_2", lambda x: linalg.norm(x, -2), lambda x: np.linalg.norm(x, -2), lambda: (vectors(3, 3),)),
    (
        "norm_inf_axes",
        lambda x: linalg.norm(x, np.inf, axis=(0, 2), keepdims=True),
        lambda x: np.linalg.norm(x, np.inf, axis=(0, 2), keepdims=True),
        lambda: (vectors(3, 2, 4),),
    ),
    ("trace", linalg.trace, np.trace, lambda: (vectors(4, 3),)),
    (
        "trace_offset",
        lambda x: wnp.trace(x, 1, 1, 2),
        lambda x: np.trace(x, 1, 1, 2),
        lambda: (vectors(2, 3, 4),),
    ),
    ("trace_empty", lambda x: wnp.trace(x, 5), lambda x: np.trace(x, 5), lambda: (vectors(3, 3),)),
    (
        "matrix_power",
        lambda a: linalg.matrix_power(a, 5),
        lambda a: np.linalg.matrix_power(a, 5),
        lambda: (general(3),),
    ),
    (
        "matrix_power_0",
        lambda a: linalg.matrix_power(a, 0),
        lambda a: np.linalg.matrix_power(a, 0),
        lambda: (general(3, (2,)),),
    ),
    (
        "matrix_power_minus_3",
        lambda a: linalg.matrix_power(a, -3),
        lambda a: np.linalg.matrix_power(a, -3),
        lambda: (general(3, (2,)),),
    ),
    (
        "cholesky_upper",
        lambda a: linalg.cholesky(a, upper=True),
        lambda a: np.linalg.cholesky(a, upper=True),
        lambda: (spd(3),),
    ),
    ("eigh_L", lambda a: linalg.eigh(a, "L")[0], lambda a: np.linalg.eigh(a, "L")[0], lambda: (general(4, (2,)),)),
    (
        "eigh_U_vectors",  # each column up to its sign: LAPACK's choice may differ between the two triangles
        lambda a: _signs_fixed(linalg.eigh(a, "U")[1]),
        lambda a: _signs_fixed(np.linalg.eigh(a, "U")[1]),
        lambda: (general(3),),
    ),
    ("eigvalsh_U", lambda a: linalg.eigvalsh(a, "U"), lambda a: np.linalg.eigvalsh(a, "U"), lambda: (general(4),)),
    ("norm_minus_1", lambda x: linalg.norm(x, -1), lambda x: np.linalg.norm(x, -1), lambda: (vectors(4),)),
    ("norm_0.5_axis", lambda x: linalg.norm(x, 0.5, 1), lambda x: np.linalg.norm(x, 0.5, 1), lambda: (vectors(2, 3),)),
    (
        "norm_minus_2_zero_entry",
        numpy_norm_quietly(-2, linalg.norm),  # plain values go to NumPy, and its warning
        numpy_norm_quietly(-2),
        lambda: (np.array([0.0, 1.0]),),
    ),
    ("qr", lambda a: linalg.qr(a), np.linalg.qr, lambda: (tall(4, 3, (2,)),)),
    ("qr_wide", lambda a: linalg.qr(a), np.linalg.qr, lambda: (wide(2, 4),)),
    ("qr_r", lambda a: linalg.qr(a, "r"), lambda a: np.linalg.qr(a, "r"), lambda: (tall(4, 3),)),
    ("svd_reduced", lambda a: linalg.svd(a, False), lambda a: np.linalg.svd(a, False), lambda: (wide(3, 5, (2,)),)),
    (
        "svd_values",
        lambda a: linalg.svd(a, compute_uv=False),
        lambda a: np.linalg.svd(a, compute_uv=False),
        lambda: (tall(4, 2),),
    ),
    (
        "svd_hermitian",
        lambda a: linalg.svd(a, hermitian=True),
        lambda a: np.linalg.svd(a, hermitian=True),
        lambda: (general(3),),
    ),
    ("svdvals", linalg.svdvals, np.linalg.svdvals, lambda: (wide(2, 3),)),
    ("pinv", linalg.pinv, np.linalg.pinv, lambda: (tall(4, 3, (2,)),)),
    ("pinv_rtol", lambda a: linalg.pinv(a, rtol=0.3), lambda a: np.linalg.pinv(a, rtol=0.3), lambda: (tall(4, 3),)),
    (
        "pinv_hermitian",
        lambda a: linalg.pinv(a, hermitian=True),
        lambda a: np.linalg.pinv(a, hermitian=True),
        lambda: (general(3),),
    ),
    (
        "lstsq_x",
        lambda a, b: linalg.lstsq(a, b)[0],
        lambda a, b: np.linalg.lstsq(a, b)[0],
        lambda: (tall(5, 3), vectors(5, 2)),
    ),
    (
        "lstsq_residuals",
        lambda a, b: linalg.lstsq(a, b)[1],
        lambda a, b: np.linalg.lstsq(a, b)[1],
        lambda: (tall(5, 3), vectors(5)),
    ),
    (
        "lstsq_s",
        lambda a, b: linalg.lstsq(a, b)[3],
        lambda a, b: np.linalg.lstsq(a, b)[3],
        lambda: (wide(3, 4), vectors(3)),
    ),
    (
        "matrix_rank",
        lambda a: linalg.matrix_rank(a),
        np.linalg.matrix_rank,
        lambda: (np.outer(vectors(3), vectors(4)),),
    ),
    ("cond", linalg.cond, np.linalg.cond, lambda: (general(3, (2,)),)),
    ("cond_1", lambda a: linalg.cond(a, 1), lambda a: np.linalg.cond(a, 1), lambda: (general(3),)),
]


@pytest.mark.parametrize(
    "name, function, numpy_function, make_args", VALUE_CASES, ids=[case[0] for case in VALUE_CASES]
)
def test_values_match_numpy_on_plain_and_traced_inputs(name, function, numpy_function, make_args):
    args = make_args()
    expected = numpy_function(*args)
    for actual in (function(*args), traced_value(function, args)):
        if isinstance(expected, tuple):  # QRResult, SVDResult...: the same fields, field by field
            assert type(actual) is type(expected)
            for actual_field, expected_field in zip(actual, expected, strict=True):
                np.testing.assert_allclose(actual_field, expected_field, rtol=1e-10, atol=1e-12)
        else:
            np.testing.assert_allclose(actual, expected, rtol=1e-10, atol=1e-12)


def test_slogdet_sign_is_a_constant():
    a = -general(3)
    sign, logabsdet = traced_value(lambda m: linalg.slogdet(m), (a,))
    assert sign == np.linalg.slogdet(a)[0]
    assert logabsdet == pytest.approx(np.log(abs(np.linalg.det(a))))
    gradient = wg.grad(lambda m: linalg.slogdet(m)[0] * linalg.slogdet(m)[1])(a)
    np.testing.assert_allclose(gradient, np.linalg.slogdet(a)[0] * np.linalg.inv(a).T, rtol=1e-10)


def test_symmetric_part_is_read_by_cholesky_and_eigh():
    a = spd(3)
    skewed = a + np.triu(np.ones((3, 3)), 1) - np.tril(np.ones((3, 3)), -1)  # same symmetric part
    np.testing.assert_allclose(linalg.cholesky(skewed), np.linalg.cholesky(a), rtol=1e-12)
    np.testing.assert_allclose(linalg.eigvalsh(skewed), np.linalg.eigvalsh(a), rtol=1e-12)
    np.testing.assert_array_equal(linalg.cholesky(a), np.linalg.cholesky(a))  # bit for bit when symmetric


# -- closed-form derivatives ---------------------------------------------------------------------------


def test_determinant_gradient_is_det_times_inverse_transpose():
    a = general(4)
    expected = np.linalg.det(a) * np.linalg.inv(a).T
    np.testing.assert_allclose(wg.grad(linalg.det)(a), expected, rtol=1e-10)
    tangent = vectors(4, 4)
    _, forward = wg.jvp(linalg.det, (a,), (tangent,))
    assert forward == pytest.approx(np.sum(expected * tangent), rel=1e-10)


def test_log_abs_determinant_gradient_is_inverse_transpose():
    a = -general(4, (3,))
    gradient = wg.grad(lambda m: linalg.slogdet(m)[1].sum())(a)
    np.testing.assert_allclose(gradient, np.swapaxes(np.linalg.inv(a), -1, -2), rtol=1e-10)


def test_inverse_gradient_and_hessian_vector_product():
    a = general(3)
    # d/dA sum(A⁻¹) = -A⁻ᵀ 1 1ᵀ A⁻ᵀ
    inverse = np.linalg.inv(a)
    ones = np.ones((3, 3))
    np.testing.assert_allclose(wg.grad(lambda m: linalg.inv(m).sum())(a), -inverse.T @ ones @ inverse.T, rtol=1e-10)
    # log det is concave on SPD matrices' line: d²/dt² log det(A + tH) = -tr(A⁻¹ H A⁻¹ H)
    b = spd(3)
    h = spd(3) - spd(3)
    second = wg.jvp(lambda m: wg.jvp(lambda n: linalg.slogdet(n)[1], (m,), (h,))[1], (b,), (h,))[1]
    b_inverse = np.linalg.inv(b)
    assert second == pytest.approx(-np.trace(b_inverse @ h @ b_inverse @ h), rel=1e-10)


def test_solve_gradients_are_transposed_solves():
    a, b = general(3), vectors(3)
    weights = vectors(3)
    gradient_a, gradient_b = wg.grad(lambda m, v: linalg.solve(m, v) @ weights, argnums=(0, 1))(a, b)
    adjoint = np.linalg.solve(a.T, weights)
    np.testing.assert_allclose(gradient_b, adjoint, rtol=1e-10)
    np.testing.assert_allclose(gradient_a, -np.outer(adjoint, np.linalg.solve(a, b)), rtol=1e-10)


def test_solve_triangular_ignores_the_other_triangle():
    a, b = general(3), vectors(3)
    np.testing.assert_allclose(linalg.solve_triangular(a, b), np.linalg.solve(np.tril(a), b), rtol=1e-12)
    gradient = wg.grad(lambda m: linalg.solve_triangular(m, b, lower=False).sum())(a)
    np.testing.assert_array_equal(np.tril(gradient, -1), 0.0)


def test_cholesky_reconstructs_and_has_a_symmetric_gradient():
    a = spd(4)
    lower = wg.jvp(linalg.cholesky, (a,), (np.zeros_like(a),))[0]
    np.testing.assert_allclose(lower @ lower.T, a, rtol=1e-12)
    gradient = wg.grad(lambda m: (linalg.cholesky(m) * vectors(4, 4)).sum())(a)
    np.testing.assert_allclose(gradient, gradient.T, rtol=1e-12)
    # log det A = 2 Σ log L_ii, so its gradient through the Cholesky factor is A⁻¹
    log_det = wg.grad(lambda m: 2.0 * wnp.sum(wnp.log(linalg.cholesky(m)[np.arange(4), np.arange(4)])))(a)
    np.testing.assert_allclose(log_det, np.linalg.inv(a), rtol=1e-10)


def test_eigenvalue_gradient_is_outer_product_of_its_eigenvector():
    a = spd(4)
    _, v = np.linalg.eigh(a)
    for i in range(4):
        gradient = wg.grad(lambda m, i=i: linalg.eigvalsh(m)[i])(a)
        np.testing.assert_allclose(gradient, np.outer(v[:, i], v[:, i]), atol=1e-12)
        through_eigh = wg.grad(lambda m, i=i: linalg.eigh(m)[0][i])(a)
        np.testing.assert_allclose(through_eigh, np.outer(v[:, i], v[:, i]), atol=1e-12)


def test_norm_gradients_in_closed_form():
    x = vectors(5)
    np.testing.assert_allclose(wg.grad(linalg.norm)(x), x / np.linalg.norm(x), rtol=1e-12)
    np.testing.assert_allclose(wg.grad(lambda v: linalg.norm(v, 1))(x), np.sign(x))
    p = 3.0
    expected = np.sign(x) * np.abs(x) ** (p - 1) / np.linalg.norm(x, p) ** (p - 1)
    np.testing.assert_allclose(wg.grad(lambda v: linalg.norm(v, p))(x), expected, rtol=1e-12)
    m = vectors(3, 4)
    np.testing.assert_allclose(wg.grad(lambda v: linalg.norm(v, "fro"))(m), m / np.linalg.norm(m), rtol=1e-12)
    u, s, vt = np.linalg.svd(m, full_matrices=False)
    np.testing.assert_allclose(wg.grad(lambda v: linalg.norm(v, 2))(m), np.outer(u[:, 0], vt[0]), atol=1e-10)
    np.testing.assert_allclose(wg.grad(lambda v: linalg.norm(v, "nuc"))(m), u @ vt, atol=1e-10)


@pytest.mark.parametrize(
    "ord_, shape",
    [
        (None, (3,)),
        (2, (3,)),
        (1, (3,)),
        (np.inf, (3,)),
        (3, (3,)),
        (1.5, (3,)),
        ("fro", (2, 3)),
        (None, (2, 3)),
    ],
)
def test_norm_at_zero_has_zero_subgradient_to_second_order(ord_, shape):
    zero = np.zeros(shape)
    direction = np.ones(shape)

    def norm(x):
        return linalg.norm(x, ord_)

    with np.errstate(all="raise"):  # no 0/0 or 0**-1 on the way
        gradient = wg.grad(norm)(zero)
        forward_over_reverse = wg.jvp(wg.grad(norm), (zero,), (direction,))[1]
        reverse_over_reverse = wg.grad(lambda x: wg.grad(norm)(x).sum())(zero)
        reverse_over_forward = wg.grad(lambda x: wg.jvp(norm, (x,), (direction,))[1])(zero)
    for value in (gradient, forward_over_reverse, reverse_over_reverse, reverse_over_forward):
        np.testing.assert_array_equal(value, np.zeros(shape))


def test_norm_of_a_vector_with_some_zero_entries():
    x = np.array([0.0, 3.0, -4.0])
    np.testing.assert_allclose(wg.grad(linalg.norm)(x), [0.0, 0.6, -0.8])
    check_grads(lambda v: linalg.norm(v, 1.5), (x,), order=1)


def test_trace_gradient_is_the_identity():
    np.testing.assert_array_equal(wg.grad(linalg.trace)(vectors(3, 3)), np.eye(3))
    np.testing.assert_array_equal(wg.grad(lambda x: wnp.trace(x, 1))(vectors(2, 3)), np.eye(2, 3, 1))


# -- repeated eigenvalues ------------------------------------------------------------------------------


def test_invariant_functions_of_repeated_eigenvalues_are_differentiable():
    identity = np.eye(3)
    np.testing.assert_allclose(wg.grad(lambda m: linalg.eigvalsh(m).sum())(identity), identity)
    np.testing.assert_allclose(wg.grad(lambda m: (linalg.eigvalsh(m) ** 2).sum())(identity), 2 * identity)
    np.testing.assert_allclose(wg.grad(lambda m: linalg.eigh(m)[0].sum())(identity), identity)
    # vectors of eigenvalues that are not repeated stay differentiable
    a = np.diag([1.0, 1.0, 3.0])
    gradient = wg.grad(lambda m: linalg.eigh(m)[1][2, 2] + linalg.eigh(m)[0].sum())(a)
    np.testing.assert_allclose(gradient, identity, atol=1e-12)


def test_basis_dependent_functions_of_repeated_eigenvalues_raise():
    identity = np.eye(3)
    with pytest.raises(ValueError, match="repeated eigenvalues"):
        wg.grad(lambda m: linalg.eigvalsh(m)[0])(identity)
    with pytest.raises(ValueError, match="repeated eigenvalues"):
        wg.grad(lambda m: linalg.eigh(m)[1][1, 0])(identity)


def test_vectors_of_repeated_eigenvalues_are_loud_even_when_the_result_is_invariant():
    """A symmetric Vᵀ V̄ on a repeated block does not fix the derivative: the reconstruction
    V diag(w) Vᵀ = A has gradient G, the projector V Vᵀ = I has gradient 0, and both give a
    symmetric Vᵀ V̄ at the identity. Both raise (the reconstruction used to return I silently)."""
    weights = np.ones((3, 3))

    def reconstruction(m):
        w, v = linalg.eigh(m)
        return wnp.sum(weights * (v @ (w[:, None] * v.T)))

    def projector(m):
        w, v = linalg.eigh(m)
        return wnp.sum(v @ v.T * weights)

    np.testing.assert_allclose(wg.grad(reconstruction)(spd(3)), weights, rtol=1e-9)  # distinct eigenvalues
    for function in (reconstruction, projector):
        with pytest.raises(ValueError, match="repeated eigenvalues"):
            wg.grad(function)(np.eye(3))
    # forward mode: NaN in the vectors' tangent, where the tangent mixes the repeated vectors
    _, tangent = wg.jvp(reconstruction, (np.eye(3),), (weights,))
    assert np.isnan(tangent)
    # The eigenvalues' own tangent is NaN there too: a JVP is linear in the tangent, and the repeated
    # eigenvalues move apart along this one (their order has no derivative), even though their sum does.
    _, tangent = wg.jvp(lambda m: linalg.eigh(m)[0].sum(), (np.eye(3),), (weights,))
    assert np.isnan(tangent)
    _, tangent = wg.jvp(lambda m: linalg.eigh(m)[0].sum(), (np.eye(3),), (2.0 * np.eye(3),))
    assert tangent == pytest.approx(6.0)


# -- dialects, dtypes and the NumPy namespace -------------------------------------------------------------


def test_tensor_dialect():
    a = general(3)
    matrix = wg.tensor(a, requires_grad=True)
    linalg.det(matrix).backward()
    np.testing.assert_allclose(matrix.grad.numpy(), np.linalg.det(a) * np.linalg.inv(a).T, rtol=1e-10)
    sign, logabsdet = linalg.slogdet(wg.tensor(a, requires_grad=True))
    assert isinstance(sign, wg.Tensor) and isinstance(logabsdet, wg.Tensor)
    assert not sign.requires_grad and logabsdet.requires_grad


def test_float32_stays_float32():
    a = general(3).astype(np.float32)
    assert wg.grad(lambda m: linalg.inv(m).sum())(a).dtype == np.float32
    assert wg.grad(lambda m: linalg.norm(m))(a).dtype == np.float32
    assert wg.grad(lambda m: linalg.cholesky(m @ m.T).sum())(a).dtype == np.float32
    assert wg.grad(lambda m: linalg.eigh(m @ m.T)[1].sum())(a).dtype == np.float32


def test_namespace():
    assert wnp.linalg is linalg
    assert linalg.__top_level__ == ["trace"]
    assert set(linalg.__top_level__) <= set(linalg.__all__)
    for name in (
        "inv",
        "det",
        "logabsdet",
        "cholesky",
        "eigh_packed",
        "eigvalsh",
        "solve",
        "solve_triangular",
        "qr_packed",
        "svd_packed",
        "singular_values",
        "pinv",
        "lstsq",
    ):
        primitive = wnp.REGISTRY[name]
        assert primitive.has_jvp() and primitive.has_vjp()


# -- errors ---------------------------------------------------------------------------------------------


SQUARE_ONLY = {
    "inv": linalg.inv,
    "det": linalg.det,
    "slogdet": lambda a: linalg.slogdet(a)[1],
    "cholesky": linalg.cholesky,
    "eigh": lambda a: linalg.eigh(a)[1],
    "eigvalsh": linalg.eigvalsh,
    "matrix_power": lambda a: linalg.matrix_power(a, 2),
}


def shape_pattern(shape):
    return re.escape(str(tuple(shape)))


@pytest.mark.parametrize("name", list(SQUARE_ONLY))
@pytest.mark.parametrize("shape", [(3,), (2, 3), (4, 2, 3)])
def test_non_square_input_raises_naming_the_shape(name, shape):
    function = SQUARE_ONLY[name]
    value = np.ones(shape)
    with pytest.raises(ValueError, match=f"{name}: .*square.*{shape_pattern(shape)}"):
        function(value)
    with pytest.raises(ValueError, match=f"{name}: .*square.*{shape_pattern(shape)}"):
        wg.grad(lambda x: wnp.sum(function(x)))(value)


@pytest.mark.parametrize(
    "a_shape, b_shape, message",
    [
        ((3, 3), (4,), r"\(3, 3\).*\(4,\)"),
        ((3, 3), (4, 2), r"\(3, 3\).*\(4, 2\)"),
        ((2, 3, 3), (5, 3, 1), r"batch dimensions.*\(2, 3, 3\).*\(5, 3, 1\)"),
        ((3, 3), (), "scalar"),
        ((3, 2), (3,), r"square.*\(3, 2\)"),
    ],
)
def test_solve_shape_mismatch_raises(a_shape, b_shape, message):
    a, b = np.ones(a_shape), np.ones(b_shape)
    with pytest.raises(ValueError, match=message):
        linalg.solve(a, b)
    with pytest.raises(ValueError, match=message):
        wg.grad(lambda m: wnp.sum(linalg.solve(m, b)))(a)
    with pytest.raises(ValueError, match=message):
        linalg.solve_triangular(a, b)


def test_norm_and_trace_errors():
    with pytest.raises(ValueError, match="ord='nuc'"):
        wg.grad(lambda x: linalg.norm(x, "nuc", axis=0))(np.ones(3))
    with pytest.raises(ValueError, match=r"\(2, 2, 2\)"):
        wg.grad(lambda x: linalg.norm(x, 2))(np.ones((2, 2, 2)))
    with pytest.raises(ValueError, match="ord='fro' is a matrix norm"):
        wg.grad(lambda x: linalg.norm(x, "fro"))(np.ones(3))
    with pytest.raises(ValueError, match="invalid norm order"):
        wg.grad(lambda x: linalg.norm(x, 3))(np.ones((2, 2)))
    with pytest.raises(ValueError, match="out of bounds"):
        wg.grad(lambda x: linalg.norm(x, axis=2))(np.ones((2, 2)))
    with pytest.raises(ValueError, match="must differ"):
        wg.grad(lambda x: wnp.trace(x, 0, 1, 1))(np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"\(3,\)"):
        wg.grad(linalg.trace)(np.ones(3))
    with pytest.raises(TypeError, match="integer"):
        linalg.matrix_power(np.eye(2), 1.5)


def test_singular_matrix_derivative_is_loud():
    singular = np.array([[1.0, 2.0], [2.0, 4.0]])
    with pytest.raises(np.linalg.LinAlgError):
        wg.grad(linalg.det)(singular)


def test_linalg_trace_sums_the_last_two_axes_as_numpy_linalg_trace_does():
    x = vectors(2, 3, 3)
    for function in (linalg.trace, np.linalg.trace):  # np.linalg.trace dispatches to wengert on tracers
        np.testing.assert_allclose(function(x), np.linalg.trace(x))
        gradient = wg.grad(lambda v, f=function: wnp.sum(f(v) * np.array([1.0, 2.0])))(x)
        np.testing.assert_array_equal(gradient, np.eye(3) * np.array([1.0, 2.0])[:, None, None])
    np.testing.assert_allclose(linalg.trace(x, offset=1), np.linalg.trace(x, offset=1))
    np.testing.assert_allclose(wnp.trace(x), np.trace(x))  # wnp.trace is numpy.trace: the first two axes


@pytest.mark.parametrize("name, function, make_args", GRAD_CASES, ids=[case[0] for case in GRAD_CASES])
def test_compiled_equals_eager(name, function, make_args):
    from wengert.testing import check_jit

    try:
        check_jit(function, make_args(), rtol=1e-10, atol=1e-12)
    except TypeError as error:
        # What jit refuses, loudly: checks that need the values (eig's symmetry, lstsq's rank,
        # repeated eigenvalues in eigh's and svd's derivatives).
        refusals = ("eig: the symmetry", "lstsq: the residuals", "does not know while it compiles")
        if not any(words in str(error) for words in refusals):
            raise


def test_forward_mode_marks_repeated_eigenvalues_that_a_tangent_splits_as_undefined():
    identity = np.eye(3)
    for function in (linalg.eigvalsh, lambda a: linalg.eigh(a)[0]):
        # A tangent that moves the repeated eigenvalues apart: their order, and so each one's derivative, is undefined.
        assert np.all(np.isnan(wg.jvp(function, (identity,), (np.ones((3, 3)),))[1]))
        # One that moves them together (a multiple of the identity on their eigenspace) is fine.
        np.testing.assert_allclose(wg.jvp(function, (identity,), (2.0 * identity,))[1], [2.0, 2.0, 2.0])
        # A tie between two of three: only those two are undefined.
        split_pair = wg.jvp(function, (np.diag([1.0, 1.0, 3.0]),), (np.diag([0.0, 1.0, 5.0]) + 0.0,))[1]
        assert np.all(np.isnan(split_pair[:2])) and split_pair[2] == pytest.approx(5.0)
        np.testing.assert_allclose(
            wg.jvp(function, (np.diag([1.0, 2.0, 3.0]),), (np.ones((3, 3)),))[1], [1.0, 1.0, 1.0], rtol=1e-14
        )
