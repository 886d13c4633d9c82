"""Gradient checkpointing: the same values and derivatives, recomputation instead of memory.

`checkpoint(f)` and `checkpoint_sequential` against the unchecked program under
every transform (first and second order, nested, both dialects), and a
measurement of what the tape holds after the forward pass.
"""

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert.teach import tape_nbytes


def tape_bytes(output, exclude=()):
    """The bytes the recorded graph behind ``output`` holds (``wengert.teach.tape_nbytes``)."""
    return tape_nbytes(output, exclude)


RNG = np.random.default_rng(0)
X = RNG.standard_normal(4)
W = RNG.standard_normal((4, 4)) / 2.0
B = RNG.standard_normal(4)


def layer(x, w, b):
    return wnp.tanh(w @ x + b)


checkpointed_layer = wg.checkpoint(layer)


def two_layer_loss(layer_function):
    def loss(x, w, b):
        return wnp.sum(layer_function(layer_function(x, w, b), w, b) ** 2)

    return loss


PLAIN = two_layer_loss(layer)
CHECKPOINTED = two_layer_loss(checkpointed_layer)
ARGS = (X, W, B)


def assert_trees_equal(actual, expected, rtol=0.0):
    actual_leaves, actual_tree = wg.tree_flatten(actual)
    expected_leaves, expected_tree = wg.tree_flatten(expected)
    assert actual_tree == expected_tree
    for a, e in zip(actual_leaves, expected_leaves):
        if rtol:
            np.testing.assert_allclose(np.asarray(a), np.asarray(e), rtol=rtol, atol=1e-15)
        else:
            np.testing.assert_array_equal(np.asarray(a), np.asarray(e))


# -- the functional dialect ------------------------------------------------------------------------

TANGENTS = (np.ones(4), np.eye(4), np.full(4, 0.5))

# Each entry takes a two-layer loss and the layer it is built from.
FUNCTIONAL = {
    "value": lambda loss, one_layer: loss(*ARGS),
    "grad": lambda loss, one_layer: wg.grad(loss, argnums=(0, 1, 2))(*ARGS),
    "value_and_grad": lambda loss, one_layer: wg.value_and_grad(loss, argnums=(0, 1, 2))(*ARGS),
    "jvp": lambda loss, one_layer: wg.jvp(loss, ARGS, TANGENTS),
    "vjp": lambda loss, one_layer: wg.vjp(lambda x, w: one_layer(x, w, B), X, W)[1](np.arange(4.0)),
    "jacrev": lambda loss, one_layer: wg.jacrev(lambda x: one_layer(x, W, B))(X),
    "jacfwd": lambda loss, one_layer: wg.jacfwd(lambda x: one_layer(x, W, B))(X),
}


@pytest.mark.parametrize("name", FUNCTIONAL)
def test_checkpoint_gives_identical_first_derivatives(name):
    assert_trees_equal(FUNCTIONAL[name](CHECKPOINTED, checkpointed_layer), FUNCTIONAL[name](PLAIN, layer))


SECOND_ORDER = {
    "hessian": lambda f: wg.hessian(f, argnums=(0, 2))(*ARGS),
    "grad(grad)": lambda f: wg.grad(lambda x: wnp.sum(wg.grad(f)(x, W, B) ** 2))(X),
    "jvp(grad)": lambda f: wg.jvp(lambda x: wg.grad(f)(x, W, B), (X,), (np.ones(4),)),
    "grad(jvp)": lambda f: wg.grad(lambda x: wg.jvp(f, (x, W, B), TANGENTS)[1])(X),
    "hvp": lambda f: wg.hvp(lambda w: f(X, w, B), (W,), (np.eye(4),)),
}


@pytest.mark.parametrize("name", SECOND_ORDER)
def test_checkpoint_gives_the_same_second_derivatives(name):
    assert_trees_equal(SECOND_ORDER[name](CHECKPOINTED), SECOND_ORDER[name](PLAIN), rtol=1e-14)


def test_nested_checkpoints_in_the_functional_dialect():
    inner = wg.checkpoint(lambda x, w: wnp.sin(w @ x))
    outer = wg.checkpoint(lambda x, w: inner(inner(x, w), w) * 2.0)

    def checkpointed(x, w):
        return wnp.sum(outer(x, w) ** 2)

    def plain(x, w):
        return wnp.sum((wnp.sin(w @ wnp.sin(w @ x)) * 2.0) ** 2)

    assert checkpointed(X, W) == plain(X, W)
    assert_trees_equal(wg.grad(checkpointed, (0, 1))(X, W), wg.grad(plain, (0, 1))(X, W))
    assert_trees_equal(wg.hessian(checkpointed)(X, W), wg.hessian(plain)(X, W), rtol=1e-14)


def test_checkpoint_recomputes_the_function_in_the_backward_pass():
    calls = []

    def f(x):
        calls.append(1)
        return wnp.sin(x) * x

    checkpointed = wg.checkpoint(f)
    assert wg.grad(lambda x: checkpointed(x) * 2.0)(0.5) == wg.grad(lambda x: f(x) * 2.0)(0.5)
    assert len(calls) == 1 + 1 + 1  # the plain run, then the checkpointed forward and its recomputation
    calls.clear()
    _, vjp_fn = wg.vjp(checkpointed, 0.5)
    assert len(calls) == 1
    vjp_fn(1.0)
    vjp_fn(1.0)
    assert len(calls) == 3  # once per pullback


def test_checkpoint_of_plain_values_is_the_function():
    checkpointed = wg.checkpoint(lambda x, y: x * y + 1.0)
    assert checkpointed(2.0, 3.0) == 7.0
    np.testing.assert_array_equal(checkpointed(X, X), X * X + 1.0)


def test_checkpoint_with_pytree_arguments():
    checkpointed = wg.checkpoint(lambda p: p["w"] @ p["x"])
    gradient = wg.grad(lambda p: wnp.sum(checkpointed(p) ** 2))({"w": W, "x": X})
    expected = wg.grad(lambda p: wnp.sum((p["w"] @ p["x"]) ** 2))({"w": W, "x": X})
    assert_trees_equal(gradient, expected)


def test_checkpoint_of_a_closure_over_a_traced_value_says_to_pass_it_as_an_argument():
    def loss(w, x):
        return wnp.sum(wg.checkpoint(lambda v: wnp.tanh(w @ v))(x))

    with pytest.raises(TypeError, match="not one of its arguments; pass it as an argument"):
        wg.grad(loss, argnums=(0, 1))(W, X)


def test_checkpoint_of_a_closure_over_a_traced_value_is_still_correct():
    """With plain arguments the closed-over tracer records the interior itself: right, just not checkpointed."""
    checkpointed = wg.grad(lambda w: wnp.sum(wg.checkpoint(lambda v: wnp.tanh(w @ v))(X)))(W)
    plain = wg.grad(lambda w: wnp.sum(wnp.tanh(w @ X)))(W)
    np.testing.assert_allclose(checkpointed, plain, rtol=1e-15)


def test_vmap_of_jvp_through_checkpoint_with_a_batched_constant_argument():
    checkpointed = wg.checkpoint(lambda x, scale: wnp.sin(x) * scale)
    scales = np.array([1.0, 2.0, 3.0])
    tangents = wg.vmap(lambda s: wg.jvp(lambda x: checkpointed(x, s), (0.3,), (1.0,))[1])(scales)
    np.testing.assert_allclose(tangents, np.cos(0.3) * scales, rtol=1e-15)


def test_vmap_through_checkpoint():
    checkpointed = wg.checkpoint(lambda x, scale: wnp.sin(x) * scale)
    xs = np.array([0.3, 0.5, -1.0])
    np.testing.assert_array_equal(wg.vmap(lambda x: checkpointed(x, 2.0))(xs), np.sin(xs) * 2.0)
    np.testing.assert_allclose(wg.vmap(wg.grad(lambda x: checkpointed(x, 2.0)))(xs), 2.0 * np.cos(xs), rtol=1e-15)


# -- the PyTorch dialect: parameters captured by closure --------------------------------------------


def tensor_gradients(use_checkpoint, create_graph=False):
    """Gradients of a two-layer loss in x, w, b, with the parameters captured by the layer's closure."""
    x = wg.tensor(X, requires_grad=True)
    w = wg.tensor(W, requires_grad=True)
    b = wg.tensor(B, requires_grad=True)

    def closure_layer(h):
        return wnp.tanh(w @ h + b)

    apply = wg.checkpoint(closure_layer) if use_checkpoint else closure_layer
    loss = wnp.sum(apply(apply(x)) ** 2)
    if not create_graph:
        loss.backward()
        return loss.item(), [t.grad.numpy() for t in (x, w, b)]
    gradient_x, gradient_w = wg.autograd.grad(loss, [x, w], create_graph=True)
    penalty = wnp.sum(gradient_x**2) + wnp.sum(gradient_w * gradient_w)
    return penalty.item(), [g.numpy() for g in wg.autograd.grad(penalty, [x, w, b])]


def test_checkpoint_with_closure_parameters_gives_identical_tensor_gradients():
    value, gradients = tensor_gradients(use_checkpoint=True)
    expected_value, expected = tensor_gradients(use_checkpoint=False)
    assert value == expected_value
    assert_trees_equal(gradients, expected)
    assert_trees_equal(gradients, list(wg.grad(PLAIN, argnums=(0, 1, 2))(*ARGS)))


def test_checkpoint_with_closure_parameters_under_create_graph():
    value, gradients = tensor_gradients(use_checkpoint=True, create_graph=True)
    expected_value, expected = tensor_gradients(use_checkpoint=False, create_graph=True)
    assert value == pytest.approx(expected_value, rel=1e-15)
    assert_trees_equal(gradients, expected, rtol=1e-14)


def test_nested_checkpoints_with_closure_parameters():
    def gradient(use_checkpoint):
        w = wg.tensor(W, requires_grad=True)
        wrap = wg.checkpoint if use_checkpoint else (lambda f: f)
        inner = wrap(lambda h: wnp.sin(w @ h))
        outer = wrap(lambda h: inner(inner(h)) * 2.0)
        wnp.sum(outer(wg.tensor(X)) ** 2).backward()
        return w.grad.numpy()

    np.testing.assert_array_equal(gradient(True), gradient(False))


def test_checkpointed_tensor_output_without_recorded_inputs_does_not_require_grad():
    checkpointed = wg.checkpoint(lambda h: wnp.sin(h) * 2.0)
    out = checkpointed(wg.tensor(X))
    assert not out.requires_grad
    np.testing.assert_array_equal(out.numpy(), np.sin(X) * 2.0)
    with wg.no_grad():
        out = checkpointed(wg.tensor(X, requires_grad=True))
    assert not out.requires_grad


def test_checkpoint_backward_twice_needs_retain_graph_like_the_rest_of_the_graph():
    checkpointed = wg.checkpoint(lambda h: wnp.sin(h) * h)
    x = wg.tensor(0.5, requires_grad=True)
    y = checkpointed(x) * 2.0
    y.backward(retain_graph=True)
    y.backward()
    assert x.grad.item() == pytest.approx(2 * 2 * (np.cos(0.5) * 0.5 + np.sin(0.5)), rel=1e-15)
    y = checkpointed(x) * 2.0
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_checkpoint_returning_a_tuple_of_tensors_keeps_them_differentiable_or_raises():
    x = wg.tensor(1.0, requires_grad=True)
    try:
        doubled, squared = wg.checkpoint(lambda h: (h * 2.0, h * h))(x)
    except TypeError:
        return  # refusing several outputs with a clear error is fine too
    (doubled + squared + x).backward()
    assert x.grad.item() == 2.0 + 2.0 + 1.0


def test_grad_of_a_checkpointed_function_at_a_tensor_stays_on_the_tensor_graph():
    def f(x):
        return wnp.sin(x) * x

    def outer_gradient(function):
        t = wg.tensor(0.5, requires_grad=True)
        (wg.grad(function)(t) * t).backward()  # d/dt [f'(t) · t] = f''(t) · t + f'(t)
        return t.grad.item()

    assert outer_gradient(f) == pytest.approx(
        (-np.sin(0.5) * 0.5 + 2 * np.cos(0.5)) * 0.5 + np.cos(0.5) * 0.5 + np.sin(0.5)
    )
    assert outer_gradient(wg.checkpoint(f)) == pytest.approx(outer_gradient(f), rel=1e-15)


# -- checkpoint_sequential -------------------------------------------------------------------------


def tanh_chain(count, size, seed):
    rng = np.random.default_rng(seed)
    weights = [rng.standard_normal((size, size)) / np.sqrt(size) for _ in range(count)]
    return weights, rng.standard_normal((size, size))


@pytest.mark.parametrize("segments", [1, 2, 3, 4, 8, 20])
def test_checkpoint_sequential_on_a_tanh_chain_gives_identical_values_and_gradients(segments):
    weight_arrays, x0 = tanh_chain(8, 6, seed=1)
    weights = [wg.tensor(w, requires_grad=True) for w in weight_arrays]
    layers = [lambda h, w=w: wnp.tanh(h @ w) for w in weights]
    out = wg.checkpoint_sequential(layers, segments, wg.tensor(x0))
    wnp.sum(out**2).backward()
    gradients = [w.grad.numpy() for w in weights]

    plain_weights = [wg.tensor(w, requires_grad=True) for w in weight_arrays]
    plain = wg.tensor(x0)
    for w in plain_weights:
        plain = wnp.tanh(plain @ w)
    wnp.sum(plain**2).backward()
    np.testing.assert_array_equal(out.detach().numpy(), plain.detach().numpy())
    assert_trees_equal(gradients, [w.grad.numpy() for w in plain_weights])


def test_checkpoint_sequential_in_the_functional_dialect():
    _, x0 = tanh_chain(0, 5, seed=2)
    layers = [wnp.tanh, wnp.sin, lambda h: h @ h.T, wnp.tanh, wnp.cos, wnp.tanh]

    def chained(x, segments):
        return wnp.sum(wg.checkpoint_sequential(layers, segments, x))

    def plain(x):
        for f in layers:
            x = f(x)
        return wnp.sum(x)

    for segments in (1, 2, 3, 6):
        assert_trees_equal(wg.grad(chained)(x0, segments), wg.grad(plain)(x0))
        assert_trees_equal(wg.hessian(chained)(x0[:2, :2], segments), wg.hessian(plain)(x0[:2, :2]), rtol=1e-14)


def test_checkpoint_sequential_with_no_segments_says_so():
    with pytest.raises(ValueError, match="segments must be at least 1, got 0"):
        wg.checkpoint_sequential([wnp.sin], 0, 1.0)


# -- memory: what the tape holds after the forward pass --------------------------------------------


def test_tape_bytes_counts_each_saved_array_once():
    x = wg.tensor(np.ones(10), requires_grad=True)
    y = wnp.sin(x)  # saves x (its rule reads cos x), not sin(x) (its rule never reads the answer)
    z = y * y  # saves y twice: one array
    assert tape_bytes(z) == 2 * 80
    assert tape_bytes(z, exclude=[x]) == 80


def test_checkpoint_sequential_keeps_much_less_on_the_tape():
    # 32 layers tanh(h @ W) of 256×256 in float64: unchecked, the tape keeps what the rules read, each
    # layer's input (matmul reads it) and tanh output (its rule reads its answer): 33 arrays of 0.5 MB
    # beside the weights; in √32 ≈ 6 segments it keeps the segment inputs and the last segment's interior.
    weight_arrays, x0 = tanh_chain(32, 256, seed=3)
    weights = [wg.tensor(w, requires_grad=True) for w in weight_arrays]
    layers = [lambda h, w=w: wnp.tanh(h @ w) for w in weights]

    plain = wg.tensor(x0)
    for f in layers:
        plain = f(plain)
    plain_bytes = tape_bytes(plain, exclude=weights)
    del plain

    checkpointed = wg.checkpoint_sequential(layers, 6, wg.tensor(x0))
    checkpointed_bytes = tape_bytes(checkpointed, exclude=weights)
    activation = 256 * 256 * 8
    assert plain_bytes >= 33 * activation
    assert checkpointed_bytes < 0.5 * plain_bytes
    assert checkpointed_bytes <= 16 * activation


# -- random draws are replayed in the recomputation (PyTorch's preserve_rng_state) --------------

POINTS = np.linspace(-1.0, 1.0, 16)


def global_dropout(x):
    """Dropout with NumPy's global generator (np.random.*)."""
    keep = np.random.random(np.shape(x)) > 0.5
    return wnp.tanh(x) * keep * 2.0


class Dropout:
    """A callable object holding its own generator, as a dropout layer would."""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)

    def __call__(self, x):
        keep = self.rng.random(np.shape(x)) > 0.5
        return wnp.tanh(x) * keep * 2.0


def closure_dropout(seed):
    rng = np.random.default_rng(seed)

    def dropout(x):
        return wnp.tanh(x) * (rng.random(np.shape(x)) > 0.5) * 2.0

    return dropout


def reseeded(make):
    """Fresh randomness for each run: reseed the global generator and build the function anew."""
    np.random.seed(7)
    return make()


@pytest.mark.parametrize(
    "make",
    [lambda: global_dropout, lambda: Dropout(3), lambda: closure_dropout(4), lambda: Dropout(5).__call__],
    ids=["np.random", "layer", "closure", "bound method"],
)
@pytest.mark.parametrize("dialect", ["functional", "tensor", "forward"])
def test_a_checkpointed_dropout_sees_its_forward_draws_again(make, dialect):
    def gradient(function):
        loss = lambda x: wnp.sum(function(x) ** 2)  # noqa: E731
        if dialect == "functional":
            return wg.grad(loss)(POINTS)
        if dialect == "forward":
            return wg.jacfwd(loss)(POINTS)
        x = wg.tensor(POINTS, requires_grad=True)
        loss(x).backward()
        return x.grad.numpy()

    plain = gradient(reseeded(make))
    function = reseeded(make)
    checkpointed = gradient(wg.checkpoint(function))
    np.testing.assert_allclose(checkpointed, plain, rtol=1e-14, atol=0)
    assert np.count_nonzero(plain) not in (0, POINTS.size)  # the mask really drops some points


def test_later_draws_are_not_disturbed_by_the_recomputation():
    function = reseeded(lambda: Dropout(3))
    wg.grad(lambda x: wnp.sum(wg.checkpoint(function)(x)))(POINTS)
    after_checkpointed = (function.rng.random(), np.random.random())
    function = reseeded(lambda: Dropout(3))
    wg.grad(lambda x: wnp.sum(function(x)))(POINTS)
    assert (function.rng.random(), np.random.random()) == after_checkpointed


def test_checkpoint_sequential_replays_draws_of_every_segment():
    layers = [Dropout(1), wnp.sin, Dropout(2), wnp.cos]
    np.random.seed(0)
    reference = wg.grad(lambda x: wnp.sum(wg.checkpoint_sequential([Dropout(1), wnp.sin, Dropout(2), wnp.cos], 1, x)))(
        POINTS
    )
    np.random.seed(0)
    checkpointed = wg.grad(lambda x: wnp.sum(wg.checkpoint_sequential(layers, 4, x)))(POINTS)
    np.testing.assert_allclose(checkpointed, reference, rtol=1e-14, atol=0)


def test_without_preserve_rng_state_the_recomputation_draws_anew():
    np.random.seed(7)
    plain = wg.grad(lambda x: wnp.sum(global_dropout(x)))(POINTS)
    np.random.seed(7)
    unpreserved = wg.grad(lambda x: wnp.sum(wg.checkpoint(global_dropout, preserve_rng_state=False)(x)))(POINTS)
    assert not np.allclose(unpreserved, plain)
