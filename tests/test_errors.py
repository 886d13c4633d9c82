"""Bad programs fail loudly, with a message that names what is wrong."""

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp

# -- in-place changes of saved values -----------------------------------------------------------


def test_in_place_change_of_a_saved_argument_names_the_operations_and_versions():
    x = wg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x + 1.0
    z = y * y  # multiply saves y
    y.add_(1.0)
    with pytest.raises(RuntimeError, match=r"'multiply' was changed by 'add_'.*version 1, expected version 0"):
        z.sum().backward()


def test_in_place_change_of_a_saved_output_names_the_operations_and_versions():
    x = wg.tensor([1.0, 2.0], requires_grad=True)
    y = wnp.exp(x)  # exp's rule reads its output
    y.mul_(2.0)
    y.mul_(2.0)
    with pytest.raises(RuntimeError, match=r"output.*'exp' was changed by 'mul_'.*version 2, expected version 0"):
        y.sum().backward()


def test_setitem_on_a_saved_tensor_is_reported():
    x = wg.tensor([1.0, 2.0], requires_grad=True)
    y = x + 0.0
    z = wnp.sin(y)  # sin saves its argument
    y[0] = 5.0
    with pytest.raises(RuntimeError, match=r"'sin' was changed by '__setitem__'"):
        z.sum().backward()


def test_in_place_on_a_leaf_that_requires_grad_outside_no_grad():
    w = wg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"leaf tensor that requires grad.*'add_'.*no_grad"):
        w.add_(1.0)
    with pytest.raises(RuntimeError, match=r"leaf.*'__setitem__'"):
        w[0] = 1.0


def test_in_place_result_that_does_not_fit():
    t = wg.tensor([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"shape \(2, 2\).*shape \(2,\)"):
        t.add_(np.ones((2, 2)))
    with pytest.raises(RuntimeError, match=r"copy_.*\(3,\).*\(2,\)"):
        t.copy_(np.ones(3))


def test_in_place_float_into_an_integer_tensor():
    t = wg.tensor([1, 2])
    with pytest.raises(TypeError, match=r"float64.*int64"):
        t += 0.5


# -- backward misuse ------------------------------------------------------------------------------


def test_backward_twice_without_retain_graph():
    x = wg.tensor(2.0, requires_grad=True)
    y = wnp.sin(x) * x
    y.backward()
    with pytest.raises(RuntimeError, match=r"second time.*retain_graph=True"):
        y.backward()


def test_backward_of_a_non_scalar_without_gradient():
    x = wg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"scalar outputs.*shape \(3,\).*gradient="):
        (x * 2).backward()


def test_backward_gradient_of_the_wrong_shape():
    x = wg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"gradient has shape \(2,\).*output has shape \(3,\)"):
        (x * 2).backward(gradient=np.ones(2))


def test_backward_of_something_not_recorded():
    with pytest.raises(RuntimeError, match="does not require grad"):
        wg.tensor([1.0]).sum().backward()
    x = wg.tensor(1.0, requires_grad=True)
    with wg.no_grad():
        y = x * 2
    with pytest.raises(RuntimeError, match="no_grad"):
        y.backward()


# -- dtypes -------------------------------------------------------------------------------------


@pytest.mark.parametrize("data", [[1, 2], 3, [True, False]], ids=["int list", "int", "bool"])
def test_requires_grad_on_an_integer_tensor(data):
    with pytest.raises(TypeError, match=r"floating-point.*dtype (int64|bool)"):
        wg.tensor(data, requires_grad=True)
    t = wg.tensor(data)
    with pytest.raises(TypeError, match="floating-point"):
        t.requires_grad_()
    with pytest.raises(TypeError, match="floating-point"):
        t.requires_grad = True


def test_requires_grad_on_a_complex_tensor():
    with pytest.raises(TypeError, match="complex"):
        wg.tensor([1 + 2j], requires_grad=True)


def test_grad_with_an_integer_input():
    with pytest.raises(TypeError, match=r"argument 0 is an integer \(3\).*3\.0"):
        wg.grad(lambda x: x * 2.0)(3)
    with pytest.raises(TypeError, match="dtype int64"):
        wg.grad(lambda x: (x * 2.0).sum())(np.arange(3))


def test_tensor_of_a_traced_value_would_drop_its_derivative():
    with pytest.raises(TypeError, match="traced by a transformation"):
        wg.grad(lambda x: (wg.tensor(x) * 2.0).sum())(1.0)


# -- shapes -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "combine",
    [lambda a, b: a + b, lambda a, b: a * b, lambda a, b: b - a, wnp.maximum],
    ids=["add", "multiply", "reflected subtract", "maximum"],
)
def test_elementwise_shape_mismatch_names_both_shapes(combine):
    a = wg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = wg.tensor([1.0, 2.0, 3.0, 4.0])
    with pytest.raises(ValueError, match=r"\(3,\).*\(4,\)|\(4,\).*\(3,\)"):
        combine(a, b)
    with pytest.raises(ValueError, match=r"\(3,\).*\(4,\)|\(4,\).*\(3,\)"):
        combine(a, np.ones(4))


@pytest.mark.parametrize(
    "make",
    [
        lambda: wg.tensor(np.ones((2, 3)), requires_grad=True) @ wg.tensor(np.ones((4, 5))),
        lambda: wg.tensor(np.ones((2, 3)), requires_grad=True) @ np.ones((4, 5)),
        lambda: np.ones((2, 3)) @ wg.tensor(np.ones((4, 5)), requires_grad=True),
    ],
    ids=["tensor@tensor", "tensor@array", "array@tensor"],
)
def test_matmul_shape_mismatch_names_both_shapes(make):
    with pytest.raises(ValueError, match=r"\(2, 3\) and \(4, 5\)"):
        make()


def test_shape_mismatch_inside_grad_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(3,\).*\(4,\)"):
        wg.grad(lambda x: (x + np.ones(4)).sum())(np.ones(3))


# -- functional transforms ----------------------------------------------------------------------


def test_grad_of_a_function_with_a_non_scalar_output():
    with pytest.raises(TypeError, match=r"scalar output.*shape \(3,\)"):
        wg.grad(lambda x: x * 2.0)(np.ones(3))


def test_grad_of_a_function_returning_a_tuple():
    with pytest.raises(TypeError, match="single scalar output"):
        wg.grad(lambda x: (x, x))(1.0)


def test_grad_argnums_out_of_range():
    with pytest.raises(ValueError, match="argnums 2"):
        wg.grad(lambda x, y: x * y, argnums=2)(1.0, 2.0)


# -- autograd.grad --------------------------------------------------------------------------------


def test_autograd_grad_with_respect_to_a_tensor_that_does_not_require_grad():
    a = wg.tensor(1.0)
    b = wg.tensor(2.0, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"input 1 \(a tensor of shape \(\)\) does not require grad"):
        wg.autograd.grad(a * b, [b, a])


def test_autograd_grad_of_an_unused_input_without_allow_unused():
    a = wg.tensor(1.0, requires_grad=True)
    b = wg.tensor(2.0, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"input 1.*not to have been used.*allow_unused=True"):
        wg.autograd.grad(a * a, [a, b])


def test_autograd_grad_with_the_wrong_number_of_grad_outputs():
    a = wg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match="grad_outputs has 3 entries for 2 outputs"):
        wg.autograd.grad([a * 2, a * 3], a, grad_outputs=[np.ones(2)] * 3)


def test_autograd_grad_of_a_non_scalar_without_grad_outputs():
    a = wg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"shape \(2,\).*grad_outputs="):
        wg.autograd.grad(a * 2, a)


def test_item_of_a_tensor_with_several_elements():
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        wg.tensor([1.0, 2.0, 3.0]).item()
