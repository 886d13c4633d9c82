"""The fused Taylor step through tanh (`wengert.numpy.taylor_steps.tanh_taylor_step`).

Its values equal the composed step (tanh, σ' = 1 − y², σ'' = −2y·σ', written with
`wengert.numpy` operations) in both layouts (full blocks and the entry form), with
and without a bias, several row chunks or one, float64 and float32 (kept float32);
its in-place NumPy VJP equals its composed VJP and the reference's gradient;
check_grads passes at orders 1 and 2 in both modes; the JVP and VJP rules are
adjoint; vmap's batch rule equals a loop over examples; bad layouts are named.
"""

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert.numpy import taylor_steps
from wengert.numpy.taylor_steps import tanh_taylor_step
from wengert.testing import check_adjoint, check_grads

FIRST = 2
# u_xx; the wave operator u_tt − u_xx as one stream; a mixed term with a coefficient
TERMS = (((0, 0, 1.0),), ((1, 1, 1.0), (0, 0, -1.0)), ((0, 1, 2.0),))
COUNT = 1 + FIRST + len(TERMS)


def reference(streams, bias, entry, first=FIRST, terms=TERMS):
    """The composed step: every block through tanh by its closed forms, in wengert operations."""
    count = 1 + first + len(terms)
    points = wnp.shape(streams)[-2] - first if entry else wnp.shape(streams)[-2] // count

    def block(index):
        return streams[..., index * points : (index + 1) * points, :]

    z = block(0) if bias is None else block(0) + bias
    y = wnp.tanh(z)
    slope = 1.0 - y * y
    curvature = -2.0 * y * slope
    if entry:
        tangents = [streams[..., points + i : points + i + 1, :] for i in range(first)]
        curvatures = [None] * len(terms)
    else:
        tangents = [block(1 + i) for i in range(first)]
        curvatures = [block(1 + first + k) for k in range(len(terms))]
    out = [y] + [slope * t + 0.0 * y for t in tangents]
    for k, stream_terms in enumerate(terms):
        quadratic = sum(c * tangents[i] * tangents[j] for i, j, c in stream_terms)
        second = curvature * quadratic
        out.append(second if curvatures[k] is None else second + slope * curvatures[k])
    return wnp.concatenate(out, axis=-2)


def data(entry, points=7, width=3, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    rows = points + FIRST if entry else COUNT * points
    streams = rng.normal(size=(rows, width)).astype(dtype)
    bias = rng.normal(size=width).astype(dtype)
    return streams, bias


def step(entry, with_bias=True):
    if with_bias:
        return lambda streams, bias: tanh_taylor_step(streams, bias, first=FIRST, terms=TERMS, entry=entry)
    return lambda streams: tanh_taylor_step(streams, first=FIRST, terms=TERMS, entry=entry)


@pytest.fixture(params=[None, 6], ids=["one chunk", "chunks of 2 rows"])
def chunks(request, monkeypatch):
    """Run once as is and once with row chunks of 2 rows of width 3 (7 points: a short last chunk)."""
    if request.param is not None:
        monkeypatch.setattr(taylor_steps, "CHUNK_ELEMENTS", request.param)


@pytest.mark.parametrize("entry", [False, True], ids=["blocks", "entry"])
@pytest.mark.parametrize("with_bias", [True, False], ids=["bias", "no bias"])
def test_values_equal_the_composed_step(chunks, entry, with_bias):
    streams, bias = data(entry)
    fused = tanh_taylor_step(streams, bias if with_bias else None, first=FIRST, terms=TERMS, entry=entry)
    expected = reference(streams, bias if with_bias else None, entry)
    assert fused.shape == (COUNT * 7, 3)
    np.testing.assert_allclose(fused, expected, rtol=1e-13, atol=1e-14)


@pytest.mark.parametrize("entry", [False, True], ids=["blocks", "entry"])
def test_float32_stays_float32(chunks, entry):
    streams, bias = data(entry, dtype=np.float32)
    fused = tanh_taylor_step(streams, bias, first=FIRST, terms=TERMS, entry=entry)
    assert fused.dtype == np.float32
    np.testing.assert_allclose(fused, reference(streams, bias, entry), rtol=2e-5, atol=2e-6)
    cotangent = np.random.default_rng(1).normal(size=fused.shape).astype(np.float32)
    grads = wg.grad(lambda s, b: wnp.sum(step(entry)(s, b) * cotangent), argnums=(0, 1))(streams, bias)
    assert all(g.dtype == np.float32 for g in grads)
    expected = wg.grad(lambda s, b: wnp.sum(reference(s, b, entry) * cotangent), argnums=(0, 1))(streams, bias)
    for got, want in zip(grads, expected):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("entry", [False, True], ids=["blocks", "entry"])
@pytest.mark.parametrize("with_bias", [True, False], ids=["bias", "no bias"])
def test_numpy_vjp_equals_the_composed_vjp_and_the_reference_gradient(chunks, entry, with_bias):
    streams, bias = data(entry)
    bias_args = (bias,) if with_bias else ()
    ans = tanh_taylor_step(streams, *bias_args, first=FIRST, terms=TERMS, entry=entry)
    cotangent = np.random.default_rng(3).normal(size=ans.shape)
    fast = taylor_steps._step_vjp_numpy(cotangent, ans, streams, bias_args, FIRST, TERMS, entry)
    composed = taylor_steps._step_vjp_composed(cotangent, ans, streams, bias_args, FIRST, TERMS, entry)
    assert fast is not None and len(fast) == len(composed) == 1 + len(bias_args)
    for a, b in zip(fast, composed):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)
    argnums = (0, 1) if with_bias else (0,)
    expected = wg.grad(lambda s, *b: wnp.sum(reference(s, b[0] if b else None, entry) * cotangent), argnums=argnums)(
        streams, *bias_args
    )
    for a, b in zip(fast, expected):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13)


def test_the_vjp_falls_back_to_its_composed_form_for_mixed_dtypes():
    streams, bias = data(False)
    ans = tanh_taylor_step(streams, bias, first=FIRST, terms=TERMS)
    assert taylor_steps._step_vjp_numpy(ans.astype(np.float32), ans, streams, (bias,), FIRST, TERMS, False) is None


@pytest.mark.parametrize("entry", [False, True], ids=["blocks", "entry"])
def test_check_grads_orders_1_and_2(entry):
    streams, bias = data(entry, points=3, width=2)
    check_grads(step(entry), (streams, bias), order=2, modes=("fwd", "rev"))
    check_grads(step(entry, with_bias=False), (streams,), order=2, modes=("fwd", "rev"))


@pytest.mark.parametrize("entry", [False, True], ids=["blocks", "entry"])
def test_jvp_and_vjp_rules_are_adjoint(entry):
    streams, bias = data(entry)
    check_adjoint(step(entry), (streams, bias))


def test_jvp_with_a_tangent_on_the_bias_only():
    streams, bias = data(False)
    direction = np.random.default_rng(5).normal(size=bias.shape)
    _, tangent = wg.jvp(lambda b: step(False)(streams, b), (bias,), (direction,))
    _, expected = wg.jvp(lambda b: reference(streams, b, False), (bias,), (direction,))
    np.testing.assert_allclose(tangent, expected, rtol=1e-12, atol=1e-13)


def test_second_order_through_the_tensor_dialect():
    """A Hessian-vector product of a loss through the step (create_graph) equals the composed step's."""
    streams, bias = data(False)
    weights = np.random.default_rng(9).normal(size=(COUNT * 7, 3))
    direction = np.random.default_rng(10).normal(size=streams.shape)

    def hvp(function):
        s = wg.tensor(streams, requires_grad=True)
        b = wg.tensor(bias, requires_grad=True)
        loss = wnp.sum(wnp.square(function(s, b)) * weights)
        (grad_s,) = wg.autograd.grad(loss, [s], create_graph=True)
        (second,) = wg.autograd.grad(wnp.sum(grad_s * direction), [s])
        return np.asarray(second.detach().numpy())

    np.testing.assert_allclose(hvp(step(False)), hvp(lambda s, b: reference(s, b, False)), rtol=1e-12, atol=1e-12)


def test_simple_layouts_no_derivative_streams_and_first_order_only():
    rng = np.random.default_rng(4)
    z, bias = rng.normal(size=(5, 3)), rng.normal(size=3)
    np.testing.assert_allclose(tanh_taylor_step(z, bias, first=0), np.tanh(z + bias), rtol=1e-15)
    stacked = rng.normal(size=(10, 3))  # z and one first-order stream
    out = tanh_taylor_step(stacked, first=1)
    y = np.tanh(stacked[:5])
    np.testing.assert_allclose(out, np.concatenate([y, (1 - y * y) * stacked[5:]]), rtol=1e-15)
    check_grads(lambda s: tanh_taylor_step(s, first=1), (stacked,), order=2, modes=("fwd", "rev"))


@pytest.mark.parametrize("entry", [False, True], ids=["blocks", "entry"])
def test_vmap_equals_a_loop_over_examples(entry):
    rng = np.random.default_rng(6)
    rows = 4 + FIRST if entry else COUNT * 4
    streams, biases = rng.normal(size=(3, rows, 2)), rng.normal(size=(3, 2))
    loop = np.stack([step(entry)(s, b) for s, b in zip(streams, biases)])
    np.testing.assert_allclose(wg.vmap(step(entry))(streams, biases), loop, rtol=1e-14)
    shared = np.stack([step(entry)(s, biases[0]) for s in streams])
    np.testing.assert_allclose(wg.vmap(step(entry), in_axes=(0, None))(streams, biases[0]), shared, rtol=1e-14)
    per_bias = np.stack([step(entry)(streams[0], b) for b in biases])
    np.testing.assert_allclose(wg.vmap(step(entry), in_axes=(None, 0))(streams[0], biases), per_bias, rtol=1e-14)
    # gradients of a batched loss through the batch rule
    grads = wg.grad(lambda s, b: wnp.sum(wg.vmap(step(entry))(s, b) ** 2), argnums=(0, 1))(streams, biases)
    expected = wg.grad(lambda s, b: sum(wnp.sum(reference(s[i], b[i], entry) ** 2) for i in range(3)), argnums=(0, 1))(
        streams, biases
    )
    for got, want in zip(grads, expected):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_bad_layouts_are_named():
    streams, bias = data(False)
    with pytest.raises(ValueError, match="not 6 blocks"):
        tanh_taylor_step(streams[:-1], bias, first=FIRST, terms=TERMS)
    with pytest.raises(ValueError, match="bias of shape"):
        tanh_taylor_step(streams, np.ones((7, 3)), first=FIRST, terms=TERMS)
    with pytest.raises(ValueError, match="outside the streams"):
        tanh_taylor_step(streams, bias, first=FIRST, terms=(((0, 2, 1.0),),) * 3)
    with pytest.raises(ValueError, match="has no terms"):
        tanh_taylor_step(streams, bias, first=FIRST, terms=((), (), ((0, 0, 1.0),)))
    with pytest.raises(TypeError, match="floating"):
        tanh_taylor_step(np.ones((6, 3), dtype=int), first=FIRST, terms=TERMS)
    with pytest.raises(ValueError, match="2 dimensions"):
        tanh_taylor_step(np.ones(6), first=0)
    with pytest.raises(ValueError, match="entry streams"):
        tanh_taylor_step(np.ones((2, 3)), first=FIRST, terms=TERMS, entry=True)
    with pytest.raises(TypeError, match="terms must be"):
        tanh_taylor_step(streams, first=FIRST, terms=((0, 0),))
    traced = wg.tensor(streams[:-1], requires_grad=True)
    with pytest.raises(ValueError, match="not 6 blocks"):  # checked before anything is recorded
        tanh_taylor_step(traced, bias, first=FIRST, terms=TERMS)


def test_one_node_on_the_wengert_list():
    streams, bias = data(False)
    listing = wg.trace(step(False), streams, bias)
    assert [entry.count("tanh_taylor_step") for entry in listing.to_text().splitlines()].count(1) == 1
    assert "tanh_taylor_step" in wnp.REGISTRY
