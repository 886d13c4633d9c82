"""``wg.lax``: each control-flow function against the Python loop or branch it stands for.

Every function is checked eagerly and compiled, through ``grad``, ``jvp`` and
``vmap`` and their compositions with ``jit`` in both orders, and at second order
with finite differences. The Python references are evaluated per example where
a batch would need different branches.
"""

from __future__ import annotations

import numpy as np
import pytest

import wengert as wg
import wengert.numpy as wnp
from wengert import lax
from wengert.errors import TracerConversionError
from wengert.testing import check_adjoint, check_grads

RNG = np.random.default_rng(2024)
X = RNG.standard_normal(3)
Y = RNG.standard_normal(3)
W = RNG.standard_normal((3, 3)) * 0.5
XS = RNG.standard_normal((6, 3))


def close(actual, expected, rtol=1e-12, atol=1e-13):
    actual_leaves, actual_tree = wg.tree_flatten(actual)
    expected_leaves, expected_tree = wg.tree_flatten(expected)
    assert actual_tree == expected_tree
    for a, e in zip(actual_leaves, expected_leaves):
        assert np.shape(a) == np.shape(e)
        np.testing.assert_allclose(a, e, rtol=rtol, atol=atol)


def per_example(function, *batches):
    """The Python reference of a batched function: one call per example, stacked."""
    outs = [function(*example) for example in zip(*batches)]
    leaves = [wg.tree_flatten(out)[0] for out in outs]
    return wg.tree_unflatten(wg.tree_flatten(outs[0])[1], [np.stack(column) for column in zip(*leaves)])


# -- cond and switch ---------------------------------------------------------------------------------


def branchy(x, y):
    return lax.cond(wnp.sum(x) > 0, lambda a, b: wnp.sin(a) * b, lambda a, b: a * a - b, x, y)


def branchy_python(x, y):
    return wnp.sin(x) * y if np.sum(x) > 0 else x * x - y


def branchy_loss(x, y):
    return wnp.sum(branchy(x, y) ** 2)


def branchy_loss_python(x, y):
    return wnp.sum(branchy_python(x, y) ** 2)


@pytest.mark.parametrize("sign", [1.0, -1.0], ids=["true branch", "false branch"])
def test_cond_equals_the_python_branch_eagerly_and_compiled_through_every_transformation(sign):
    x = sign * np.abs(X)
    close(branchy(x, Y), branchy_python(x, Y))
    close(wg.jit(branchy)(x, Y), branchy_python(x, Y))
    gradient = wg.grad(branchy_loss_python, argnums=(0, 1))(x, Y)
    for transformed in (
        wg.grad(branchy_loss, argnums=(0, 1)),
        wg.jit(wg.grad(branchy_loss, argnums=(0, 1))),
        wg.grad(wg.jit(branchy_loss), argnums=(0, 1)),
    ):
        close(transformed(x, Y), gradient)
    tangent = wg.jvp(branchy_loss_python, (x, Y), (Y, X))[1]
    close(wg.jvp(branchy_loss, (x, Y), (Y, X))[1], tangent)
    close(wg.jit(lambda a, b: wg.jvp(branchy_loss, (a, b), (Y, X))[1])(x, Y), tangent)
    close(wg.jit(wg.hessian(branchy_loss))(x, Y), wg.hessian(branchy_loss_python)(x, Y))


def test_cond_under_vmap_takes_each_examples_branch():
    xs = np.stack([X, -np.abs(X), np.abs(X), -X])
    ys = np.stack([Y, Y, -Y, 2 * Y])
    expected = per_example(branchy_python, xs, ys)
    close(wg.vmap(branchy)(xs, ys), expected)
    close(wg.jit(wg.vmap(branchy))(xs, ys), expected)
    close(wg.vmap(wg.jit(branchy))(xs, ys), expected)
    gradients = per_example(wg.grad(branchy_loss_python), xs, ys)
    close(wg.vmap(wg.grad(branchy_loss))(xs, ys), gradients)
    close(wg.jit(wg.vmap(wg.grad(branchy_loss)))(xs, ys), gradients)


def test_a_compiled_cond_with_one_predicate_for_a_batch_runs_one_branch_on_the_batch():
    def scaled(p, rows):
        return wg.vmap(lambda row: lax.cond(p > 0, lambda r: r * 2.0, lambda r: -wnp.exp(r), row))(rows)

    compiled = wg.jit(scaled)
    close(compiled(1.0, XS), XS * 2.0)
    close(compiled(-1.0, XS), -np.exp(XS))
    close(wg.jit(wg.grad(lambda p, rows: wnp.sum(scaled(p, rows)), argnums=1))(-1.0, XS), -np.exp(XS))


def test_a_compiled_cond_is_one_operation_and_its_source_reads_well():
    lowered = wg.jit(branchy).lower(X, Y)
    assert lowered.ir.count("cond") == 1 and lowered.ir.count("sin") == 0
    assert "v5 = cond(v4, v1, v2, branches=c1)" in lowered.source
    compile(lowered.source, "<check>", "exec")
    assert "sin" in str(lowered.ir.equations[-1].params["branches"].closed[1])


def test_cond_carries_pytrees_of_mixed_dtypes_and_branches_close_over_traced_values():
    def counted(w, state):
        return lax.cond(
            state["x"][0] > 0,
            lambda s: {"x": s["x"] * w, "n": s["n"] + 1},
            lambda s: {"x": s["x"] - w, "n": s["n"]},
            state,
        )

    def python(w, state):
        if state["x"][0] > 0:
            return {"x": state["x"] * w, "n": state["n"] + 1}
        return {"x": state["x"] - w, "n": state["n"]}

    for x in (np.abs(X), -np.abs(X)):
        state = {"x": x, "n": np.int64(3)}
        close(wg.jit(counted)(0.5, state), python(0.5, state))
        loss = lambda w, s: wnp.sum(counted(w, s)["x"] ** 2)  # noqa: E731
        expected = wg.grad(lambda w, s: wnp.sum(python(w, s)["x"] ** 2))(0.5, state)
        close(wg.jit(wg.grad(loss))(0.5, state), expected)
        close(wg.grad(loss)(0.5, state), expected)
        # no operands at all: everything the branches use is closed over
        only_closure = wg.jit(wg.grad(lambda w, v: lax.cond(v[0] > 0, lambda: w * wnp.sum(v), lambda: w * w)))
        close(only_closure(0.5, x), np.sum(x) if x[0] > 0 else 1.0)


def test_switch_chooses_by_index_clamped_to_the_branches():
    branches = [wnp.sin, wnp.cos, lambda x: x**3]
    python = [np.sin, np.cos, lambda x: x**3]
    derivatives = [np.cos, lambda x: -np.sin(x), lambda x: 3 * x**2]
    compiled = wg.jit(lambda i, x: lax.switch(i, branches, x))
    jacobian = wg.jit(wg.jacfwd(lambda x, i: lax.switch(i, branches, x)))
    for index in (-2, 0, 1, 2, 9):
        chosen = min(max(index, 0), 2)
        close(lax.switch(index, branches, X), python[chosen](X))
        close(compiled(index, X), python[chosen](X))
        close(jacobian(X, index), np.diag(derivatives[chosen](X)))
    indices = np.array([2, 0, 1, 5])
    close(
        wg.vmap(lambda i, x: lax.switch(i, branches, x))(indices, XS[:4]),
        per_example(lambda i, x: python[min(i, 2)](x), indices, XS[:4]),
    )


def test_cond_and_switch_refuse_what_has_no_single_meaning():
    with pytest.raises(TypeError, match=r"lax.cond: pred must be a scalar \(shape \(\)\), got shape \(3,\).*wnp.where"):
        lax.cond(X > 0, lambda x: x, lambda x: -x, X)
    with pytest.raises(TypeError, match="output 0 is float64.3. in false_fun but float64.2. in true_fun|same shapes"):
        wg.jit(lambda x: lax.cond(x[0] > 0, lambda a: a[:2], lambda a: a, x))(X)
    with pytest.raises(TypeError, match="same shapes and dtypes.*float32"):
        wg.jit(lambda x: lax.cond(x[0] > 0, lambda a: a.astype(np.float32), lambda a: a, x))(X)
    with pytest.raises(TypeError, match="lax.switch: index must be an integer, got dtype float64"):
        lax.switch(1.0, [wnp.sin], X)
    with pytest.raises(TypeError, match="non-empty list of functions"):
        lax.switch(0, [], X)


# -- while_loop --------------------------------------------------------------------------------------


def doubling(x, a):
    """Multiply by a until past 10, counting the steps: a carry of a float and an int."""
    return lax.while_loop(lambda s: s[0] < 10.0, lambda s: (s[0] * a, s[1] + 1), (x, 0))


def doubling_python(x, a):
    value, count = x, 0
    while value < 10.0:
        value, count = value * a, count + 1
    return value, count


def test_while_loop_equals_the_python_loop_eagerly_and_compiled():
    for x, a in ((1.0, 2.0), (0.3, 3.0), (12.0, 2.0)):
        close(doubling(x, a), doubling_python(x, a))
        close(wg.jit(doubling)(x, a), doubling_python(x, a))
    lowered = wg.jit(doubling).lower(1.0, 2.0)
    assert lowered.ir.count("while_loop") == 1
    compile(lowered.source, "<check>", "exec")


def test_while_loop_differentiates_in_forward_mode_with_the_trip_count_fixed():
    # 1 -> a -> a^2 -> a^3 -> a^4 (past 10 for a = 2): d(a^4)/da = 4 a^3
    value = lambda a: doubling(1.0, a)[0]  # noqa: E731
    close(wg.jvp(value, (2.0,), (1.0,)), (16.0, 32.0))
    close(wg.jit(lambda a: wg.jvp(value, (a,), (1.0,))[1])(2.0), 32.0)
    close(wg.jacfwd(value)(2.0), 32.0)
    close(wg.jit(wg.jacfwd(wg.jacfwd(value)))(2.0), 48.0)
    newton = lambda c: lax.while_loop(  # noqa: E731
        lambda s: wnp.abs(s * s - c) > 1e-12 * c, lambda s: 0.5 * (s + c / s), c
    )
    close(newton(2.0), np.sqrt(2.0), rtol=1e-15)
    check_grads(lambda a: doubling(1.0, a)[0] * a, (2.1,), order=2, modes=("fwd",))
    check_grads(lambda c: newton(c) * c, (np.array(3.0),), order=2, modes=("fwd",))


def test_while_loop_under_vmap_stops_each_example_at_its_own_step():
    starts, factors = np.array([1.0, 0.3, 12.0, 2.0]), np.array([2.0, 3.0, 2.0, 1.5])
    expected = per_example(doubling_python, starts, factors)
    close(wg.vmap(doubling)(starts, factors), expected)
    close(wg.jit(wg.vmap(doubling))(starts, factors), expected)
    close(wg.vmap(wg.jit(doubling))(starts, factors), expected)
    close(wg.vmap(doubling, in_axes=(None, 0))(1.0, factors), per_example(lambda a: doubling_python(1.0, a), factors))
    tangents = wg.vmap(lambda x, a: wg.jvp(lambda b: doubling(x, b)[0], (a,), (1.0,))[1])(starts, factors)
    close(tangents, np.array([4 * 2.0**3, 4 * 0.3 * 3.0**3, 0.0, 4 * 2.0 * 1.5**3]))  # n x a^(n-1)


def test_while_loop_refuses_reverse_mode_and_says_what_to_use():
    value = lambda a: doubling(1.0, a)[0]  # noqa: E731
    for transformed in (wg.grad(value), wg.jit(wg.grad(value)), wg.jacrev(value)):
        with pytest.raises(
            ValueError, match=r"Reverse-mode differentiation does not work for lax.while_loop.*fori_loop"
        ):
            transformed(2.0)


def test_a_compiled_while_loop_is_not_run_on_jits_stand_in_values():
    # On jit's probe values (1.0 and 0.5) this loop would never end; at run time it stops.
    compiled = wg.jit(lambda x: lax.while_loop(lambda v: v != 1.0, lambda v: v + 2.0, x))
    assert compiled(-3.0) == 1.0


def test_while_loop_checks_its_carry_and_predicate():
    with pytest.raises(
        TypeError, match=r"carry\[0\] is int64\[\] initially but float64\[\] after a step.*0.0 instead of 0"
    ):
        lax.while_loop(lambda s: s[0] < 3, lambda s: (s[0] + 0.5, s[1]), (0, 1.0))
    with pytest.raises(TypeError, match="cond_fun must return a boolean scalar, got float64"):
        wg.jit(lambda x: lax.while_loop(lambda v: v * 1.0, lambda v: v - 1.0, x))(3.0)
    with pytest.raises(TypeError, match="same structure"):
        wg.jit(lambda x: lax.while_loop(lambda v: v[0] < 3.0, lambda v: v[0] + 1.0, (x,)))(1.0)


# -- fori_loop ---------------------------------------------------------------------------------------


def horner(x, coefficients):
    """A polynomial by Horner's rule; the loop index reads the coefficients."""
    return lax.fori_loop(0, len(coefficients), lambda i, acc: acc * x + wnp.take(coefficients, i), 0.0 * x)


COEFFICIENTS = np.array([2.0, -1.0, 0.5, 3.0])


def test_fori_loop_with_python_bounds_is_a_scan_and_differentiates_in_reverse_mode():
    expected = np.polyval(COEFFICIENTS, X)
    derivative = np.polyval(np.polyder(COEFFICIENTS), X)
    close(horner(X, COEFFICIENTS), expected)
    close(wg.jit(horner)(X, COEFFICIENTS), expected)
    close(wg.vmap(wg.grad(horner))(X, np.broadcast_to(COEFFICIENTS, (3, 4))), derivative)
    close(wg.jit(wg.grad(lambda x: wnp.sum(horner(x, COEFFICIENTS))))(X), derivative)
    close(
        wg.grad(lambda c: wnp.sum(horner(X, c)))(COEFFICIENTS), np.array([np.sum(X**3), np.sum(X**2), np.sum(X), 3.0])
    )
    assert wg.jit(horner).lower(X, COEFFICIENTS).ir.count("scan") == 1
    check_grads(horner, (X, COEFFICIENTS), order=2)
    assert lax.fori_loop(5, 2, lambda i, v: v + i, 1.0) == 1.0


def test_fori_loop_with_traced_bounds_is_a_while_loop():
    def triangle(n, x):
        return lax.fori_loop(0, n, lambda i, acc: acc + i * x, 0.0 * x)

    compiled = wg.jit(triangle)
    assert compiled(4, 2.0) == 12.0 and compiled(0, 2.0) == 0.0 and compiled(5, 1.0) == 10.0
    assert compiled.cache_info().traces == 1
    assert wg.jit(triangle).lower(4, 2.0).ir.count("while_loop") == 1
    close(wg.jit(lambda n, x: wg.jvp(lambda y: triangle(n, y), (x,), (1.0,))[1])(4, 2.0), 6.0)
    with pytest.raises(ValueError, match="Reverse-mode differentiation does not work"):
        wg.jit(wg.grad(triangle, argnums=1))(4, 2.0)
    with pytest.raises(TypeError, match="lower must be an integer scalar"):
        lax.fori_loop(0.0, 3, lambda i, v: v, 1.0)


# -- scan --------------------------------------------------------------------------------------------


def rnn(w, h, xs):
    """An RNN: a dict carry with an int counter, a pair of outputs per step."""

    def step(carry, x):
        new = wnp.tanh(w @ carry["h"] + x)
        return {"h": new, "n": carry["n"] + 1}, (2.0 * new, wnp.sum(new * carry["h"]))

    return lax.scan(step, {"h": h, "n": 0}, xs)


def rnn_python(w, h, xs):
    outputs, sums = [], []
    for x in xs:
        new = wnp.tanh(w @ h + x)
        outputs.append(2.0 * new)
        sums.append(wnp.sum(new * h))
        h = new
    return {"h": h, "n": len(xs)}, (wnp.stack(outputs), wnp.stack(sums))


def rnn_loss(w, h, xs, rnn=rnn):
    carry, (outputs, sums) = rnn(w, h, xs)
    return wnp.sum(outputs**2) + wnp.sum(sums * sums) + wnp.sum(wnp.sin(carry["h"]))


def rnn_loss_python(w, h, xs):
    return rnn_loss(w, h, xs, rnn=rnn_python)


def test_scan_equals_the_python_loop_eagerly_and_compiled():
    close(rnn(W, X, XS), rnn_python(W, X, XS))
    close(wg.jit(rnn)(W, X, XS), rnn_python(W, X, XS))
    lowered = wg.jit(rnn).lower(W, X, XS)
    assert lowered.ir.count("scan") == 1 and lowered.ir.count("tanh") == 0
    assert "scan(v2, 0, v3, v1, body=c1, length=6, reverse=False)" in lowered.source
    compile(lowered.source, "<check>", "exec")


def test_scan_differentiates_like_the_python_loop_in_every_composition():
    argnums = (0, 1, 2)
    gradient = wg.grad(rnn_loss_python, argnums)(W, X, XS)
    close(wg.grad(rnn_loss, argnums)(W, X, XS), gradient)
    close(wg.jit(wg.grad(rnn_loss, argnums))(W, X, XS), gradient)
    close(wg.grad(wg.jit(rnn_loss), argnums)(W, X, XS), gradient)
    tangent = wg.jvp(rnn_loss_python, (W, X, XS), (W, Y, XS))[1]
    close(wg.jvp(rnn_loss, (W, X, XS), (W, Y, XS))[1], tangent)
    close(wg.jit(lambda *a: wg.jvp(rnn_loss, a, (W, Y, XS))[1])(W, X, XS), tangent)
    close(wg.jit(wg.hessian(rnn_loss, 1))(W, X, XS), wg.hessian(rnn_loss_python, 1)(W, X, XS))


def test_scan_at_second_order_in_both_modes_and_its_rules_are_adjoint():
    check_grads(lambda w, h: rnn_loss(w, h, XS[:3]), (W, X), order=2)
    check_adjoint(lambda w, h, xs: rnn(w, h, xs)[1], (W, X, XS))


def test_under_a_transformation_a_body_is_staged_once_outside_it_runs_as_python():
    calls = []

    def step(c, x):
        calls.append(x)
        return c * x, None

    lax.scan(step, 1.0, XS[:, 0])
    assert len(calls) == 6  # a Python loop
    calls.clear()
    wg.grad(lambda h: lax.scan(step, h, XS[:, 0])[0])(1.0)
    assert len(calls) == 1  # staged once; the rules reuse the staged body
    calls.clear()
    wg.jit(lambda h: lax.scan(step, h, XS[:, 0])[0])(1.0)
    assert len(calls) == 1


def test_scan_under_vmap_batches_the_carry_the_xs_or_the_values_it_closes_over():
    hs, xss, ws = RNG.standard_normal((4, 3)), RNG.standard_normal((4, 5, 3)), RNG.standard_normal((4, 3, 3)) * 0.5
    cases = [
        ((None, 0, None), (W, hs, XS)),
        ((None, None, 0), (W, X, xss)),
        ((0, None, None), (ws, X, XS)),
        ((0, 0, 0), (ws, hs, xss)),
    ]
    for in_axes, args in cases:
        batches = [
            np.broadcast_to(arg, (4, *np.shape(arg))) if axis is None else arg for axis, arg in zip(in_axes, args)
        ]
        expected = per_example(rnn_python, *batches)
        close(wg.vmap(rnn, in_axes=in_axes)(*args), expected)
        close(wg.jit(wg.vmap(rnn, in_axes=in_axes))(*args), expected)
        close(wg.vmap(wg.jit(rnn), in_axes=in_axes)(*args), expected)
        gradients = per_example(wg.grad(rnn_loss_python), *batches)
        close(wg.vmap(wg.grad(rnn_loss), in_axes=in_axes)(*args), gradients)


@pytest.mark.parametrize(
    "options",
    [
        {"reverse": True},
        {"unroll": 2},
        {"unroll": 4, "reverse": True},
        {"unroll": True},
        {"checkpoint": True},
        {"checkpoint": 4, "reverse": True},
    ],
    ids=lambda options: ",".join(f"{key}={value}" for key, value in options.items()),
)
def test_scan_options_change_how_it_runs_not_what_it_computes(options):
    def run(w, h, xs):
        carry, ys = lax.scan(lambda c, x: (wnp.tanh(w @ c + x), c * x), h, xs, **options)
        return wnp.sum(carry) + wnp.sum(ys**2)

    def python(w, h, xs):
        ys = [None] * len(xs)
        order = range(len(xs) - 1, -1, -1) if options.get("reverse") else range(len(xs))
        for t in order:
            ys[t] = h * xs[t]
            h = wnp.tanh(w @ h + xs[t])
        return wnp.sum(h) + wnp.sum(wnp.stack(ys) ** 2)

    close(run(W, X, XS), python(W, X, XS))
    gradient = wg.grad(python, (0, 1, 2))(W, X, XS)
    close(wg.grad(run, (0, 1, 2))(W, X, XS), gradient)
    close(wg.jit(wg.grad(run, (0, 1, 2)))(W, X, XS), gradient)


def test_reverse_mode_saves_the_carries_and_checkpointing_saves_only_segment_boundaries():
    def run(w, h, xs, checkpoint):
        return wnp.sum(lax.scan(lambda c, x: (wnp.tanh(w @ c + x), None), h, xs, checkpoint=checkpoint)[0])

    xs = RNG.standard_normal((16, 3))
    saved = wg.jit(wg.grad(run), static_argnums=3).lower(W, X, xs, False).ir
    scans = [equation for equation in saved.equations if equation.primitive.name == "scan"]
    assert [equation.params["body"].saves_carries for equation in scans] == [True, False]  # forward, backward
    segmented = wg.jit(wg.grad(run), static_argnums=3).lower(W, X, xs, True).ir
    forward = [equation for equation in segmented.equations if equation.primitive.name == "scan"][0]
    assert forward.params["length"] == 4 and forward.params["body"].saves_carries  # 4 boundaries of 4 steps each
    inner = forward.params["body"].closed.program
    # each segment's own carries are saved only while the backward pass recomputes that segment
    assert inner.count("scan") == 1 and inner.equations[0].params["body"].closed.program.count("tanh") == 1


def test_scan_without_xs_takes_a_length_and_tensors_record_it_as_python():
    carry, ys = lax.scan(lambda c, _: (c * 2.0, c), 1.0, None, length=4)
    assert float(carry) == 16.0 and ys.tolist() == [1.0, 2.0, 4.0, 8.0]
    w = wg.tensor(W, requires_grad=True)
    carry, _ = lax.scan(lambda c, x: (wnp.tanh(w @ c + x), None), X, XS)
    wnp.sum(carry).backward()
    close(w.grad.numpy(), wg.grad(lambda w: wnp.sum(rnn_python(w, X, XS)[0]["h"]))(W))


def test_scan_checks_its_arguments_and_its_body():
    with pytest.raises(ValueError, match="give the number of steps as length="):
        lax.scan(lambda c, x: (c, x), 0.0, None)
    with pytest.raises(ValueError, match=r"leading axes of xs and length must agree; got xs\[0\]: 6, xs\[1\]: 5"):
        lax.scan(lambda c, x: (c, x), 0.0, (XS, XS[:5]))
    with pytest.raises(TypeError, match=r"f must return a pair \(carry, y\)"):
        lax.scan(lambda c, x: c, 0.0, XS)
    with pytest.raises(TypeError, match=r"carry is float64\[\] initially but float64\[3\] after a step"):
        wg.jit(lambda xs: lax.scan(lambda c, x: (c + x, None), 0.0, xs))(XS)
    with pytest.raises(ValueError, match="xs is a scalar"):
        lax.scan(lambda c, x: (c, x), 0.0, 1.0)


# -- branches inside loops: the cond primitive's own rules at second order -------------------------


def test_a_cond_inside_a_scan_body_is_staged_and_differentiates_to_second_order():
    def clipped_walk(w, xs):
        def step(c, x):
            c = lax.cond(wnp.sum(c) > 0.5, lambda v: wnp.sin(v) * w, lambda v: v * v + x, c)
            return c, wnp.sum(c)

        return lax.scan(step, xs[0], xs)[1]

    def python(w, xs):
        c, ys = xs[0], []
        for x in xs:
            c = wnp.sin(c) * w if np.sum(wg.stop_gradient(c)) > 0.5 else c * c + x
            ys.append(wnp.sum(c))
        return wnp.stack(ys)

    xs = RNG.standard_normal((5, 3)) * 0.6
    close(clipped_walk(1.3, xs), python(1.3, xs))
    close(wg.jit(wg.jacrev(clipped_walk))(1.3, xs), wg.jacrev(python)(1.3, xs))
    check_grads(clipped_walk, (1.3, xs), order=2)
    check_adjoint(clipped_walk, (1.3, xs))


# -- Python control flow under jit ------------------------------------------------------------------


def test_a_python_if_under_jit_suggests_lax_cond():
    def branching(x):
        if x > 0:
            return x
        return -x

    with pytest.raises(TracerConversionError, match=r"wg\.lax\.cond"):
        wg.jit(branching)(1.0)


def test_against_jax_where_installed():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    jnp = jax.numpy

    def jax_loss(w, h, xs):
        def step(c, x):
            new = jnp.tanh(w @ c + x)
            return new, jnp.sum(new * c)

        carry, sums = jax.lax.scan(step, h, xs)
        return jnp.sum(sums**2) + jnp.sum(jnp.sin(carry))

    def loss(w, h, xs):
        def step(c, x):
            new = wnp.tanh(w @ c + x)
            return new, wnp.sum(new * c)

        carry, sums = lax.scan(step, h, xs)
        return wnp.sum(sums**2) + wnp.sum(wnp.sin(carry))

    close(wg.grad(loss, (0, 1))(W, X, XS), jax.grad(jax_loss, (0, 1))(W, X, XS), rtol=1e-10)
    jax_value = jax.jvp(lambda a: jax.lax.while_loop(lambda v: v < 10.0, lambda v: v * a, 1.0), (2.0,), (1.0,))
    close(wg.jvp(lambda a: lax.while_loop(lambda v: v < 10.0, lambda v: v * a, 1.0), (2.0,), (1.0,)), jax_value)

    def jax_branchy(x, y):
        return jax.lax.cond(jnp.sum(x) > 0, lambda a, b: jnp.sin(a) * b, lambda a, b: a * a - b, x, y)

    for x in (X, -X):
        jax_loss = lambda a, b: jnp.sum(jax_branchy(a, b) ** 2)  # noqa: E731
        close(wg.jit(wg.grad(branchy_loss, (0, 1)))(x, Y), jax.grad(jax_loss, (0, 1))(x, Y))
    jax_horner = lambda x: jax.lax.fori_loop(0, 4, lambda i, acc: acc * x + jnp.asarray(COEFFICIENTS)[i], 0.0 * x)  # noqa: E731
    close(
        wg.hessian(lambda x: wnp.sum(horner(x, COEFFICIENTS) ** 2))(X),
        jax.hessian(lambda x: jnp.sum(jax_horner(x) ** 2))(X),
    )
