"""B4, MLP training pass: forward, and forward + backward, in float64 and float32.

An MLP 784→1024→1024→10 (relu) on a batch of 256 inputs (N(0, 1), seed 0)
with integer labels, softmax cross-entropy averaged over the batch. Task (a)
is the forward pass alone (the loss, nothing recorded: ``no_grad`` where the
engine records by default), task (b) the forward pass and the gradients of
all six weight arrays. Each is timed in float64 and in float32. The notes give
the cheap-gradient ratio (b)/(a) of each implementation and its time relative
to the hand-written NumPy forward + backward, the floor any NumPy-based
engine can reach (goal for wengert: (b) ≤ 1.05× that floor, (b)/(a) ≤ 2.7).

Every implementation starts from the same weights (drawn once with NumPy;
``W`` of shape (in, out), transposed for PyTorch and ``wengert.nn``) and is checked before
timing: loss and gradients agree with wengert's to 1e-8 (relative, on the
largest entry) in float64, and to 1e-4 in float32, where summation order
alone moves the last digits.

Run: ``python benchmarks/run.py B4 --threads 1`` (or ``python benchmarks/b4_mlp.py``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from b2_pinn_sir import mlp_weights, torch_layout, torch_mlp, wengert_mlp
from harness import PYTORCH, WENGERT, Case, Config, Figure, Row, as_array, block, import_jax, relative_error, run_cases

WORKLOAD = "B4"
TITLE = "B4 MLP 784→1024→1024→10 relu, batch 256, softmax cross-entropy: (a) forward, (b) forward + backward"
SIZES = (784, 1024, 1024, 10)
BATCH = 256
FLOAT32_TOLERANCE = 1e-4
DTYPES = {"f64": np.float64, "f32": np.float32}


def problem(dtype: Any = np.float64, seed: int = 0) -> dict[str, Any]:
    """Inputs (256, 784), integer labels (256,) and weights [W1, b1, W2, b2, W3, b3] in ``dtype``.

    The weights are drawn in float64 and rounded, so both precisions start from the same numbers.

    Example:
        >>> data = problem(np.float32)
        >>> data["x"].dtype, data["labels"].shape, [w.shape for w in data["params"][:2]]
        (dtype('float32'), (256,), [(784, 1024), (1024,)])
    """
    rng = np.random.default_rng(seed)
    params = [p.astype(dtype) for p in mlp_weights(SIZES, rng)]
    x = rng.standard_normal((BATCH, SIZES[0])).astype(dtype)
    labels = rng.integers(0, SIZES[-1], BATCH)
    return {"x": x, "labels": labels, "params": params}


# ----------------------------------------------------------------------------- NumPy by hand


def numpy_forward(params: list[np.ndarray], x: np.ndarray, labels: np.ndarray) -> Any:
    """The mean softmax cross-entropy of the MLP, in NumPy (biases and relu in place on fresh arrays)."""
    w1, b1, w2, b2, w3, b3 = params
    hidden = x @ w1
    hidden += b1
    np.maximum(hidden, 0, out=hidden)
    hidden2 = hidden @ w2
    hidden2 += b2
    np.maximum(hidden2, 0, out=hidden2)
    logits = hidden2 @ w3
    logits += b3
    logits -= logits.max(axis=1, keepdims=True)
    log_normaliser = np.log(np.exp(logits).sum(axis=1))
    return (log_normaliser - logits[np.arange(len(labels)), labels]).mean()


def numpy_forward_backward(params: list[np.ndarray], x: np.ndarray, labels: np.ndarray) -> tuple:
    """The loss and the gradients of [W1, b1, W2, b2, W3, b3], by hand: the floor of a NumPy engine.

    Backward: d logits = (softmax − onehot) / batch; each layer W gets
    inputᵀ·d out, b the column sums, and the relu passes d out where its output
    is positive (relu'(0) = 0).

    Example:
        >>> data = problem()
        >>> loss, *grads = numpy_forward_backward(data["params"], data["x"][:4], data["labels"][:4])
        >>> [g.shape for g in grads][-2:]
        [(1024, 10), (10,)]
    """
    w1, b1, w2, b2, w3, b3 = params
    batch = len(labels)
    rows = np.arange(batch)
    hidden = x @ w1
    hidden += b1
    np.maximum(hidden, 0, out=hidden)
    hidden2 = hidden @ w2
    hidden2 += b2
    np.maximum(hidden2, 0, out=hidden2)
    logits = hidden2 @ w3
    logits += b3
    logits -= logits.max(axis=1, keepdims=True)
    probabilities = np.exp(logits)
    normaliser = probabilities.sum(axis=1, keepdims=True)
    loss = (np.log(normaliser[:, 0]) - logits[rows, labels]).mean()
    d_logits = probabilities
    d_logits /= normaliser
    d_logits[rows, labels] -= 1.0
    d_logits *= 1.0 / batch
    d_w3 = hidden2.T @ d_logits
    d_b3 = d_logits.sum(axis=0)
    d_hidden2 = d_logits @ w3.T
    d_hidden2 *= hidden2 > 0
    d_w2 = hidden.T @ d_hidden2
    d_b2 = d_hidden2.sum(axis=0)
    d_hidden = d_hidden2 @ w2.T
    d_hidden *= hidden > 0
    d_w1 = x.T @ d_hidden
    d_b1 = d_hidden.sum(axis=0)
    return loss, d_w1, d_b1, d_w2, d_b2, d_w3, d_b3


def numpy_case(dtype: Any, backward: bool) -> Callable[[], Callable[[], Any]]:
    def prepare():
        data = problem(dtype)
        function = numpy_forward_backward if backward else numpy_forward
        params, x, labels = data["params"], data["x"], data["labels"]
        return lambda: function(params, x, labels)

    return prepare


# ----------------------------------------------------------------------------- wengert


def wengert_nn_case(dtype: Any, backward: bool) -> Callable[[], Callable[[], Any]]:
    def prepare():
        import wengert as wg
        import wengert.nn as nn

        data = problem(dtype)
        model = wengert_mlp(SIZES, data["params"], "relu")
        params = list(model.parameters())
        x, labels = data["x"], data["labels"]

        def forward():
            with wg.no_grad():
                return nn.cross_entropy(model(x), labels)

        def forward_backward():
            model.zero_grad()
            loss = nn.cross_entropy(model(x), labels)
            loss.backward()
            # nn.Linear keeps (out, in) weights: the transposed views match the reference's layout.
            return (loss, *[torch_layout(p.grad) for p in params])

        return forward_backward if backward else forward

    return prepare


def _wengert_loss(params: list[Any], x: Any, labels: np.ndarray) -> Any:
    import wengert.nn as nn
    import wengert.numpy as wnp

    hidden = x
    for layer in range(len(params) // 2 - 1):
        hidden = wnp.relu(hidden @ params[2 * layer] + params[2 * layer + 1])
    return nn.cross_entropy(hidden @ params[-2] + params[-1], labels)


def wengert_functional_case(dtype: Any, backward: bool, jit: bool = False) -> Callable[[], Callable[[], Any]]:
    def prepare():
        import wengert as wg

        data = problem(dtype)
        params, x, labels = data["params"], data["x"], data["labels"]
        if not backward:
            loss = wg.jit(_wengert_loss) if jit else _wengert_loss
            return lambda: loss(params, x, labels)
        value_and_grad = wg.value_and_grad(_wengert_loss)
        if jit:
            value_and_grad = wg.jit(value_and_grad)

        def forward_backward():
            loss, grads = value_and_grad(params, x, labels)
            return (loss, *grads)

        return forward_backward

    return prepare


# ----------------------------------------------------------------------------- peers


def pytorch_case(dtype: Any, backward: bool) -> Callable[[], Callable[[], Any]]:
    def prepare():
        import torch

        data = problem(dtype)
        model = torch_mlp(SIZES, data["params"], "relu")
        params = list(model.parameters())
        x, labels = torch.from_numpy(data["x"]), torch.from_numpy(data["labels"])
        cross_entropy = torch.nn.functional.cross_entropy

        def forward():
            with torch.no_grad():
                return cross_entropy(model(x), labels)

        def forward_backward():
            model.zero_grad(set_to_none=True)
            loss = cross_entropy(model(x), labels)
            loss.backward()
            # nn.Linear keeps (out, in) weights: the transposed views match the reference's layout.
            return (loss.detach(), *[torch_layout(p.grad) for p in params])

        return forward_backward if backward else forward

    return prepare


def _jax_loss(jax, jnp):
    def loss(params, x, labels):
        hidden = x
        for layer in range(len(params) // 2 - 1):
            hidden = jax.nn.relu(hidden @ params[2 * layer] + params[2 * layer + 1])
        log_probabilities = jax.nn.log_softmax(hidden @ params[-2] + params[-1], axis=-1)
        return -jnp.take_along_axis(log_probabilities, labels[:, None], axis=1).mean()

    return loss


def jax_case(dtype: Any, backward: bool, jit: bool) -> Callable[[], Callable[[], Any]]:
    def prepare():
        jax = import_jax()
        import jax.numpy as jnp

        data = problem(dtype)
        params = [jnp.asarray(p) for p in data["params"]]
        x, labels = jnp.asarray(data["x"]), jnp.asarray(data["labels"])
        loss = _jax_loss(jax, jnp)
        function = jax.value_and_grad(loss) if backward else loss
        if jit:
            function = jax.jit(function)
        if not backward:
            return lambda: block(function(params, x, labels))

        def forward_backward():
            value, grads = block(function(params, x, labels))
            return (value, *grads)

        return forward_backward

    return prepare


def _autograd_loss(params, x, labels):
    import autograd.numpy as anp

    hidden = x
    for layer in range(len(params) // 2 - 1):
        hidden = anp.maximum(hidden @ params[2 * layer] + params[2 * layer + 1], 0.0)
    logits = hidden @ params[-2] + params[-1]
    logits = logits - anp.max(logits, axis=1, keepdims=True)
    log_normaliser = anp.log(anp.sum(anp.exp(logits), axis=1))
    return anp.mean(log_normaliser - logits[np.arange(len(labels)), labels])


def hips_case(dtype: Any, backward: bool) -> Callable[[], Callable[[], Any]]:
    def prepare():
        import autograd

        data = problem(dtype)
        params, x, labels = data["params"], data["x"], data["labels"]
        if not backward:
            return lambda: _autograd_loss(params, x, labels)
        value_and_grad = autograd.value_and_grad(_autograd_loss)

        def forward_backward():
            loss, grads = value_and_grad(params, x, labels)
            return (loss, *grads)

        return forward_backward

    return prepare


# ----------------------------------------------------------------------------- running


class _LooseCheck:
    """Checks the float32 rows against wengert's float32 answers to `FLOAT32_TOLERANCE` (the harness's is 1e-8).

    Each float32 case's call is wrapped so that its first answer is compared
    with wengert's (wengert's reference cases run first in the harness); the
    verdicts are written into the rows after `run_cases`.
    """

    def __init__(self) -> None:
        self.references: dict[str, np.ndarray] = {}
        self.errors: dict[tuple[str, str, str], float] = {}

    def wrap(self, case: Case) -> Case:
        def prepare():
            call = case.prepare()
            first = True

            def checked():
                nonlocal first
                answer = call()
                if first:
                    first = False
                    if case.role == WENGERT:
                        self.references[case.task] = as_array(answer)
                    elif case.task in self.references:
                        key = (case.implementation, case.task, case.method)
                        self.errors[key] = relative_error(answer, self.references[case.task])
                return answer

            return checked

        return Case(case.implementation, case.task, case.method, prepare, role=case.role, jit=case.jit, check=False)

    def report(self, rows: list[Row]) -> None:
        for row in rows:
            error = self.errors.get((row.implementation, row.task, row.method))
            if error is None or row.status != "ok":
                continue
            row.relative_error = error
            row.check = "ok" if error <= FLOAT32_TOLERANCE else "MISMATCH"
            if row.check == "MISMATCH":
                print(
                    f"WARNING: {row.workload} {row.implementation} {row.task} ({row.method}) disagrees with "
                    f"wengert: relative error {error:.2e} > {FLOAT32_TOLERANCE:.0e} (float32)"
                )


def _add_ratios(rows: list[Row]) -> None:
    """Notes: (b)/(a) on each forward + backward row, and × the hand-written NumPy row of the same task."""
    medians = {(row.implementation, row.task): row.median_s for row in rows if row.median_s}
    for row in rows:
        if row.median_s is None:
            continue
        floor = medians.get(("NumPy by hand", row.task))
        if floor and row.implementation != "NumPy by hand":
            row.extra["×NumPy"] = row.median_s / floor
        if row.task.startswith("fwd+bwd"):
            forward = medians.get((row.implementation, row.task.replace("fwd+bwd", "forward")))
            if forward:
                row.extra["(b)/(a)"] = row.median_s / forward


def run(config: Config) -> list[Row]:
    """Check and time B4 (forward; forward + backward) in float64 and float32 for wengert and its peers."""
    loose = _LooseCheck()
    cases = []
    for label, dtype in DTYPES.items():
        for backward in (False, True):
            task = f"{'fwd+bwd' if backward else 'forward'} {label}"
            recording = "loss.backward()" if backward else "no_grad"
            jax_method = "value_and_grad" if backward else "loss"
            rows = [
                Case("wengert nn", task, f"nn.MLP, cross_entropy, {recording}", wengert_nn_case(dtype, backward)),
                Case(
                    "wengert",
                    task,
                    "wnp, value_and_grad" if backward else "wnp on arrays",
                    wengert_functional_case(dtype, backward),
                ),
                Case(
                    "wengert jit",
                    task,
                    "jit(value_and_grad)" if backward else "jit(loss)",
                    wengert_functional_case(dtype, backward, jit=True),
                ),
                Case("NumPy by hand", task, "matmuls, relu mask, softmax − onehot", numpy_case(dtype, backward)),
                Case("PyTorch eager", task, f"nn.Linear, cross_entropy, {recording}", pytorch_case(dtype, backward)),
                Case("JAX eager", task, jax_method, jax_case(dtype, backward, jit=False)),
                Case("JAX jit", task, f"jit({jax_method})", jax_case(dtype, backward, jit=True)),
                Case("HIPS autograd", task, jax_method, hips_case(dtype, backward)),
            ]
            rows[0].role = WENGERT
            rows[4].role = PYTORCH
            for case in rows:
                case.jit = case.implementation in ("JAX jit", "wengert jit")
            cases += [loose.wrap(case) for case in rows] if dtype == np.float32 else rows
    rows = run_cases(WORKLOAD, cases, config, Figure("ms", 1e3))
    loose.report(rows)
    _add_ratios(rows)
    return rows


if __name__ == "__main__":
    import run as runner

    runner.main([WORKLOAD, *sys.argv[1:]])
