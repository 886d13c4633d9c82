"""relu's derivative rule (its bitwise fast path on arrays and its traced form) and the relu MLP's gradients.

The fast path selects cotangent bits with a mask instead of ``where``; these
tests hold it to ``where``'s answers bit for bit, to relu'(0) = 0, to the
NaN-safety of PyTorch's ``threshold_backward`` (an inf or NaN cotangent where
x ≤ 0 gives 0), and check that float32 stays float32 through a relu MLP with
softmax cross-entropy in both dialects.
"""

import numpy as np
import pytest

import wengert as wg
import wengert.nn as nn
import wengert.numpy as wnp
from wengert.testing import check_grads

FLOATS = [np.float64, np.float32, np.float16]


def kinked_input(dtype):
    """Negative, zero (both signs), positive, tiny, infinite and NaN inputs."""
    return np.array([-2.0, -0.0, 0.0, 1e-30, 3.0, -np.inf, np.inf, np.nan, 0.5, -0.5], dtype=dtype)


def relu_vjp(x, cotangent):
    _, pullback = wg.vjp(wnp.relu, x)
    (gradient,) = pullback(cotangent)
    return gradient


def assert_same_bits(actual, expected):
    assert actual.dtype == expected.dtype and actual.shape == expected.shape
    np.testing.assert_array_equal(actual.view(np.uint8), expected.view(np.uint8))


@pytest.mark.parametrize("dtype", FLOATS)
def test_relu_vjp_passes_the_cotangent_where_x_is_positive_and_plus_zero_elsewhere(dtype):
    x = kinked_input(dtype)
    cotangent = np.linspace(-3.0, 4.0, x.size).astype(dtype)
    expected = np.where(x > 0, cotangent, dtype(0.0))
    assert_same_bits(relu_vjp(x, cotangent), expected)
    # relu'(0) = 0 at both zeros, and the positive entries pass untouched.
    assert relu_vjp(x, cotangent)[[1, 2]].tolist() == [0.0, 0.0]
    assert relu_vjp(x, cotangent)[4] == cotangent[4]


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_relu_vjp_gives_zero_for_an_infinite_or_nan_cotangent_where_x_is_not_positive(dtype, bad):
    x = kinked_input(dtype)
    cotangent = np.full(x.shape, bad, dtype=dtype)
    gradient = relu_vjp(x, cotangent)
    not_positive = ~(x > 0)
    assert gradient.dtype == dtype
    assert np.all(gradient[not_positive] == 0.0) and not np.signbit(gradient[not_positive]).any()
    # Where x > 0 the cotangent passes as it is, inf or NaN included.
    assert_same_bits(gradient[~not_positive], cotangent[~not_positive])


def test_relu_vjp_on_a_tensor_and_a_python_float_is_nan_safe_too():
    x = wg.tensor(np.array([[-1.0, 2.0], [0.0, 3.0]]), requires_grad=True)
    wnp.relu(x).backward(np.array([[np.nan, 5.0], [np.inf, -1.0]]))
    np.testing.assert_array_equal(x.grad.numpy(), [[0.0, 5.0], [0.0, -1.0]])
    assert relu_vjp(-1.0, np.inf) == 0.0 and relu_vjp(0.0, np.nan) == 0.0 and relu_vjp(2.0, 7.0) == 7.0


def test_relu_vjp_handles_non_contiguous_cotangents_and_other_dtypes():
    x = np.arange(-6.0, 6.0).reshape(3, 4)
    cotangent = np.arange(24.0).reshape(4, 6).T[::2, :4].copy(order="F")[:, ::-1]  # a strided view
    assert not cotangent.flags.c_contiguous
    np.testing.assert_array_equal(relu_vjp(x, cotangent), np.where(x > 0, cotangent, 0.0))
    # An integer-valued cotangent has no same-width view on this path: the where form answers.
    assert relu_vjp(np.array([-1.0, 1.0]), np.array([3, 4])).tolist() == [0, 4]


@pytest.mark.parametrize("dtype", FLOATS)
def test_relu_jvp_is_nan_safe_and_exact(dtype):
    x = kinked_input(dtype)
    tangent = np.full(x.shape, np.inf, dtype=dtype)
    out, out_tangent = wg.jvp(wnp.relu, (x,), (tangent,))
    assert out_tangent.dtype == dtype
    assert_same_bits(out_tangent, np.where(x > 0, tangent, dtype(0.0)))


def test_relu_rule_reads_only_the_output():
    # The reverse pass keeps relu's output (which the next layer keeps anyway), not its input.
    assert wnp.relu.primitive.read_positions == (-1,)


def test_relu_derivatives_against_analytic_values_and_finite_differences():
    x = np.array([-1.5, -0.25, 0.3, 1.2, 2.0])
    np.testing.assert_array_equal(wg.grad(lambda v: wnp.sum(wnp.relu(v)))(x), (x > 0) * 1.0)
    # relu(x)³ has derivative 3·relu(x)² and second derivative 6·relu(x): the traced rule is differentiated again.
    cube = lambda v: wnp.sum(wnp.relu(v) ** 3)  # noqa: E731
    np.testing.assert_allclose(wg.grad(cube)(x), 3 * np.maximum(x, 0) ** 2)
    np.testing.assert_allclose(wg.hessian(cube)(x), np.diag(6 * np.maximum(x, 0)))
    check_grads(lambda v: wnp.relu(v) * v * v, (x,), order=2, modes=("fwd", "rev"))
    check_grads(lambda v: wnp.sin(wnp.relu(v) * 2.0), (x.reshape(5, 1),), order=2, modes=("fwd", "rev"))


def test_relu_second_order_through_create_graph():
    x = wg.tensor(np.array([-1.0, 0.5, 2.0]), requires_grad=True)
    (first,) = wg.autograd.grad(wnp.sum(wnp.relu(x) ** 3), x, create_graph=True)
    np.testing.assert_allclose(first.detach().numpy(), [0.0, 0.75, 12.0])
    (second,) = wg.autograd.grad(wnp.sum(first), x)
    np.testing.assert_allclose(second.numpy(), [0.0, 3.0, 12.0])


# -- the B4 shape in miniature: relu MLP, softmax cross-entropy -------------------------------------


def mlp_problem(dtype, seed=0):
    rng = np.random.default_rng(seed)
    sizes = (7, 12, 9, 4)
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        params += [rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in), 0.1 * rng.standard_normal(fan_out)]
    x = rng.standard_normal((10, sizes[0]))
    labels = rng.integers(0, sizes[-1], 10)
    return [p.astype(dtype) for p in params], x.astype(dtype), labels


def functional_mlp_loss(params, x, labels):
    hidden = x
    for layer in range(len(params) // 2 - 1):
        hidden = wnp.relu(hidden @ params[2 * layer] + params[2 * layer + 1])
    return nn.cross_entropy(hidden @ params[-2] + params[-1], labels)


def hand_gradients(params, x, labels):
    """Loss and gradients by hand in NumPy: (softmax − onehot)/N through the layers, relu mask."""
    w1, b1, w2, b2, w3, b3 = params
    h1 = np.maximum(x @ w1 + b1, 0)
    h2 = np.maximum(h1 @ w2 + b2, 0)
    logits = h2 @ w3 + b3
    shifted = logits - logits.max(axis=1, keepdims=True)
    probabilities = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    rows = np.arange(len(labels))
    loss = -np.log(probabilities[rows, labels]).mean()
    d_logits = probabilities.copy()
    d_logits[rows, labels] -= 1.0
    d_logits /= len(labels)
    d_h2 = (d_logits @ w3.T) * (h2 > 0)
    d_h1 = (d_h2 @ w2.T) * (h1 > 0)
    grads = [x.T @ d_h1, d_h1.sum(0), h1.T @ d_h2, d_h2.sum(0), h2.T @ d_logits, d_logits.sum(0)]
    return loss, grads


def torch_layout(model, params):
    """The state dict of ``model`` holding ``params`` ([W1, b1, …], W of shape (in, out)): nn.Linear keeps W.T."""
    values = [p.T if p.ndim == 2 else p for p in params]
    return {name: value for (name, _), value in zip(model.named_parameters(), values)}


def test_relu_mlp_gradients_match_the_hand_written_backward_pass_in_both_dialects():
    params, x, labels = mlp_problem(np.float64)
    expected_loss, expected = hand_gradients(params, x, labels)
    loss, grads = wg.value_and_grad(functional_mlp_loss)(params, x, labels)
    np.testing.assert_allclose(loss, expected_loss, rtol=1e-13)
    for got, want in zip(grads, expected):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
    model = nn.MLP([7, 12, 9, 4], activation="relu", seed=0)
    model.load_state_dict(torch_layout(model, params))
    nn.cross_entropy(model(x), labels).backward()
    for parameter, want in zip(model.parameters(), expected):
        np.testing.assert_allclose(parameter.grad.numpy(), want.T if want.ndim == 2 else want, rtol=1e-12, atol=1e-15)


def test_relu_mlp_loss_passes_check_grads_to_second_order():
    params, x, labels = mlp_problem(np.float64, seed=3)
    check_grads(lambda *p: functional_mlp_loss(list(p), x, labels), tuple(params), order=2, modes=("rev",))


def test_float32_relu_mlp_stays_float32_end_to_end():
    params, x, labels = mlp_problem(np.float32)
    loss, grads = wg.value_and_grad(functional_mlp_loss)(params, x, labels)
    assert loss.dtype == np.float32 and all(g.dtype == np.float32 for g in grads)
    reference_loss, reference = hand_gradients([p.astype(np.float64) for p in params], x.astype(np.float64), labels)
    np.testing.assert_allclose(loss, reference_loss, rtol=1e-5)
    for got, want in zip(grads, reference):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)
    model = nn.MLP([7, 12, 9, 4], activation="relu", seed=0, dtype=np.float32)
    model.load_state_dict(torch_layout(model, params))
    model_loss = nn.cross_entropy(model(x), labels)
    model_loss.backward()
    assert model_loss.dtype == np.float32
    assert all(p.grad.dtype == np.float32 for p in model.parameters())


# -- cross_entropy of integer labels: one primitive, (softmax - onehot)·g/N ------------------------------


def composite_cross_entropy(logits, labels, reduction="mean"):
    """The same loss as a composition of primitives (log_softmax, pick, negate, reduce)."""
    return nn.nll_loss(wnp.log_softmax(logits, axis=-1), labels, reduction=reduction)


def scores_and_labels(shape=(6, 5), seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return (3 * rng.standard_normal(shape)).astype(dtype), rng.integers(0, shape[-1], shape[:-1])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape", [(6, 5), (2, 3, 4), (5,)])
def test_fused_cross_entropy_matches_the_composition_in_value_and_gradient(reduction, shape):
    logits, labels = scores_and_labels(shape)
    loss = nn.cross_entropy(logits, labels, reduction=reduction)
    np.testing.assert_allclose(loss, composite_cross_entropy(logits, labels, reduction), rtol=1e-15, atol=0)
    weights = np.random.default_rng(1).standard_normal(np.shape(loss))

    def weighted(function):
        return lambda z: wnp.sum(function(z, labels, reduction=reduction) * weights)

    np.testing.assert_allclose(
        wg.grad(weighted(nn.cross_entropy))(logits), wg.grad(weighted(composite_cross_entropy))(logits), atol=1e-15
    )


def test_fused_cross_entropy_gradient_is_softmax_minus_onehot_over_n():
    logits, labels = scores_and_labels((8, 4), seed=2)
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    expected = probabilities.copy()
    expected[np.arange(8), labels] -= 1.0
    np.testing.assert_allclose(wg.grad(nn.cross_entropy)(logits, labels), expected / 8, rtol=1e-13, atol=1e-16)
    np.testing.assert_allclose(
        wg.grad(lambda z: nn.cross_entropy(z, labels, reduction="sum"))(logits), expected, rtol=1e-13, atol=1e-16
    )
    tensor = wg.tensor(logits, requires_grad=True)
    nn.cross_entropy(tensor, labels).backward()
    np.testing.assert_allclose(tensor.grad.numpy(), expected / 8, rtol=1e-13, atol=1e-16)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_fused_cross_entropy_passes_check_grads_and_adjoint_to_second_order(reduction):
    from wengert.testing import check_adjoint

    logits, labels = scores_and_labels((4, 3), seed=4)
    loss = lambda z: nn.cross_entropy(z, labels, reduction=reduction)  # noqa: E731
    check_grads(loss, (logits,), order=2, modes=("fwd", "rev"))
    check_adjoint(loss, (logits,))


def test_fused_cross_entropy_hessian_is_the_softmax_jacobian_over_n():
    logits, labels = scores_and_labels((3, 4), seed=5)
    hessian = wg.hessian(nn.cross_entropy)(logits, labels)
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    for row in range(3):
        p = probabilities[row]
        np.testing.assert_allclose(hessian[row, :, row, :], (np.diag(p) - np.outer(p, p)) / 3, atol=1e-15)
    assert np.all(hessian[0, :, 1, :] == 0.0)


def test_fused_cross_entropy_under_vmap_is_the_per_example_loss():
    stacked, labels = scores_and_labels((5, 6, 4), seed=6)  # 5 batches of 6 examples
    for reduction in ("mean", "sum", "none"):
        batched = wg.vmap(lambda z: nn.cross_entropy(z, labels[0], reduction=reduction))(stacked)
        expected = np.stack([composite_cross_entropy(z, labels[0], reduction) for z in stacked])
        np.testing.assert_allclose(batched, expected, rtol=1e-14)
    per_example = wg.vmap(wg.grad(lambda z: nn.cross_entropy(z, labels[0])))(stacked)
    np.testing.assert_allclose(per_example[2], wg.grad(nn.cross_entropy)(stacked[2], labels[0]), atol=1e-16)


def test_fused_cross_entropy_is_stable_and_keeps_float32():
    np.testing.assert_allclose(nn.cross_entropy(np.array([[1000.0, 0.0]]), [1]), 1000.0)
    np.testing.assert_allclose(nn.cross_entropy(np.array([[1e308, 1e308]]), [0]), np.log(2.0))
    assert np.isfinite(wg.grad(nn.cross_entropy)(np.array([[1e308, 1e307]]), np.array([1]))).all()
    logits, labels = scores_and_labels((6, 5), dtype=np.float32)
    loss, gradient = wg.value_and_grad(nn.cross_entropy)(logits, labels)
    assert loss.dtype == np.float32 and gradient.dtype == np.float32
    tensor = wg.tensor(logits, requires_grad=True)
    tensor_loss = nn.cross_entropy(tensor, labels, reduction="none")
    tensor_loss.sum().backward()
    assert tensor_loss.dtype == np.float32 and tensor.grad.dtype == np.float32


def test_fused_cross_entropy_second_order_through_create_graph():
    logits, labels = scores_and_labels((3, 4), seed=7)
    tensor = wg.tensor(logits, requires_grad=True)
    (first,) = wg.autograd.grad(nn.cross_entropy(tensor, labels), tensor, create_graph=True)
    direction = np.random.default_rng(8).standard_normal(logits.shape)
    (second,) = wg.autograd.grad(wnp.sum(first * direction), tensor)
    np.testing.assert_allclose(
        second.numpy(), wg.hvp(lambda z: nn.cross_entropy(z, labels), (logits,), (direction,)), atol=1e-15
    )


def test_cross_entropy_still_checks_its_labels():
    logits = np.zeros((3, 4))
    with pytest.raises(IndexError, match="label 4 is out of range for 4 classes"):
        nn.cross_entropy(logits, [0, 1, 4])
    with pytest.raises(ValueError, match="labels of shape"):
        nn.cross_entropy(logits, [0, 1])
    with pytest.raises(ValueError, match="reduction must be one of"):
        nn.cross_entropy(logits, [0, 1, 2], reduction="average")
    with pytest.raises(ValueError, match="at least one axis"):
        nn.cross_entropy(np.float64(1.0), np.array(0))
