"""What users hand in is checked: each mistake raises an error naming the argument, its value and what was expected.

One test per validation point of issue 11 (3): transform arguments, foreign
arrays, custom rules, constructors of layers and optimisers, and the
``wengert trace`` parser. Each asserts the exception type and the words of
the message.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import wengert as wg
import wengert.nn as nn
import wengert.numpy as wnp
import wengert.optim as optim

X23 = np.arange(6.0).reshape(2, 3)


def product(a, b):
    return a * b


class ArrayLike:
    """A stand-in for a foreign array type (pandas, torch, JAX...): only ``__array__``."""

    def __init__(self, values):
        self.values = values

    def __array__(self, dtype=None, copy=None):
        return np.asarray(self.values, dtype=dtype)


class BrokenArray:
    def __array__(self, dtype=None, copy=None):
        raise RuntimeError("cannot convert this")


# -- vmap: in_axes and out_axes ------------------------------------------------------------------


@pytest.mark.parametrize("axis", [2, 5, -3])
def test_vmap_in_axes_beyond_the_rank_of_the_argument(axis):
    with pytest.raises(ValueError, match=rf"in_axes asks to map argument 0 along axis {axis}, but it has rank 2 "):
        wg.vmap(wnp.sum, in_axes=axis)(X23)
    with pytest.raises(ValueError, match=r"shape \(2, 3\)\); possible axes: -2\.\.1"):
        wg.vmap(wnp.sum, in_axes=axis)(X23)


def test_vmap_in_axes_counts_negative_axes_from_the_end_as_in_jax():
    np.testing.assert_array_equal(wg.vmap(wnp.sum, in_axes=-1)(X23), X23.sum(axis=0))
    np.testing.assert_array_equal(wg.vmap(wnp.sum, in_axes=-2)(X23), X23.sum(axis=1))
    np.testing.assert_array_equal(wg.vmap(product, in_axes=(-1, None))(X23, 2.0), 2.0 * X23.T)


def test_vmap_of_a_scalar_argument_says_it_has_no_axis():
    with pytest.raises(ValueError, match=r"argument 1 along axis 0, but it has rank 0.*in_axes=None"):
        wg.vmap(product)(np.ones(3), 2.0)


def test_vmap_in_axes_inside_a_pytree_argument_names_the_leaf():
    with pytest.raises(ValueError, match=r"argument 0\['w'\] along axis 1, but it has rank 1"):
        wg.vmap(lambda p: p["w"] * p["b"], in_axes=({"w": 1, "b": 0},))({"w": np.ones(3), "b": np.ones(3)})


@pytest.mark.parametrize(
    ("in_axes", "shown"), [(0.0, r"0\.0 \(float\)"), ("0", r"'0' \(str\)"), (True, r"True \(bool\)")]
)
def test_vmap_in_axes_that_are_not_axes(in_axes, shown):
    with pytest.raises(TypeError, match=rf"vmap: in_axes is {shown}; in_axes must be an int \(an axis\), None"):
        wg.vmap(wnp.sin, in_axes=in_axes)


def test_vmap_in_axes_with_the_wrong_number_of_entries():
    with pytest.raises(ValueError, match=r"in_axes=\(0,\) has 1 entry but the function was called with 2 positional"):
        wg.vmap(product, in_axes=(0,))(X23, X23)


def test_vmap_in_axes_whose_structure_does_not_match_the_argument():
    with pytest.raises(ValueError, match=r"in_axes\[0\]=\(0, 1\) is a tuple of 2 entries, but argument 0 is a leaf"):
        wg.vmap(product, in_axes=((0, 1), 0))(X23, X23)
    with pytest.raises(ValueError, match=r"in_axes\[0\] has keys \[\"'b'\"\] but argument 0 has keys \[\"'a'\"\]"):
        wg.vmap(lambda d: d["a"], in_axes=({"b": 0},))({"a": X23})


def test_vmap_with_inconsistent_batch_sizes_names_each_argument():
    with pytest.raises(ValueError, match="vmap got inconsistent sizes for the array axes to be mapped") as error:
        wg.vmap(lambda a, b, c: a + b + c, in_axes=(0, 1, 0))(np.ones(2), np.ones((2, 3)), np.ones(2))
    message = str(error.value)
    assert "different batch sizes [2, 3]" in message
    assert "2 axes have size 2 (for example argument 0, axis 0)" in message
    assert "argument 1 has size 3 along axis 1" in message


def test_vmap_out_axes_beyond_the_rank_of_an_output():
    with pytest.raises(ValueError, match=r"out_axes asks to put the batch axis of the output\[1\] at axis 1, but that"):
        wg.vmap(lambda a: (a, wnp.sum(a)), out_axes=1)(X23)
    with pytest.raises(ValueError, match=r"rank 1 with its batch axis \(example shape \(\)\); possible axes: -1\.\.0"):
        wg.vmap(lambda a: (a, wnp.sum(a)), out_axes=(0, -2))(X23)


def test_vmap_out_axes_counts_negative_axes_from_the_end():
    np.testing.assert_array_equal(wg.vmap(wnp.sin, out_axes=-1)(X23), np.sin(X23).T)
    np.testing.assert_array_equal(wg.vmap(lambda a: a * 2.0, out_axes=1)(X23), 2.0 * X23.T)


def test_vmap_out_axes_that_do_not_match_the_outputs():
    with pytest.raises(ValueError, match=r"out_axes=\(0,\) has 1 entry but the output is a tuple of 2 entries"):
        wg.vmap(lambda a: (a, a), out_axes=(0,))(X23)
    with pytest.raises(ValueError, match=r"out_axes=\(0, 0\) is a tuple, but the function returned a leaf"):
        wg.vmap(wnp.sin, out_axes=(0, 0))(X23)
    with pytest.raises(TypeError, match=r"vmap: out_axes\[1\] is 1\.5 \(float\)"):
        wg.vmap(wnp.sin, out_axes=(0, 1.5))
    with pytest.raises(ValueError, match=r"out_axes=None is only possible for outputs that do not vary.*output\[0\]"):
        wg.vmap(lambda a: (a, 1.0), out_axes=None)(X23)


# -- argnums -------------------------------------------------------------------------------------

TRANSFORMS = {
    "grad": lambda argnums: wg.grad(lambda a, b: wnp.sum(a * b), argnums=argnums),
    "value_and_grad": lambda argnums: wg.value_and_grad(lambda a, b: wnp.sum(a * b), argnums=argnums),
    "jacfwd": lambda argnums: wg.jacfwd(product, argnums=argnums),
    "jacrev": lambda argnums: wg.jacrev(product, argnums=argnums),
    "jacobian": lambda argnums: wg.jacobian(product, argnums=argnums),
    "hessian": lambda argnums: wg.hessian(lambda a, b: wnp.sum(a * a * b), argnums=argnums),
}
NAMES = {"value_and_grad": "grad"}  # value_and_grad's messages say grad, as JAX's do


@pytest.mark.parametrize("name", TRANSFORMS)
@pytest.mark.parametrize("argnums", [2, -3, (0, 2)])
def test_argnums_out_of_range(name, argnums):
    bad = 2 if argnums != -3 else -3
    with pytest.raises(
        ValueError, match=rf"{NAMES.get(name, name)}: argnums {bad} is out of range for a function called with 2 "
    ):
        TRANSFORMS[name](argnums)(1.0, 2.0)


@pytest.mark.parametrize("name", TRANSFORMS)
def test_argnums_may_count_from_the_end_as_in_jax(name):
    a, b = np.array([1.0, 2.0]), np.array([3.0, 5.0])
    from_end = TRANSFORMS[name](-1)(a, b)
    from_start = TRANSFORMS[name](1)(a, b)
    if name == "value_and_grad":
        from_end, from_start = from_end[1], from_start[1]
    np.testing.assert_array_equal(from_end, from_start)


@pytest.mark.parametrize("name", TRANSFORMS)
@pytest.mark.parametrize("argnums", [(0, 0), (1, -1)])
def test_argnums_naming_an_argument_twice(name, argnums):
    with pytest.raises(ValueError, match=r"names the same argument more than once.*each argument may be listed once"):
        TRANSFORMS[name](argnums)(1.0, 2.0)


@pytest.mark.parametrize("name", TRANSFORMS)
@pytest.mark.parametrize(
    ("argnums", "exception", "message"),
    [
        (1.0, TypeError, r"argnums must be an int or a tuple of ints \(argument positions\), got 1\.0 \(float\)"),
        ("0", TypeError, r"argnums must be an int or a tuple of ints \(argument positions\), got '0' \(str\)"),
        ((0, 1.5), TypeError, r"got \(0, 1\.5\) \(float\)"),
        (True, TypeError, r"argnums=True contains the bool True"),
        ((), ValueError, r"argnums=\(\) selects no argument"),
    ],
)
def test_argnums_that_are_not_argument_positions(name, argnums, exception, message):
    with pytest.raises(exception, match=message):
        TRANSFORMS[name](argnums)


def test_argnums_as_a_numpy_integer_is_a_single_position():
    assert wg.grad(lambda a, b: a * b, argnums=np.int64(1))(3.0, 2.0) == 3.0


# -- primals and tangents ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "transform",
    [
        lambda primals, tangents: wg.jvp(lambda p: wnp.sum(p["w"] * p["b"]), primals, tangents),
        lambda primals, tangents: wg.hvp(lambda p: wnp.sum(p["w"] * p["b"]), primals, tangents),
    ],
    ids=["jvp", "hvp"],
)
def test_primals_and_tangents_of_different_structures(transform):
    primals = ({"w": np.ones(2), "b": np.ones(2)},)
    with pytest.raises(
        ValueError,
        match=r"the primals and the tangents have different structures: primals \(\{'b': \*, 'w': \*\},\), "
        r"tangents \(\{'b': \*, 'v': \*\},\)",
    ):
        transform(primals, ({"v": np.ones(2), "b": np.ones(2)},))


@pytest.mark.parametrize("name", ["jvp", "hvp"])
def test_a_tangent_of_another_shape(name):
    transform = getattr(wg, name)
    with pytest.raises(
        ValueError, match=rf"{name}: tangent 1 \(primals\[0\]\['w'\]\) has shape \(3,\) but its primal has shape \(2,\)"
    ):
        transform(
            lambda p: wnp.sum(p["w"] * p["b"]),
            ({"w": np.ones(2), "b": np.ones(2)},),
            ({"w": np.ones(3), "b": np.ones(2)},),
        )


@pytest.mark.parametrize("name", ["jvp", "hvp"])
@pytest.mark.parametrize("tangent", [np.array([True, False]), np.array([1j, 0j])])
def test_a_tangent_of_a_non_floating_dtype(name, tangent):
    with pytest.raises(
        TypeError, match=rf"{name}: tangent 0 has dtype {tangent.dtype} but its primal has dtype float64"
    ):
        getattr(wg, name)(lambda x: wnp.sum(x**3), (np.ones(2),), (tangent,))


def test_tangents_take_their_primals_floating_dtype():
    # Python numbers carry no dtype; a float64 tangent of a float32 primal is rounded to float32.
    x32 = np.array([1.0, 2.0], dtype=np.float32)
    _, tangent = wg.jvp(lambda x: x * x, (x32,), (np.array([1.0, 0.5]),))
    assert tangent.dtype == np.float32
    np.testing.assert_array_equal(tangent, [2.0, 2.0])
    assert wg.jvp(wnp.sin, (0.0,), (1,)) == (0.0, 1.0)
    _, tangent = wg.jvp(lambda x: x * x, (x32,), (np.array([1, 0]),))
    assert tangent.dtype == np.float32
    np.testing.assert_array_equal(tangent, [2.0, 0.0])


def test_linearize_checks_each_tangent():
    _, jvp_fn = wg.linearize(lambda p: p["w"] * p["b"], {"w": np.ones(2), "b": np.ones(2)})
    with pytest.raises(ValueError, match=r"linearize: tangents \(\{'w': \*\},\) do not match the primals"):
        jvp_fn({"w": np.ones(2)})
    with pytest.raises(ValueError, match=r"linearize: tangent 1 has shape \(3,\), its primal \(2,\)"):
        jvp_fn({"w": np.ones(3), "b": np.ones(2)})
    with pytest.raises(TypeError, match=r"linearize: tangent 0 \(primals\[0\]\['b'\]\) has dtype bool"):
        jvp_fn({"w": np.ones(2), "b": np.ones(2, dtype=bool)})


def test_vjp_fn_checks_the_cotangent_dtype():
    _, vjp_fn = wg.vjp(wnp.sin, np.ones(2))
    with pytest.raises(TypeError, match=r"vjp_fn: cotangent 0 has dtype complex128 but its output has dtype float64"):
        vjp_fn(np.ones(2, dtype=complex))
    with pytest.raises(TypeError, match=r"vjp_fn: cotangent 0 is a str"):
        vjp_fn("ab")


# -- foreign arrays ------------------------------------------------------------------------------


def test_an_array_like_object_is_converted_with_np_asarray():
    values = ArrayLike([1.0, 2.0])
    np.testing.assert_array_equal(wg.grad(lambda x: wnp.sum(x**2))(values), [2.0, 4.0])
    np.testing.assert_array_equal(wg.jacfwd(lambda x: x**2)(values), np.diag([2.0, 4.0]))
    np.testing.assert_array_equal(wg.jvp(lambda x: x**2, (values,), (ArrayLike([1.0, 0.0]),))[1], [2.0, 0.0])
    np.testing.assert_array_equal(wg.vmap(wnp.sum)(ArrayLike(X23)), X23.sum(axis=1))


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (["a", "b"], r"grad: argument 0\[0\] is a str \('a'\); expected a NumPy array or a Python number"),
        (object(), r"grad: argument 0 is an object \(<object object at"),
        ({"w": "x"}, r"grad: argument 0\['w'\] is a str \('x'\)"),
        (
            ArrayLike(["a", "b"]),
            r"argument 0 is a test_validation.ArrayLike whose values have dtype <U1 \(not numbers\)",
        ),
        (BrokenArray(), r"np\.asarray could not convert \(cannot convert this\); pass a NumPy array"),
    ],
    ids=["strings", "object", "dict-of-string", "array-of-strings", "broken"],
)
def test_values_that_are_not_arrays_of_numbers_are_refused(value, message):
    with pytest.raises(TypeError, match=message):
        wg.grad(lambda x: wnp.sum(x))(value)


def test_foreign_values_are_refused_by_every_transform():
    with pytest.raises(TypeError, match=r"jvp: primal 0 is a str"):
        wg.jvp(wnp.sin, ("a",), (1.0,))
    with pytest.raises(TypeError, match=r"jvp: tangent 0 is a str"):
        wg.jvp(wnp.sin, (1.0,), ("a",))
    with pytest.raises(TypeError, match=r"vmap: argument 1\[0\] is a str"):
        wg.vmap(product)(np.ones(2), ["a", "b"])
    with pytest.raises(TypeError, match=r"jacrev: argument 0 is an object"):
        wg.jacrev(wnp.sin)(object())


def test_torch_tensors():
    torch = pytest.importorskip("torch")
    np.testing.assert_allclose(wg.grad(lambda x: wnp.sum(x**2))(torch.tensor([1.0, 2.0], dtype=torch.float64)), [2, 4])
    np.testing.assert_allclose(wg.vmap(wnp.sum)(torch.ones((2, 3), dtype=torch.float64)), [3.0, 3.0])
    with pytest.raises(
        TypeError, match=r"is a torch\.Tensor that requires grad.*pass a NumPy array: t\.detach\(\)\.numpy\(\)"
    ):
        wg.grad(lambda x: wnp.sum(x**2))(torch.ones(2, requires_grad=True))


def test_jax_arrays():
    jnp = pytest.importorskip("jax.numpy")
    gradient = wg.grad(lambda x: wnp.sum(x**2))(jnp.array([1.0, 2.0]))
    assert type(gradient) is np.ndarray
    np.testing.assert_allclose(gradient, [2.0, 4.0])


def test_pandas_objects():
    pandas = pytest.importorskip("pandas")
    series = pandas.Series([1.0, 2.0])
    np.testing.assert_array_equal(wg.grad(lambda x: wnp.sum(x**2))(series), [2.0, 4.0])
    frame = pandas.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]})
    np.testing.assert_array_equal(wg.vmap(wnp.sum)(frame), [4.0, 6.0])


@dataclasses.dataclass
class Params:
    w: np.ndarray
    b: float


def test_a_dataclass_leaf_is_named_by_its_field():
    with pytest.raises(TypeError, match=r"grad: argument 0\.b is a str"):
        wg.grad(lambda p: wnp.sum(p.w))(Params(np.ones(2), "oops"))


# -- custom rules: what a rule returns -----------------------------------------------------------


def make_square(rule):
    @wg.custom_jvp
    def square(x):
        return x * x

    square.defjvp(rule)
    return square


def pair_without_tangent(primals, tangents):
    return primals[0] ** 2


def tangent_of_the_wrong_shape(primals, tangents):
    (x,), (t,) = primals, tangents
    return x * x, wnp.stack([2.0 * x * t, 2.0 * x * t])


def tangent_in_a_tuple(primals, tangents):
    (x,), (t,) = primals, tangents
    return x * x, (2.0 * x * t,)


def tangent_of_another_dtype(primals, tangents):
    (x,), (t,) = primals, tangents
    return x * x, wnp.astype(2.0 * x * t, np.float64)


def primal_of_the_wrong_shape(primals, tangents):
    (x,), (t,) = primals, tangents
    return wnp.stack([x, x]), 2.0 * x * t


@pytest.mark.parametrize(
    "transform",
    [
        lambda f, x: wg.jvp(f, (x,), (np.ones_like(x),)),
        lambda f, x: wg.grad(lambda v: wnp.sum(f(v)))(x),
        lambda f, x: wg.jacfwd(f)(x),
        lambda f, x: wg.vmap(wg.grad(lambda v: wnp.sum(f(v))))(np.stack([x, x])),
    ],
    ids=["jvp", "grad", "jacfwd", "vmap-of-grad"],
)
@pytest.mark.parametrize(
    ("rule", "exception", "message"),
    [
        (pair_without_tangent, TypeError, r"must return a pair \(primal_out, tangent_out\), got a single value"),
        (tangent_of_the_wrong_shape, ValueError, r"the tangent it returned has shape \(2,.*but square's output has"),
        (tangent_in_a_tuple, TypeError, r"the tangent it returned must be a single array like square's output"),
        (tangent_of_another_dtype, TypeError, r"has dtype float64 but square's output has dtype float32"),
        (primal_of_the_wrong_shape, ValueError, r"the primal output it returned has shape \(2,"),
    ],
    ids=["not-a-pair", "shape", "tuple", "dtype", "primal-shape"],
)
def test_a_custom_jvp_rule_returning_the_wrong_thing_is_named(transform, rule, exception, message):
    with pytest.raises(exception, match=rf"square: the JVP rule {rule.__qualname__}\b.*{message}"):
        transform(make_square(rule), np.float32(0.5))


def make_scaled(forward, backward):
    @wg.custom_vjp
    def scaled(x, s):
        return x * s

    scaled.defvjp(forward, backward)
    return scaled


def forward_without_residuals(x, s):
    return x * s


def forward_of_the_wrong_shape(x, s):
    return wnp.stack([x * s, x * s]), s


def good_forward(x, s):
    return x * s, s


def backward_of_another_dtype(s, g):
    return wnp.astype(g * s, np.float64), None


def backward_of_the_wrong_shape(s, g):
    return wnp.stack([g, g]), None


def good_backward(s, g):
    return g * s, None


VJP_RULE_MISTAKES = [
    (forward_without_residuals, good_backward, TypeError, r"must return a pair \(output, residuals\), got a single"),
    (forward_of_the_wrong_shape, good_backward, ValueError, r"the output it returned has shape \(2"),
    (
        good_forward,
        backward_of_another_dtype,
        TypeError,
        r"the cotangent it returned for argument 0 has dtype float64 but that argument has dtype float32",
    ),
    (good_forward, backward_of_the_wrong_shape, ValueError, r"for argument 0 has shape \(2,\)"),
]


@pytest.mark.parametrize(
    ("forward", "backward", "exception", "message"),
    VJP_RULE_MISTAKES,
    ids=["forward-not-a-pair", "forward-shape", "backward-dtype", "backward-shape"],
)
def test_a_custom_vjp_rule_returning_the_wrong_thing_is_named(forward, backward, exception, message):
    scaled = make_scaled(forward, backward)
    rule = forward if backward is good_backward else backward
    with pytest.raises(exception, match=rf"scaled: the \w+ \w+ {rule.__qualname__}\b.*{message}"):
        wg.grad(lambda x: scaled(x, np.float32(2.0)))(np.float32(0.5))


def test_custom_rules_must_be_functions():
    with pytest.raises(TypeError, match=r"custom_jvp: the decorated object must be a function, got a float"):
        wg.custom_jvp(3.0)
    square = wg.custom_jvp(lambda x: x * x)
    with pytest.raises(TypeError, match=r"defjvp: the JVP rule must be a function, got a str"):
        square.defjvp("rule")
    scaled = wg.custom_vjp(lambda x: x)
    with pytest.raises(TypeError, match=r"defvjp: the backward rule must be a function, got a NoneType"):
        scaled.defvjp(lambda x: (x, None), None)


# -- constructors: layers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "exception", "message"),
    [
        ((3.5, 2), TypeError, r"Linear: in_features must be a positive int, got 3\.5 \(float\)"),
        ((3, "2"), TypeError, r"Linear: out_features must be a positive int, got '2' \(str\)"),
        ((True, 2), TypeError, r"Linear: in_features must be a positive int, got True \(bool\)"),
        ((0, 2), ValueError, r"Linear: in_features must be a positive int, got 0"),
        ((3, -1), ValueError, r"Linear: out_features must be a positive int, got -1"),
    ],
)
def test_linear_sizes(arguments, exception, message):
    with pytest.raises(exception, match=message):
        nn.Linear(*arguments)


def test_linear_accepts_numpy_integers_and_refuses_other_dtypes():
    assert nn.Linear(np.int64(3), np.int32(2), seed=0).weight.shape == (2, 3)
    with pytest.raises(TypeError, match=r"Linear: dtype must be a floating type \(np\.float64 or np\.float32\), got"):
        nn.Linear(3, 2, dtype=np.int64)
    with pytest.raises(TypeError, match=r"Linear: dtype must be a floating type.*'float6'"):
        nn.Linear(3, 2, dtype="float6")


@pytest.mark.parametrize(
    ("sizes", "exception", "message"),
    [
        (3, TypeError, r"MLP: sizes must be a list of layer widths \[in, hidden\.\.\., out\], got 3 \(int\)"),
        ("2,8,1", TypeError, r"MLP: sizes must be a list of layer widths.*'2,8,1' \(str\)"),
        ([2, 0, 1], ValueError, r"MLP: sizes\[1\] must be a positive int, got 0"),
        ([2, 8.5, 1], TypeError, r"MLP: sizes\[1\] must be a positive int, got 8\.5 \(float\)"),
        ([2], ValueError, r"MLP: sizes must list at least the input and output widths, got \[2\]"),
    ],
)
def test_mlp_widths(sizes, exception, message):
    with pytest.raises(exception, match=message):
        nn.MLP(sizes)


def test_activation_names():
    with pytest.raises(ValueError, match=r"unknown activation 'tahn' \(did you mean 'tanh'\?\); expected one of"):
        nn.MLP([2, 4, 1], activation="tahn")
    with pytest.raises(TypeError, match=r"an activation must be a name, a Module or a function, got 3 \(int\)"):
        nn.MLP([2, 4, 1], activation=3)


def test_containers_of_non_modules():
    with pytest.raises(TypeError, match=r"Sequential: item 1 is a function, not a Module \(wrap a function in"):
        nn.Sequential(nn.Linear(2, 2, seed=0), lambda x: x)
    with pytest.raises(TypeError, match=r"Sequential: item 0 is the class Tanh, not a Module; create one: Tanh\(\)"):
        nn.Sequential(nn.Tanh)
    with pytest.raises(TypeError, match=r"ModuleList: item 1 is a ndarray, not a Module"):
        nn.ModuleList([nn.Tanh(), np.ones(2)])
    with pytest.raises(TypeError, match=r"Lambda: expected a function, got str"):
        nn.Lambda("tanh")


@pytest.mark.parametrize(
    ("make", "exception", "message"),
    [
        (lambda: nn.Softplus(float("nan")), ValueError, r"Softplus: beta must be a finite number, got nan"),
        (lambda: nn.Softplus(0), ValueError, r"Softplus: beta must be positive, got 0"),
        (lambda: nn.Softplus("1"), TypeError, r"Softplus: beta must be a real number, got '1' \(str\)"),
        (lambda: nn.Sin("30"), TypeError, r"Sin: frequency must be a real number, got '30' \(str\)"),
        (lambda: nn.GELU("exact"), ValueError, r"GELU: approximate must be 'none' or 'tanh', got 'exact'"),
    ],
)
def test_activation_arguments(make, exception, message):
    with pytest.raises(exception, match=message):
        make()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("a", r"Parameter\(\): the data \('a' of type str\) has dtype <U1; a parameter holds floating-point"),
        ([1j], r"has complex numbers \(not supported yet\)"),
        ([[1.0], [1.0, 2.0]], r"cannot be made an array of numbers"),
    ],
)
def test_parameters_hold_floating_point_numbers(data, message):
    with pytest.raises(TypeError, match=message):
        nn.Parameter(data)


def test_submodule_and_parameter_names():
    module = nn.Module()
    with pytest.raises(KeyError, match=r"submodule name must be a non-empty string without '\.', got 'a\.b'"):
        module.add_module("a.b", nn.Tanh())
    with pytest.raises(TypeError, match=r"a parameter name must be a str, got 1 \(int\)"):
        module.register_parameter(1, nn.Parameter(1.0))


# -- constructors: optimisers and schedulers -----------------------------------------------------


def a_parameter():
    return wg.tensor([1.0, 2.0], requires_grad=True)


@pytest.mark.parametrize(
    ("params", "exception", "message"),
    [
        (np.ones(2), TypeError, r"SGD: params: got a NumPy array of shape \(2,\), not tensors; make parameters with"),
        (
            [np.ones(2)],
            TypeError,
            r"SGD parameters: item 0 is a ndarray, not a tensor; make parameters with wg",
        ),
        ([1.0, 2.0], TypeError, r"item 0 is a float, not a tensor"),
        ([], ValueError, r"SGD: optimizer got an empty parameter list"),
        (iter([]), ValueError, r"SGD: optimizer got an empty parameter list"),
        (None, TypeError, r"SGD: params: expected a Module, a tensor or an iterable of tensors, got NoneType"),
        ({"params": []}, TypeError, r"SGD: params is a dict; pass a list of parameter groups"),
        ({wg.tensor(1.0, requires_grad=True)}, TypeError, r"got a set, whose order is not fixed"),
    ],
    ids=["array", "list-of-arrays", "list-of-floats", "empty", "empty-iterator", "None", "dict", "set"],
)
def test_an_optimiser_given_something_other_than_parameters(params, exception, message):
    with pytest.raises(exception, match=message):
        optim.SGD(params, lr=0.1)


@pytest.mark.parametrize("optimizer", ["SGD", "Adam", "AdamW"])
@pytest.mark.parametrize(
    ("lr", "exception", "message"),
    [
        (-1, ValueError, r"Invalid learning rate: -1 \(lr must be a non-negative number, and finite\)"),
        (float("nan"), ValueError, r"Invalid learning rate: nan"),
        (float("inf"), ValueError, r"Invalid learning rate: inf"),
        ("0.1", TypeError, r"lr must be a real number, got '0\.1' \(str\)"),
        (None, TypeError, r"lr must be a real number, got None \(NoneType\)"),
    ],
)
def test_learning_rates(optimizer, lr, exception, message):
    with pytest.raises(exception, match=rf"{optimizer}: {message}"):
        getattr(optim, optimizer)([a_parameter()], lr=lr)


def test_a_learning_rate_of_zero_is_accepted_as_in_pytorch():
    x = a_parameter()
    optimizer = optim.SGD([x], lr=0.0)
    (x * x).sum().backward()
    optimizer.step()
    np.testing.assert_array_equal(x.detach().numpy(), [1.0, 2.0])


@pytest.mark.parametrize(
    ("make", "exception", "message"),
    [
        (lambda p: optim.SGD(p, lr=0.1, momentum=-0.5), ValueError, r"SGD: Invalid momentum value: -0\.5"),
        (lambda p: optim.SGD(p, lr=0.1, momentum=float("nan")), ValueError, r"SGD: Invalid momentum value: nan"),
        (lambda p: optim.SGD(p, lr=0.1, dampening="a"), TypeError, r"SGD: dampening must be a real number"),
        (lambda p: optim.SGD(p, lr=0.1, weight_decay=-1), ValueError, r"SGD: Invalid weight_decay value: -1"),
        (lambda p: optim.Adam(p, weight_decay=float("nan")), ValueError, r"Adam: Invalid weight_decay value: nan"),
        (lambda p: optim.Adam(p, betas=0.9), ValueError, r"Adam: betas must be two numbers in \[0, 1\), a pair"),
        (lambda p: optim.Adam(p, betas=(0.9, 1.0)), ValueError, r"Adam: Invalid beta parameter at index 1: 1\.0"),
        (lambda p: optim.Adam(p, betas=(-0.1, 0.9)), ValueError, r"Invalid beta parameter at index 0: -0\.1"),
        (lambda p: optim.Adam(p, betas=("a", 0.9)), TypeError, r"Adam: betas\[0\] must be a real number"),
        (lambda p: optim.AdamW(p, eps=-1e-8), ValueError, r"AdamW: Invalid epsilon value: -1e-08"),
        (lambda p: optim.SGD([{"params": p, "lr": -2.0}], lr=0.1), ValueError, r"SGD: Invalid learning rate: -2\.0"),
    ],
)
def test_optimiser_hyperparameters(make, exception, message):
    with pytest.raises(exception, match=message):
        make([a_parameter()])


@pytest.mark.parametrize(
    ("make", "exception", "message"),
    [
        (lambda o: optim.StepLR(o, step_size=1.5), TypeError, r"StepLR: step_size must be a positive int, got 1\.5"),
        (lambda o: optim.StepLR(o, step_size=0), ValueError, r"StepLR: step_size must be a positive int, got 0"),
        (lambda o: optim.StepLR(o, 2, gamma=-0.5), ValueError, r"StepLR: gamma must be positive \(it multiplies"),
        (lambda o: optim.ExponentialLR(o, gamma=float("nan")), ValueError, r"gamma must be a finite number, got nan"),
        (lambda o: optim.CosineAnnealingLR(o, T_max=0), ValueError, r"CosineAnnealingLR: T_max must be a positive"),
        (lambda o: optim.CosineAnnealingLR(o, 10, eta_min=-1), ValueError, r"eta_min must be non-negative"),
        (lambda o: optim.LambdaLR(o, lr_lambda=3), TypeError, r"LambdaLR: lr_lambda must be a function of the epoch"),
        (lambda o: optim.LambdaLR(o, [None]), TypeError, r"LambdaLR: lr_lambda\[0\] must be a function of the epoch"),
        (lambda o: optim.LambdaLR(o, lambda e: "x"), TypeError, r"returned 'x' \(str\) at epoch 0; it must return a"),
        (lambda o: optim.LambdaLR(o, lambda e: -1.0), ValueError, r"returned -1\.0 at epoch 0; the factor"),
        (lambda o: optim.StepLR(o, 2, last_epoch=-2), ValueError, r"StepLR: last_epoch must be an int >= -1, got -2"),
        (lambda o: optim.StepLR(np.ones(2), 2), TypeError, r"StepLR needs a wengert optimizer, got ndarray"),
    ],
)
def test_scheduler_arguments(make, exception, message):
    with pytest.raises(exception, match=message):
        make(optim.SGD([a_parameter()], lr=0.1))


def test_gradient_clipping_limits():
    x = a_parameter()
    (x * x).sum().backward()
    with pytest.raises(ValueError, match=r"clip_grad_norm_: max_norm must be a non-negative number, got -1\.0"):
        optim.clip_grad_norm_([x], max_norm=-1)
    with pytest.raises(ValueError, match=r"clip_grad_value_: clip_value must be non-negative, got nan"):
        optim.clip_grad_value_([x], float("nan"))


def test_scipy_minimize_needs_a_loss_function():
    x = a_parameter()
    with pytest.raises(TypeError, match=r"scipy_minimize: loss_fn must be a function of no arguments.*got Tensor"):
        optim.scipy_minimize((x * x).sum(), [x])


# -- the `wengert trace` parser ------------------------------------------------------------------


def trace_command(capsys, expression, at="x=1"):
    from wengert.cli import main

    status = main(["trace", expression, "--at", at])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("(" * 10_000 + "x" + ")" * 10_000, "the expression is 20001 characters long; at most 10000 are allowed"),
        ("sin(" * 5_000 + "x" + ")" * 5_000, "the expression is 25001 characters long; at most 10000 are allowed"),
        ("x+" * 100_000 + "x", "the expression is 200001 characters long; at most 10000 are allowed"),
        ("(" * 300 + "x" + ")" * 300, "the expression nests parentheses 300 levels deep; at most 200 levels are"),
        ("sin(" * 250 + "x" + ")" * 250, "nests parentheses 250 levels deep; at most 200 levels are allowed"),
        ("x+" * 4_999 + "x", "nests operations too deeply to parse; at most 200 levels are allowed"),
        ("-" * 9_999 + "x", "nests operations too deeply to parse; at most 200 levels are allowed"),
        ("x*" * 250 + "x", "the expression nests operations 251 levels deep; at most 200 are allowed"),
        ("9" * 400 + " + x", "the number at column 1 (400 digits) is too large for a floating-point number"),
        ("9" * 5_000, "a number in the expression has too many digits (Python reads at most"),
    ],
    ids=[
        "parentheses",
        "sin",
        "long-sum",
        "parentheses-300",
        "sin-250",
        "sum-5000",
        "negations",
        "product-250",
        "huge-number",
        "too-many-digits",
    ],
)
def test_trace_refuses_deep_or_long_expressions_in_one_line(capsys, expression, message):
    from wengert.cli import main

    status = main(["trace", "--at", "x=1", "--", expression])  # '--': some expressions start with '-'

    captured = capsys.readouterr()
    assert status == 2 and captured.out == ""
    assert captured.err.count("\n") == 1 and captured.err.startswith("wengert trace: "), captured.err
    assert message in captured.err, captured.err
    assert "Traceback" not in captured.err and "RecursionError" not in captured.err


def test_trace_at_the_depth_limit_still_works(capsys):
    status, out, err = trace_command(capsys, "sin(" * 199 + "x" + ")" * 199)
    assert status == 0 and err == "" and "v200 = sin(v199)" in out


def test_trace_refuses_a_deep_expression_in_a_subprocess():
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "wengert.cli", "trace", "sin(" * 5_000 + "x" + ")" * 5_000, "--at", "x=1"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "wengert trace: the expression is 25001 characters long; at most 10000 are allowed"
    ]


@pytest.mark.parametrize(
    ("expression", "at", "note"),
    [
        ("log(x)", "x=-1", "note: log produced nan at x = -1 (invalid value), in v2 = ln(v1)"),
        ("1/(x+1)", "x=-1", "note: divide produced inf at x = -1 (divide by zero), in v3 = 1 / v2"),
        ("exp(1000*x)", "x=1", "note: exp produced inf at x = 1 (overflow), in v3 = exp(v2)"),
        ("arccos(x)", "x=1", "note: the derivative of arccos with respect to x is -inf at x = 1, in v2 = arccos(v1)"),
    ],
)
def test_trace_reports_floating_point_problems_as_one_line_notes(capsys, expression, at, note):
    status, out, err = trace_command(capsys, expression, at)
    assert status == 0 and "gradient" in out
    assert err.splitlines() == [note]
    assert "Warning" not in err and ".py" not in err


def test_trace_says_how_to_pass_an_expression_that_starts_with_a_minus(capsys):
    from wengert.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["trace", "-x**2", "--at", "x=1"])
    assert exit_info.value.code == 2
    assert "an expression that starts with '-' goes after '--'" in capsys.readouterr().err
    assert main(["trace", "--at", "x=3", "--", "-x**2"]) == 0
    assert "∂f/∂x = -6" in capsys.readouterr().out


@pytest.mark.parametrize("name", ["jacfwd", "jacrev", "jacobian"])
@pytest.mark.parametrize("chunk_size", [0, -3, 2.5, True])
def test_jacobian_chunk_sizes(name, chunk_size):
    with pytest.raises(ValueError, match=rf"{name}: chunk_size must be None \(all basis vectors at once\) or a"):
        getattr(wg, name)(wnp.sin, chunk_size=chunk_size)


def test_jvp_and_hvp_take_tuples():
    with pytest.raises(TypeError, match=r"hvp takes the primals and the tangents as tuples.*got primals ndarray"):
        wg.hvp(lambda x: wnp.sum(x**3), np.ones(2), np.ones(2))


def test_a_loss_given_a_target_that_is_not_numbers():
    with pytest.raises(TypeError, match=r"mse_loss: the target \(\['a', 'b'\], a list\) is not an array of numbers"):
        nn.mse_loss(np.ones(2), ["a", "b"])
