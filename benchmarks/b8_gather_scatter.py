"""B8, the gather/scatter hot spot: the VJP of indexing with an integer array, and a GMM gradient.

The VJP of ``x[labels]`` adds the cotangent's rows into zeros of ``x``'s shape,
repeated labels accumulating. wengert used ``np.add.at`` for that, which is fast
for 1-D operands in NumPy 2 but slow once each label selects a row; it made over
half of a Gaussian mixture's gradient. ``wengert.numpy.indexing.add_at`` now picks
a method per case (a one-hot matrix product for few rows, ``np.bincount`` per
column for narrow rows, ``np.add.at`` on the raveled output otherwise).

Each task is measured twice in the same run: "after" is wengert as it is, "before"
is the same wengert call with ``add_at`` swapped back to plain ``np.add.at`` for the
duration of the call. The figure is ms per call; ×wengert is before/after.

* VJP tasks: the pullback of ``x[labels]`` for gathers of 10⁴–10⁶ elements with
  repeats: 1-D (a vector of 1,000 gathered), rows (a matrix's rows gathered: few
  wide rows, many narrow rows, many wide rows), float64 and float32.
* GMM tasks: the gradient of a labelled Gaussian mixture's log-likelihood (100,000
  points in 8 dimensions and 25,000 in 32, 16 components, diagonal covariances)
  with respect to the means, the log standard deviations and the weights' logits;
  four gathers by the labels. JAX (eager and jit) and PyTorch eager are peer rows
  where installed.

Run: ``python benchmarks/run.py B8`` (or ``python benchmarks/b8_gather_scatter.py``).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from harness import PYTORCH, WENGERT, Case, Config, Figure, Row, block, import_jax, run_cases

WORKLOAD = "B8"
TITLE = "B8 gather/scatter: VJP of x[labels] (before: np.add.at, after: add_at) and a labelled GMM gradient"

# (task label, source shape, number of gathered rows, dtype): the gathered elements are rows × row width.
VJP_CASES = [
    ("1-D, 10⁴ of 1,000", (1000,), 10**4, np.float64),
    ("1-D, 10⁵ of 1,000", (1000,), 10**5, np.float64),
    ("1-D, 10⁶ of 1,000", (1000,), 10**6, np.float64),
    ("rows 16×8, 10⁴", (16, 8), 1250, np.float64),
    ("rows 16×8, 10⁵", (16, 8), 12500, np.float64),
    ("rows 16×8, 10⁶", (16, 8), 125000, np.float64),
    ("rows 1000×4, 10⁶", (1000, 4), 250000, np.float64),
    ("rows 1000×32, 10⁶", (1000, 32), 31250, np.float64),
    ("f32 1-D, 10⁶ of 1,000", (1000,), 10**6, np.float32),
    ("f32 rows 16×8, 10⁶", (16, 8), 125000, np.float32),
    ("f32 rows 1000×32, 10⁶", (1000, 32), 31250, np.float32),
]


def _numpy_add_at(values: Any, index: Any, shape: tuple[int, ...]) -> np.ndarray:
    """The method wengert used before: np.add.at into zeros."""
    out = np.zeros(shape, dtype=np.result_type(values))
    np.add.at(out, index, values)
    return out


def _before(call: Callable[[], Any]) -> Callable[[], Any]:
    """``call`` run with wengert's add_at swapped for plain np.add.at."""
    from wengert.numpy import indexing

    current = indexing.add_at

    def run() -> Any:
        indexing.add_at = _numpy_add_at
        try:
            return call()
        finally:
            indexing.add_at = current

    return run


# ----------------------------------------------------------------------------- the integer-index VJP


def vjp_problem(source: tuple[int, ...], rows: int, dtype: Any, seed: int = 0) -> tuple[np.ndarray, ...]:
    """x of shape ``source``, ``rows`` labels into its first axis (with repeats), and a cotangent of x[labels].

    Example:
        >>> x, labels, cotangent = vjp_problem((4, 2), 10, np.float32)
        >>> x.shape, labels.shape, cotangent.shape, cotangent.dtype
        ((4, 2), (10,), (10, 2), dtype('float32'))
    """
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(source).astype(dtype)
    labels = rng.integers(0, source[0], rows)
    cotangent = rng.standard_normal((rows, *source[1:])).astype(dtype)
    return x, labels, cotangent


def wengert_pullback(source: tuple[int, ...], rows: int, dtype: Any) -> Callable[[], Any]:
    import wengert as wg

    x, labels, cotangent = vjp_problem(source, rows, dtype)
    _, pullback = wg.vjp(lambda x: x[labels], x)
    return lambda: pullback(cotangent)[0]


# ----------------------------------------------------------------------------- a labelled Gaussian mixture

# (points, dimensions, components): the second has rows wide enough for the one-hot product.
GMM_SIZES = [(100_000, 8, 16), (25_000, 32, 16)]


def gmm_problem(
    points: int, dimensions: int, components: int, seed: int = 0
) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray], np.ndarray, np.ndarray]:
    """Parameters (means, log standard deviations, logits), data drawn from the mixture, and the labels.

    Example:
        >>> (means, log_sigmas, logits), data, labels = gmm_problem(50, 2, 3)
        >>> means.shape, log_sigmas.shape, logits.shape, data.shape, labels.shape
        ((3, 2), (3, 2), (3,), (50, 2), (50,))
    """
    rng = np.random.default_rng(seed)
    means = rng.standard_normal((components, dimensions))
    log_sigmas = 0.2 * rng.standard_normal((components, dimensions))
    logits = rng.standard_normal(components)
    labels = rng.integers(0, components, points)
    data = means[labels] + np.exp(log_sigmas[labels]) * rng.standard_normal((points, dimensions))
    return (means, log_sigmas, logits), data, labels


def _gmm_log_likelihood(means: Any, log_sigmas: Any, logits: Any, data: Any, labels: Any, xp: Any, log_softmax: Any):
    """Σ_i log w_{z_i} + log N(x_i; μ_{z_i}, diag σ_{z_i}²), for any NumPy-like namespace ``xp``."""
    scaled = (data - means[labels]) * xp.exp(-log_sigmas[labels])
    constant = 0.5 * data.shape[0] * data.shape[1] * math.log(2 * math.pi)
    return xp.sum(log_softmax(logits)[labels]) - xp.sum(0.5 * scaled * scaled + log_sigmas[labels]) - constant


def wengert_gmm(size: tuple[int, int, int]) -> Callable[[], Any]:
    import wengert as wg
    import wengert.numpy as wnp

    (means, log_sigmas, logits), data, labels = gmm_problem(*size)

    def log_likelihood(means, log_sigmas, logits):
        return _gmm_log_likelihood(means, log_sigmas, logits, data, labels, wnp, wnp.log_softmax)

    gradient = wg.grad(log_likelihood, argnums=(0, 1, 2))
    return lambda: gradient(means, log_sigmas, logits)


def _jax_gmm(size: tuple[int, int, int]):
    jax = import_jax()
    import jax.numpy as jnp

    (means, log_sigmas, logits), data, labels = gmm_problem(*size)

    def log_likelihood(means, log_sigmas, logits, data, labels):
        return _gmm_log_likelihood(means, log_sigmas, logits, data, labels, jnp, jax.nn.log_softmax)

    arrays = tuple(map(jnp.asarray, (means, log_sigmas, logits, data, labels)))
    return jax, jax.grad(log_likelihood, argnums=(0, 1, 2)), arrays


def jax_eager_gmm(size: tuple[int, int, int]) -> Callable[[], Any]:
    _, gradient, arrays = _jax_gmm(size)
    return lambda: block(gradient(*arrays))


def jax_jit_gmm(size: tuple[int, int, int]) -> Callable[[], Any]:
    # The data are arguments, not closure constants, so that XLA does not fold them.
    jax, gradient, arrays = _jax_gmm(size)
    compiled = jax.jit(gradient)
    return lambda: block(compiled(*arrays))


def pytorch_gmm(size: tuple[int, int, int]) -> Callable[[], Any]:
    import torch

    (means, log_sigmas, logits), data, labels = gmm_problem(*size)
    data, labels = torch.from_numpy(data), torch.from_numpy(labels)
    initial = tuple(torch.from_numpy(p) for p in (means, log_sigmas, logits))

    def call():
        params = [p.detach().requires_grad_() for p in initial]
        log_likelihood = _gmm_log_likelihood(*params, data, labels, torch, lambda z: torch.log_softmax(z, dim=-1))
        log_likelihood.backward()
        return tuple(p.grad for p in params)

    return call


# ----------------------------------------------------------------------------- running


def run(config: Config) -> list[Row]:
    """Check and time each integer-index VJP before and after, and the GMM gradient with its peers."""
    cases = []
    for label, source, rows, dtype in VJP_CASES:
        task = f"VJP {label}"
        after = partial(wengert_pullback, source, rows, dtype)
        before = lambda after=after: _before(after())  # noqa: E731
        cases.append(Case("wengert after", task, "add_at", after, role=WENGERT))
        # float32 sums in another order differ from np.add.at's by more than the harness's 1e-8.
        cases.append(Case("wengert before", task, "np.add.at", before, check=dtype == np.float64))
    for size in GMM_SIZES:
        points, dimensions, components = size
        gmm = f"GMM gradient n={points:,} d={dimensions} k={components}"
        cases += [
            Case("wengert after", gmm, "grad, add_at", partial(wengert_gmm, size), role=WENGERT),
            Case("wengert before", gmm, "grad, np.add.at", lambda size=size: _before(wengert_gmm(size))),
            Case("JAX eager", gmm, "grad", partial(jax_eager_gmm, size)),
            Case("JAX jit", gmm, "jit(grad)", partial(jax_jit_gmm, size), jit=True),
            Case("PyTorch eager", gmm, ".backward()", partial(pytorch_gmm, size), role=PYTORCH),
        ]
    return run_cases(WORKLOAD, cases, config, Figure("ms", 1e3))


if __name__ == "__main__":
    import run as runner

    runner.main([WORKLOAD, *sys.argv[1:]])
