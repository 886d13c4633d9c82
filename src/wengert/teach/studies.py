"""Three classic comparisons, measured: finite differences, expression swell, forward vs reverse cost.

* `finite_difference_study`: forward and central difference errors against the
  exact derivative over step sizes 1e-16 … 1, and the best step of each.
* `expression_swell`: the size of SymPy's symbolic derivative of a nested
  composition beside the size of wengert's tape for the same derivative.
* `mode_cost`: the time of a full Jacobian by forward and by reverse mode as
  the number of inputs n and outputs m vary.

Matplotlib (extra ``plot``) and SymPy (extra ``symbolic``) are imported only
when a study needs them. The reference derivatives come from wengert itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from ..core import primal_value


def _require(module: str, extra: str, what: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise ImportError(
            f"{what} needs {module.split('.')[0]}, which is not installed: pip install 'wengert[{extra}]'"
        ) from error


def _figure(size: tuple[float, float]) -> Any:
    # A Figure without pyplot: no global state, no GUI backend, safe in threads and tests.
    figure_module = _require("matplotlib.figure", "plot", "plotting")
    return figure_module.Figure(figsize=size, layout="constrained")


# -- finite differences ------------------------------------------------------------------------


@dataclass
class FiniteDifferenceStudy:
    """Errors of forward and central differences over step sizes, against the exact derivative.

    ``forward_optimum`` and ``central_optimum`` are the measured best steps
    (after a 5-step median, so a lucky cancellation at one step does not
    count); theory puts them near √ε and ε^(1/3).

    For a function with several outputs every output component is studied on
    its own: ``exact``, the optima and the minimum errors are arrays of the
    output's shape, the error arrays have one column per component
    (``(len(steps), *output_shape)``), and ``component(k)`` is the study of
    one component.
    """

    steps: np.ndarray
    forward_error: np.ndarray
    central_error: np.ndarray
    exact: float | np.ndarray
    epsilon: float
    forward_optimum: float | np.ndarray
    central_optimum: float | np.ndarray
    forward_min_error: float | np.ndarray
    central_min_error: float | np.ndarray
    output_shape: tuple[int, ...] = ()

    @property
    def sqrt_epsilon(self) -> float:
        """√ε, the textbook optimal step of a forward difference."""
        return float(np.sqrt(self.epsilon))

    def component(self, index: int | tuple[int, ...]) -> FiniteDifferenceStudy:
        """The study of one output component (``index`` into the output's shape).

        Example:
            >>> import wengert.numpy as wnp
            >>> study = finite_difference_study(lambda x: wnp.stack([x * x, wnp.sin(x)]), 0.0)
            >>> study.component(0).exact, study.component(1).exact
            (0.0, 1.0)
        """
        if not self.output_shape:
            raise ValueError("the function has one output: the study itself is that component's")
        position = (index,) if not isinstance(index, tuple) else index
        try:
            np.empty(self.output_shape)[position]
            if len(position) != len(self.output_shape):
                raise IndexError
        except (IndexError, TypeError):
            raise IndexError(f"component {index!r} is not an index of the output's shape {self.output_shape}") from None
        column = (slice(None), *position)
        return FiniteDifferenceStudy(
            steps=self.steps,
            forward_error=self.forward_error[column],
            central_error=self.central_error[column],
            exact=float(np.asarray(self.exact)[position]),
            epsilon=self.epsilon,
            forward_optimum=float(np.asarray(self.forward_optimum)[position]),
            central_optimum=float(np.asarray(self.central_optimum)[position]),
            forward_min_error=float(np.asarray(self.forward_min_error)[position]),
            central_min_error=float(np.asarray(self.central_min_error)[position]),
        )

    def _components(self) -> list[tuple[str, FiniteDifferenceStudy]]:
        if not self.output_shape:
            return [("", self)]
        return [(f"[{', '.join(map(str, index))}]", self.component(index)) for index in np.ndindex(*self.output_shape)]

    def __str__(self) -> str:
        lines = []
        for name, study in self._components():
            prefix = f"component {name}: " if name else ""
            lines += [
                f"{prefix}exact derivative (wengert): {study.exact:.17g}",
                f"{prefix}forward difference: best step {study.forward_optimum:.2e} (√ε = {self.sqrt_epsilon:.2e}), "
                f"error {study.forward_min_error:.2e}",
                f"{prefix}central difference: best step {study.central_optimum:.2e} "
                f"(ε^(1/3) = {self.epsilon ** (1 / 3):.2e}), error {study.central_min_error:.2e}",
            ]
        return "\n".join(lines)

    def plot(self, path: str | Path) -> Path:
        """Write the error-versus-step plot (log-log, √ε marked, a pair of curves per component) to ``path``."""
        figure = _figure((6.0, 4.0))
        axes = figure.add_subplot()
        components = self._components()
        styles = ["-", "--", "-.", (0, (1, 1))]  # one line style per output component
        for k, (name, study) in enumerate(components):
            suffix = f", component {name}" if name else ""
            style = styles[k % len(styles)]
            forward = np.where(study.forward_error > 0, study.forward_error, np.nan)
            central = np.where(study.central_error > 0, study.central_error, np.nan)
            axes.loglog(self.steps, forward, color="#7B1FA2", lw=1.4, ls=style, label=f"forward difference{suffix}")
            axes.loglog(self.steps, central, color="#00796B", lw=1.4, ls=style, label=f"central difference{suffix}")
            axes.plot([study.forward_optimum], [study.forward_min_error], "o", color="#7B1FA2", ms=6)
            axes.plot([study.central_optimum], [study.central_min_error], "o", color="#00796B", ms=6)
        axes.axvline(self.sqrt_epsilon, color="black", ls="--", lw=1, label=r"$h = \sqrt{\varepsilon}$")
        axes.axvline(self.epsilon ** (1 / 3), color="gray", ls=":", lw=1, label=r"$h = \varepsilon^{1/3}$")
        axes.set_xlabel("step size $h$")
        axes.set_ylabel("|finite difference − exact|")
        axes.set_title("Finite differences: error versus step size")
        axes.grid(True, which="major", alpha=0.3)
        axes.legend(fontsize=8 if len(components) < 3 else 6)
        path = Path(path)
        figure.savefig(path, dpi=120)
        return path


def finite_difference_study(
    function: Callable[[Any], Any],
    x0: Any,
    exact: Any = None,
    *,
    direction: Any = None,
    steps: Sequence[float] | None = None,
) -> FiniteDifferenceStudy:
    """Forward and central difference errors of ``function`` at ``x0`` over steps 1e-16 … 1.

    ``exact`` defaults to wengert's forward-mode derivative (``jvp``). For an
    array ``x0`` the derivative is taken along ``direction`` (default: all ones).
    A function with several outputs (an array) is studied component by
    component, from the same evaluations (see `FiniteDifferenceStudy`).

    Example:
        >>> import wengert.numpy as wnp
        >>> study = finite_difference_study(lambda x: wnp.log(x) + 5 * x - wnp.sin(5.0), 2.0)
        >>> study.exact
        5.5
        >>> 1e-10 < study.forward_optimum < 1e-6 and study.central_min_error < study.forward_min_error
        True
    """
    x0 = np.asarray(primal_value(x0), dtype=np.result_type(primal_value(x0), np.float64))
    scalar = x0.ndim == 0
    if direction is None:
        direction = np.ones_like(x0)
    direction = np.asarray(direction, dtype=x0.dtype)
    if direction.shape != x0.shape:
        raise ValueError(f"direction has shape {direction.shape} but x0 has shape {x0.shape}")
    point = float(x0) if scalar else x0
    along = float(direction) if scalar else direction
    centre = _output_array(function, point)
    output_shape = centre.shape

    def value(x: Any) -> np.ndarray:
        out = _output_array(function, x)
        if out.shape != output_shape:
            raise ValueError(f"the function's output changed shape from {output_shape} to {out.shape} near x0")
        return out

    if exact is None:
        from ..transforms import jvp

        exact_array = np.asarray(primal_value(jvp(function, (point,), (along,))[1]), dtype=np.float64)
    else:
        exact_array = np.asarray(primal_value(exact), dtype=np.float64)
        if exact_array.shape != output_shape:
            raise ValueError(
                f"exact has shape {exact_array.shape} but the function's output has shape {output_shape}: "
                "give the derivative of every output component"
            )
    steps = np.logspace(-16, 0, 161) if steps is None else np.asarray(steps, dtype=float)
    forward = np.empty((len(steps), *output_shape))
    central = np.empty((len(steps), *output_shape))
    for k, h in enumerate(steps):
        up = value(point + h * along)
        down = value(point - h * along)
        forward[k] = np.abs((up - centre) / h - exact_array)
        central[k] = np.abs((up - down) / (2 * h) - exact_array)
    columns = forward.reshape(len(steps), -1), central.reshape(len(steps), -1)
    forward_best = np.array([_measured_optimum(column) for column in columns[0].T], dtype=int)
    central_best = np.array([_measured_optimum(column) for column in columns[1].T], dtype=int)
    picks = np.arange(columns[0].shape[1])

    def shaped(values: np.ndarray) -> float | np.ndarray:
        return float(values[0]) if not output_shape else values.reshape(output_shape)

    return FiniteDifferenceStudy(
        steps=steps,
        forward_error=forward,
        central_error=central,
        exact=float(exact_array) if not output_shape else exact_array,
        epsilon=float(np.finfo(x0.dtype).eps),
        forward_optimum=shaped(steps[forward_best]),
        central_optimum=shaped(steps[central_best]),
        forward_min_error=shaped(columns[0][forward_best, picks]),
        central_min_error=shaped(columns[1][central_best, picks]),
        output_shape=output_shape,
    )


def _output_array(function: Callable[[Any], Any], x: Any) -> np.ndarray:
    out = primal_value(function(x))
    array = np.asarray(out)
    if array.dtype.kind not in "biuf":
        raise TypeError(
            f"the function must return real numbers (a number or an array of them), got {type(out).__name__} "
            f"of dtype {array.dtype}"
        )
    return array.astype(np.float64)


def _measured_optimum(errors: np.ndarray, window: int = 5) -> int:
    """Index of the smallest error after a running median (a single lucky step is not an optimum)."""
    finite = np.where(np.isfinite(errors), errors, np.inf)
    half = window // 2
    padded = np.pad(finite, half, mode="edge")
    smoothed = np.array([np.median(padded[k : k + window]) for k in range(len(finite))])
    return int(np.argmin(smoothed))


# -- expression swell ---------------------------------------------------------------------------


class SwellRow(NamedTuple):
    """One depth of the composition: SymPy's operation counts beside wengert's tape lengths."""

    depth: int
    symbolic_function: int
    symbolic_derivative: int
    tape_function: int
    tape_derivative: int


@dataclass
class ExpressionSwell:
    """Symbolic derivative size versus tape size for nested compositions of increasing depth."""

    rows: list[SwellRow] = field(default_factory=list)

    def __str__(self) -> str:
        header = "depth  sympy f  sympy f'  tape f  tape f'"
        lines = [header, "-" * len(header)]
        for row in self.rows:
            lines.append(
                f"{row.depth:5d}  {row.symbolic_function:7d}  {row.symbolic_derivative:8d}  "
                f"{row.tape_function:6d}  {row.tape_derivative:7d}"
            )
        return "\n".join(lines)

    def plot(self, path: str | Path) -> Path:
        """Write the sizes against depth (log scale) to ``path`` (PNG); returns the path."""
        figure = _figure((6.0, 4.0))
        axes = figure.add_subplot()
        depth = [row.depth for row in self.rows]
        series = [
            ("symbolic_derivative", "o-", "#C62828", 1.0, "SymPy: derivative f′"),
            ("symbolic_function", "o:", "#C62828", 0.5, "SymPy: f"),
            ("tape_derivative", "s-", "#1565C0", 1.0, "wengert tape of grad(f)"),
            ("tape_function", "s:", "#1565C0", 0.5, "wengert tape of f"),
        ]
        for name, style, color, alpha, label in series:
            sizes = [getattr(row, name) for row in self.rows]
            axes.semilogy(depth, sizes, style, color=color, alpha=alpha, label=label)
        axes.set_xlabel("nesting depth")
        axes.set_ylabel("operations")
        axes.set_title("Expression swell: symbolic derivative versus tape")
        axes.grid(True, which="major", alpha=0.3)
        axes.legend(fontsize=8)
        path = Path(path)
        figure.savefig(path, dpi=120)
        return path


def _logistic(v: Any, module: Any) -> Any:
    return 4 * v * (1 - v)


def expression_swell(
    depth: int,
    step: Callable[[Any, Any], Any] | None = None,
    x0: float = 0.3,
) -> ExpressionSwell:
    """For compositions f_k = step∘…∘step (k = 1 … depth): SymPy's derivative size beside the tape's.

    ``step(v, module)`` is one layer, written with operators and ``module``'s
    functions (``module`` is ``sympy`` or ``wengert.numpy``); the default is the
    logistic map ``4·v·(1 − v)``. SymPy's sizes are ``count_ops`` of
    ``f_k`` and of ``diff(f_k, x)``; wengert's are the numbers of operations
    on the tapes of ``f_k`` and of ``grad(f_k)``, traced at ``x0``.

    Example:
        >>> swell = expression_swell(4)  # doctest: +SKIP
        >>> [row.symbolic_derivative for row in swell.rows]  # doctest: +SKIP
        [2, 21, 82, 264]
    """
    if not isinstance(depth, int) or depth < 1:
        raise ValueError(f"depth must be a positive integer, got {depth!r}")
    sympy = _require("sympy", "symbolic", "expression_swell")
    import wengert.numpy as wnp

    from ..transforms import grad
    from .wengert_list import trace

    step = _logistic if step is None else step
    x = sympy.Symbol("x")
    expression = x
    rows = []
    for k in range(1, depth + 1):
        expression = step(expression, sympy)
        derivative = sympy.diff(expression, x)

        def composed(v: Any, layers: int = k) -> Any:
            for _ in range(layers):
                v = step(v, wnp)
            return v

        rows.append(
            SwellRow(
                k,
                int(sympy.count_ops(expression)),
                int(sympy.count_ops(derivative)),
                len(trace(composed, x0).operations),
                len(trace(grad(composed), x0).operations),
            )
        )
    return ExpressionSwell(rows)


# -- forward versus reverse cost ------------------------------------------------------------------


class CostRow(NamedTuple):
    """The cost of one full Jacobian of an n → m function by each mode."""

    n: int
    m: int
    forward_passes: int
    reverse_passes: int
    forward_seconds: float
    reverse_seconds: float
    max_difference: float


@dataclass
class ModeCost:
    """Measured time of a full Jacobian by forward mode (n passes) and reverse mode (m passes)."""

    rows: list[CostRow]
    method: str

    def __str__(self) -> str:
        header = "    n      m  fwd passes  rev passes    fwd ms    rev ms  faster"
        lines = [f"Full Jacobian of tanh(A·x), A of shape m×n ({self.method})", header, "-" * len(header)]
        for row in self.rows:
            lines.append(
                f"{row.n:5d}  {row.m:5d}  {row.forward_passes:10d}  {row.reverse_passes:10d}  "
                f"{row.forward_seconds * 1e3:8.2f}  {row.reverse_seconds * 1e3:8.2f}  {_faster(row)}"
            )
        lines.append(self.summary())
        return "\n".join(lines)

    def summary(self) -> str:
        """What the measurements show, in one sentence computed from them: the largest win of each mode.

        A mode "wins" a row when it was at least 5% faster; rows closer than
        that are called a tie.

        Example:
            >>> rows = [CostRow(100, 1, 100, 1, 0.031, 0.010, 0.0), CostRow(2, 8, 2, 8, 0.002, 0.005, 0.0)]
            >>> print(ModeCost(rows, "passes").summary().replace("; ", ";\\n"))
            reverse mode was 3.1× faster than forward at n = 100, m = 1;
            forward mode was 2.5× faster than reverse at n = 2, m = 8
        """
        wins = {"forward": (1.0, None), "reverse": (1.0, None)}
        for row in self.rows:
            if row.forward_seconds <= 0 or row.reverse_seconds <= 0:
                continue
            ratio = row.forward_seconds / row.reverse_seconds
            mode, factor = ("reverse", ratio) if ratio >= 1 else ("forward", 1 / ratio)
            if factor > wins[mode][0]:
                wins[mode] = (factor, row)
        parts = []
        for mode, other in (("reverse", "forward"), ("forward", "reverse")):
            factor, row = wins[mode]
            if row is not None and factor >= TIE:
                parts.append(f"{mode} mode was {factor:.2g}× faster than {other} at n = {row.n}, m = {row.m}")
        if not parts:
            return f"forward and reverse mode took the same time within {TIE - 1:.0%} at every n and m measured"
        return "; ".join(parts)

    def figure(self) -> Any:
        """The Matplotlib figure `plot` writes: time against n, and the time ratio against n/m."""
        figure = _figure((10.0, 4.4))
        left, right = figure.subplots(1, 2)
        ms = sorted({row.m for row in self.rows})
        colors = _colors(len(ms))
        for m, color in zip(ms, colors):
            chosen = sorted((row for row in self.rows if row.m == m), key=lambda row: row.n)
            n = [row.n for row in chosen]
            left.loglog(n, [row.forward_seconds for row in chosen], "o-", color=color, label=f"forward, m = {m}")
            left.loglog(n, [row.reverse_seconds for row in chosen], "s--", color=color, label=f"reverse, m = {m}")
        measured_n = sorted({row.n for row in self.rows})
        left.set_xticks(measured_n, [str(n) for n in measured_n])
        left.set_xticks([], minor=True)
        left.set_xlabel("inputs n")
        left.set_ylabel("seconds for the full Jacobian")
        left.set_title("Time of the full Jacobian by each mode")
        left.grid(True, which="major", alpha=0.3)
        left.legend(fontsize=7)
        ratio_x = np.array([row.n / row.m for row in self.rows])
        ratio_y = np.array([row.forward_seconds / row.reverse_seconds for row in self.rows])
        right.loglog(ratio_x, ratio_y, "o", color="#37474F")
        span = np.array([ratio_x.min(), ratio_x.max()])
        right.loglog(span, span, "--", color="gray", lw=1, label="time ratio = n / m")
        right.axhline(1.0, color="black", lw=0.8)
        right.set_xlabel("n / m")
        right.set_ylabel("forward time / reverse time")
        right.set_title("forward time / reverse time (above 1: reverse faster)")
        right.grid(True, which="major", alpha=0.3)
        right.legend(fontsize=8)
        # The headline is computed from these measurements, so it never claims what they do not show.
        headline = [f"Full Jacobian of tanh(A·x), method {self.method!r}; in these measurements:"]
        headline += self.summary().split("; ")
        figure.suptitle("\n".join(headline), fontsize=10)
        return figure

    def plot(self, path: str | Path) -> Path:
        """Write time against n (one line per m and mode) and the time ratio against n/m to ``path`` (PNG)."""
        path = Path(path)
        self.figure().savefig(path, dpi=120)
        return path


TIE = 1.05  # a mode that is not at least 5% faster has not won


def _faster(row: CostRow) -> str:
    if row.forward_seconds * TIE <= row.reverse_seconds:
        return "forward"
    if row.reverse_seconds * TIE <= row.forward_seconds:
        return "reverse"
    return "tie"


def _colors(count: int) -> list[str]:
    palette = ["#1565C0", "#C62828", "#2E7D32", "#EF6C00", "#6A1B9A", "#00838F", "#4E342E"]
    return [palette[k % len(palette)] for k in range(count)]


def mode_cost(
    n_values: Sequence[int],
    m_values: Sequence[int],
    *,
    method: str = "passes",
    repeat: int = 3,
    seed: int = 0,
) -> ModeCost:
    """Time the full Jacobian of f(x) = tanh(A·x), A of shape m×n, by forward and by reverse mode.

    ``method="passes"`` (the seeds' cost model) builds the Jacobian column by
    column with n ``jvp`` passes and row by row with one recording and m
    pullbacks; ``method="batched"`` times ``jacfwd`` and ``jacrev``, which
    push all basis vectors at once. Each time is the best of ``repeat`` runs.
    ``max_difference`` checks that both modes agree.

    Example:
        >>> cost = mode_cost([2, 8], [3], repeat=1)
        >>> [(row.n, row.m, row.forward_passes, row.reverse_passes) for row in cost.rows]
        [(2, 3, 2, 3), (8, 3, 8, 3)]
        >>> max(row.max_difference for row in cost.rows) < 1e-12
        True
    """
    if method not in ("passes", "batched"):
        raise ValueError(f"method={method!r}: choose 'passes' or 'batched'")
    for name, values in (("n_values", n_values), ("m_values", m_values)):
        if not values or any(int(v) != v or v < 1 for v in values):
            raise ValueError(f"{name} must be positive integers, got {values!r}")
    import wengert.numpy as wnp

    from ..transforms import jacfwd, jacrev, jvp, vjp

    rng = np.random.default_rng(seed)
    jacrev(lambda x: wnp.tanh(x))(np.ones(2))  # warm up, so the first measurement is not the slowest
    rows = []
    for n in n_values:
        for m in m_values:
            matrix = rng.standard_normal((m, n)) / np.sqrt(n)
            x0 = rng.standard_normal(n)

            def f(x: Any, matrix: np.ndarray = matrix) -> Any:
                return wnp.tanh(matrix @ x)

            if method == "batched":

                def forward(f: Any = f, x0: np.ndarray = x0) -> np.ndarray:
                    return np.asarray(jacfwd(f)(x0))

                def reverse(f: Any = f, x0: np.ndarray = x0) -> np.ndarray:
                    return np.asarray(jacrev(f)(x0))

            else:

                def forward(f: Any = f, x0: np.ndarray = x0, n: int = n) -> np.ndarray:
                    basis = np.eye(n)
                    return np.stack([jvp(f, (x0,), (basis[j],))[1] for j in range(n)], axis=1)

                def reverse(f: Any = f, x0: np.ndarray = x0, m: int = m) -> np.ndarray:
                    _, pullback = vjp(f, x0)
                    basis = np.eye(m)
                    return np.stack([pullback(basis[i])[0] for i in range(m)], axis=0)

            forward_time, forward_jacobian = _best_time(forward, repeat)
            reverse_time, reverse_jacobian = _best_time(reverse, repeat)
            difference = float(np.max(np.abs(forward_jacobian - reverse_jacobian)))
            rows.append(CostRow(n, m, n, m, forward_time, reverse_time, difference))
    return ModeCost(rows, method)


def _best_time(run: Callable[[], np.ndarray], repeat: int) -> tuple[float, np.ndarray]:
    best = float("inf")
    result = None
    for _ in range(max(1, repeat)):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return best, result
