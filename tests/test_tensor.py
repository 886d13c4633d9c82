"""The PyTorch dialect: `wg.tensor`, ``.grad``, ``backward``, ``autograd.grad``, grad modes, in-place ops."""

import threading

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp

# -- construction and conversion ---------------------------------------------------------------


def test_tensor_from_python_floats_is_float64_and_copies():
    data = np.array([1.0, 2.0])
    t = wg.tensor(data)
    data[0] = 99.0
    assert t.dtype == np.float64 and t.tolist() == [1.0, 2.0]
    assert not t.requires_grad and t.is_leaf and t.grad is None


def test_tensor_dtype_and_requires_grad_arguments():
    t = wg.tensor([1, 2, 3], dtype=np.float32, requires_grad=True)
    assert t.dtype == np.float32 and t.requires_grad and t.is_leaf and t.grad_fn is None
    assert wg.tensor([1, 2]).dtype == np.int64
    assert wg.tensor(3.0).shape == ()


def test_shape_dtype_ndim_size_len_and_transpose():
    t = wg.tensor(np.arange(6.0).reshape(2, 3))
    assert t.shape == (2, 3) and t.ndim == 2 and t.dtype == np.float64
    assert t.size() == (2, 3) and t.size(1) == 3 and t.numel() == 6 and t.dim() == 2
    assert len(t) == 2
    np.testing.assert_array_equal(t.T.detach().numpy(), np.arange(6.0).reshape(2, 3).T)
    with pytest.raises(TypeError, match="0-d"):
        len(wg.tensor(1.0))


def test_item_numpy_tolist():
    assert wg.tensor(2.5).item() == 2.5 and isinstance(wg.tensor(2.5).item(), float)
    assert wg.tensor([[7.0]]).item() == 7.0
    with pytest.raises(ValueError, match=r"one-element tensors.*shape \(2,\)"):
        wg.tensor([1.0, 2.0]).item()
    t = wg.tensor([[1.0, 2.0]])
    assert isinstance(t.numpy(), np.ndarray) and t.numpy().shape == (1, 2)
    assert t.tolist() == [[1.0, 2.0]]
    assert float(wg.tensor(3.0)) == 3.0


def test_detach_cuts_the_graph_and_keeps_the_values():
    x = wg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    d = y.detach()
    assert not d.requires_grad and d.is_leaf
    np.testing.assert_array_equal(d.detach().numpy(), [3.0, 6.0])
    (y * d).sum().backward()  # d is a constant: d(y·d)/dx = 3·d
    np.testing.assert_array_equal(x.grad.detach().numpy(), [9.0, 18.0])


def test_requires_grad_underscore_on_leaves_and_not_on_results():
    t = wg.tensor([1.0, 2.0])
    assert t.requires_grad_() is t and t.requires_grad
    t.requires_grad_(False)
    assert not t.requires_grad
    t.requires_grad = True
    y = t * 2
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad_(False)


def test_clone_copies_values_and_passes_gradients_back():
    x = wg.tensor([1.0, 2.0], requires_grad=True)
    c = x.clone()
    assert c is not x and not c.is_leaf
    (c * c).sum().backward()
    np.testing.assert_array_equal(x.grad.detach().numpy(), [2.0, 4.0])
    source = x + 0.0
    copy = source.clone()
    assert copy.detach().numpy() is not source.detach().numpy()
    source.add_(1.0)  # the clone saved nothing that this change could spoil
    copy.sum().backward()
    np.testing.assert_array_equal(x.grad.detach().numpy(), [3.0, 5.0])
    plain = wg.tensor([1.0, 2.0])
    copy = plain.clone()
    copy[0] = 5.0
    assert plain.tolist() == [1.0, 2.0] and copy.tolist() == [5.0, 2.0]


# -- .grad accumulation and backward ------------------------------------------------------------


def test_grad_accumulates_over_two_backward_calls_with_retain_graph():
    x = wg.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    np.testing.assert_array_equal(x.grad.detach().numpy(), [2.0, 4.0])
    y.backward()
    np.testing.assert_array_equal(x.grad.detach().numpy(), [4.0, 8.0])


def test_grad_accumulates_into_a_shared_leaf_from_every_path():
    x = wg.tensor(3.0, requires_grad=True)
    (x * x + wnp.sin(x) + 2.0 * x).backward()
    assert x.grad.item() == pytest.approx(6.0 + np.cos(3.0) + 2.0, rel=1e-15)


def test_grads_of_several_leaves_and_zeroing_between_steps():
    w = wg.tensor([1.0, -1.0], requires_grad=True)
    b = wg.tensor(0.5, requires_grad=True)
    inputs = np.array([[1.0, 2.0], [3.0, 4.0]])
    loss = ((inputs @ w + b) ** 2).sum()  # residuals (-0.5, -0.5)
    loss.backward()
    np.testing.assert_allclose(w.grad.detach().numpy(), 2 * (-0.5) * inputs.sum(axis=0))
    assert b.grad.item() == pytest.approx(2 * (-0.5) * 2)
    w.grad.zero_()
    b.grad = None
    ((inputs @ w + b) ** 2).sum().backward()
    np.testing.assert_allclose(w.grad.detach().numpy(), 2 * (-0.5) * inputs.sum(axis=0))


def test_backward_with_a_gradient_for_a_non_scalar_output():
    x = wg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x**2).backward(gradient=np.array([1.0, 0.5, 0.0]))
    np.testing.assert_array_equal(x.grad.detach().numpy(), [2.0, 2.0, 0.0])
    (x**2).backward(gradient=wg.tensor([1.0, 1.0, 1.0]))
    np.testing.assert_array_equal(x.grad.detach().numpy(), [4.0, 6.0, 6.0])
    x.grad = None
    (x**2).backward([1.0, 1.0, 1.0])
    np.testing.assert_array_equal(x.grad.detach().numpy(), [2.0, 4.0, 6.0])


def test_retain_grad_keeps_the_gradient_of_a_non_leaf():
    x = wg.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3.0
    z = y * 2.0
    y.retain_grad()
    assert y.retains_grad and not z.retains_grad and not x.retains_grad
    (z * z).sum().backward()
    np.testing.assert_array_equal(y.grad.detach().numpy(), 2 * (y.detach().numpy() * 2.0) * 2.0)
    np.testing.assert_array_equal(x.grad.detach().numpy(), 2 * (x.detach().numpy() * 6.0) * 6.0)
    assert z.grad is None


def test_backward_with_inputs_accumulates_only_into_those():
    a = wg.tensor(2.0, requires_grad=True)
    b = wg.tensor(3.0, requires_grad=True)
    (a * b).backward(inputs=[a])
    assert a.grad.item() == 3.0 and b.grad is None


def test_autograd_backward_of_several_outputs():
    x = wg.tensor([1.0, 2.0], requires_grad=True)
    wg.autograd.backward([(x * x).sum(), (3.0 * x).sum()])
    np.testing.assert_array_equal(x.grad.detach().numpy(), [5.0, 7.0])


# -- autograd.grad -----------------------------------------------------------------------------


def test_autograd_grad_lists_of_outputs_and_inputs():
    a = wg.tensor(2.0, requires_grad=True)
    b = wg.tensor(3.0, requires_grad=True)
    da, db = wg.autograd.grad([a * b, a + b], [a, b], retain_graph=True)
    assert (da.item(), db.item()) == (4.0, 3.0)
    assert a.grad is None and b.grad is None  # returned, not accumulated


def test_autograd_grad_with_grad_outputs():
    a = wg.tensor(2.0, requires_grad=True)
    b = wg.tensor(3.0, requires_grad=True)
    da, db = wg.autograd.grad([a * b, a + b], [a, b], grad_outputs=[wg.tensor(1.0), wg.tensor(2.0)])
    assert (da.item(), db.item()) == (1 * 3 + 2 * 1, 1 * 2 + 2 * 1)


def test_autograd_grad_of_a_vector_output_with_an_array_of_ones():
    x = wg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for ones in (np.ones(3), wg.tensor(np.ones(3)), [1.0, 1.0, 1.0], [np.ones(3)]):
        (g,) = wg.autograd.grad(x**2, x, grad_outputs=ones)
        np.testing.assert_array_equal(g.detach().numpy(), [2.0, 4.0, 6.0])


def test_autograd_grad_allow_unused_returns_none():
    a = wg.tensor(2.0, requires_grad=True)
    unused = wg.tensor(4.0, requires_grad=True)
    with pytest.raises(RuntimeError, match="allow_unused"):
        wg.autograd.grad(a * a, [a, unused])
    da, d_unused = wg.autograd.grad(a * a, [a, unused], allow_unused=True)
    assert da.item() == 4.0 and d_unused is None


def test_autograd_grad_create_graph_gives_recorded_results_and_retains_by_default():
    x = wg.tensor(2.0, requires_grad=True)
    y = x**3
    (dy,) = wg.autograd.grad(y, x, create_graph=True)
    assert dy.requires_grad and dy.item() == 12.0
    (dy_again,) = wg.autograd.grad(y, x)  # the graph was retained by create_graph
    (d2y,) = wg.autograd.grad(dy, x)
    assert dy_again.item() == 12.0 and d2y.item() == 12.0 and not d2y.requires_grad


def test_autograd_grad_retain_graph_false_frees_it():
    x = wg.tensor(2.0, requires_grad=True)
    y = wnp.exp(x)
    wg.autograd.grad(y, x, retain_graph=False)
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        wg.autograd.grad(y, x)


def test_grad_outputs_that_require_grad_are_differentiated_through():
    # vjp(v) = v·cos(x); d/dv of Σ vjp = cos(x)
    x = wg.tensor([0.5, 1.0], requires_grad=True)
    v = wg.tensor([2.0, 3.0], requires_grad=True)
    (vjp,) = wg.autograd.grad(wnp.sin(x), x, grad_outputs=v, create_graph=True)
    (dv,) = wg.autograd.grad(vjp.sum(), v)
    np.testing.assert_allclose(dv.detach().numpy(), np.cos([0.5, 1.0]), rtol=1e-15)


# -- grad modes ---------------------------------------------------------------------------------


def test_no_grad_and_enable_grad_as_context_managers():
    x = wg.tensor(1.0, requires_grad=True)
    with wg.no_grad():
        assert not wg.is_grad_enabled()
        assert not (x * 2).requires_grad
        with wg.enable_grad():
            assert (x * 2).requires_grad
        assert not (x * 2).requires_grad
    assert wg.is_grad_enabled() and (x * 2).requires_grad


def test_no_grad_and_enable_grad_as_decorators():
    x = wg.tensor(1.0, requires_grad=True)

    @wg.no_grad()
    def double(t):
        return t * 2

    @wg.no_grad
    def triple(t):
        return t * 3

    @wg.enable_grad()
    def quadruple(t):
        return t * 4

    assert not double(x).requires_grad and not triple(x).requires_grad
    assert double.__name__ == "double"
    with wg.no_grad():
        assert quadruple(x).requires_grad
    assert wg.is_grad_enabled()


def test_one_no_grad_object_can_be_entered_again():
    x = wg.tensor(1.0, requires_grad=True)
    context = wg.no_grad()
    with context:
        with context:
            assert not (x * 2).requires_grad
        assert not wg.is_grad_enabled()
    assert wg.is_grad_enabled()


def test_set_grad_enabled_as_a_call_and_as_a_context_manager():
    with wg.set_grad_enabled(False):
        assert not wg.is_grad_enabled()
    assert wg.is_grad_enabled()
    wg.set_grad_enabled(False)
    try:
        assert not wg.is_grad_enabled()
    finally:
        wg.set_grad_enabled(True)
    assert wg.is_grad_enabled()


def test_no_grad_is_thread_local():
    x = wg.tensor(1.0, requires_grad=True)
    results = {}
    main_inside = threading.Event()
    other_done = threading.Event()

    def other_thread():
        main_inside.wait(5)
        results["other"] = (x * 2).requires_grad
        other_done.set()

    thread = threading.Thread(target=other_thread)
    thread.start()
    with wg.no_grad():
        main_inside.set()
        other_done.wait(5)
        results["main"] = (x * 2).requires_grad
    thread.join()
    assert results == {"other": True, "main": False}


# -- operators and broadcasting -------------------------------------------------------------------

VALUES = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
ROW = np.array([0.5, -1.0, 2.0])

BINARY = [
    ("add", lambda a, b: a + b),
    ("sub", lambda a, b: a - b),
    ("mul", lambda a, b: a * b),
    ("truediv", lambda a, b: a / b),
    ("pow", lambda a, b: abs(a) ** b),
]


@pytest.mark.parametrize("name, op", BINARY, ids=[name for name, _ in BINARY])
@pytest.mark.parametrize("other", [ROW, 2.0, 3], ids=["row array", "float", "int"])
def test_arithmetic_broadcasts_against_arrays_and_scalars_on_both_sides(name, op, other):
    t = wg.tensor(VALUES, requires_grad=True)
    for result, expected in [(op(t, other), op(VALUES, other)), (op(other, t), op(other, VALUES))]:
        assert isinstance(result, wg.Tensor) and result.requires_grad
        np.testing.assert_allclose(result.detach().numpy(), expected, rtol=1e-15)


def test_broadcast_gradients_are_summed_back_to_each_shape():
    t = wg.tensor(VALUES, requires_grad=True)
    row = wg.tensor(ROW, requires_grad=True)
    (t * row).sum().backward()
    np.testing.assert_array_equal(t.grad.detach().numpy(), np.broadcast_to(ROW, VALUES.shape))
    np.testing.assert_array_equal(row.grad.detach().numpy(), VALUES.sum(axis=0))


def test_comparisons_give_boolean_tensors_without_gradients():
    t = wg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for result, expected in [
        (t < 2.0, [True, False, False]),
        (2.0 < t, [False, False, True]),  # noqa: SIM300  (the reflected operator)
        (t >= np.array([1.0, 3.0, 3.0]), [True, False, True]),
        (t == t, [True, True, True]),
        (t != 2.0, [True, False, True]),
    ]:
        assert isinstance(result, wg.Tensor) and result.dtype == np.bool_ and not result.requires_grad
        assert result.tolist() == expected


def test_matmul_operator_with_arrays_on_both_sides():
    w = wg.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    v = np.array([1.0, -1.0, 2.0])
    u = np.array([2.0, 1.0])
    np.testing.assert_array_equal((w @ v).detach().numpy(), w.detach().numpy() @ v)
    np.testing.assert_array_equal((u @ w).detach().numpy(), u @ w.detach().numpy())
    (u @ w @ v).backward()
    np.testing.assert_array_equal(w.grad.detach().numpy(), np.outer(u, v))


def test_unary_operators():
    t = wg.tensor([-1.0, 2.0], requires_grad=True)
    assert (-t).tolist() == [1.0, -2.0]
    assert abs(t).tolist() == [1.0, 2.0]
    assert (+t) is t


# -- methods and indexing -------------------------------------------------------------------------


def test_sum_mean_with_numpy_and_pytorch_keywords():
    t = wg.tensor(VALUES, requires_grad=True)
    assert t.sum().item() == 21.0 and t.mean().item() == 3.5
    np.testing.assert_array_equal(t.sum(0).detach().numpy(), [5.0, 7.0, 9.0])
    np.testing.assert_array_equal(t.sum(dim=1).detach().numpy(), [6.0, 15.0])
    np.testing.assert_array_equal(t.sum(axis=1, keepdims=True).detach().numpy(), [[6.0], [15.0]])
    assert t.mean(dim=0, keepdim=True).shape == (1, 3)
    t.mean().backward()
    np.testing.assert_array_equal(t.grad.detach().numpy(), np.full((2, 3), 1 / 6))


def test_reshape_forms_and_gradient():
    t = wg.tensor(VALUES, requires_grad=True)
    assert t.reshape(3, 2).shape == (3, 2) and t.reshape((6,)).shape == (6,) and t.reshape(-1).shape == (6,)
    (t.reshape(3, 2) * np.arange(6.0).reshape(3, 2)).sum().backward()
    np.testing.assert_array_equal(t.grad.detach().numpy(), np.arange(6.0).reshape(2, 3))


@pytest.mark.parametrize(
    "index",
    [
        1,
        (1, 2),
        slice(0, 1),
        (slice(None), 0),
        [0, 0, 1],
        np.array([[True, False, True], [False, True, False]]),
    ],
    ids=["int", "tuple", "slice", "column", "repeated list", "mask"],
)
def test_getitem_values_and_scattered_gradient(index):
    t = wg.tensor(VALUES, requires_grad=True)
    np.testing.assert_array_equal(t[index].detach().numpy(), VALUES[index])
    t[index].sum().backward()
    expected = np.zeros_like(VALUES)
    np.add.at(expected, index, 1.0)
    np.testing.assert_array_equal(t.grad.detach().numpy(), expected)


# -- NumPy protocols -------------------------------------------------------------------------------


def test_numpy_ufuncs_return_tensors():
    t = wg.tensor([0.5, 1.0], requires_grad=True)
    for result in (np.sin(t), np.exp(t), np.add(1.0, t), np.multiply(t, t), np.maximum(t, 0.7)):
        assert isinstance(result, wg.Tensor) and result.requires_grad
    np.sin(t).sum().backward()
    np.testing.assert_allclose(t.grad.detach().numpy(), np.cos([0.5, 1.0]), rtol=1e-15)


def test_numpy_functions_return_tensors():
    t = wg.tensor([1.0, 2.0], requires_grad=True)
    total = np.sum(t)
    joined = np.concatenate([t, t])
    assert isinstance(total, wg.Tensor) and total.item() == 3.0
    assert isinstance(joined, wg.Tensor) and joined.tolist() == [1.0, 2.0, 1.0, 2.0]
    assert isinstance(np.mean(t), wg.Tensor) and isinstance(np.stack([t, t]), wg.Tensor)
    (joined * np.array([1.0, 2.0, 3.0, 4.0])).sum().backward()
    np.testing.assert_array_equal(t.grad.detach().numpy(), [4.0, 6.0])


def test_np_asarray_gives_the_values_and_np_array_a_copy():
    t = wg.tensor([1.0, 2.0])
    np.testing.assert_array_equal(np.asarray(t), [1.0, 2.0])
    assert np.asarray(t, dtype=np.float32).dtype == np.float32
    copy = np.array(t)
    copy[0] = 99.0
    assert t.tolist() == [1.0, 2.0]


def test_a_tensor_that_requires_grad_refuses_numpy_conversion_as_in_pytorch():
    t = wg.tensor([1.0, 2.0], requires_grad=True)
    for convert in (np.asarray, np.array, lambda v: v.numpy(), lambda v: (v * 2).numpy()):
        with pytest.raises(RuntimeError, match=r"Can't call numpy\(\) on Tensor that requires grad.*detach\(\)"):
            convert(t)
    np.testing.assert_array_equal(t.detach().numpy(), [1.0, 2.0])
    # Python numbers are fine, as in PyTorch: float(), int(), .item(), .tolist().
    assert float(t[0]) == 1.0 and int(t[1]) == 2 and t[1].item() == 2.0 and t.tolist() == [1.0, 2.0]
    assert [1, 2, 3][wg.tensor(2)] == 3


# -- in-place operations ---------------------------------------------------------------------------


def test_in_place_ops_on_plain_tensors_change_values_and_versions():
    t = wg.tensor([1.0, 2.0, 3.0])
    assert t._version[0] == 0
    t.add_(1.0)
    assert t.tolist() == [2.0, 3.0, 4.0] and t._version[0] == 1
    t.mul_(2.0)
    assert t.tolist() == [4.0, 6.0, 8.0] and t._version[0] == 2
    t.sub_(np.array([1.0, 1.0, 1.0]), alpha=2)
    assert t.tolist() == [2.0, 4.0, 6.0] and t._version[0] == 3
    t += 1
    t -= 0.5
    t *= 2
    assert t.tolist() == [5.0, 9.0, 13.0] and t._version[0] == 6
    t[1] = -1.0
    assert t.tolist() == [5.0, -1.0, 13.0] and t._version[0] == 7
    t.copy_(np.array([7.0, 8.0, 9.0]))
    assert t.tolist() == [7.0, 8.0, 9.0] and t._version[0] == 8
    t.copy_(3.0)  # broadcast
    assert t.tolist() == [3.0, 3.0, 3.0]
    t.zero_()
    assert t.tolist() == [0.0, 0.0, 0.0] and t._version[0] == 10


def test_in_place_add_keeps_the_tensor_object():
    t = wg.tensor([1.0])
    same = t
    t += 1.0
    assert t is same and t.tolist() == [2.0]


def test_optimiser_step_on_a_leaf_parameter_under_no_grad():
    w = wg.tensor([1.0, 2.0], requires_grad=True)
    for _ in range(2):
        loss = (w * w).sum()
        loss.backward()
        with wg.no_grad():
            w -= 0.25 * w.grad
        w.grad.zero_()
    np.testing.assert_allclose(w.detach().numpy(), [0.25, 0.5])  # each step halves w
    assert w.requires_grad and w.is_leaf and w._version[0] == 2
    with wg.no_grad():
        w.mul_(2.0)
        w.add_(wg.tensor([1.0, 1.0]))
        w[0] = 0.0
        w.copy_(np.array([3.0, 4.0]))
    assert w.is_leaf and w.requires_grad
    (w * w).sum().backward()
    np.testing.assert_array_equal(w.grad.detach().numpy(), [6.0, 8.0])


def test_in_place_on_a_recorded_result_is_differentiated_through():
    x = wg.tensor([1.0, 2.0], requires_grad=True)
    y = wnp.sin(x) + 0.0
    y.mul_(3.0)
    y.add_(x)
    y.pow_(2.0)
    y.sum().backward()
    inner = 3 * np.sin([1.0, 2.0]) + [1.0, 2.0]
    np.testing.assert_allclose(x.grad.detach().numpy(), 2 * inner * (3 * np.cos([1.0, 2.0]) + 1), rtol=1e-14)


@pytest.mark.parametrize("producer", [lambda x: x * 2.0, wnp.sin], ids=["multiply", "sin"])
def test_in_place_update_of_an_output_whose_rule_does_not_read_it(producer):
    x = wg.tensor([1.0, 2.0], requires_grad=True)
    y = producer(x)
    y.add_(1.0)
    y[0] = 0.0
    y.sum().backward()
    assert x.grad is not None


def test_in_place_with_a_tensor_argument_reaches_both():
    x = wg.tensor([1.0, 2.0], requires_grad=True)
    c = wg.tensor([3.0, 5.0], requires_grad=True)
    y = x + 0.0
    y.mul_(c)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.detach().numpy(), [3.0, 5.0])
    np.testing.assert_array_equal(c.grad.detach().numpy(), [1.0, 2.0])


@pytest.mark.parametrize(
    "overwrite, expected",
    [
        (lambda t: t.zero_(), [0.0, 0.0]),
        (lambda t: t.fill_(4.0), [0.0, 0.0]),
        (lambda t: t.copy_(np.array([1.0, 1.0])), [0.0, 0.0]),
    ],
    ids=["zero_", "fill_", "copy_ constant"],
)
def test_overwriting_a_recorded_result_cuts_its_gradient(overwrite, expected):
    x = wg.tensor([1.0, 2.0], requires_grad=True)
    y = x + 2.0
    overwrite(y)
    assert y.requires_grad
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.detach().numpy(), expected)


def test_copy_from_a_recorded_tensor_makes_the_target_require_grad():
    w = wg.tensor([1.0, 2.0], requires_grad=True)
    target = wg.tensor([0.0, 0.0])
    target.copy_(w * 3.0)
    assert target.requires_grad
    (target * target).sum().backward()
    np.testing.assert_array_equal(w.grad.detach().numpy(), [18.0, 36.0])


def test_setitem_with_a_recorded_value():
    x = wg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    v = wg.tensor(5.0, requires_grad=True)
    y = x + 0.0
    y[1] = v * 2.0
    assert y.tolist() == [1.0, 10.0, 3.0]
    (y * np.array([1.0, 2.0, 3.0])).sum().backward()
    np.testing.assert_array_equal(x.grad.detach().numpy(), [1.0, 0.0, 3.0])
    assert v.grad.item() == 4.0


def test_in_place_result_keeps_the_tensor_dtype():
    t = wg.tensor([1.0, 2.0], dtype=np.float32)
    t += np.array([0.5, 0.5])  # a float64 operand
    assert t.dtype == np.float32 and t.tolist() == [1.5, 2.5]


# -- float32 end to end ----------------------------------------------------------------------------


def test_float32_stays_float32_through_forward_backward_and_second_order():
    x = wg.tensor([0.5, -1.0], dtype=np.float32, requires_grad=True)
    w = wg.tensor(np.full((3, 2), 0.25), dtype=np.float32, requires_grad=True)
    b = wg.tensor(np.zeros(3), dtype=np.float32, requires_grad=True)
    hidden = wnp.tanh(w @ x + b) * 2.0 + 1.0
    loss = (hidden**2).mean() / 3.0 + wnp.exp(x).sum() * 0.5
    assert hidden.dtype == np.float32 and loss.dtype == np.float32
    loss.backward()
    assert x.grad.dtype == w.grad.dtype == b.grad.dtype == np.float32
    (d,) = wg.autograd.grad((x**3).sum(), x, create_graph=True)
    (d2,) = wg.autograd.grad(d.sum(), x)
    assert d.dtype == d2.dtype == np.float32
    np.testing.assert_allclose(d2.detach().numpy(), 6 * np.array([0.5, -1.0]), rtol=1e-6)


def test_float32_gradient_matches_float64_to_single_precision():
    values = np.array([0.3, 0.7, -0.2])

    def loss(t):
        return (wnp.sin(t) * t**2).sum()

    grads = {}
    for dtype in (np.float32, np.float64):
        t = wg.tensor(values, dtype=dtype, requires_grad=True)
        loss(t).backward()
        grads[dtype] = t.grad.numpy()
    assert grads[np.float32].dtype == np.float32
    np.testing.assert_allclose(grads[np.float32], grads[np.float64], rtol=1e-6)


def test_deepcopy_gives_a_leaf_with_its_own_gradient():
    import copy

    t = wg.tensor([1.0, 2.0], requires_grad=True)
    t2 = copy.deepcopy(t)
    (t2 * 2).sum().backward()
    np.testing.assert_array_equal(t2.grad.detach().numpy(), [2.0, 2.0])
    assert t.grad is None
    with pytest.raises(RuntimeError, match="only leaf tensors"):
        copy.deepcopy(t * 2)


def test_pickle_round_trip_keeps_values_and_the_requires_grad_flag():
    import pickle

    t = wg.tensor([1.0, 2.0], requires_grad=True)
    back = pickle.loads(pickle.dumps(t))
    assert back.requires_grad and back.is_leaf
    np.testing.assert_array_equal(back.detach().numpy(), [1.0, 2.0])
    detached = pickle.loads(pickle.dumps(t * 3))
    assert not detached.requires_grad
    np.testing.assert_array_equal(detached.detach().numpy(), [3.0, 6.0])
