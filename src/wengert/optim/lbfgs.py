"""L-BFGS with PyTorch's closure interface: `LBFGS`, with a fixed step or a strong-Wolfe line search.

``torch.optim.LBFGS``'s arguments, algorithm and state, step for step: each
``step(closure)`` runs up to ``max_iter`` iterations, calling ``closure`` (which
zeroes the gradients, computes the loss, calls ``loss.backward()`` and returns
the loss) whenever it needs the loss and gradient at new parameters. The
parameters are treated as one flat vector (all of them, in order); the
quasi-Newton history survives from one ``step`` call to the next, so
``step()`` may be called once with a large ``max_iter`` or many times with a
small one.

One iteration:

1. The search direction. At the very first iteration, steepest descent
   ``d = -g``. Afterwards, the curvature pair ``s = t·d`` (the last step) and
   ``y = g - g_prev`` joins the history when ``y·s > 1e-10`` (the oldest pair
   leaves once there are ``history_size``), the initial inverse Hessian is
   scaled by ``H = y·s / y·y`` of the newest pair, and the two-loop recursion
   gives ``d = -H̃ g``.
2. The step length. ``t = min(1, 1/‖g‖₁)·lr`` at the very first iteration,
   ``lr`` after. If ``g·d > -tolerance_change`` the direction does not descend
   and the step ends. With ``line_search_fn=None`` the parameters move by
   ``t·d`` and the loss is evaluated there (except after the last iteration);
   with ``"strong_wolfe"`` a line search (cubic interpolation, bracketing then
   zoom, ``c1 = 1e-4``, ``c2 = 0.9``, at most ``max_eval`` minus the
   evaluations so far) picks ``t``.
3. Stop when: ``max_iter`` iterations are done; ``max_eval`` evaluations are
   done; ``max|g| <= tolerance_grad``; ``max|t·d| <= tolerance_change``; or
   ``|loss - previous loss| < tolerance_change``, tested in that order.
   ``step`` also returns at once when the first evaluation already has
   ``max|g| <= tolerance_grad``.

Where PyTorch keeps a number as a 0-d tensor of the parameters' dtype (the
step length, the inner products, the history's ``1/(y·s)``) this module keeps
a NumPy scalar of that dtype, so float32 parameters are optimised in float32
arithmetic as PyTorch does; the loss is a Python float in both.

Example:
    >>> import wengert as wg
    >>> xy = wg.tensor([-1.5, 2.0], requires_grad=True)
    >>> optimizer = LBFGS([xy], line_search_fn="strong_wolfe", max_iter=100)
    >>> def closure():
    ...     optimizer.zero_grad()
    ...     x, y = xy[0], xy[1]
    ...     loss = (1 - x) ** 2 + 100 * (y - x**2) ** 2  # Rosenbrock's function, least at (1, 1)
    ...     loss.backward()
    ...     return loss
    >>> first_loss = optimizer.step(closure)
    >>> round(first_loss.item(), 4), [round(v, 4) for v in xy.tolist()]
    (12.5, [1.0, 1.0])
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

from ..nn._checks import closest, positive_int, real_number
from ..nn.module import set_values_
from ..tensor import Tensor, enable_grad
from .optimizers import Optimizer, _gradients

LINE_SEARCHES = ("strong_wolfe",)

# The strong-Wolfe constants (sufficient decrease, curvature) and the bracket width, relative to the direction's
# largest entry, below which the zoom stops. PyTorch's line search uses 1e-9 whatever the optimiser's
# tolerance_change, and so does this one.
_ARMIJO = 1e-4
_CURVATURE = 0.9
_BRACKET_TOLERANCE = 1e-9
# A curvature pair joins the history only when y·s exceeds this.
_CURVATURE_FLOOR = 1e-10


class LBFGS(Optimizer):
    """Limited-memory BFGS, ``torch.optim.LBFGS``: ``step(closure)`` runs up to ``max_iter`` quasi-Newton iterations.

    Args:
        params: the parameters (a module, or an iterable of tensors); one group
            only, as in PyTorch.
        lr: the step length (after the first iteration's ``min(1, 1/‖g‖₁)·lr``),
            or the line search's first trial step.
        max_iter: iterations per ``step`` call.
        max_eval: closure evaluations per ``step`` call (default
            ``max_iter * 5 // 4``).
        tolerance_grad: stop when the largest gradient entry is at most this.
        tolerance_change: stop when the step, or the change of the loss, is
            below this (and when ``g·d > -tolerance_change``).
        history_size: the number of curvature pairs kept.
        line_search_fn: ``None`` (fixed steps) or ``"strong_wolfe"``.

    The state (``optimizer.state[first parameter]``) holds, as PyTorch's does,
    ``func_evals`` and ``n_iter`` (totals over all calls), the last direction
    ``d`` and step length ``t``, the history ``old_dirs`` (the ``y``),
    ``old_stps`` (the ``s``) and ``ro`` (``1/(y·s)``), ``H_diag``,
    ``prev_flat_grad`` and ``prev_loss``.

    Example:
        >>> import numpy as np
        >>> import wengert as wg
        >>> import wengert.nn as nn
        >>> x = np.linspace(-1.0, 1.0, 20)[:, None]
        >>> model = nn.Linear(1, 1, seed=0)
        >>> optimizer = LBFGS(model.parameters(), line_search_fn="strong_wolfe")
        >>> def closure():
        ...     optimizer.zero_grad()
        ...     loss = nn.mse_loss(model(x), 2.0 * x - 0.5)
        ...     loss.backward()
        ...     return loss
        >>> for _ in range(3):
        ...     loss = optimizer.step(closure)
        >>> round(model.weight.item(), 4), round(model.bias.item(), 4)
        (2.0, -0.5)
    """

    def __init__(
        self,
        params: Any,
        lr: float = 1,
        max_iter: int = 20,
        max_eval: int | None = None,
        tolerance_grad: float = 1e-7,
        tolerance_change: float = 1e-9,
        history_size: int = 100,
        line_search_fn: str | None = None,
    ) -> None:
        max_iter = positive_int(max_iter, "LBFGS", "max_iter")
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = {
            "lr": lr,
            "max_iter": max_iter,
            "max_eval": max_eval,
            "tolerance_grad": tolerance_grad,
            "tolerance_change": tolerance_change,
            "history_size": history_size,
            "line_search_fn": line_search_fn,
        }
        super().__init__(params, defaults)
        self._params: list[Tensor] = self.param_groups[0]["params"]
        shapes = [np.shape(p.primal) for p in self._params]
        sizes = [int(np.prod(shape, dtype=np.int64)) for shape in shapes]
        stops = np.cumsum(sizes).tolist()
        self._pieces = list(zip([0, *stops[:-1]], stops, shapes))
        self._size = int(sum(sizes))
        self._dtype = self._parameter_dtype()

    def _parameter_dtype(self) -> np.dtype:
        """The dtype of the flat vectors: that of the parameters (the wider one if they differ)."""
        return np.result_type(*[np.asarray(p.primal).dtype for p in self._params])

    def add_param_group(self, group: dict[str, Any]) -> None:
        """Add the (only) parameter group; LBFGS refuses a second one, as PyTorch's does."""
        if self.param_groups:
            raise ValueError(
                "LBFGS doesn't support per-parameter options (parameter groups): pass all the parameters as one "
                "list (or one module); L-BFGS works on them as one vector with one set of hyperparameters"
            )
        super().add_param_group(group)

    def _check_hyperparameters(self, group: dict[str, Any]) -> None:
        super()._check_hyperparameters(group)
        positive_int(group["max_iter"], "LBFGS", "max_iter")
        positive_int(group["max_eval"], "LBFGS", "max_eval")
        positive_int(group["history_size"], "LBFGS", "history_size")
        real_number(group["tolerance_grad"], "LBFGS", "tolerance_grad")
        real_number(group["tolerance_change"], "LBFGS", "tolerance_change")
        line_search = group["line_search_fn"]
        if line_search is not None and line_search not in LINE_SEARCHES:
            hint = closest(line_search, LINE_SEARCHES) if isinstance(line_search, str) else ""
            raise ValueError(
                f"LBFGS: line_search_fn must be None (fixed steps of length lr) or 'strong_wolfe', "
                f"got {line_search!r}{hint}"
            )

    # -- the parameters as one vector ---------------------------------------------------

    def _flat_values(self) -> np.ndarray:
        return np.concatenate([np.asarray(p.primal).ravel() for p in self._params]).astype(self._dtype, copy=False)

    def _flat_grad(self) -> np.ndarray:
        """The gradients as one vector (zeros for a parameter without one, as PyTorch)."""
        grads, _ = _gradients(self._params)
        pieces = [
            np.zeros(stop - start, self._dtype) if grad is None else np.ravel(grad)
            for grad, (start, stop, _) in zip(grads, self._pieces)
        ]
        return np.concatenate(pieces).astype(self._dtype, copy=False)

    def _set_flat(self, values: np.ndarray) -> None:
        for parameter, (start, stop, shape) in zip(self._params, self._pieces):
            set_values_(parameter, values[start:stop].reshape(shape), "LBFGS.step")

    def _evaluate(self, closure: Callable[[], Any]) -> tuple[Any, float]:
        """``closure()`` with gradients recorded: what it returned, and the loss as a Python float."""
        with enable_grad():
            result = closure()
        return result, _loss_value(result)

    # -- the step ----------------------------------------------------------------------

    def step(self, closure: Callable[[], Any] | None = None) -> Any:  # type: ignore[override]
        """Run up to ``max_iter`` L-BFGS iterations; returns what the first call of ``closure`` returned.

        ``closure`` re-evaluates the model: it zeroes the gradients, computes
        the loss, calls ``loss.backward()`` and returns the loss. It is called
        with gradients recorded (even inside ``no_grad``).
        """
        if closure is None or not callable(closure):
            got = "no closure" if closure is None else f"{closure!r} ({type(closure).__name__})"
            raise TypeError(
                f"LBFGS.step needs a closure, got {got}: a function that calls optimizer.zero_grad(), computes the "
                "loss, calls loss.backward() and returns the loss; pass it as optimizer.step(closure)"
            )
        group = self.param_groups[0]
        self._check_hyperparameters(group)  # they may have been edited since construction
        lr = float(group["lr"])
        max_iter, max_eval = group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        history_size, line_search = group["history_size"], group["line_search_fn"]

        self._dtype = self._parameter_dtype()  # the parameters may have been converted since
        # All of L-BFGS's state is global; it lives under the first parameter, as in PyTorch.
        state = self.state.setdefault(self._params[0], {})
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        first_result, loss = self._evaluate(closure)
        evaluations = 1
        state["func_evals"] += 1
        flat_grad = self._flat_grad()
        if np.abs(flat_grad).max() <= tolerance_grad:
            return first_result

        direction = state.get("d")
        step_length = state.get("t")
        old_dirs = state.get("old_dirs")
        old_stps = state.get("old_stps")
        ro = state.get("ro")
        h_diag = state.get("H_diag")
        prev_flat_grad = state.get("prev_flat_grad")
        prev_loss = state.get("prev_loss")

        iteration = 0
        while iteration < max_iter:
            iteration += 1
            state["n_iter"] += 1
            first_ever = state["n_iter"] == 1

            if first_ever:
                direction = -flat_grad
                old_dirs, old_stps, ro = [], [], []
                h_diag = 1
            else:
                grad_change = flat_grad - prev_flat_grad
                last_step = direction * step_length
                curvature = np.dot(grad_change, last_step)
                if curvature > _CURVATURE_FLOOR:
                    while len(old_dirs) >= history_size:
                        del old_dirs[0], old_stps[0], ro[0]
                    old_dirs.append(grad_change)
                    old_stps.append(last_step)
                    ro.append(1.0 / curvature)
                    h_diag = curvature / np.dot(grad_change, grad_change)
                direction = _two_loop_direction(flat_grad, old_dirs, old_stps, ro, h_diag)

            prev_flat_grad = flat_grad.copy()
            prev_loss = loss

            step_length = min(1.0, 1.0 / np.abs(flat_grad).sum()) * lr if first_ever else lr
            slope = np.dot(flat_grad, direction)
            if slope > -tolerance_change:
                break  # not a descent direction (to within tolerance_change)

            if line_search is None:
                self._set_flat(self._flat_values() + step_length * direction)
                evaluated = 0
                if iteration != max_iter:  # after the last iteration the loss is not needed
                    loss = self._evaluate(closure)[1]
                    flat_grad = self._flat_grad()
                    evaluated = 1
            else:
                start = self._flat_values()

                def along_direction(length: Any, start: np.ndarray = start, direction: np.ndarray = direction) -> Any:
                    self._set_flat(start + length * direction)
                    return self._evaluate(closure)[1], self._flat_grad()

                loss, flat_grad, step_length, evaluated = _strong_wolfe(
                    along_direction, step_length, direction, loss, flat_grad, slope, max_ls=max_eval - evaluations
                )
                self._set_flat(start + step_length * direction)
            evaluations += evaluated
            state["func_evals"] += evaluated

            if iteration == max_iter or evaluations >= max_eval:
                break
            if evaluated and np.abs(flat_grad).max() <= tolerance_grad:
                break  # a stationary point
            if np.abs(direction * step_length).max() <= tolerance_change:
                break  # the step is negligible
            if abs(loss - prev_loss) < tolerance_change:
                break  # so is the change of the loss

        state["d"] = direction
        state["t"] = step_length
        state["old_dirs"] = old_dirs
        state["old_stps"] = old_stps
        state["ro"] = ro
        state["H_diag"] = h_diag
        state["prev_flat_grad"] = prev_flat_grad
        state["prev_loss"] = prev_loss
        return first_result

    # -- saving and loading ------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """The hyperparameters and a copy of the state (the history lists copied too).

        Example:
            >>> import wengert as wg
            >>> x = wg.tensor([2.0, -1.0], requires_grad=True)
            >>> optimizer = LBFGS([x], max_iter=3)
            >>> def closure():
            ...     optimizer.zero_grad(); loss = (x**2).sum(); loss.backward(); return loss
            >>> _ = optimizer.step(closure)
            >>> sorted(optimizer.state_dict()["state"][0])  # doctest: +NORMALIZE_WHITESPACE
            ['H_diag', 'd', 'func_evals', 'n_iter', 'old_dirs', 'old_stps', 'prev_flat_grad', 'prev_loss', 'ro', 't']
        """
        saved = super().state_dict()
        for entry in saved["state"].values():
            for key in ("old_dirs", "old_stps", "ro"):
                if isinstance(entry.get(key), list):
                    entry[key] = [np.array(v, copy=True) if isinstance(v, np.ndarray) else v for v in entry[key]]
        return saved

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore the hyperparameters and state saved by `state_dict` (for parameters of the same sizes)."""
        entries = state_dict["state"]
        unexpected = sorted(set(entries) - {0})
        if unexpected:
            raise ValueError(
                f"LBFGS.load_state_dict: state saved for parameters {unexpected}; LBFGS keeps all of its state "
                "under parameter 0 (was this saved by another optimizer?)"
            )
        restored = {key: self._restored(key, value) for key, value in entries.get(0, {}).items()}
        super().load_state_dict({**state_dict, "state": {}})
        self.state = {self._params[0]: restored} if restored else {}

    def _restored(self, key: str, value: Any) -> Any:
        """A saved state entry, copied, its flat vectors checked against the parameters' total size."""

        def vector(array: Any, name: str) -> np.ndarray:
            array = np.asarray(array)
            if array.shape != (self._size,):
                raise ValueError(
                    f"LBFGS.load_state_dict: '{name}' has shape {array.shape}; the parameters here have "
                    f"{self._size} elements in all, so it must have shape ({self._size},)"
                )
            return np.array(array, dtype=self._dtype, copy=True)

        if key in ("d", "prev_flat_grad") and value is not None:
            return vector(value, key)
        if key in ("old_dirs", "old_stps"):
            return [vector(v, f"{key}[{i}]") for i, v in enumerate(value)]
        if key == "ro":
            return list(value)
        return value


def _loss_value(result: Any) -> float:
    """The loss a closure returned as a Python float; a clear error for anything else."""
    if isinstance(result, Tensor):
        if result.numel() != 1:
            raise ValueError(
                f"LBFGS: the closure returned a tensor of shape {tuple(result.shape)}; it must return the loss, "
                "a one-element tensor (reduce it: loss.sum() or loss.mean())"
            )
        return float(result.item())
    if result is None:
        raise TypeError(
            "LBFGS: the closure returned None; it must return the loss (end it with `return loss`, after "
            "loss.backward())"
        )
    is_real = isinstance(result, (int, float, np.integer, np.floating)) and not isinstance(result, (bool, np.bool_))
    if isinstance(result, np.ndarray) and result.size == 1 and result.dtype.kind in "iuf":
        is_real = True
    if not is_real:
        raise TypeError(
            f"LBFGS: the closure returned {result!r} ({type(result).__name__}); it must return the loss, "
            "a one-element tensor"
        )
    return float(np.asarray(result).item())


def _two_loop_direction(
    grad: np.ndarray, grad_changes: Sequence[np.ndarray], steps: Sequence[np.ndarray], ro: Sequence[Any], scale: Any
) -> np.ndarray:
    """``-H̃·grad`` for the L-BFGS inverse Hessian H̃ of the curvature pairs, initial matrix ``scale·I``.

    Example:
        >>> # one pair of the quadratic ½·xᵀ·diag(1, 4)·x: y = A s
        >>> s, y = np.array([1.0, 1.0]), np.array([1.0, 4.0])
        >>> _two_loop_direction(np.array([1.0, 0.0]), [y], [s], [1 / y.dot(s)], y.dot(s) / y.dot(y)).round(4)
        array([-0.5765, -0.1059])
    """
    count = len(steps)
    alphas: list[Any] = [0.0] * count
    work = -grad
    for i in range(count - 1, -1, -1):  # newest pair first
        alphas[i] = np.dot(steps[i], work) * ro[i]
        work = work - alphas[i] * grad_changes[i]
    work = work * scale
    for i in range(count):  # oldest pair first
        beta = np.dot(grad_changes[i], work) * ro[i]
        work = work + (alphas[i] - beta) * steps[i]
    return work


def _cubic_minimiser(
    x1: Any, f1: Any, g1: Any, x2: Any, f2: Any, g2: Any, bounds: tuple[Any, Any] | None = None
) -> Any:
    """Where the cubic through values ``f`` and slopes ``g`` at ``x1`` and ``x2`` is least, clipped to ``bounds``.

    ``bounds`` defaults to the interval between the two points; when the cubic
    has no minimum (a negative discriminant) the answer is the middle of the bounds.

    Example:
        >>> # f(x) = (x - 0.3)²: f(0) = 0.09, f'(0) = -0.6, f(1) = 0.49, f'(1) = 1.4
        >>> round(float(_cubic_minimiser(0.0, 0.09, np.float64(-0.6), 1.0, 0.49, np.float64(1.4))), 12)
        0.3
    """
    lower, upper = bounds if bounds is not None else ((x1, x2) if x1 <= x2 else (x2, x1))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    discriminant = d1**2 - g1 * g2
    if not discriminant >= 0:
        return (lower + upper) / 2.0
    d2 = np.sqrt(discriminant)
    # (near, far): the left and the right point; the formula measures back from the right one.
    (x_left, g_left), (x_right, g_right) = ((x1, g1), (x2, g2)) if x1 <= x2 else ((x2, g2), (x1, g1))
    minimiser = x_right - (x_right - x_left) * ((g_right + d2 - d1) / (g_right - g_left + 2 * d2))
    return min(max(minimiser, lower), upper)


class _Trial(NamedTuple):
    """A point of the line search: step length, loss, gradient, slope along the direction."""

    t: Any
    f: Any
    g: np.ndarray
    slope: Any


def _strong_wolfe(
    along: Callable[[Any], tuple[float, np.ndarray]],
    t: Any,
    direction: np.ndarray,
    f: float,
    g: np.ndarray,
    slope: Any,
    max_ls: int = 25,
    c1: float = _ARMIJO,
    c2: float = _CURVATURE,
    tolerance_change: float = _BRACKET_TOLERANCE,
) -> tuple[float, np.ndarray, Any, int]:
    """A step length satisfying the strong Wolfe conditions (or the best found in ``max_ls`` further evaluations).

    ``along(t)`` evaluates the loss and gradient at ``start + t·direction``;
    ``f``, ``g`` and ``slope`` are those at ``t = 0``. Bracketing: try longer
    steps (cubic extrapolation, within ``[t + 0.01·(t - t_prev), 10·t]``) until
    one satisfies the conditions or an interval must contain one; zoom: shrink
    the interval by safeguarded cubic interpolation. Returns the loss,
    gradient and step length of the best point, and the number of evaluations.

    Example:
        >>> # f(x) = (x - 3)² from x = 0 along +1; a first trial of 10 overshoots, the cubic finds the minimum
        >>> along = lambda t: ((t - 3.0) ** 2, np.array([2.0 * (t - 3.0)]))
        >>> f, g, t, evaluations = _strong_wolfe(along, 10.0, np.array([1.0]), 9.0, np.array([-6.0]), np.float64(-6.0))
        >>> float(t), float(f), evaluations
        (3.0, 0.0, 2)
    """
    direction_size = np.abs(direction).max()
    start = _Trial(0, f, g.copy(), slope)
    f_new, g_new = along(t)
    evaluations = 1
    current = _Trial(t, f_new, g_new, np.dot(g_new, direction))

    def sufficient_decrease(trial: _Trial) -> bool:
        return not trial.f > f + c1 * trial.t * slope

    def flat_enough(trial: _Trial) -> bool:
        return abs(trial.slope) <= -c2 * slope

    # Bracketing.
    previous = start
    bracket: list[_Trial] = []
    done = False
    searched = 0
    while searched < max_ls:
        if not sufficient_decrease(current) or (searched > 1 and current.f >= previous.f):
            bracket = [previous, current]
            break
        if flat_enough(current):
            bracket = [current]
            done = True
            break
        if current.slope >= 0:
            bracket = [previous, current]
            break
        shortest, longest = current.t + 0.01 * (current.t - previous.t), current.t * 10
        t = _cubic_minimiser(
            previous.t, previous.f, previous.slope, current.t, current.f, current.slope, bounds=(shortest, longest)
        )
        previous = current
        f_new, g_new = along(t)
        evaluations += 1
        searched += 1
        current = _Trial(t, f_new, g_new, np.dot(g_new, direction))
    if searched == max_ls:  # out of evaluations: the better of the start and the last trial
        bracket = [start, current]

    # Zoom: bracket[low] is the lowest point found so far, bracket[high] the other end.
    low, high = (0, 1) if bracket[0].f <= bracket[-1].f else (1, 0)
    stalled = False
    while not done and searched < max_ls:
        a, b = bracket[0], bracket[1]
        if abs(b.t - a.t) * direction_size < tolerance_change:
            break
        t = _cubic_minimiser(a.t, a.f, a.slope, b.t, b.f, b.slope)
        right, left = max(a.t, b.t), min(a.t, b.t)
        margin = 0.1 * (right - left)
        if min(right - t, t - left) < margin:
            # Too near an end: after a second time in a row, or outside, move a tenth of the interval inside.
            if stalled or t >= right or t <= left:
                t = right - margin if abs(t - right) < abs(t - left) else left + margin
                stalled = False
            else:
                stalled = True
        else:
            stalled = False
        f_new, g_new = along(t)
        evaluations += 1
        searched += 1
        trial = _Trial(t, f_new, g_new, np.dot(g_new, direction))
        if not sufficient_decrease(trial) or trial.f >= bracket[low].f:
            bracket[high] = trial
            low, high = (0, 1) if bracket[0].f <= bracket[1].f else (1, 0)
        else:
            if flat_enough(trial):
                done = True
            elif trial.slope * (bracket[high].t - bracket[low].t) >= 0:
                bracket[high] = bracket[low]
            bracket[low] = trial

    best = bracket[low]
    return best.f, best.g, best.t, evaluations


__all__ = ["LBFGS"]
