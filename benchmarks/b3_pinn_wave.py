"""B3, PINN-wave step: second input derivatives inside the loss, backward, one Adam step.

An MLP 2→64→64→64→1 (tanh) maps points (x, t) to u. At N = 2,000 points
(x uniform on [−1, 1], t on [0, 1], seed 0) the loss is mean((u_tt − u_xx)²),
the residual of the wave equation with unit speed; one step is the loss, its
gradient with respect to every weight, and one Adam update (lr 1e-3,
PyTorch's defaults otherwise). The figure is ms per step.

The second derivatives come the way each engine does them best. wengert:
`wengert.pinn.Derivatives`, which runs second-order Taylor mode on any
network (`wengert.core.taylor.second_order_jet`): u, u_x, u_t, u_xx and u_tt pushed through the
network together, 5 streams sharing one primal; its ``combination`` pushes
u_tt − u_xx as ONE collapsed second-order stream (4 streams). For comparison
the same class with ``method="jvp"`` and plain ``wg.jvp`` of ``wg.jvp`` (two
jvps of jvps, 2 × 4 streams), the functional dialect both ways, and the
functional dialect compiled by ``wg.jit`` (jvp-of-jvp, Taylor mode, and the
collapsed combination; compile time reported apart). JAX:
forward over forward (a jvp of a jvp along x, another along t; the tangent is
the unit vector on every row, which is exact because the network acts row by
row). PyTorch: its natural double ``autograd.grad`` with ``create_graph=True``
(one backward for ∇u, one more for each of u_xx, u_tt), and
``torch.func.jvp`` of ``torch.func.jvp``. HIPS autograd: both, reverse over
reverse with ``make_vjp`` and forward over forward with ``make_jvp``.
wengert's PyTorch-dialect reverse-over-reverse row is there for comparison.

u_tt − u_xx does not depend on the last layer's bias, so that gradient is
zero (PyTorch and wengert's tensors leave it ``None``, and their Adam skips
it; JAX's Adam moves it by 0). Every implementation starts from the same
weights and is checked on its first step: loss, gradients and parameters
after the update agree with wengert's to 1e-8.

Run: ``python benchmarks/run.py B3 --threads 1`` (or ``python benchmarks/b3_pinn_wave.py``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from b2_pinn_sir import (
    BETAS,
    EPS,
    LEARNING_RATE,
    adam_update,
    checked_on_first_call,
    grads_of,
    mlp,
    mlp_weights,
    numpy_adam_step,
    torch_layout,
    torch_mlp,
    wengert_mlp,
)
from harness import PYTORCH, WENGERT, Case, Config, Figure, Row, block, import_jax, run_cases

WORKLOAD = "B3"
TITLE = "B3 PINN-wave step: MLP 2→64→64→64→1 tanh, N=2,000 (x, t), residual u_tt − u_xx, backward, Adam (float64)"
SIZES = (2, 64, 64, 64, 1)
POINTS = 2000


def problem(seed: int = 0) -> dict[str, Any]:
    """The points (N, 2) as columns (x, t), the unit tangents along x and t, and the starting weights.

    Example:
        >>> data = problem()
        >>> data["points"].shape, data["along_x"][0].tolist(), len(data["params"])
        ((2000, 2), [1.0, 0.0], 8)
    """
    rng = np.random.default_rng(seed)
    params = mlp_weights(SIZES, rng)
    points = np.column_stack([rng.uniform(-1.0, 1.0, POINTS), rng.uniform(0.0, 1.0, POINTS)])
    along_x, along_t = np.zeros_like(points), np.zeros_like(points)
    along_x[:, 0] = 1.0
    along_t[:, 1] = 1.0
    return {"points": points, "along_x": along_x, "along_t": along_t, "params": params}


def wave_loss(u_tt: Any, u_xx: Any) -> Any:
    """The mean squared residual of the wave equation u_tt = u_xx."""
    return ((u_tt - u_xx) ** 2).mean()


# ----------------------------------------------------------------------------- wengert


def _wengert_tensor_step(second_derivatives: Callable[[Any, dict], tuple]) -> Callable[[], Any]:
    from wengert.optim import Adam

    data = problem()
    model = wengert_mlp(SIZES, data["params"], "tanh")
    params = list(model.parameters())
    optimizer = Adam(params, lr=LEARNING_RATE, betas=BETAS, eps=EPS)

    def step():
        optimizer.zero_grad()
        u_tt, u_xx = second_derivatives(model, data)
        loss = wave_loss(u_tt, u_xx)
        loss.backward()
        optimizer.step()
        # nn.Linear keeps (out, in) weights: the transposed views match the reference's layout.
        return lambda: [loss, *[torch_layout(g) for g in grads_of(params)], *[torch_layout(p) for p in params]]

    return checked_on_first_call(step)


def wengert_derivatives() -> Callable[[], Any]:
    from wengert.pinn import Derivatives

    def second_derivatives(model, data):
        # One Taylor pass: u, u_x, u_t, u_xx, u_tt through the network together (5 streams).
        return Derivatives(model, data["points"], names="xt")("u_tt", "u_xx")

    return _wengert_tensor_step(second_derivatives)


def wengert_collapsed() -> Callable[[], Any]:
    from wengert.pinn import Derivatives

    def second_derivatives(model, data):
        # One Taylor pass with u_tt − u_xx as a single second-order stream (4 streams); the loss
        # takes the residual as (u_tt, 0).
        return Derivatives(model, data["points"], names="xt").combination({"u_tt": 1.0, "u_xx": -1.0}), 0.0

    return _wengert_tensor_step(second_derivatives)


def wengert_derivatives_jvp() -> Callable[[], Any]:
    from wengert.pinn import Derivatives

    def second_derivatives(model, data):
        # Two passes, each a jvp of a jvp: (u, u_x, u_xx) along x and (u, u_t, u_tt) along t.
        return Derivatives(model, data["points"], names="xt", method="jvp")("u_tt", "u_xx")

    return _wengert_tensor_step(second_derivatives)


def wengert_jvp_of_jvp() -> Callable[[], Any]:
    import wengert as wg

    def second_derivatives(model, data):
        points = data["points"]

        def second(tangent):
            slope = lambda p: wg.jvp(model, (p,), (tangent,))[1]  # noqa: E731
            return wg.jvp(slope, (points,), (tangent,))[1]

        return second(data["along_t"]), second(data["along_x"])

    return _wengert_tensor_step(second_derivatives)


def wengert_reverse() -> Callable[[], Any]:
    import wengert as wg

    def second_derivatives(model, data):
        points = wg.tensor(data["points"], requires_grad=True)
        u = model(points)
        (gradient,) = wg.autograd.grad(u, points, grad_outputs=np.ones((POINTS, 1)), create_graph=True)
        u_x, u_t = gradient[:, 0:1], gradient[:, 1:2]
        ones = np.ones((POINTS, 1))
        u_xx = wg.autograd.grad(u_x, points, grad_outputs=ones, create_graph=True)[0][:, 0:1]
        u_tt = wg.autograd.grad(u_t, points, grad_outputs=ones, create_graph=True)[0][:, 1:2]
        return u_tt, u_xx

    return _wengert_tensor_step(second_derivatives)


def _functional_loss(wg: Any, wnp: Any, data: dict) -> Callable[[list], Any]:
    points = data["points"]

    def loss(params):
        def second(tangent):
            slope = lambda p: wg.jvp(lambda q: mlp(params, q, wnp.tanh), (p,), (tangent,))[1]  # noqa: E731
            return wg.jvp(slope, (points,), (tangent,))[1]

        return wave_loss(second(data["along_t"]), second(data["along_x"]))

    return loss


def wengert_functional() -> Callable[[], Any]:
    import wengert as wg
    import wengert.numpy as wnp

    data = problem()
    return numpy_adam_step(wg.value_and_grad(_functional_loss(wg, wnp, data)), [np.array(p) for p in data["params"]])


def _taylor_loss(data: dict) -> Callable[[list], Any]:
    from wengert.pinn import DenseNetwork, Derivatives

    points = data["points"]

    def loss(params):
        u_tt, u_xx = Derivatives(DenseNetwork(params, "tanh"), points, names="xt")("u_tt", "u_xx")
        return wave_loss(u_tt, u_xx)

    return loss


def wengert_functional_taylor() -> Callable[[], Any]:
    import wengert as wg

    data = problem()
    return numpy_adam_step(wg.value_and_grad(_taylor_loss(data)), [np.array(p) for p in data["params"]])


def wengert_jit() -> Callable[[], Any]:
    import wengert as wg
    import wengert.numpy as wnp

    data = problem()
    step = wg.jit(wg.value_and_grad(_functional_loss(wg, wnp, data)))
    return numpy_adam_step(step, [np.array(p) for p in data["params"]])


def _collapsed_loss(data: dict) -> Callable[[list], Any]:
    from wengert.pinn import DenseNetwork, Derivatives

    points = data["points"]

    def loss(params):
        fields = Derivatives(DenseNetwork(params, "tanh"), points, names="xt")
        return wave_loss(fields.combination({"u_tt": 1.0, "u_xx": -1.0}), 0.0)

    return loss


def wengert_jit_collapsed() -> Callable[[], Any]:
    import wengert as wg

    data = problem()
    return numpy_adam_step(wg.jit(wg.value_and_grad(_collapsed_loss(data))), [np.array(p) for p in data["params"]])


def wengert_jit_taylor() -> Callable[[], Any]:
    import wengert as wg

    data = problem()
    return numpy_adam_step(wg.jit(wg.value_and_grad(_taylor_loss(data))), [np.array(p) for p in data["params"]])


# ----------------------------------------------------------------------------- peers


def _pytorch_step(second_derivatives: Callable[[Any, Any, dict], tuple]) -> Callable[[], Any]:
    import torch

    data = problem()
    model = torch_mlp(SIZES, data["params"], "tanh")
    params = list(model.parameters())
    optimizer = torch.optim.Adam(params, lr=LEARNING_RATE, betas=BETAS, eps=EPS)
    tensors = {key: torch.from_numpy(data[key]) for key in ("points", "along_x", "along_t")}

    def step():
        optimizer.zero_grad(set_to_none=True)
        u_tt, u_xx = second_derivatives(torch, model, tensors)
        loss = wave_loss(u_tt, u_xx)
        loss.backward()
        optimizer.step()
        return lambda: [loss, *[torch_layout(g) for g in grads_of(params)], *[torch_layout(p) for p in params]]

    return checked_on_first_call(step)


def pytorch_eager() -> Callable[[], Any]:
    def second_derivatives(torch, model, tensors):
        points = tensors["points"].clone().requires_grad_(True)
        u = model(points)
        (gradient,) = torch.autograd.grad(u, points, grad_outputs=torch.ones_like(u), create_graph=True)
        u_x, u_t = gradient[:, 0:1], gradient[:, 1:2]
        ones = torch.ones_like(u_x)
        u_xx = torch.autograd.grad(u_x, points, grad_outputs=ones, create_graph=True)[0][:, 0:1]
        u_tt = torch.autograd.grad(u_t, points, grad_outputs=ones, create_graph=True)[0][:, 1:2]
        return u_tt, u_xx

    return _pytorch_step(second_derivatives)


def pytorch_func() -> Callable[[], Any]:
    def second_derivatives(torch, model, tensors):
        from torch.func import jvp

        points = tensors["points"]

        def second(tangent):
            return jvp(lambda p: jvp(model, (p,), (tangent,))[1], (points,), (tangent,))[1]

        return second(tensors["along_t"]), second(tensors["along_x"])

    return _pytorch_step(second_derivatives)


def _jax_runner(jit: bool) -> Callable[[], Any]:
    jax = import_jax()
    import jax.numpy as jnp

    data = problem()
    points, along_x, along_t = (jnp.asarray(data[key]) for key in ("points", "along_x", "along_t"))

    def loss(params):
        def second(tangent):
            slope = lambda p: jax.jvp(lambda q: mlp(params, q, jnp.tanh), (p,), (tangent,))[1]  # noqa: E731
            return jax.jvp(slope, (points,), (tangent,))[1]

        return wave_loss(second(along_t), second(along_x))

    value_and_grad = jax.value_and_grad(loss)

    def step(params, first, second, count):
        value, grads = value_and_grad(params)
        count = count + 1
        params, first, second = adam_update(params, grads, first, second, count, jnp.sqrt)
        return params, first, second, count, value, grads

    if jit:
        step = jax.jit(step)
    params = [jnp.asarray(p) for p in data["params"]]
    state = [params, [jnp.zeros_like(p) for p in params], [jnp.zeros_like(p) for p in params], jnp.asarray(0)]

    def call():
        params, first, second, count, value, grads = block(step(*state))
        state[:] = [params, first, second, count]
        return lambda: [value, *grads, *params]

    return checked_on_first_call(call)


def jax_eager() -> Callable[[], Any]:
    return _jax_runner(jit=False)


def jax_jit() -> Callable[[], Any]:
    return _jax_runner(jit=True)


def hips_reverse() -> Callable[[], Any]:
    import autograd
    import autograd.numpy as anp

    data = problem()
    points = data["points"]
    ones = np.ones((POINTS, 1))

    def loss(params):
        def gradient(p):  # ∇u at every point, (N, 2): one backward sweep
            pullback, _ = autograd.make_vjp(lambda q: mlp(params, q, anp.tanh))(p)
            return pullback(ones)

        # As PyTorch: one pullback of ∇u per second derivative, seeded on its column.
        pullback, _ = autograd.make_vjp(gradient)(points)
        u_xx = pullback(data["along_x"])[:, 0:1]
        u_tt = pullback(data["along_t"])[:, 1:2]
        return wave_loss(u_tt, u_xx)

    return numpy_adam_step(autograd.value_and_grad(loss), [np.array(p) for p in data["params"]])


def hips_forward() -> Callable[[], Any]:
    import autograd
    import autograd.numpy as anp

    data = problem()
    points = data["points"]

    def loss(params):
        def second(tangent):
            slope = lambda p: autograd.make_jvp(lambda q: mlp(params, q, anp.tanh))(p)(tangent)[1]  # noqa: E731
            return autograd.make_jvp(slope)(points)(tangent)[1]

        return wave_loss(second(data["along_t"]), second(data["along_x"]))

    return numpy_adam_step(autograd.value_and_grad(loss), [np.array(p) for p in data["params"]])


def run(config: Config) -> list[Row]:
    """Check and time B3 for wengert (Taylor mode, forward over forward, reverse over reverse) and every peer."""
    task = "Adam step"
    cases = [
        Case("wengert Tensor", task, "pinn.Derivatives (Taylor mode) + backward", wengert_derivatives, role=WENGERT),
        Case("wengert Tensor", task, "Derivatives.combination (collapsed Taylor) + backward", wengert_collapsed),
        Case("wengert Tensor", task, "Derivatives(method='jvp') + backward", wengert_derivatives_jvp),
        Case("wengert Tensor", task, "wg.jvp-of-jvp + backward", wengert_jvp_of_jvp),
        Case("wengert Tensor", task, "autograd.grad twice (rev-over-rev) + backward", wengert_reverse),
        Case("wengert", task, "value_and_grad, Derivatives (Taylor, DenseNetwork)", wengert_functional_taylor),
        Case("wengert", task, "value_and_grad, jvp-of-jvp", wengert_functional),
        Case("wengert jit", task, "jit(value_and_grad), jvp-of-jvp", wengert_jit, jit=True),
        Case(
            "wengert jit", task, "jit(value_and_grad), Derivatives (Taylor, DenseNetwork)", wengert_jit_taylor, jit=True
        ),
        Case(
            "wengert jit",
            task,
            "jit(value_and_grad), Derivatives.combination (collapsed Taylor)",
            wengert_jit_collapsed,
            jit=True,
        ),
        Case("PyTorch eager", task, "autograd.grad twice (rev-over-rev) + backward", pytorch_eager, role=PYTORCH),
        Case("PyTorch torch.func", task, "torch.func jvp-of-jvp + backward", pytorch_func),
        Case("JAX eager", task, "value_and_grad, jvp-of-jvp", jax_eager),
        Case("JAX jit", task, "jit(step), jvp-of-jvp", jax_jit, jit=True),
        Case("HIPS autograd", task, "value_and_grad, make_vjp twice (rev-over-rev)", hips_reverse),
        Case("HIPS autograd", task, "value_and_grad, make_jvp-of-make_jvp", hips_forward),
    ]
    return run_cases(WORKLOAD, cases, config, Figure("ms", 1e3))


if __name__ == "__main__":
    import run as runner

    runner.main([WORKLOAD, *sys.argv[1:]])
