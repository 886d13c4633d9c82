"""``wg.jit``: staged programs equal eager ones, retrace when the signature changes, and read well.

Compiled values are compared with the eager values of the same function
(bit for bit where the same operations run); the op table's jit variant is in
test_ops.py (`test_compiled_equals_eager`).
"""

from __future__ import annotations

import inspect
import math
import traceback

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert.errors import TracerConversionError, UnexpectedTracerError

RNG = np.random.default_rng(12)


def running_example(x1, x2):
    return wnp.log(x1) + x1 * x2 - wnp.sin(x2)


def mlp(params, x):
    (w1, b1), (w2, b2) = params
    return wnp.tanh(x @ w1 + b1) @ w2 + b2


PARAMS = [
    (RNG.standard_normal((3, 8)), RNG.standard_normal(8)),
    (RNG.standard_normal((8, 2)), RNG.standard_normal(2)),
]
X = RNG.standard_normal((5, 3))


def mlp_loss(params, x):
    return wnp.mean(mlp(params, x) ** 2)


def assert_trees_equal(actual, expected, rtol=0.0, atol=0.0):
    actual_leaves, actual_tree = wg.tree_flatten(actual)
    expected_leaves, expected_tree = wg.tree_flatten(expected)
    assert actual_tree == expected_tree
    for a, e in zip(actual_leaves, expected_leaves):
        assert np.shape(a) == np.shape(e)
        np.testing.assert_allclose(a, e, rtol=rtol, atol=atol)


# -- the seeds' running example --------------------------------------------------------------


def test_the_running_example_and_its_gradient_compile_to_the_seeds_numbers():
    f = wg.jit(running_example)
    assert f(2.0, 5.0) == pytest.approx(11.652071455223084, rel=1e-15)
    gradient = wg.jit(wg.grad(running_example, argnums=(0, 1)))(2.0, 5.0)
    assert gradient[0] == pytest.approx(5.5, rel=1e-15)
    assert gradient[1] == pytest.approx(2.0 - math.cos(5.0), rel=1e-15)
    tangent = wg.jit(lambda a, b: wg.jvp(running_example, (a, b), (1.0, 0.0))[1])(2.0, 5.0)
    assert tangent == pytest.approx(5.5, rel=1e-15)


# -- compositions, in any order ----------------------------------------------------------------


COMPOSITIONS = {
    "jit(f)": (lambda: wg.jit(mlp_loss)(PARAMS, X), lambda: mlp_loss(PARAMS, X)),
    "jit(grad(f))": (lambda: wg.jit(wg.grad(mlp_loss))(PARAMS, X), lambda: wg.grad(mlp_loss)(PARAMS, X)),
    "grad(jit(f))": (lambda: wg.grad(wg.jit(mlp_loss))(PARAMS, X), lambda: wg.grad(mlp_loss)(PARAMS, X)),
    "jit(vmap(f))": (
        lambda: wg.jit(wg.vmap(lambda x: mlp(PARAMS, x)))(X),
        lambda: wg.vmap(lambda x: mlp(PARAMS, x))(X),
    ),
    "vmap(jit(f))": (
        lambda: wg.vmap(wg.jit(lambda x: mlp(PARAMS, x)))(X),
        lambda: wg.vmap(lambda x: mlp(PARAMS, x))(X),
    ),
    "jit(hessian(f))": (
        lambda: wg.jit(wg.hessian(lambda x: wnp.sum(wnp.tanh(x) ** 3)))(X[0]),
        lambda: wg.hessian(lambda x: wnp.sum(wnp.tanh(x) ** 3))(X[0]),
    ),
    "jit(jvp of jvp)": (
        lambda: wg.jit(lambda x: wg.jvp(lambda y: wg.jvp(wnp.tanh, (y,), (1.0,))[1], (x,), (1.0,))[1])(0.3),
        lambda: wg.jvp(lambda y: wg.jvp(wnp.tanh, (y,), (1.0,))[1], (0.3,), (1.0,))[1],
    ),
    "jit(jacfwd(f))": (
        lambda: wg.jit(wg.jacfwd(lambda x: mlp(PARAMS, x)))(X[0]),
        lambda: wg.jacfwd(lambda x: mlp(PARAMS, x))(X[0]),
    ),
    "jit(jacrev(f))": (
        lambda: wg.jit(wg.jacrev(lambda x: mlp(PARAMS, x)))(X[0]),
        lambda: wg.jacrev(lambda x: mlp(PARAMS, x))(X[0]),
    ),
    "jit(hvp)": (
        lambda: wg.jit(lambda x, v: wg.hvp(lambda y: wnp.sum(wnp.sin(y) * y), (x,), (v,)))(X[0], X[1]),
        lambda: wg.hvp(lambda y: wnp.sum(wnp.sin(y) * y), (X[0],), (X[1],)),
    ),
}


def taylor_fields(params, points):
    """Second derivatives of the MLP in its inputs by the PINN layer's Taylor mode, and a collapsed combination."""
    from wengert.pinn import DenseNetwork, Derivatives

    fields = Derivatives(DenseNetwork([w for layer in params for w in layer], "tanh"), points, names="xyz")
    return (*fields("u_xx", "u_yz"), fields.combination({"u_xx": 1.0, "u_zz": -2.0}))


def taylor_loss(params, points):
    u_xx, u_yz, operator = taylor_fields(params, points)
    return wnp.mean(operator**2) + wnp.mean(u_xx * u_yz)


COMPOSITIONS["jit(Taylor-mode fields)"] = (lambda: wg.jit(taylor_fields)(PARAMS, X), lambda: taylor_fields(PARAMS, X))
COMPOSITIONS["jit(grad(Taylor-mode loss))"] = (
    lambda: wg.jit(wg.grad(taylor_loss))(PARAMS, X),
    lambda: wg.grad(taylor_loss)(PARAMS, X),
)


@pytest.mark.parametrize("name", sorted(COMPOSITIONS))
def test_every_composition_equals_eager(name):
    compiled, eager = COMPOSITIONS[name]
    assert_trees_equal(compiled(), eager(), rtol=1e-13, atol=1e-15)


def test_a_whole_training_step_compiles_and_trains_as_eager():
    def step(params, x, learning_rate):
        loss, gradients = wg.value_and_grad(mlp_loss)(params, x)
        new = wg.tree_map(lambda p, g: p - learning_rate * g, params, gradients)
        return new, loss

    compiled_step = wg.jit(step)
    eager_params = compiled_params = PARAMS
    for _ in range(5):
        eager_params, eager_loss = step(eager_params, X, 0.1)
        compiled_params, compiled_loss = compiled_step(compiled_params, X, 0.1)
        assert compiled_loss == pytest.approx(eager_loss, rel=1e-13)
    assert_trees_equal(compiled_params, eager_params, rtol=1e-12, atol=1e-14)
    assert compiled_step.cache_info().traces == 1


def test_tensors_that_require_grad_run_eagerly_through_a_jitted_function():
    w = wg.tensor(PARAMS[0][0], requires_grad=True)
    f = wg.jit(lambda w, x: wnp.sum(wnp.tanh(x @ w)))
    f(w, X).backward()
    np.testing.assert_allclose(w.grad.numpy(), wg.grad(lambda w: wnp.sum(wnp.tanh(X @ w)))(PARAMS[0][0]), rtol=1e-14)


# -- signatures and the cache -------------------------------------------------------------------


def test_the_same_signature_reuses_the_program_and_a_new_one_retraces():
    f = wg.jit(lambda x, y: wnp.sum(x * y))
    f(np.ones(3), np.ones(3))
    f(np.zeros(3), np.full(3, 2.0))
    assert f.cache_info() == (1, 1, 1, 1)  # hits, misses, traces, size
    f(np.ones(4), np.ones(4))  # a new shape
    f(np.ones(3, np.float32), np.ones(3, np.float32))  # a new dtype
    f(1.0, np.ones(3))  # a Python number instead of an array
    assert f.cache_info().traces == 4
    g = wg.jit(lambda tree: wnp.sum(tree["a"]) + wnp.sum(tree["b"]))
    g({"a": np.ones(2), "b": np.ones(2)})
    g({"a": np.zeros(2), "b": np.ones(2)})
    assert g.cache_info().traces == 1
    h = wg.jit(lambda tree: wnp.sum(tree[0]))
    h((np.ones(2),))
    h([np.ones(2)])  # a list instead of a tuple: another pytree structure
    assert h.cache_info().traces == 2


def test_static_arguments_are_part_of_the_key():
    f = wg.jit(lambda x, power: x**power, static_argnums=1)
    assert f(2.0, 3) == 8.0 and f(2.0, 3) == 8.0 and f(2.0, 2) == 4.0
    assert f.cache_info().traces == 2 and f.cache_info().hits == 1
    g = wg.jit(lambda x, *, mode: wnp.sum(x) if mode == "sum" else wnp.max(x), static_argnames="mode")
    assert g(np.arange(3.0), mode="sum") == 3.0 and g(np.arange(3.0), mode="max") == 2.0
    with pytest.raises(TypeError, match=r"static argument 1 is a list, which is not hashable.*tuple"):
        f(2.0, [3])
    with pytest.raises(ValueError, match="static_argnums names argument 5"):
        wg.jit(lambda x: x, static_argnums=5)(1.0)


def test_arguments_that_are_not_arrays_are_refused_with_what_to_pass():
    with pytest.raises(TypeError, match=r"argument leaf 0 is a str.*static argument"):
        wg.jit(lambda s: s)("text")
    with pytest.raises(TypeError, match="jit: expected a function"):
        wg.jit(3.0)


# -- Python control flow on staged values ----------------------------------------------------


def branching(x):
    if x > 0:
        return x
    return -x


def test_python_control_flow_on_a_staged_value_names_the_line_and_what_to_use():
    with pytest.raises(TracerConversionError) as caught:
        wg.jit(branching)(1.0)
    message = str(caught.value)
    assert "jit cannot follow" in message and "if x > 0:" in message and __file__ in message
    assert "static_argnums" in message and "wnp.where" in message
    with pytest.raises(TracerConversionError, match="float()"):
        wg.jit(lambda x: math.sin(x))(1.0)
    # The same branch as a static argument, or with where, compiles.
    assert wg.jit(branching, static_argnums=0)(-2.0) == 2.0
    assert wg.jit(lambda x: wnp.where(x > 0, x, -x))(-2.0) == 2.0


def test_a_shape_that_depends_on_the_values_is_refused():
    with pytest.raises(NotImplementedError, match="data-dependent shape"):
        wg.jit(lambda x: x[x > 0])(np.array([1.0, -1.0]))
    with pytest.raises(TypeError, match="shape depends on the values"):
        wg.jit(lambda x: wnp.nonzero(x)[0] * 1.0)(np.array([1.0, 0.0]))


def test_a_staged_value_that_escapes_is_an_error_when_used():
    kept = []
    wg.jit(lambda x: kept.append(x) or x * 2.0)(1.0)
    with pytest.raises(UnexpectedTracerError, match="after jit had returned"):
        wnp.sin(kept[0])


def test_closing_over_a_value_traced_by_an_outer_transformation_is_refused():
    def outer(y):
        return wg.jit(lambda x: x * y)(1.0)  # y is grad's tracer, not an argument of the jitted function

    with pytest.raises(TypeError, match="pass it as an argument"):
        wg.grad(outer)(1.0)


# -- the passes -------------------------------------------------------------------------------


def test_a_discarded_gradient_compiles_to_a_program_without_the_backward_pass():
    def value_only(x):
        value, _ = wg.value_and_grad(lambda y: wnp.sum(wnp.tanh(y) ** 2))(x)
        return value

    lowered = wg.jit(value_only).lower(np.ones(4))
    assert lowered.unoptimized.count("tanh_grad") + lowered.unoptimized.count("multiply") > 1
    assert [equation.primitive.name for equation in lowered.ir.equations] == ["tanh", "power", "sum"]


def test_common_subexpressions_are_computed_once():
    lowered = wg.jit(lambda x: wnp.sin(x) * wnp.sin(x) + wnp.exp(x) / wnp.exp(x)).lower(np.ones(3))
    assert lowered.unoptimized.count("sin") == 2 and lowered.ir.count("sin") == 1
    assert lowered.ir.count("exp") == 1


def test_identities_are_dropped():
    lowered = wg.jit(lambda x: (x * 1.0 + 0.0).T.T.reshape(2, 3)).lower(np.ones((2, 3)))
    assert lowered.ir.equations == []
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(lowered(x), x)


def test_the_hvp_program_of_b6_has_three_matrix_vector_products():
    a = RNG.standard_normal((50, 40))

    def f(x):
        return wnp.sum(wnp.log(1.0 + (a @ x) ** 2))

    lowered = wg.jit(lambda x, v: wg.hvp(f, (x,), (v,))).lower(np.ones(40), np.ones(40))
    assert lowered.ir.count("matmul") == 3, str(lowered.ir)
    x, v = RNG.standard_normal(40), RNG.standard_normal(40)
    np.testing.assert_allclose(lowered(x, v), wg.hvp(f, (x,), (v,)), rtol=1e-12)


# -- the generated source -------------------------------------------------------------------


def test_generated_source_is_valid_python_named_after_the_wengert_variables():
    f = wg.jit(running_example)
    lowered = f.lower(2.0, 5.0)
    compile(lowered.source, "<check>", "exec")
    # Python floats in: plain arithmetic and math first, the NumPy version where Python raises.
    assert lowered.source.splitlines()[0] == "def running_example_floats(v1, v2):"
    assert "    v3 = math.log(v1)" in lowered.source and "    v3 = log(v1)" in lowered.source
    assert "def running_example_program(*values):" in inspect.getsource(lowered.emitted.function)
    assert "v3 = log(v1)" in str(lowered.ir)
    arrays = f.lower(np.full(3, 2.0), np.full(3, 5.0))
    compile(arrays.source, "<check>", "exec")
    assert arrays.source.splitlines()[0] == "def running_example(v1, v2):"
    assert inspect.getsource(arrays.emitted.function) == arrays.source


def test_scalar_programs_fall_back_to_numpy_where_python_raises():
    with np.errstate(all="ignore"):
        assert wg.jit(lambda x: 1.0 / x)(0.0) == np.inf
        assert np.isnan(wg.jit(wnp.log)(-1.0)) and wg.jit(wnp.exp)(1000.0) == np.inf
        assert wg.jit(wg.grad(wnp.sqrt))(0.0) == wg.grad(wnp.sqrt)(0.0)


def test_a_traceback_from_inside_generated_code_points_at_the_wengert_variable():
    def bad(x):
        return wnp.reshape(x, (2, 2)) * 1.5

    f = wg.jit(bad)
    lowered = f.lower(np.ones(4))
    with pytest.raises(ValueError) as caught:
        lowered.emitted.function(np.ones(3))
    frames = traceback.extract_tb(caught.value.__traceback__)
    generated = [frame for frame in frames if frame.filename == lowered.emitted.filename]
    assert generated and generated[-1].line.startswith("v2 = reshape(v1")


def test_cross_entropy_of_staged_labels_checks_their_range_when_the_program_runs():
    import wengert.nn as nn

    logits = RNG.standard_normal((3, 4))
    labels = np.array([0, 3, 2])
    compiled = wg.jit(wg.value_and_grad(nn.cross_entropy))
    value, gradient = compiled(logits, labels)
    eager_value, eager_gradient = wg.value_and_grad(nn.cross_entropy)(logits, labels)
    assert value == pytest.approx(eager_value, rel=1e-14)
    np.testing.assert_allclose(gradient, eager_gradient, rtol=1e-13, atol=1e-16)
    with pytest.raises(IndexError, match="label 4 is out of range for 4 classes"):
        compiled(logits, np.array([0, 4, 1]))
    per_example = wg.vmap(nn.cross_entropy)(logits[:, None, :], labels[:, None])
    np.testing.assert_allclose(per_example, [nn.cross_entropy(logits[i : i + 1], labels[i : i + 1]) for i in range(3)])


def test_the_staged_program_draws_as_a_graph():
    program = wg.jit(wg.grad(running_example, argnums=(0, 1))).lower(2.0, 5.0).ir
    mermaid = program.to_mermaid()
    assert mermaid.startswith("flowchart LR") and '["v8 = cos"]' in mermaid and "v2 --> v8" in mermaid
    dot = program.to_dot()
    assert dot.startswith("digraph program {") and dot.rstrip().endswith("}")
    assert dot.count("->") == len(program.edges()) + len(program.outputs)


def test_dying_temporaries_lend_their_memory_to_elementwise_results_but_never_a_viewed_one():
    def chain(x):
        y = wnp.tanh(x * 2.0)
        return wnp.exp(y) * 3.0 + 1.0

    x = RNG.standard_normal((4, 5))
    lowered = wg.jit(chain).lower(x)
    assert "out=" in lowered.source  # the chain reuses its temporaries
    np.testing.assert_array_equal(lowered(x), chain(x))

    def viewed(x):
        y = x * 2.0
        view = y.T  # a view of y's memory stays alive
        return view, y + 1.0

    lowered = wg.jit(viewed).lower(x)
    view, shifted = lowered(x)
    np.testing.assert_array_equal(view, (x * 2.0).T)
    np.testing.assert_array_equal(shifted, x * 2.0 + 1.0)
    assert "out=v2" not in lowered.source


def test_a_reshaped_view_read_by_a_product_leaves_its_source_reusable_only_once_the_view_is_dead():
    def summed_then_scaled(x):
        y = x * 2.0  # a fresh temporary
        total = wnp.einsum("ij,ij->j", y.reshape(4, 5), y.reshape(4, 5))  # a view of y, read by a product
        return total, wnp.tanh(y) * 3.0  # y dies here: tanh may write into its memory

    x = RNG.standard_normal((2, 2, 5))
    lowered = wg.jit(summed_then_scaled).lower(x)
    total, scaled = lowered(x)
    np.testing.assert_allclose(total, np.sum(((x * 2.0).reshape(4, 5)) ** 2, axis=0))
    np.testing.assert_allclose(scaled, np.tanh(x * 2.0) * 3.0)
    tanh_line = next(line for line in lowered.source.splitlines() if "tanh(" in line)
    assert "out=v2" in tanh_line  # y's memory, since its view died at the einsum

    def view_outlives(x):
        y = x * 2.0
        view = y.reshape(4, 5)
        return wnp.tanh(y), view * 1.0  # the view is read after y's last use: y's memory is not lent

    lowered = wg.jit(view_outlives).lower(x)
    scaled, viewed = lowered(x)
    np.testing.assert_array_equal(viewed, (x * 2.0).reshape(4, 5))
    np.testing.assert_array_equal(scaled, np.tanh(x * 2.0))
    assert "out=v2" not in lowered.source


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_where_against_zero_selects_the_same_bits_as_numpy_in_place_or_not(dtype):
    # where(mask, x, 0), the form every where and relu derivative takes, is a bitwise AND: it must
    # pass NaN, inf and -0.0 through, or give +0.0, exactly as np.where does.
    from wengert.numpy.elementwise import where_p

    x = np.array([np.nan, -np.inf, np.inf, -0.0, 0.0, -1.5, 2.5, np.nan], dtype=dtype)
    mask = np.array([True, True, False, True, False, False, True, False])
    expected = np.where(mask, x, 0.0)
    for y in (0.0, 0):
        got = where_p.impl(mask, x, y)
        assert got.dtype == expected.dtype
        np.testing.assert_array_equal(got.view(np.uint8), expected.view(np.uint8))
        buffer = x.copy()
        assert where_p.impl(mask, buffer, y, out=buffer) is buffer
        np.testing.assert_array_equal(buffer.view(np.uint8), expected.view(np.uint8))
    # Anything else is np.where itself: -0.0 as the alternative, a wider scalar, broadcasting.
    np.testing.assert_array_equal(where_p.impl(mask, x, -0.0), np.where(mask, x, -0.0))
    np.testing.assert_array_equal(where_p.impl(mask, x, np.float64(0.0)), np.where(mask, x, np.float64(0.0)))
    np.testing.assert_array_equal(where_p.impl(mask[:1], x, 0.0), np.where(mask[:1], x, 0.0))


def test_relu_and_its_derivative_write_into_dying_temporaries():
    def loss(w, x):
        return wnp.sum(wnp.relu(x @ w) ** 2)

    w, x = RNG.standard_normal((5, 4)), RNG.standard_normal((6, 5))
    lowered = wg.jit(wg.value_and_grad(loss)).lower(w, x)
    assert "relu_into(" in lowered.source and "out=" in lowered.source.split("where(")[1].split("\n")[0]
    assert lowered.ir.count("detach") == 0  # a staged program is not differentiated again
    value, gradient = lowered(w, x)
    expected_value, expected_gradient = wg.value_and_grad(loss)(w, x)
    np.testing.assert_array_equal(value, expected_value)
    np.testing.assert_array_equal(gradient, expected_gradient)


def test_the_pinn_layers_taylor_mode_stages_into_one_program():
    lowered = wg.jit(wg.grad(taylor_loss)).lower(PARAMS, X)
    assert lowered.ir.count("tanh") >= 1 and len(lowered.ir.equations) > 20
    assert_trees_equal(lowered(PARAMS, X), wg.grad(taylor_loss)(PARAMS, X), rtol=1e-13, atol=1e-15)


def test_a_lowered_program_takes_the_functions_arguments_and_refuses_another_signature():
    lowered = wg.jit(mlp_loss).lower(PARAMS, X)
    assert lowered(PARAMS, X) == mlp_loss(PARAMS, X)
    with pytest.raises(TypeError, match=r"shape \(5, 3\) and dtype float64, got shape \(4, 3\)"):
        lowered(PARAMS, X[:4])
    with pytest.raises(TypeError, match="staged for arguments of structure"):
        lowered(PARAMS[:1], X)


def test_products_and_elementwise_operations_stage_without_full_size_stand_ins(monkeypatch):
    # Their output shapes follow from the input shapes: staging a product of large matrices
    # must not run it (it once took a quarter of a second for a 2000 x 2000 matrix).
    from wengert.numpy import probes

    requested = []
    original = probes.probe
    monkeypatch.setattr(probes, "probe", lambda aval, variant: requested.append(aval.shape) or original(aval, variant))

    def loss(w, x):
        hidden = wnp.tanh(x @ w + 1.0)
        return wnp.sum(wnp.where(hidden > 0, hidden, 0.0) * 2.0)

    w, x = RNG.standard_normal((30, 40)), RNG.standard_normal((20, 30))
    value, gradient = wg.jit(wg.value_and_grad(loss))(w, x)
    expected_value, expected_gradient = wg.value_and_grad(loss)(w, x)
    np.testing.assert_allclose(value, expected_value, rtol=1e-13)
    np.testing.assert_allclose(gradient, expected_gradient, rtol=1e-13)
    assert requested and all(math.prod(shape) <= 1 for shape in requested), requested


@pytest.mark.parametrize("transpose_a, transpose_b", [(False, False), (False, True), (True, False)])
def test_the_products_shape_rules_agree_with_numpy(transpose_a, transpose_b):
    import itertools

    from wengert.core.staging import Abstract
    from wengert.numpy.products import matmul_nt_p, matmul_p, matmul_tn_p

    primitive = {(False, False): matmul_p, (False, True): matmul_nt_p, (True, False): matmul_tn_p}[
        (transpose_a, transpose_b)
    ]
    shapes = [(3,), (4, 3), (3, 4), (3, 5), (2, 4, 3), (2, 3, 5), (1, 3, 5), (5,), (7, 2, 1, 4, 3), (3, 3)]
    if transpose_a or transpose_b:
        shapes = [shape for shape in shapes if len(shape) == 2]  # the transposed products take matrices
    for a, b in itertools.product(shapes, shapes):
        left, right = np.ones(a, np.float32), np.ones(b)
        try:
            expected = primitive.impl(left, right)
        except ValueError:
            expected = None
        try:
            got = primitive.shape_rule(Abstract(a, left.dtype), Abstract(b, right.dtype))
        except ValueError:
            got = None
        if expected is None:
            assert got is None, (a, b)
        else:
            assert (got.shape, got.dtype) == (expected.shape, expected.dtype), (a, b)


def test_large_temporaries_live_in_a_workspace_kept_between_calls_that_concurrent_calls_never_share(monkeypatch):
    from concurrent.futures import ThreadPoolExecutor

    from wengert.compile import codegen

    monkeypatch.setattr(codegen, "WORKSPACE_MIN_BYTES", 0)
    weights = RNG.standard_normal((64, 64)) / 8

    def network(x):
        h = wnp.tanh(x @ weights) * 2.0  # temporaries: the product, tanh in place, the scaling
        return wnp.sum(wnp.exp(h @ weights) - h, axis=-1), h.reshape(-1)  # an output reshaped from a temporary

    compiled = wg.jit(network)
    inputs = [RNG.standard_normal((4000, 64)) for _ in range(8)]  # large enough for calls to interleave
    assert "_w[" in compiled.lower(inputs[0]).source
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(compiled, inputs * 10))
    for x, (total, flat) in zip(inputs * 10, results):
        expected_total, expected_flat = network(x)
        np.testing.assert_allclose(total, expected_total, rtol=1e-13)
        np.testing.assert_array_equal(flat, expected_flat)


def _tall_laplacian_network(dimension: int, width: int = 128):
    weights = [RNG.standard_normal((dimension, width)) / np.sqrt(dimension)]
    weights += [RNG.standard_normal((width, width)) / np.sqrt(width) for _ in range(2)]
    biases = [0.1 * RNG.standard_normal(width) for _ in weights]
    last = RNG.standard_normal(width)

    def u(p):
        for w, b in zip(weights, biases):
            p = wnp.tanh(p @ w + b)  # jit fuses the product and the bias (matmul_add), which takes out= too
        return p @ last

    return u


@pytest.mark.parametrize("workspace", [False, True])
def test_tall_products_and_the_elementwise_work_among_them_are_written_column_major(monkeypatch, workspace):
    """A Laplacian at 1,000 points of width 128 (forward only): its products, the elementwise results
    they meet and the stack sums take the column-major order, in fresh arrays or in workspace slots;
    the values are eager's, call after call."""
    from wengert.compile import codegen

    assert codegen._columns((2, 1000, 128), np.float64).strides == (8000, 8, 16000)  # last axis outermost
    if workspace:
        monkeypatch.setattr(codegen, "WORKSPACE_MIN_BYTES", 0)
    u = _tall_laplacian_network(4)
    x = RNG.uniform(-1.0, 1.0, (1000, 4))
    compiled = wg.jit(wg.laplacian(u))
    source = compiled.lower(x).source
    assert ("_w[" in source and ".T.reshape(" in source) if workspace else "_columns(" in source
    assert "product='matmul', out=" in source  # a fused product and bias written in the order of its group
    expected = wg.laplacian(u)(x)
    for _ in range(3):
        np.testing.assert_allclose(compiled(x), expected, rtol=1e-12, atol=1e-12)
    monkeypatch.setattr(codegen, "COLUMN_MAJOR_MIN_ROWS", 10**9)  # every value row-major: the same numbers
    row_major = wg.jit(wg.laplacian(u))
    assert "_columns(" not in row_major.lower(x).source
    np.testing.assert_allclose(row_major(x), expected, rtol=1e-12, atol=1e-12)


def test_values_a_row_reader_or_the_caller_sees_stay_row_major():
    """A tall product whose group meets a reduction over the points, or is returned, is not reordered:
    the caller gets NumPy's row-major arrays, and a reduction reads rows as they lie."""
    weights = RNG.standard_normal((128, 128)) / 12
    x = RNG.standard_normal((1200, 128))

    def summed(p):
        return wnp.sum(wnp.tanh(p @ weights) * 2.0, axis=0)

    def returned(p):
        return wnp.tanh(p @ weights) * 2.0

    for f in (summed, returned):
        compiled = wg.jit(f)
        assert "_columns(" not in compiled.lower(x).source, f.__name__
        np.testing.assert_allclose(compiled(x), f(x), rtol=1e-13)
    out = wg.jit(returned)(x)
    assert out.flags.c_contiguous

    delta = wg.laplacian(_tall_laplacian_network(4))

    def laplacian_and_gradient(p):  # a training step's shape: the gradient reads the stacks back over rows
        return wnp.sum(delta(p) ** 2)

    points = RNG.uniform(-1.0, 1.0, (1000, 4))
    compiled = wg.jit(wg.grad(laplacian_and_gradient))
    np.testing.assert_allclose(compiled(points), wg.grad(laplacian_and_gradient)(points), rtol=1e-10, atol=1e-12)


def test_a_fused_product_and_bias_writes_into_the_memory_it_is_given_when_the_sum_fits():
    from wengert.numpy.products import _matmul_add_impl

    a, b = RNG.standard_normal((6, 4)), RNG.standard_normal((4, 3))
    out = np.empty((3, 6)).T  # column-major, as jit gives a tall product
    result = _matmul_add_impl(a, b, np.arange(3.0), "matmul", out=out)
    assert result is out
    np.testing.assert_allclose(result, a @ b + np.arange(3.0), rtol=1e-14)
    tn = _matmul_add_impl(a.T.copy(), b, np.ones(3), "matmul_tn", out=np.empty((6, 3)))
    np.testing.assert_allclose(tn, a @ b + 1.0, rtol=1e-14)
    wider = _matmul_add_impl(a, b, np.ones((2, 6, 3)), "matmul", out=np.empty((2, 6, 3)))  # the bias adds an axis
    np.testing.assert_allclose(wider, np.broadcast_to(a @ b + 1.0, (2, 6, 3)), rtol=1e-14)
    single = _matmul_add_impl(a.astype(np.float32), b.astype(np.float32), np.ones(3), "matmul", out=np.empty((6, 3)))
    assert single.dtype == np.float64  # a float64 bias widens the float32 product's sum, as NumPy's +
    np.testing.assert_allclose(single, (a.astype(np.float32) @ b.astype(np.float32)) + 1.0, rtol=1e-6)
