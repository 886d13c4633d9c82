"""wengert.numpy.linalg's decompositions and what is built on them: qr, svd, pinv, lstsq, eig, eigh(UPLO), norms.

The table of tests/test_linalg.py checks each of them to second order in both modes, for
adjointness, against NumPy's values and (through tests/test_vmap.py) under vmap. Here: closed-form
derivatives, the conventions at repeated and zero singular values, the refusals and their messages,
float32, and a cross-check of values and gradients against JAX where it is installed.
"""

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert.numpy import linalg
from wengert.testing import check_grads

RNG = np.random.default_rng(20240612)


def tall(m, n, batch=()):
    """A well-conditioned m x n matrix (m >= n) with distinct singular values."""
    q, _ = np.linalg.qr(RNG.standard_normal((*batch, m, n)))
    return q * np.arange(n, 0, -1.0)[None, :] + 0.1 * RNG.standard_normal((*batch, m, n))


def symmetric(n):
    m = RNG.standard_normal((n, n))
    return m + m.T + n * np.eye(n)


# -- closed forms ---------------------------------------------------------------------------------------


def test_singular_value_gradient_is_the_outer_product_of_its_singular_vectors():
    a = tall(4, 3)
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    for i in range(3):
        gradient = wg.grad(lambda m, i=i: linalg.svd(m, compute_uv=False)[i])(a)
        np.testing.assert_allclose(gradient, np.outer(u[:, i], vh[i]), atol=1e-12)
        through_vectors = wg.grad(lambda m, i=i: linalg.svd(m, full_matrices=False)[1][i])(a)
        np.testing.assert_allclose(through_vectors, np.outer(u[:, i], vh[i]), atol=1e-12)
    np.testing.assert_allclose(wg.grad(lambda m: linalg.norm(m, "nuc"))(a), u @ vh, atol=1e-12)


def test_qr_tangents_keep_q_orthonormal_and_r_upper_triangular():
    a, direction = tall(5, 3), RNG.standard_normal((5, 3))
    (q, r), (dq, dr) = wg.jvp(lambda m: tuple(linalg.qr(m)), (a,), (direction,))
    skew = q.T @ dq
    np.testing.assert_allclose(skew, -skew.T, atol=1e-12)  # d(QᵀQ) = 0
    np.testing.assert_array_equal(np.tril(dr, -1), 0.0)
    np.testing.assert_allclose(dq @ r + q @ dr, direction, atol=1e-12)  # d(QR) = dA


def test_svd_tangents_reconstruct_the_direction():
    for a in (tall(5, 3), tall(4, 2).T):
        direction = RNG.standard_normal(a.shape)
        (u, s, vh), (du, ds, dvh) = wg.jvp(lambda m: tuple(linalg.svd(m, full_matrices=False)), (a,), (direction,))
        reconstructed = du @ np.diag(s) @ vh + u @ np.diag(ds) @ vh + u @ np.diag(s) @ dvh
        np.testing.assert_allclose(reconstructed, direction, atol=1e-11)


def test_pinv_and_lstsq_of_invertible_matrices_are_inverse_and_solve():
    a, b = tall(3, 3), RNG.standard_normal(3)
    np.testing.assert_allclose(
        wg.grad(lambda m: linalg.pinv(m).sum())(a), wg.grad(lambda m: linalg.inv(m).sum())(a), rtol=1e-9
    )
    gradients = wg.grad(lambda m, v: linalg.lstsq(m, v)[0] @ b, argnums=(0, 1))(a, b)
    expected = wg.grad(lambda m, v: linalg.solve(m, v) @ b, argnums=(0, 1))(a, b)
    for actual, wanted in zip(gradients, expected, strict=True):
        np.testing.assert_allclose(actual, wanted, rtol=1e-9)


def test_pinv_of_a_rank_deficient_matrix_is_differentiable_along_rank_preserving_directions():
    left, right = RNG.standard_normal((4, 2)), RNG.standard_normal((2, 3))
    # A(t) = (L + t dL)(R + t dR) keeps rank 2: check the chain through the factors
    check_grads(lambda f, g: linalg.pinv(f @ g), (left, right), order=2, modes=("fwd", "rev"))


def test_lstsq_returns_what_numpy_returns():
    a, b = tall(5, 3), RNG.standard_normal((5, 2))
    x, residuals, rank, s = wg.jvp(lambda m: linalg.lstsq(m, b), (a,), (np.zeros_like(a),))[0]
    expected = np.linalg.lstsq(a, b)
    np.testing.assert_allclose(x, expected[0], rtol=1e-10)
    np.testing.assert_allclose(residuals, expected[1], rtol=1e-10)
    assert int(rank) == expected[2] == 3
    np.testing.assert_allclose(s, expected[3], rtol=1e-10)
    # residuals: gradient of |b - a x|² at the minimiser is -2 (b - a x) xᵀ (x is stationary)
    gradient = wg.grad(lambda m: linalg.lstsq(m, b[:, 0])[1][0])(a)
    xs = expected[0][:, 0]
    np.testing.assert_allclose(gradient, -2 * np.outer(b[:, 0] - a @ xs, xs), atol=1e-10)
    # rank deficient, or not overdetermined: empty residuals, as NumPy
    deficient = np.outer(RNG.standard_normal(5), RNG.standard_normal(3))
    for matrix in (deficient, tall(4, 2).T):
        rhs = RNG.standard_normal(matrix.shape[0])
        traced = wg.jvp(lambda m, rhs=rhs: linalg.lstsq(m, rhs), (matrix,), (np.zeros_like(matrix),))[0]
        assert traced[1].shape == np.linalg.lstsq(matrix, rhs)[1].shape == (0,)
        assert int(traced[2]) == np.linalg.lstsq(matrix, rhs)[2]


def test_eigh_upper_or_lower_triangle_gradient_lands_on_that_triangle():
    a = RNG.standard_normal((3, 3))
    for uplo, keep in (("L", np.tril), ("U", np.triu)):
        w, v = np.linalg.eigh(a, UPLO=uplo)
        for i in range(3):
            gradient = wg.grad(lambda m, i=i, uplo=uplo: linalg.eigvalsh(m, UPLO=uplo)[i])(a)
            outer = np.outer(v[:, i], v[:, i])
            np.testing.assert_allclose(gradient, keep(2 * outer, 0) - np.diag(np.diag(outer)), atol=1e-12)
    # the default reads the symmetric part: a symmetric gradient
    gradient = wg.grad(lambda m: linalg.eigvalsh(m)[0])(a)
    np.testing.assert_allclose(gradient, gradient.T, atol=1e-14)
    with pytest.raises(ValueError, match="UPLO must be 'L' or 'U'"):
        linalg.eigh(a, UPLO="X")


def test_eig_is_eigh_for_symmetric_matrices():
    a = symmetric(3)
    w, v = linalg.eig(a)
    np.testing.assert_allclose(w, np.linalg.eigvalsh(a), rtol=1e-12)
    np.testing.assert_allclose(np.abs(v), np.abs(np.linalg.eigh(a)[1]), rtol=1e-12)
    gradient = wg.grad(lambda m: linalg.eig(m)[0][-1])(a)
    np.testing.assert_allclose(gradient, np.outer(v[:, -1], v[:, -1]), atol=1e-12)
    nearly = a + 1e-12 * RNG.standard_normal((3, 3))  # rounding-level asymmetry passes
    np.testing.assert_allclose(linalg.eig(nearly)[0], np.linalg.eigvalsh(a), rtol=1e-10)
    batch = np.stack([symmetric(3), symmetric(3)])
    np.testing.assert_allclose(wg.vmap(lambda m: linalg.eig(m)[0])(batch), np.linalg.eigvalsh(batch), rtol=1e-12)


@pytest.mark.parametrize("traced", [False, True])
def test_eig_of_a_non_symmetric_matrix_raises_naming_the_asymmetry(traced):
    a = np.array([[1.0, 2.0], [0.0, 3.0]])
    with pytest.raises(ValueError, match=r"eig: .*only for real symmetric.*not symmetric \(max \|A - A.T\| = 2"):
        if traced:
            wg.grad(lambda m: linalg.eig(m)[0].sum())(a)
        else:
            linalg.eig(a)
    with pytest.raises(ValueError, match="eig: .*not symmetric"):
        wg.vmap(lambda m: linalg.eig(m)[0])(np.stack([symmetric(2), a]))


def test_matrix_power_zero_and_negative_exponents():
    a = tall(3, 3)
    assert np.all(wg.grad(lambda m: linalg.matrix_power(m, 0).sum())(a) == 0.0)
    inverse = np.linalg.inv(a)
    np.testing.assert_allclose(
        wg.grad(lambda m: linalg.matrix_power(m, -1).sum())(a), -inverse.T @ np.ones((3, 3)) @ inverse.T, rtol=1e-10
    )
    with pytest.raises(np.linalg.LinAlgError):
        wg.grad(lambda m: linalg.matrix_power(m, -2).sum())(np.ones((2, 2)))


# -- repeated and zero singular values --------------------------------------------------------------------


def test_singular_values_derivative_stays_finite_at_repeated_singular_values():
    identity = np.eye(3)
    for function in (
        lambda m: linalg.svd(m, compute_uv=False).sum(),
        lambda m: linalg.svd(m)[1].sum(),  # through the vectors' primitive: nothing flows to U, V
        lambda m: linalg.norm(m, "nuc"),
    ):
        np.testing.assert_allclose(wg.grad(function)(identity), identity, atol=1e-15)
        assert wg.jvp(function, (identity,), (np.ones((3, 3)),))[1] == pytest.approx(3.0)
    # the spectral norm's three tied maxima share the cotangent equally
    np.testing.assert_allclose(wg.grad(lambda m: linalg.norm(m, 2))(identity), identity / 3, atol=1e-15)


def test_singular_vectors_derivative_is_nan_at_repeated_singular_values():
    identity = np.eye(3)

    def uses_vectors(m):
        return wnp.sum(linalg.svd(m)[0])

    assert np.all(np.isnan(wg.grad(uses_vectors)(identity)))
    assert np.isnan(wg.jvp(uses_vectors, (identity,), (np.ones((3, 3)),))[1])
    # even where the function is invariant (U S Vh is A itself): the 0/0 cannot be resolved
    reconstruction = wg.grad(lambda m: wnp.sum((lambda u, s, vh: (u * s) @ vh)(*linalg.svd(m))))(identity)
    assert np.all(np.isnan(reconstruction))
    # a function that tells repeated singular values apart has no derivative: reverse mode says so
    with pytest.raises(ValueError, match="svd: the derivative is undefined: .*repeated singular values"):
        wg.grad(lambda m: linalg.svd(m, compute_uv=False)[0])(identity)
    # a zero singular value of a non-square matrix: its vector's derivative is undefined too
    rank_one = np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 0.0]])
    assert np.any(np.isnan(wg.grad(lambda m: wnp.sum(linalg.svd(m, False)[0]))(rank_one)))
    np.testing.assert_allclose(wg.grad(lambda m: linalg.svd(m, compute_uv=False)[0])(rank_one), rank_one)


@pytest.mark.parametrize("order", [2, -2, "nuc", 1, np.inf, "fro"])
def test_matrix_norms_at_zero_have_the_zero_subgradient(order):
    zero = np.zeros((2, 3))
    with np.errstate(all="raise"):
        np.testing.assert_array_equal(wg.grad(lambda m: linalg.norm(m, order))(zero), 0.0)
        np.testing.assert_array_equal(wg.jvp(wg.grad(lambda m: linalg.norm(m, order)), (zero,), (zero + 1,))[1], 0.0)


@pytest.mark.parametrize("order", [-1, -2, 0.5, -np.inf, 0])
def test_vector_norms_below_one_at_zero_entries_have_the_zero_subgradient(order):
    for x in (np.zeros(3), np.array([0.0, 2.0, -1.0])):
        with np.errstate(all="raise"):
            gradient = wg.grad(lambda v: linalg.norm(v, order))(x)
        assert np.all(np.isfinite(gradient))
        if order != -np.inf:
            np.testing.assert_array_equal(gradient[x == 0], 0.0)
    with np.errstate(divide="ignore"):  # NumPy's own warning, for plain values
        assert linalg.norm(np.array([0.0, 2.0]), -1) == np.linalg.norm(np.array([0.0, 2.0]), -1) == 0.0


# -- refusals --------------------------------------------------------------------------------------------


def test_complete_qr_and_full_svd_of_non_square_matrices_compute_batch_and_refuse_derivatives():
    a = tall(4, 2, (3,))
    q, r = wg.vmap(lambda m: tuple(linalg.qr(m, mode="complete")))(a)
    expected = np.linalg.qr(a, mode="complete")
    np.testing.assert_allclose(q, expected.Q, rtol=1e-12)
    np.testing.assert_allclose(r, expected.R, atol=1e-12)
    u, s, vh = wg.vmap(lambda m: tuple(linalg.svd(m)))(a)
    for actual, wanted in zip((u, s, vh), np.linalg.svd(a), strict=True):
        np.testing.assert_allclose(actual, wanted, atol=1e-12)
    with pytest.raises(ValueError, match=r"qr: mode='complete' .*\(shape \(4, 2\)\) has no derivative.*mode='reduced'"):
        wg.grad(lambda m: wnp.sum(linalg.qr(m, mode="complete")[1]))(a[0])
    with pytest.raises(ValueError, match=r"svd: full_matrices=True .*\(shape \(4, 2\)\).*full_matrices=False"):
        wg.grad(lambda m: wnp.sum(linalg.svd(m)[1]))(a[0])
    with pytest.raises(ValueError, match=r"svd: full_matrices=True .*\(shape \(2, 4\)\)"):
        wg.jvp(lambda m: linalg.svd(m)[2], (a[0].T,), (a[0].T,))


def test_bad_arguments_raise_naming_them():
    with pytest.raises(ValueError, match="qr: mode must be"):
        linalg.qr(np.eye(2), mode="full")
    with pytest.raises(ValueError, match="mode='raw'.*not differentiable"):
        wg.grad(lambda m: wnp.sum(linalg.qr(m, mode="raw")[0]))(np.eye(2))
    with pytest.raises(ValueError, match=r"svd: expected a matrix .*shape \(3,\)"):
        wg.grad(lambda v: wnp.sum(linalg.svd(v)))(np.ones(3))
    with pytest.raises(ValueError, match="rtol and rcond can't be both set"):
        wg.grad(lambda m: wnp.sum(linalg.pinv(m, rcond=0.1, rtol=0.1)))(np.eye(2))
    with pytest.raises(ValueError, match=r"lstsq: a of shape \(3, 2\) and b of shape \(4,\) do not match"):
        wg.grad(lambda m: wnp.sum(linalg.lstsq(m, np.ones(4))[0]))(np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"lstsq: a must be \(m, n\)"):
        wg.grad(lambda m: wnp.sum(linalg.lstsq(m, np.ones(3))[0]))(np.ones((2, 3, 2)))
    with pytest.raises(ValueError, match="invalid norm order 'nuc' for vectors|ord='nuc' is a matrix norm"):
        wg.grad(lambda v: linalg.norm(v, "nuc"))(np.ones(3))


# -- dtypes and dialects ---------------------------------------------------------------------------------


def test_float32_stays_float32_and_is_differentiable():
    a = tall(4, 3).astype(np.float32)
    b = RNG.standard_normal(4).astype(np.float32)
    for function in (
        lambda m: linalg.qr(m)[1].sum(),
        lambda m: linalg.svd(m, compute_uv=False).sum(),
        lambda m: (linalg.svd(m, full_matrices=False)[0] ** 2).sum(),
        lambda m: linalg.pinv(m).sum(),
        lambda m: linalg.lstsq(m, b)[0].sum(),
        lambda m: linalg.norm(m, "nuc"),
    ):
        assert wg.grad(function)(a).dtype == np.float32
    with pytest.warns(UserWarning):
        check_grads(lambda m: linalg.svd(m, compute_uv=False), (a,), order=1, modes=("fwd", "rev"))


def test_numpy_functions_on_tensors_dispatch_here():
    a = tall(4, 3)
    matrix = wg.tensor(a, requires_grad=True)
    np.linalg.svd(matrix, full_matrices=False)[1].sum().backward()
    u, _, vh = np.linalg.svd(a, full_matrices=False)
    np.testing.assert_allclose(matrix.grad.numpy(), u @ vh, atol=1e-12)
    assert isinstance(np.linalg.pinv(wg.tensor(a, requires_grad=True)), wg.Tensor)


# -- against JAX -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def jax_numpy():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    return jax, pytest.importorskip("jax.numpy")


def _canonical_qr(q, r, xp):
    signs = xp.sign(xp.diagonal(r, 0, -2, -1))
    return q * signs[..., None, :], r * signs[..., :, None]


def _canonical_svd(u, s, vh, xp):
    signs = xp.sign(u[..., :1, :])
    return u * signs, s, vh * xp.swapaxes(signs, -1, -2)


def _cases(xp, lib):
    """(name, scalar function of the outputs, input) in one library's spelling: sum of sin of the outputs."""

    def total(*arrays):
        return sum(xp.sum(xp.sin(x)) for x in arrays)

    return [
        ("qr_tall", lambda a: total(*_canonical_qr(*lib.qr(a), xp)), tall(4, 3)),
        ("qr_wide", lambda a: total(*_canonical_qr(*lib.qr(a), xp)), tall(4, 2).T),
        ("qr_r", lambda a: total(lib.qr(a, mode="r") ** 2), tall(3, 3)),
        ("svd_tall", lambda a: total(*_canonical_svd(*lib.svd(a, full_matrices=False), xp)), tall(4, 3)),
        ("svd_wide", lambda a: total(*_canonical_svd(*lib.svd(a, full_matrices=False), xp)), tall(5, 2).T),
        ("svd_values", lambda a: total(lib.svd(a, compute_uv=False)), tall(3, 3)),
        ("pinv", lambda a: total(lib.pinv(a)), tall(4, 3)),
        ("lstsq", lambda a: total(lib.lstsq(a, xp.arange(4.0))[0]), tall(4, 2)),
        ("eigh_L", lambda a: total(lib.eigh(a, UPLO="L")[0]), RNG.standard_normal((3, 3))),
        ("norm_nuc", lambda a: total(lib.norm(a, "nuc")), tall(4, 3).T),
        ("norm_2", lambda a: total(lib.norm(a, 2)), tall(4, 3).T),
        ("norm_minus_2", lambda a: total(lib.norm(a, -2)), tall(4, 3)),
        ("norm_vector_0.5", lambda a: total(lib.norm(a[0], 0.5)), tall(3, 3)),
        ("norm_vector_minus_1", lambda a: total(lib.norm(a[:, 1], -1)), tall(3, 3)),
        ("svd_identity_values", lambda a: total(lib.svd(a)[1]), np.eye(3)),
        ("norm_matrix_inf", lambda a: total(lib.norm(a, np.inf)), tall(3, 3)),
    ]


def test_values_and_gradients_match_jax(jax_numpy):
    jax, jnp = jax_numpy
    wengert_cases = _cases(wnp, linalg)
    jax_cases = _cases(jnp, jnp.linalg)
    for (name, function, a), (_, jax_function, _) in zip(wengert_cases, jax_cases, strict=True):
        if name == "eigh_L":  # JAX symmetrises by default: hand it the matrix the lower triangle stands for
            jax_function = lambda m: jnp.sum(jnp.sin(jnp.linalg.eigh(jnp.tril(m) + jnp.tril(m, -1).T)[0]))  # noqa: E731
        value, gradient = wg.value_and_grad(function)(a)
        jax_value, jax_gradient = jax.value_and_grad(jax_function)(a)
        assert float(value) == pytest.approx(float(jax_value), rel=1e-10), name
        np.testing.assert_allclose(gradient, np.asarray(jax_gradient), rtol=1e-7, atol=1e-9, err_msg=name)


def test_repeated_singular_values_behave_as_in_jax(jax_numpy):
    jax, jnp = jax_numpy
    identity = np.eye(3)
    ours = wg.grad(lambda m: wnp.sum(linalg.svd(m)[0]))(identity)
    theirs = np.asarray(jax.grad(lambda m: jnp.sum(jnp.linalg.svd(m)[0]))(identity))
    assert np.all(np.isnan(ours)) and np.all(np.isnan(theirs))
    ours = wg.grad(lambda m: wnp.sum(linalg.svd(m)[1]))(identity)
    theirs = np.asarray(jax.grad(lambda m: jnp.sum(jnp.linalg.svd(m)[1]))(identity))
    np.testing.assert_array_equal(ours, theirs)


def test_rank_is_a_traced_integer_that_batches():
    full, deficient = tall(4, 3), np.outer(RNG.standard_normal(4), RNG.standard_normal(3))
    batch = np.stack([full, deficient])
    np.testing.assert_array_equal(wg.vmap(linalg.matrix_rank)(batch), [3, 1])
    ranks = wg.vmap(lambda m: linalg.lstsq(m, np.ones(4))[2])(batch)
    np.testing.assert_array_equal(ranks, [3, 1])
    assert wg.grad(lambda m: linalg.lstsq(m, np.ones(4))[2] * linalg.norm(m))(full).shape == (4, 3)
