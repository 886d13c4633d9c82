"""vmap over every operation of wengert.numpy, and the derivatives built on it.

Each line of the operation tables (tests/test_ops.py, test_linalg.py, test_einsum.py,
test_rearrange.py) is run on a batch of three examples made from its arguments (the
arguments, scaled by 0.95, and with their elements reversed), with the batch in each
argument position in turn, on axis 0, 1 or -1, and compared with a Python loop over the
examples. Then the derivatives whose rules build masks (max, where, clip, sqrt...) are
checked under the batch: ``vmap(grad(f))`` (per-example gradients), ``vmap`` of ``jvp``,
``jacfwd``/``jacrev`` (which push all basis vectors as one batch) and ``hessian``, each
against a loop of plain ``jvp``/``grad`` calls. Last come nesting (grad of vmap, vmap of
vmap, Tensors under vmap), ``out_axes``, pytrees, the derivative conventions under a batch,
the errors, and the list of primitives that still batch by a loop over examples.
"""

from __future__ import annotations

import importlib.util
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert.core import Tracer, tree_flatten, tree_unflatten
from wengert.testing import check_grads

TESTS = Path(__file__).parent


def _load_table_module(name: str) -> Any:
    """A sibling test module, loaded for its tables (its tests are not collected again here)."""
    module_name = f"_wengert_vmap_tables_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, TESTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


ops = _load_table_module("test_ops")
linalg_tables = _load_table_module("test_linalg")
einsum_tables = _load_table_module("test_einsum")
rearrange_tables = _load_table_module("test_rearrange")

BATCH = 3


def examples(arg: Any) -> list:
    """Three examples from one argument: itself, scaled by 0.95, and its elements in reverse order.

    Scaling and reversing keep every table's domain (signs, zeros, symmetric positive definite
    matrices), and reversing makes the examples differ in where things are (argmax, masks).
    """
    if type(arg) is float:
        return [arg, arg * 0.95, arg * 1.04]
    arg = np.asarray(arg)
    if arg.dtype.kind != "f":
        return [arg] * BATCH
    return [arg, arg * 0.95, arg.reshape(-1)[::-1].reshape(arg.shape)]


def stack_examples(values: list, axis: int) -> np.ndarray:
    return np.stack([np.asarray(v) for v in values], axis=axis)


def plain(value: Any) -> Any:
    for leaf in tree_flatten(value)[0]:
        assert not isinstance(leaf, Tracer), f"a tracer escaped vmap: {leaf!r}"
    return value


def assert_same_tree(actual: Any, expected: Any, rtol: float = 1e-10, atol: float = 1e-12) -> None:
    """Same structure, shapes and values (NaN equal to NaN; booleans and integers exactly)."""
    actual_leaves, actual_tree = tree_flatten(plain(actual))
    expected_leaves, expected_tree = tree_flatten(expected)
    assert actual_tree == expected_tree, f"structure {actual_tree} != {expected_tree}"
    for a, e in zip(actual_leaves, expected_leaves):
        a, e = np.asarray(a), np.asarray(e)
        assert a.shape == e.shape, f"shape {a.shape} != expected {e.shape}"
        if e.dtype.kind in "biu":
            np.testing.assert_array_equal(a, e)
        else:
            np.testing.assert_allclose(a, e, rtol=rtol, atol=atol, equal_nan=True)


def loop(function: Callable[..., Any], columns: list[list], out_axis: int = 0) -> Any:
    """``function`` called once per example (``columns[i]`` holds argument i's examples), stacked."""
    results = [function(*[column[k] for column in columns]) for k in range(len(columns[0]))]
    leaves = [tree_flatten(result)[0] for result in results]
    treedef = tree_flatten(results[0])[1]
    stacked = [stack_examples([leaf[i] for leaf in leaves], out_axis) for i in range(len(leaves[0]))]
    return tree_unflatten(treedef, stacked)


# -- the operation tables as (id, function, args, kind) -------------------------------------------

# Python-bool results (allclose) and shapes (empty_like) are not arrays to batch; a boolean mask
# index has a data-dependent shape (tested below to raise under vmap).
NOT_BATCHABLE = {"allclose", "array_equal", "empty_like"}


def _op_entries() -> list:
    entries = []
    for param in ops.TABLE:
        case = param.values[0]
        if case.op in NOT_BATCHABLE or "traced mask" in param.id or param.marks:
            continue
        entries.append((f"ops-{param.id}", case, case.args, case.kind))
    for name, function, make_args in linalg_tables.GRAD_CASES:
        entries.append((f"linalg-{name}", function, make_args(), "smooth"))
    for subscripts, shapes in einsum_tables.EINSUM_CASES:
        if 0 in [size for shape in shapes for size in shape]:
            continue  # an empty operand: nothing to batch
        function = einsum_tables.einsum_function(subscripts)
        entries.append((f"einsum-{subscripts or 'scalar'}", function, einsum_tables.operands_for(shapes), "smooth"))
    for name, shapes, call in rearrange_tables.CASES:
        function = _module_call(call)
        entries.append((f"rearrange-{name}", function, rearrange_tables._inputs(shapes), "smooth"))
    return entries


def _module_call(call: Callable[..., Any]) -> Callable[..., Any]:
    def function(*args: Any) -> Any:
        out = call(wnp, *args)
        return tuple(out) if isinstance(out, list) else out  # lists of pieces: a pytree either way

    return function


ENTRIES = _op_entries()
SMOOTH = [entry for entry in ENTRIES if entry[3] == "smooth"]


def _entry_params(entries: list, known_failures: dict[str, str] | None = None) -> list:
    known_failures = known_failures or {}
    return [
        pytest.param(
            function,
            args,
            kind,
            id=name,
            marks=[pytest.mark.xfail(reason=known_failures[name])] if name in known_failures else [],
        )
        for name, function, args, kind in entries
    ]


def _batchings(args: tuple) -> list[tuple[str, tuple]]:
    """Which arguments carry the batch: each one alone, then all of them (when there are several)."""
    options = [(f"arg{i}", tuple(j == i for j in range(len(args)))) for i in range(len(args))]
    if len(args) > 1:
        options.append(("all", (True,) * len(args)))
    return options


def _call_with_batch(function: Callable[..., Any], args: tuple, batched: tuple, axis: int) -> tuple[Any, Any]:
    """(vmap's result, the loop's result) with the batch on ``axis`` of the batched arguments."""
    columns = [examples(a) if b else [a] * BATCH for a, b in zip(args, batched)]
    inputs = [stack_examples(column, axis) if b else a for column, a, b in zip(columns, args, batched)]
    in_axes = tuple(axis if b else None for b in batched)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        actual = wg.vmap(function, in_axes=in_axes)(*inputs)
        expected = loop(function, columns)
    return actual, expected


@pytest.mark.parametrize(("function", "args", "kind"), _entry_params(ENTRIES))
def test_vmap_equals_a_loop_over_examples(function: Any, args: tuple, kind: str) -> None:
    """The batch in each argument position, on axis 0, then 1 and -1 where the argument has axes."""
    for _, batched in _batchings(args):
        axes = [0]
        if all(np.ndim(a) >= 1 for a, b in zip(args, batched) if b):
            axes += [1, -1]
        for axis in axes:
            actual, expected = _call_with_batch(function, args, batched, axis)
            assert_same_tree(actual, expected)


# -- derivatives under a batch -----------------------------------------------------------------------


def _weights_for(out: Any) -> list:
    """Fixed, distinct weights for each output leaf (a scalar objective that sees every element)."""
    return [
        np.cos(np.arange(np.size(leaf), dtype=float) + 0.3).reshape(np.shape(leaf)) for leaf in tree_flatten(out)[0]
    ]


def scalar_objective(function: Callable[..., Any], args: tuple) -> Callable[..., Any]:
    """sum(weights · function(*args)) over all output leaves: a scalar for grad and hessian."""
    weights = _weights_for(function(*args))

    def objective(*inputs: Any) -> Any:
        leaves = tree_flatten(function(*inputs))[0]
        total = 0.0
        for leaf, weight in zip(leaves, weights):
            total = total + wnp.sum(leaf * weight)
        return total

    return objective


@pytest.mark.parametrize(("function", "args", "kind"), _entry_params(SMOOTH))
def test_per_example_gradients_equal_a_loop_of_grad(function: Any, args: tuple, kind: str) -> None:
    """vmap(grad(f)), the batch in each argument position: the masks of max, where, clip... stay batched."""
    objective = scalar_objective(function, args)
    gradient = wg.grad(objective, argnums=tuple(range(len(args))))
    for _, batched in _batchings(args):
        actual, expected = _call_with_batch(gradient, args, batched, 0)
        assert_same_tree(actual, expected, rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize(("function", "args", "kind"), _entry_params(SMOOTH))
def test_vmap_of_jvp_equals_a_loop_of_jvp(function: Any, args: tuple, kind: str) -> None:
    """Primals and tangents batched together (a pytree of in_axes), and tangents alone."""
    tangents = tuple(0.5 * a if type(a) is not float else 0.3 for a in args)

    def push(primals: tuple, tangent_values: tuple) -> Any:
        return wg.jvp(function, primals, tangent_values)

    columns_p = [examples(a) for a in args]
    columns_t = [examples(t) for t in tangents]
    batched_primals = tuple(stack_examples(c, 0) for c in columns_p)
    batched_tangents = tuple(stack_examples(c, 0) for c in columns_t)
    actual = wg.vmap(push)(batched_primals, batched_tangents)
    expected = loop(lambda *both: push(both[: len(args)], both[len(args) :]), columns_p + columns_t)
    assert_same_tree(actual, expected, rtol=1e-9, atol=1e-11)

    actual = wg.vmap(push, in_axes=(None, 0))(args, batched_tangents)
    expected = loop(lambda *t: push(args, t), columns_t)
    assert_same_tree(actual, expected, rtol=1e-9, atol=1e-11)


def jacobian_by_jvps(function: Callable[..., Any], args: tuple, argnum: int) -> np.ndarray:
    """The Jacobian with respect to ``args[argnum]``, one plain (unbatched) jvp per basis vector."""
    x = args[argnum]
    out = np.asarray(function(*args))
    columns = []
    for index in range(max(np.size(x), 1)):
        basis = np.zeros(np.size(x))
        basis[index] = 1.0
        direction = float(basis[0]) if type(x) is float else basis.reshape(np.shape(x))
        tangents = tuple(
            direction if i == argnum else (0.0 if type(a) is float else np.zeros_like(a)) for i, a in enumerate(args)
        )
        columns.append(np.asarray(wg.jvp(function, args, tangents)[1]).reshape(-1))
    return np.stack(columns, axis=-1).reshape(out.shape + np.shape(x))


def _single_output(entries: list) -> list:
    """Entries with one non-empty output (jacobians of empty outputs are tested below)."""
    single = []
    for entry in entries:
        out = entry[1](*entry[2])
        if not isinstance(out, (tuple, list)) and np.size(out):
            single.append(entry)
    return single


@pytest.mark.parametrize(("function", "args", "kind"), _entry_params(_single_output(SMOOTH)))
def test_jacfwd_and_jacrev_equal_a_loop_of_jvp(function: Any, args: tuple, kind: str) -> None:
    """jacfwd and jacrev push or pull all basis vectors as one batch through the rules."""
    for argnum in range(len(args)):
        expected = jacobian_by_jvps(function, args, argnum)
        assert_same_tree(wg.jacfwd(function, argnums=argnum)(*args), expected, rtol=1e-9, atol=1e-11)
        assert_same_tree(wg.jacrev(function, argnums=argnum)(*args), expected, rtol=1e-9, atol=1e-11)


HESSIAN_SIZE_LIMIT = 12  # the reference costs one jvp of grad per input element


@pytest.mark.parametrize(
    ("function", "args", "kind"),
    _entry_params([entry for entry in SMOOTH if np.size(entry[2][0]) <= HESSIAN_SIZE_LIMIT]),
)
def test_hessian_equals_a_loop_of_forward_over_reverse(function: Any, args: tuple, kind: str) -> None:
    """hessian = jacfwd(jacrev(f)): a batch of tangents through the recorded reverse pass."""
    objective = scalar_objective(function, args)
    x = args[0]
    expected = jacobian_by_jvps(lambda *a: wg.grad(objective)(*a), args, 0)
    assert_same_tree(wg.hessian(objective)(*args), expected, rtol=1e-8, atol=1e-10)
    if type(x) is not float:
        batch = stack_examples(examples(x), 0)
        rest = args[1:]
        per_example = wg.vmap(lambda v: wg.hessian(objective)(v, *rest))(batch)
        reference = loop(lambda v: wg.hessian(objective)(v, *rest), [examples(x)])
        assert_same_tree(per_example, reference, rtol=1e-8, atol=1e-10)


# -- the derivative conventions under a batch --------------------------------------------------------

# Rows that hit each convention's special point in some examples and not in others.
KINKS = np.array([[-1.0, 0.0, 2.0], [0.0, 0.0, 3.0], [4.0, -2.0, 0.5]])


def _all_gradient_routes(objective: Callable[[Any], Any], rows: np.ndarray) -> list:
    """Per-example gradients four ways: vmap(grad), jacrev and jacfwd of the vmapped function, and a loop."""
    summed = wg.vmap(objective)
    return [
        wg.vmap(wg.grad(objective))(rows),
        np.einsum("kki->ki", wg.jacrev(summed)(rows)),
        np.einsum("kki->ki", wg.jacfwd(summed)(rows)),
        np.stack([wg.grad(objective)(row) for row in rows]),
    ]


CONVENTIONS = {
    "relu'(0) = 0": (lambda x: wnp.sum(wnp.relu(x)), KINKS, (KINKS > 0) * 1.0),
    "abs'(0) = 0": (lambda x: wnp.sum(wnp.abs(x)), KINKS, np.sign(KINKS)),
    "sqrt'(0) = 0": (  # d/dx sqrt|x| = sign(x) / (2 sqrt|x|), and 0 at x = 0
        lambda x: wnp.sum(wnp.sqrt(wnp.abs(x))),
        KINKS,
        np.sign(KINKS) * 0.5 / np.sqrt(np.where(KINKS == 0, 1.0, np.abs(KINKS))),
    ),
    "max ties split": (
        lambda x: wnp.max(x),
        np.array([[1.0, 3.0, 3.0], [2.0, 1.0, 0.0], [5.0, 5.0, 5.0]]),
        np.array([[0.0, 0.5, 0.5], [1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3]]),
    ),
    "maximum ties split": (
        lambda x: wnp.sum(wnp.maximum(x, 0.0)),
        KINKS,
        np.where(KINKS > 0, 1.0, np.where(KINKS == 0, 0.5, 0.0)),
    ),
    "clip inside includes the bounds": (
        lambda x: wnp.sum(wnp.clip(x, 0.0, 2.0)),
        KINKS,
        ((KINKS >= 0) & (KINKS <= 2)) * 1.0,
    ),
    "where's other branch cannot poison": (
        lambda x: wnp.sum(wnp.where(x > 0, wnp.log(wnp.where(x > 0, x, 1.0)) + wnp.log(x), 0.0)),
        KINKS,
        np.where(KINKS > 0, 2.0 / np.where(KINKS > 0, KINKS, 1.0), 0.0),
    ),
    "norm at 0": (
        lambda x: wnp.linalg.norm(x),
        np.array([[0.0, 0.0, 0.0], [3.0, 0.0, 4.0], [0.0, 0.0, 0.0]]),
        np.array([[0.0, 0.0, 0.0], [0.6, 0.0, 0.8], [0.0, 0.0, 0.0]]),
    ),
    "logsumexp of -inf entries": (
        lambda x: wnp.logsumexp(x),
        np.array([[0.0, -np.inf, 0.0], [-np.inf, -np.inf, -np.inf], [1.0, 1.0, 1.0]]),
        np.array([[0.5, 0.0, 0.5], [0.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3]]),
    ),
    "xlogy at x = y = 0": (  # d/dx x log x = log x + 1, and 0 at x = 0
        lambda x: wnp.sum(wnp.xlogy(x, x)),
        np.array([[0.0, 1.0, 2.0], [0.0, 0.0, 0.0], [1.0, 1.0, 1.0]]),
        np.array([[0.0, 1.0, np.log(2.0) + 1.0], [0.0, 0.0, 0.0], [1.0, 1.0, 1.0]]),
    ),
    "power 0 ** 0": (
        lambda x: wnp.sum(x ** np.array([0.0, 2.0, 1.0])),
        np.array([[0.0, 0.0, 0.0], [1.0, 2.0, 3.0], [0.0, 1.0, 0.0]]),
        np.array([[0.0, 0.0, 1.0], [0.0, 4.0, 1.0], [0.0, 2.0, 1.0]]),
    ),
    "prod with zeros": (
        lambda x: wnp.prod(x),
        np.array([[0.0, 2.0, 3.0], [1.0, 2.0, 3.0], [0.0, 0.0, 3.0]]),
        np.array([[6.0, 0.0, 0.0], [6.0, 3.0, 2.0], [0.0, 0.0, 0.0]]),
    ),
}


@pytest.mark.parametrize("name", list(CONVENTIONS))
def test_derivative_conventions_hold_per_example(name: str) -> None:
    objective, rows, expected = CONVENTIONS[name]
    with np.errstate(divide="ignore", invalid="ignore"):
        routes = _all_gradient_routes(objective, rows)
    for gradient in routes:
        assert np.all(np.isfinite(gradient)), f"{name}: not finite: {gradient}"
        np.testing.assert_allclose(gradient, expected, rtol=1e-12, atol=1e-15)


def test_unselected_where_branch_cannot_poison_any_example() -> None:
    """An overflowing unselected branch: 0 · inf must not appear in any example (0 · inf = 0)."""
    rows = np.array([[1000.0, 1.0], [2.0, 800.0]])
    objective = lambda x: wnp.sum(wnp.where(x < 100.0, wnp.exp(x), x))  # noqa: E731
    with np.errstate(over="ignore"):
        routes = _all_gradient_routes(objective, rows)
    for gradient in routes:
        np.testing.assert_allclose(gradient, np.where(rows < 100, np.exp(np.minimum(rows, 100)), 1.0))


def test_second_derivatives_at_kinks_under_vmap() -> None:
    """The batched Hessian of relu/abs/where programs is the per-example one (zero at the kinks)."""
    objective = lambda x: wnp.sum(wnp.relu(x) ** 3 + wnp.where(x > 0, wnp.sqrt(wnp.abs(x)), x * x))  # noqa: E731
    rows = np.array([[0.0, 1.0, -2.0], [4.0, 0.0, 0.25]])
    with np.errstate(divide="ignore", invalid="ignore"):
        batched = wg.vmap(wg.hessian(objective))(rows)
        looped = np.stack([wg.hessian(objective)(row) for row in rows])
    assert np.all(np.isfinite(batched))
    np.testing.assert_allclose(batched, looped, rtol=1e-12)


# -- nesting -------------------------------------------------------------------------------------------

RNG = np.random.default_rng(31)
X = RNG.standard_normal((4, 3))
W = RNG.standard_normal((3, 2))


def test_grad_of_a_function_that_uses_vmap() -> None:
    """The tape records vmap's batched primitives; the gradient equals the loop version's."""

    def loss_vmapped(w: Any) -> Any:
        return wnp.sum(wg.vmap(lambda x: wnp.max(wnp.tanh(x @ w)) ** 2)(X))

    def loss_looped(w: Any) -> Any:
        return sum(wnp.max(wnp.tanh(x @ w)) ** 2 for x in X)

    np.testing.assert_allclose(wg.grad(loss_vmapped)(W), wg.grad(loss_looped)(W), rtol=1e-12)
    np.testing.assert_allclose(wg.hessian(loss_vmapped)(W), wg.hessian(loss_looped)(W), rtol=1e-10, atol=1e-12)
    tangent = RNG.standard_normal(W.shape)
    np.testing.assert_allclose(
        wg.jvp(loss_vmapped, (W,), (tangent,))[1], wg.jvp(loss_looped, (W,), (tangent,))[1], rtol=1e-12
    )


def test_vmap_of_vmap_equals_a_double_loop() -> None:
    cube = RNG.standard_normal((2, 3, 4))

    def f(row: Any, w: Any) -> Any:
        return wnp.where(row > 0, wnp.sqrt(wnp.abs(row)), wnp.clip(row, -0.5, None)) * w + wnp.max(row)

    w = RNG.standard_normal(4)
    expected = np.stack([np.stack([f(row, w) for row in matrix]) for matrix in cube])
    np.testing.assert_allclose(wg.vmap(wg.vmap(f, in_axes=(0, None)), in_axes=(0, None))(cube, w), expected)
    # The inner map over axis 1 of the outer example: the outer over the matrices' axis 1 of the cube.
    swapped = np.swapaxes(cube, 0, 1)  # (3, 2, 4): outer over axis 1, inner over axis 0
    inner = wg.vmap(f, in_axes=(0, None))
    np.testing.assert_allclose(wg.vmap(inner, in_axes=(1, None))(swapped, w), expected)
    # Per-example gradients of per-example gradients: vmap(vmap(grad)).
    objective = lambda row: wnp.sum(f(row, w) ** 2)  # noqa: E731
    grads = wg.vmap(wg.vmap(wg.grad(objective)))(cube)
    np.testing.assert_allclose(grads, np.stack([[wg.grad(objective)(r) for r in m] for m in cube]), rtol=1e-12)


def test_vmap_inside_grad_inside_vmap() -> None:
    """Per-example gradients of a loss that itself vmaps over a set of points."""
    points = RNG.standard_normal((5, 3))

    def loss(w: Any, x: Any) -> Any:
        return wnp.mean(wg.vmap(lambda p: wnp.logsumexp(p * x @ w))(points))

    per_example = wg.vmap(wg.grad(loss), in_axes=(None, 0))(W, X)
    np.testing.assert_allclose(per_example, np.stack([wg.grad(loss)(W, x) for x in X]), rtol=1e-12)


def test_per_example_gradients_of_a_small_network() -> None:
    """The common use: per-example gradients of a loss with respect to shared parameters."""
    params = {"w": RNG.standard_normal((3, 5)), "b": RNG.standard_normal(5), "v": RNG.standard_normal((5, 2))}
    labels = np.eye(2)[[0, 1, 1, 0]]

    def loss(p: dict, x: Any, y: Any) -> Any:
        hidden = wnp.maximum(x @ p["w"] + p["b"], 0.0)
        logits = hidden @ p["v"]
        return -wnp.sum(wnp.log_softmax(logits) * y) + 0.1 * wnp.linalg.norm(wnp.clip(hidden, None, 1.0))

    per_example = wg.vmap(wg.grad(loss), in_axes=(None, 0, 0))(params, X, labels)
    assert set(per_example) == {"w", "b", "v"}
    for key in params:
        expected = np.stack([wg.grad(loss)(params, x, y)[key] for x, y in zip(X, labels)])
        np.testing.assert_allclose(per_example[key], expected, rtol=1e-12, atol=1e-14)


def test_tensors_under_vmap() -> None:
    """A requires_grad Tensor closed over by a vmapped function: backward through the batched graph."""
    w = wg.tensor(W, requires_grad=True)
    out = wg.vmap(lambda x: wnp.sum(wnp.where(x @ w > 0, x @ w, 0.1 * (x @ w))))(X)
    wnp.sum(out * np.arange(1.0, 5.0)).backward()

    def looped(v: Any) -> Any:
        return sum(k * wnp.sum(wnp.where(x @ v > 0, x @ v, 0.1 * (x @ v))) for k, x in zip(range(1, 5), X))

    reference = wg.grad(looped)(W)
    np.testing.assert_allclose(np.asarray(w.grad.primal), reference, rtol=1e-12)


def test_no_perturbation_confusion_across_vmap_and_grad() -> None:
    """d/dx [x · d/dy (x + y)] = 1 for every example, with the batch outside and inside."""
    xs = np.array([1.0, 2.0, 3.0])
    inner = lambda x: x * wg.grad(lambda y: x + y)(1.0)  # noqa: E731
    np.testing.assert_allclose(wg.vmap(wg.grad(inner))(xs), np.ones(3))
    np.testing.assert_allclose(wg.grad(lambda x: wnp.sum(wg.vmap(inner)(x * xs)))(2.0), np.sum(xs))


# -- indices that vary across the batch ------------------------------------------------------------------

CUBE4 = RNG.standard_normal((4, 3, 3, 5))  # four examples of shape (3, 3, 5)
LABELS = np.array([0, 2, 1, 2])
PAIRS = np.array([[0, 1], [2, 2], [1, 0], [0, 0]])

# (id, per-example selection, index batch): adjacent, separated and trailing index arrays. The
# selections go through wnp.getitem: a plain array's own [] cannot take a traced index.
GATHERS = [
    ("label", lambda c, i: wnp.getitem(c, np.s_[1, 0, i]), LABELS),
    ("slice,label", lambda c, i: wnp.getitem(c, np.s_[:, i]), LABELS),
    ("slice,label,slice", lambda c, i: wnp.getitem(c, np.s_[:, i, 1:4]), LABELS),
    ("int,pairs", lambda c, i: wnp.getitem(c, np.s_[1, i]), PAIRS),
    ("pairs,slice,pairs", lambda c, i: wnp.getitem(c, np.s_[i, :, i]), PAIRS),
    ("ellipsis,pairs", lambda c, i: wnp.getitem(c, np.s_[..., i]), PAIRS),
    ("constant array,label", lambda c, i: wnp.getitem(c, np.s_[np.array([0, 2]), i]), LABELS),
    ("mask,label", lambda c, i: wnp.getitem(c, np.s_[np.array([True, False, True]), i]), LABELS),
    ("operator", lambda c, i: wnp.asarray(c)[1][i] if isinstance(c, Tracer) else wnp.getitem(c[1], i), PAIRS),
    ("take", lambda c, i: wnp.take(c, i, axis=-1), PAIRS),
    ("take flattened", lambda c, i: wnp.take(c, i), PAIRS),
]


@pytest.mark.parametrize(("select", "indices"), [g[1:] for g in GATHERS], ids=[g[0] for g in GATHERS])
def test_indices_that_vary_across_the_batch(select: Callable[..., Any], indices: np.ndarray) -> None:
    """x[i] with a batch of integer indices is a gather; its transpose scatters (and accumulates)."""
    assert_same_tree(wg.vmap(select)(CUBE4, indices), loop(select, [list(CUBE4), list(indices)]))
    shared = CUBE4[0]
    assert_same_tree(wg.vmap(select, in_axes=(None, 0))(shared, indices), loop(select, [[shared] * 4, list(indices)]))
    objective = lambda c, i: wnp.sum(wnp.sin(select(c, i)))  # noqa: E731
    assert_same_tree(
        wg.vmap(wg.grad(objective))(CUBE4, indices), loop(wg.grad(objective), [list(CUBE4), list(indices)])
    )
    check_grads(lambda c: wg.vmap(lambda ci, i: wnp.sin(select(ci, i)))(c, indices), (CUBE4,), order=2)


def test_per_example_cross_entropy_with_integer_labels() -> None:
    logits = RNG.standard_normal((4, 3))

    def loss(w: Any, x: Any, label: Any) -> Any:
        return -wnp.log_softmax(x @ w)[label]

    weights = RNG.standard_normal((3, 3))
    per_example = wg.vmap(wg.grad(loss), in_axes=(None, 0, 0))(weights, logits, LABELS)
    expected = np.stack([wg.grad(loss)(weights, x, y) for x, y in zip(logits, LABELS)])
    np.testing.assert_allclose(per_example, expected, rtol=1e-12)
    best = wg.vmap(lambda x: x[wnp.argmax(x)])(logits)
    np.testing.assert_array_equal(best, logits.max(axis=1))
    ordered = wg.vmap(lambda x: wnp.take_along_axis(x, wnp.argsort(x), 0))(logits)
    np.testing.assert_array_equal(ordered, np.sort(logits, axis=1))


def test_a_batched_index_with_a_tensor_and_nested_vmaps() -> None:
    tensor = wg.tensor(X, requires_grad=True)
    wnp.sum(wg.vmap(lambda x, i: x[i])(tensor, LABELS % 3) * 2.0).backward()
    expected = np.zeros_like(X)
    expected[np.arange(4), LABELS % 3] = 2.0
    np.testing.assert_array_equal(np.asarray(tensor.grad.primal), expected)
    inner_index = wg.vmap(lambda c: wg.vmap(lambda i: c[1, i])(PAIRS))(CUBE4)
    np.testing.assert_array_equal(inner_index, np.stack([np.stack([c[1, i] for i in PAIRS]) for c in CUBE4]))
    outer_index = wg.vmap(lambda i: wg.vmap(lambda c: c[1, i])(CUBE4))(PAIRS)
    np.testing.assert_array_equal(outer_index, np.stack([np.stack([c[1, i] for c in CUBE4]) for i in PAIRS]))


# -- in_axes, out_axes and pytrees -----------------------------------------------------------------------


def test_out_axes_place_the_batch() -> None:
    f = lambda x: (wnp.sin(x), wnp.sum(x), 2.0)  # noqa: E731
    sines, sums, constant = wg.vmap(f, out_axes=(1, 0, None))(X)
    np.testing.assert_allclose(sines, np.sin(X).T)
    np.testing.assert_allclose(sums, X.sum(axis=1))
    assert constant == 2.0
    np.testing.assert_allclose(wg.vmap(wnp.sin, out_axes=-1)(X), np.sin(X).T)
    np.testing.assert_allclose(wg.vmap(lambda x: wnp.outer(x, x), out_axes=2)(X), np.einsum("ni,nj->ijn", X, X))


def test_pytrees_in_and_out() -> None:
    def f(tree: dict) -> dict:
        a, (b, c) = tree["a"], tree["b"]
        return {"sum": wnp.sum(a) * c, "pair": [wnp.max(b), b * a[:2]]}

    out = wg.vmap(f, in_axes=({"a": 0, "b": (0, 0)},))({"a": X, "b": (X[:, :2], np.full(4, 2.0))})
    assert set(out) == {"sum", "pair"}
    np.testing.assert_allclose(out["sum"], X.sum(axis=1) * 2.0)
    np.testing.assert_allclose(out["pair"][0], X[:, :2].max(axis=1))
    np.testing.assert_allclose(out["pair"][1], X[:, :2] * X[:, :2])
    # A prefix of in_axes: one axis for the whole argument, None for the other.
    out = wg.vmap(lambda tree, k: wnp.sum(tree["a"]) + k, in_axes=(0, None))({"a": X}, 1.0)
    np.testing.assert_allclose(out, X.sum(axis=1) + 1.0)


def test_unbatched_outputs_are_broadcast_and_constants_stay_constants() -> None:
    out = wg.vmap(lambda x: wnp.ones(2) * 3.0)(X)
    np.testing.assert_allclose(out, np.full((4, 2), 3.0))
    ones = wg.vmap(lambda x: wnp.zeros_like(x) + wnp.ones_like(x) + wnp.full_like(x, 2.0))(X)
    np.testing.assert_allclose(ones, np.full(X.shape, 3.0))
    filled = wg.vmap(lambda x, v: wnp.full_like(x, v))(X, np.arange(4.0))
    np.testing.assert_allclose(filled, np.repeat(np.arange(4.0)[:, None], 3, axis=1))


def test_clip_with_bounds_that_vary_across_the_batch() -> None:
    lower = np.array([-0.5, 0.0, 0.2, -2.0])
    out = wg.vmap(lambda x, low: wnp.clip(x, low, 1.0))(X, lower)
    np.testing.assert_allclose(out, np.clip(X, lower[:, None], 1.0))
    grads = wg.vmap(wg.grad(lambda x, low: wnp.sum(wnp.clip(x, low, 1.0))))(X, lower)
    np.testing.assert_allclose(grads, ((lower[:, None] <= X) & (X <= 1.0)) * 1.0)
    with pytest.raises(TypeError, match="bounds are not differentiable"):
        wg.grad(lambda low: wnp.sum(wnp.clip(X, low, 1.0)))(0.0)


def test_zero_derivatives_under_vmap_have_the_example_shape() -> None:
    """Symbolic zeros (no dependence on the input) become zeros of one example's shape."""
    assert np.shape(wg.vmap(wg.grad(lambda x: wnp.sum(wg.stop_gradient(x))))(X)) == X.shape
    assert np.shape(wg.vmap(wg.hessian(lambda x: wnp.sum(wnp.relu(x))))(X)) == (4, 3, 3)
    assert np.shape(wg.vmap(wg.jacrev(wnp.sign))(X)) == (4, 3, 3)


# -- in_axes prefix trees and empty Jacobians ---------------------------------------------------------


def test_in_axes_prefix_trees_with_dicts_and_none() -> None:
    out = wg.vmap(lambda t: wnp.sum(t["b"][0]) * t["b"][1], in_axes=({"b": (0, None)},))({"b": (X, 2.0)})
    np.testing.assert_allclose(out, X.sum(axis=1) * 2.0)
    out = wg.vmap(lambda t: wnp.sum(t["b"][0] * t["b"][1]), in_axes=({"b": 0},))({"b": (X, X)})
    np.testing.assert_allclose(out, (X * X).sum(axis=1))


def test_jacobians_of_empty_outputs() -> None:
    function = lambda x: wnp.repeat(x, 0, axis=1)  # noqa: E731
    assert wg.jacrev(function)(X).shape == (4, 0, 4, 3)
    assert wg.jacfwd(wnp.sum)(np.ones(0)).shape == (0,)


# -- errors --------------------------------------------------------------------------------------------


def test_mismatched_batch_sizes_raise() -> None:
    with pytest.raises(ValueError, match="different batch sizes"):
        wg.vmap(lambda a, b: a + b)(np.ones((3, 2)), np.ones((4, 2)))


def test_out_axes_none_for_a_varying_output_raises() -> None:
    with pytest.raises(ValueError, match="out_axes=None"):
        wg.vmap(wnp.sin, out_axes=None)(X)


def test_no_batched_argument_raises() -> None:
    with pytest.raises(ValueError, match="at least one argument"):
        wg.vmap(wnp.sin, in_axes=None)(X)


def test_in_axes_that_do_not_match_the_arguments_raise() -> None:
    with pytest.raises(ValueError, match="in_axes"):
        wg.vmap(lambda a, b: a + b, in_axes=(0, 0, 0))(X, X)


def test_data_dependent_shapes_raise_under_vmap() -> None:
    with pytest.raises(NotImplementedError, match="boolean mask that varies across the vmap batch"):
        wg.vmap(lambda x: x[x > 0])(X)
    with pytest.raises(NotImplementedError, match="vmap batch"):
        wg.vmap(lambda x: wnp.where(x > 0))(X)


def test_one_bool_for_the_whole_batch_raises() -> None:
    with pytest.raises(NotImplementedError, match="allclose returns one Python bool"):
        wg.vmap(lambda x: wnp.allclose(x, 0.0) * 1.0)(X)


def test_static_arguments_that_vary_across_the_batch_raise() -> None:
    with pytest.raises(NotImplementedError, match="vmap batch"):
        wg.vmap(lambda x, shift: wnp.roll(x, shift))(X, np.arange(4))


# -- which primitives batch by a loop over examples ------------------------------------------------------

# Primitives without a batch rule fall back to one call per example (correct, slow). The list is
# explicit so that a new primitive without a rule is noticed; remove a name when its rule is written.
LOOPING_PRIMITIVES: set[str] = set()


def test_primitives_without_a_batch_rule_are_the_known_ones() -> None:
    # A compile_only primitive (matmul_add) is written by a jit pass, after vmap has run.
    missing = {name for name, p in wnp.REGISTRY.items() if p.batch is None and not getattr(p, "compile_only", False)}
    assert missing == LOOPING_PRIMITIVES, (
        f"new primitives without a batch rule: {sorted(missing - LOOPING_PRIMITIVES)}; "
        f"rules written for (remove from the list): {sorted(LOOPING_PRIMITIVES - missing)}"
    )


def test_python_control_flow_on_a_batched_value_says_to_use_where() -> None:
    with pytest.raises(TypeError, match="use wengert.numpy.where"):
        wg.vmap(lambda x: 1.0 if wnp.sum(x) > 0 else 0.0)(X)


@pytest.mark.parametrize("rows, width", [(600, 64), (100, 64), (600, 8)])
def test_a_stack_times_a_shared_matrix_is_one_product_in_either_memory_order(rows, width):
    """vmap of x @ W over 8 examples: one (8·rows, n) product, column-major when it is tall and wide
    (`stacked_product`); values, and what follows it (a row-major partner, a reshape), are as NumPy's."""
    from wengert.numpy.products import COLUMN_MAJOR_MIN_COLUMNS, COLUMN_MAJOR_MIN_ROWS, stacked_product

    rng = np.random.default_rng(3)
    stack, w, partner = (
        rng.standard_normal((8, rows, 16)),
        rng.standard_normal((16, width)),
        rng.standard_normal((rows, width)),
    )
    product = stacked_product(stack, w)
    tall = 8 * rows >= COLUMN_MAJOR_MIN_ROWS and width >= COLUMN_MAJOR_MIN_COLUMNS
    column_major = product.strides[1] == product.itemsize and product.strides[2] == product.shape[0] * rows * 8
    assert column_major == tall and product.flags.c_contiguous == (not tall)
    np.testing.assert_allclose(product, stack @ w, rtol=1e-13, atol=1e-13)
    ints = stacked_product(np.arange(8 * rows * 2).reshape(8, rows, 2), np.ones((2, width), dtype=np.int64))
    assert ints.dtype == np.int64 and np.array_equal(
        ints, np.arange(8 * rows * 2).reshape(8, rows, 2) @ np.ones((2, width), np.int64)
    )
    sliced = stack.transpose(1, 0, 2).copy().transpose(1, 0, 2)  # directions not rows apart: the reshape copies
    np.testing.assert_allclose(stacked_product(sliced, w), stack @ w, rtol=1e-13, atol=1e-13)
    got = wg.vmap(lambda a: (wnp.tanh(a @ w) * partner).reshape(-1))(stack)
    np.testing.assert_allclose(got, (np.tanh(stack @ w) * partner).reshape(8, -1), rtol=1e-13, atol=1e-13)


def test_a_per_point_factor_scales_a_column_major_stack_in_its_order():
    from wengert.numpy.products import _scale

    rng = np.random.default_rng(4)
    stack = np.asfortranarray(rng.standard_normal((5 * 300, 64))).reshape(5, 300, 64)
    factor = rng.standard_normal((300, 64))
    scaled = _scale(factor, stack)
    np.testing.assert_array_equal(scaled, factor * stack)
    assert scaled.strides == stack.strides  # the copy of the factor took the stack's order
    np.testing.assert_array_equal(_scale(factor, stack.copy()), factor * stack)  # row-major: as it was
    np.testing.assert_array_equal(_scale(2.0, stack), 2.0 * stack)
    # a stack broadcast over the points (a first layer's directions plus a bias) is not column-major:
    # the factor stays row-major and the product's directions stay rows apart, so it reshapes as a view
    spread = np.broadcast_to(rng.standard_normal((5, 1, 64)), (5, 300, 64))
    product = _scale(factor, spread)
    np.testing.assert_array_equal(product, factor * spread)
    assert np.shares_memory(product, product.reshape(5 * 300, 64))
