"""`Trainer`: fit a PINN by Adam, then L-BFGS, on a weighted sum of named loss terms.

A PINN's loss is a weighted sum of terms — data misfit, equation residual,
initial and boundary conditions — and an inverse problem adds learnable
physical parameters (rates, viscosities) beside the network's weights. The
trainer takes the terms by name, each a function of no arguments returning a
scalar tensor, and records at every step each term's (unweighted) value, the
total, the learning rate and the tracked physical parameters, in a `History`.

Training runs in two phases, either of which may be empty:

1. Adam (``adam_steps``), with an optional learning-rate schedule and
   learning rate of its own for the physical parameters;
2. L-BFGS (``lbfgs_steps`` iterations) through `wengert.optim.scipy_minimize`
   on the same loss, exact gradients from the same backward pass.

A callback sees every step and can stop training; a progress bar (tqdm, the
optional extra ``progress``) shows long runs, and a plain line every tenth of
the run stands in for it when tqdm is missing.

Example:
    >>> import numpy as np
    >>> import wengert.nn as nn
    >>> slope = nn.Parameter(0.0)
    >>> x = np.linspace(0.0, 1.0, 8)
    >>> trainer = Trainer(None, {"fit": lambda: ((slope * x - 2.0 * x) ** 2).mean()}, params={"slope": slope})
    >>> history = trainer.fit(adam_steps=300, lr=0.05, progress=False)
    >>> round(history.params["slope"][-1], 3), history.terms["fit"][-1] < 1e-6
    (2.0, True)
"""

from __future__ import annotations

import math
import sys
import time
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..nn.module import Module, Parameter, parameters_of
from ..numpy.allocator import keep_freed_memory
from ..optim import Adam, ReduceLROnPlateau, StepLR, scipy_minimize
from ..optim.optimizers import Optimizer
from ..optim.schedulers import LRScheduler
from ..optim.scipy_bridge import FlatParameters, import_minimize
from ..tensor import Tensor, enable_grad, from_numpy
from ..threads import check_threads, limit_blas_threads
from .compiled_loss import CompiledLoss, term_value

LossFunction = Callable[[], Any]
Schedule = Callable[[Optimizer], LRScheduler]


# -- the record of a run -------------------------------------------------------------------------------


@dataclass
class History:
    """What a `Trainer.fit` run recorded, one entry per step (Adam steps, then L-BFGS iterations).

    ``loss`` is the weighted total; ``terms[name]`` each term's own value
    (before weighting); ``params[name]`` each tracked physical parameter
    (floats, or lists for array-valued ones); ``lr`` the learning rate of the
    network's Adam group (NaN during L-BFGS); ``phase`` says "adam" or
    "lbfgs"; ``time`` the wall-clock seconds since the run began.
    ``wall_time`` and ``cpu_time`` are the run's totals (the CPU time of
    this process, all its threads: NumPy's BLAS may use several cores);
    ``compiled`` says whether the last ``fit`` ran the compiled loss, and
    ``threads`` the BLAS thread limit it trained under (None: none set).

    Example:
        >>> history = History(weights={"data": 1.0})
        >>> history.record("adam", 0.5, {"data": 0.5}, {}, 1e-3, 0.01)
        >>> len(history), history.final()["loss"]
        (1, 0.5)
    """

    weights: dict[str, float] = field(default_factory=dict)
    step: list[int] = field(default_factory=list)
    phase: list[str] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    terms: dict[str, list[float]] = field(default_factory=dict)
    params: dict[str, list[Any]] = field(default_factory=dict)
    lr: list[float] = field(default_factory=list)
    time: list[float] = field(default_factory=list)
    wall_time: float = 0.0
    cpu_time: float = 0.0
    adam_steps: int = 0
    lbfgs_iterations: int = 0
    lbfgs_evaluations: int = 0
    lbfgs_message: str = ""
    stopped_early: bool = False
    seed: int | None = None
    compiled: bool = False
    threads: int | None = None

    def __len__(self) -> int:
        return len(self.loss)

    def record(
        self,
        phase: str,
        loss: float,
        terms: Mapping[str, float],
        params: Mapping[str, Any],
        lr: float,
        elapsed: float,
    ) -> None:
        """Append one step's values."""
        self.step.append(len(self.loss))
        self.phase.append(phase)
        self.loss.append(float(loss))
        for name, value in terms.items():
            self.terms.setdefault(name, []).append(float(value))
        for name, value in params.items():
            self.params.setdefault(name, []).append(value)
        self.lr.append(float(lr))
        self.time.append(float(elapsed))

    def final(self) -> dict[str, Any]:
        """The last step's loss, terms and tracked parameters (an empty dict before any step)."""
        if not self.loss:
            return {}
        return {
            "loss": self.loss[-1],
            "terms": {name: values[-1] for name, values in self.terms.items()},
            "params": {name: values[-1] for name, values in self.params.items()},
        }

    def to_dict(self, every: int = 1) -> dict[str, Any]:
        """A JSON-ready dict of the run; ``every`` > 1 keeps every so-many steps (and always the last).

        Example:
            >>> history = History()
            >>> for k in range(5):
            ...     history.record("adam", 1.0 / (k + 1), {}, {}, 0.1, 0.0)
            >>> history.to_dict(every=2)["step"]
            [0, 2, 4]
        """
        if every < 1:
            raise ValueError(f"every must be a positive integer, got {every!r}")
        keep = list(range(0, len(self.loss), every))
        if self.loss and keep[-1] != len(self.loss) - 1:
            keep.append(len(self.loss) - 1)

        def pick(values: list[Any]) -> list[Any]:
            return [_json_number(values[k]) for k in keep]

        return {
            "step": [self.step[k] for k in keep],
            "phase": [self.phase[k] for k in keep],
            "loss": pick(self.loss),
            "terms": {name: pick(values) for name, values in self.terms.items()},
            "params": {name: pick(values) for name, values in self.params.items()},
            "lr": pick(self.lr),
            "time": pick(self.time),
            "weights": dict(self.weights),
            "wall_time": self.wall_time,
            "cpu_time": self.cpu_time,
            "adam_steps": self.adam_steps,
            "lbfgs_iterations": self.lbfgs_iterations,
            "lbfgs_evaluations": self.lbfgs_evaluations,
            "lbfgs_message": self.lbfgs_message,
            "stopped_early": self.stopped_early,
            "seed": self.seed,
            "compiled": self.compiled,
            "threads": self.threads,
        }


def _json_number(value: Any) -> Any:
    """A float (None for NaN/inf, which JSON cannot hold), or a list of them."""
    if isinstance(value, (list, tuple)):
        return [_json_number(item) for item in value]
    value = float(value)
    return value if math.isfinite(value) else None


@dataclass
class StepInfo:
    """What a callback receives at each step: where training is and what it just measured.

    A callback returning True stops training (the rest of the phase and any later phase).
    """

    step: int
    phase: str
    loss: float
    terms: dict[str, float]
    params: dict[str, Any]
    lr: float
    trainer: Trainer


# -- schedules -----------------------------------------------------------------------------------------


def step_schedule(step_size: int, gamma: float = 0.5) -> Schedule:
    """A schedule factory for `Trainer.fit`: multiply the learning rate by ``gamma`` every ``step_size`` steps.

    Example:
        >>> import wengert as wg
        >>> optimizer = Adam([wg.tensor(1.0, requires_grad=True)], lr=1.0)
        >>> scheduler = step_schedule(10, 0.1)(optimizer)
        >>> for _ in range(10):
        ...     scheduler.step()
        >>> scheduler.get_last_lr()
        [0.1]
    """
    if int(step_size) <= 0:
        raise ValueError(f"step_schedule: step_size must be a positive integer, got {step_size!r}")
    return lambda optimizer: StepLR(optimizer, step_size=int(step_size), gamma=float(gamma))


def geometric_ramp(start: float, end: float, steps: int) -> Callable[[int], float]:
    """A weight schedule rising geometrically from ``start`` at step 0 to ``end`` at ``steps``, then constant.

    Example:
        >>> weight = geometric_ramp(0.001, 0.1, 100)
        >>> [round(weight(k), 6) for k in (0, 50, 100, 5000)]
        [0.001, 0.01, 0.1, 0.1]
    """
    if not (start > 0 and end > 0):
        raise ValueError(f"geometric_ramp: start and end must be positive, got {start!r}, {end!r}")
    if int(steps) <= 0:
        raise ValueError(f"geometric_ramp: steps must be a positive integer, got {steps!r}")
    ratio, steps = float(end) / float(start), int(steps)

    def weight(step: int) -> float:
        return float(end) if step >= steps else float(start) * ratio ** (step / steps)

    return weight


# -- progress display ----------------------------------------------------------------------------------


class _Progress:
    """A tqdm bar when tqdm is installed, else a plain line every tenth of the run; or nothing."""

    def __init__(self, total: int, enabled: bool, description: str) -> None:
        self.total = max(int(total), 1)
        self.count = 0
        self.bar = None
        self.enabled = enabled
        self.description = description
        self.started = time.perf_counter()
        if not enabled:
            return
        try:
            from tqdm.auto import tqdm
        except ImportError:
            tqdm = None
        if tqdm is not None:
            self.bar = tqdm(total=self.total, desc=description, unit="step", dynamic_ncols=True, leave=True)

    def update(self, summary: str) -> None:
        if not self.enabled:
            return
        self.count += 1
        if self.bar is not None:
            self.bar.update(1)
            if self.count % 25 == 0 or self.count == self.total:
                self.bar.set_postfix_str(summary, refresh=False)
            return
        tenth = max(self.total // 10, 1)
        if self.count % tenth == 0 or self.count == self.total:
            elapsed = time.perf_counter() - self.started
            print(
                f"{self.description}: {self.count}/{self.total} steps, {elapsed:.1f} s, {summary}",
                file=sys.stderr,
                flush=True,
            )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


class _StageProgress:
    """One `_Progress` bar per stage of training, each opened when its stage starts."""

    def __init__(self, stages: Mapping[str, tuple[int, str]], enabled: bool) -> None:
        self.stages = stages
        self.enabled = enabled
        self.phase: str | None = None
        self.bar: _Progress | None = None

    def update(self, phase: str, summary: str) -> None:
        if phase != self.phase:
            self.close()
            total, description = self.stages[phase]
            self.phase, self.bar = phase, _Progress(total, self.enabled, description)
        self.bar.update(summary)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


# -- the trainer ---------------------------------------------------------------------------------------


def _check_weight(name: str, weight: Any) -> float:
    if not (isinstance(weight, (int, float, np.floating, np.integer)) and math.isfinite(weight) and weight >= 0):
        raise ValueError(f"Trainer: the weight of {name!r} must be a finite non-negative number, got {weight!r}")
    return float(weight)


def _value_of(parameter: Tensor) -> Any:
    array = np.asarray(parameter.primal)
    return float(array.reshape(())) if array.size == 1 else array.tolist()


class Trainer:
    """Train ``model`` and the physical ``params`` on the weighted sum of the named ``losses``.

    - ``model``: a `Module` whose parameters are trained (or None: only ``params``).
    - ``losses``: ``{name: function}``, each function taking no arguments and
      returning a scalar tensor computed from the current parameters.
    - ``weights``: ``{name: weight}``; missing names weigh 1. The total is
      Σ weight·term; the history keeps each term unweighted. A weight may be
      a schedule, a function of the step number (see `geometric_ramp`).
    - ``params``: learnable physical parameters, ``{name: Parameter}`` (or an
      iterable, named ``param0``, ``param1`` …), trained beside the model and
      recorded at every step.
    - ``track``: ``{name: function}`` of extra quantities to record at every
      step, each returning a float — for instance β = exp(log β) when the
      parameter is a log-rate. By default every entry of ``params`` is tracked.
    - ``seed``: seeds ``trainer.rng``, the NumPy generator that loss terms and
      callbacks may draw from (resampling collocation points), recorded in the history.

    Example:
        >>> import numpy as np
        >>> import wengert.nn as nn
        >>> import wengert.numpy as wnp
        >>> model = nn.MLP([1, 8, 1], seed=0)
        >>> x = np.linspace(-1.0, 1.0, 16)[:, None]
        >>> trainer = Trainer(model, {"data": lambda: ((model(x) - x**2) ** 2).mean()})
        >>> history = trainer.fit(adam_steps=200, lr=1e-2, lbfgs_steps=50, progress=False)
        >>> history.phase[0], history.phase[-1], history.loss[-1] < history.loss[0]
        ('adam', 'lbfgs', True)
    """

    def __init__(
        self,
        model: Module | None,
        losses: Mapping[str, LossFunction],
        weights: Mapping[str, float | Callable[[int], float]] | None = None,
        params: Mapping[str, Parameter] | Iterable[Parameter] | None = None,
        track: Mapping[str, Callable[[], float]] | None = None,
        seed: int | None = None,
    ) -> None:
        if model is not None and not isinstance(model, Module):
            raise TypeError(f"Trainer: model must be a wengert.nn.Module or None, got {type(model).__name__}")
        if not isinstance(losses, Mapping) or not losses:
            raise TypeError("Trainer: losses must be a non-empty dict of {name: function returning a scalar tensor}")
        for name, function in losses.items():
            if not callable(function):
                raise TypeError(f"Trainer: loss term {name!r} is a {type(function).__name__}, not a function")
        self.model = model
        self.losses = dict(losses)
        weights = dict(weights or {})
        unknown = sorted(set(weights) - set(self.losses))
        if unknown:
            raise ValueError(f"Trainer: weights for unknown loss terms {unknown}; the terms are {sorted(self.losses)}")
        for name, weight in weights.items():
            if not callable(weight):
                _check_weight(name, weight)
        self.weights: dict[str, float | Callable[[int], float]] = {name: weights.get(name, 1.0) for name in self.losses}
        if params is None:
            params = {}
        if not isinstance(params, Mapping):
            params = {f"param{index}": parameter for index, parameter in enumerate(parameters_of(params, "params"))}
        for name, parameter in params.items():
            if not isinstance(parameter, Tensor) or not parameter.requires_grad or not parameter.is_leaf:
                raise TypeError(
                    f"Trainer: params[{name!r}] must be a leaf tensor that requires grad (an nn.Parameter), "
                    f"got {type(parameter).__name__}"
                )
        self.params = dict(params)
        model_params = [] if model is None else list(model.parameters())
        known = {id(p) for p in model_params}
        self.physical = [p for p in self.params.values() if id(p) not in known]
        self.network = model_params
        if not self.network and not self.physical:
            raise ValueError("Trainer: nothing to train (the model has no parameters and params is empty)")
        if track is None:
            track = {name: (lambda p=parameter: _value_of(p)) for name, parameter in self.params.items()}
        self.track = dict(track)
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.history = History(weights=self.weights_at(0), seed=seed)
        self.compiled_loss: CompiledLoss | None = None  # the last fit's compiled loss, if it ran one

    # -- evaluating the loss --------------------------------------------------------------------------

    def all_parameters(self) -> list[Tensor]:
        """The network's parameters, then the physical ones."""
        return [*self.network, *self.physical]

    def weights_at(self, step: int) -> dict[str, float]:
        """Every term's weight at training step ``step`` (schedules evaluated)."""
        return {
            name: _check_weight(name, weight(step) if callable(weight) else weight)
            for name, weight in self.weights.items()
        }

    def loss(self, step: int | None = None) -> tuple[Tensor, dict[str, float]]:
        """The weighted total (a tensor, recorded for backward) and each term's value (floats).

        Weights given as schedules are taken at ``step`` (default: the number
        of steps recorded so far).

        Example:
            >>> import wengert as wg
            >>> a = wg.tensor(3.0, requires_grad=True)
            >>> total, terms = Trainer(None, {"x": lambda: a * a}, {"x": 0.5}, params=[a]).loss()
            >>> float(total), terms
            (4.5, {'x': 9.0})
        """
        weights = self.weights_at(len(self.history) if step is None else step)
        total = None
        values = {}
        for name, function in self.losses.items():
            term = function()
            value = float(term_value(name, term))
            if not math.isfinite(value):
                raise FloatingPointError(f"Trainer: loss term {name!r} is {value} (diverged, or NaN in the model)")
            values[name] = value
            weight = weights[name]
            if weight == 0.0:
                continue
            weighted = term if weight == 1.0 else weight * term
            total = weighted if total is None else total + weighted
        if total is None:
            raise ValueError("Trainer: every loss term has weight 0")
        return total, values

    def tracked(self) -> dict[str, Any]:
        """The current values of the tracked quantities."""
        return {name: function() for name, function in self.track.items()}

    # -- training -------------------------------------------------------------------------------------

    def fit(
        self,
        adam_steps: int = 1000,
        lr: float = 1e-3,
        schedule: Schedule | None = None,
        params_lr: float | None = None,
        lbfgs_steps: int = 0,
        lbfgs_options: Mapping[str, Any] | None = None,
        callback: Callable[[StepInfo], Any] | None = None,
        progress: bool | None = None,
        jit: bool | None = None,
        threads: int | None = 1,
    ) -> History:
        """Run ``adam_steps`` of Adam, then up to ``lbfgs_steps`` L-BFGS iterations; returns the `History`.

        - ``lr``: Adam's learning rate; ``params_lr`` (default: ``lr``) is the
          physical parameters' own rate.
        - ``schedule``: a function making a scheduler from the optimizer, such as
          ``step_schedule(5000, 0.5)``, ``lambda opt: CosineAnnealingLR(opt, 1000)``
          or ``lambda opt: ReduceLROnPlateau(opt, patience=500)`` (which is given
          the loss); the scheduler steps once per Adam step.
        - ``lbfgs_options``: options for SciPy's L-BFGS-B (``maxfun``, ``ftol``,
          ``gtol``, ``maxcor``…). The defaults are Raissi et al.'s: 50 correction
          pairs, up to 50 line-search steps, ``ftol`` = machine epsilon (stop
          when the loss stops changing at machine precision), SciPy's
          ``gtol`` = 1e-5, and at most 1.25·``lbfgs_steps`` evaluations.
        - ``callback(info)``: called after every step with a `StepInfo`;
          returning True stops training.
        - ``progress``: True shows a progress bar (tqdm, or plain lines without
          it), False nothing; None (default) shows it for runs of 2000 steps or more.
        - ``jit``: compile the loss and its gradient into one program
          (`wengert.pinn.compiled_loss`, through ``wg.jit``) and run that at
          every step; the optimisers, schedules and the history work as in eager
          mode, and the numbers agree with eager training to rounding. None
          (default) compiles when there is no callback (a callback may change
          what the loss terms read, such as resampled points, which a compiled
          program would not see) and the loss can be staged: where it cannot
          (Python control flow on a value, terms that change between two
          evaluations at the same parameters), training runs eagerly after a
          one-line warning that says why. True compiles or raises; False runs eagerly.
        - ``threads``: how many threads NumPy's BLAS may use while training
          (`wengert.threads.limit_blas_threads`; needs threadpoolctl, the
          ``demo`` extra). One by default: on a PINN's small matrices extra
          threads cost more than they give, and on a busy machine they make
          training many times slower. None leaves the BLAS's own setting.

        Calling ``fit`` again continues training (with a fresh Adam state) and
        appends to the same history.

        On glibc, ``fit`` first asks the allocator to keep freed memory for the
        next step (`wengert.numpy.allocator.keep_freed_memory`: up to 256 MiB kept
        instead of handed back and faulted in again every step; a 10,000-point
        Burgers step 187 → 70 ms). ``WENGERT_SETTLE_ALLOCATOR=0`` turns this off.
        """
        adam_steps, lbfgs_steps = int(adam_steps), int(lbfgs_steps)
        if adam_steps < 0 or lbfgs_steps < 0:
            raise ValueError(f"fit: step counts must be non-negative, got adam={adam_steps}, lbfgs={lbfgs_steps}")
        threads = check_threads(threads, "Trainer.fit")
        keep_freed_memory()
        total_steps = adam_steps + lbfgs_steps
        show = total_steps >= 2000 if progress is None else bool(progress)
        stages = {"adam": (adam_steps, "Adam"), "lbfgs": (lbfgs_steps, "L-BFGS")}
        bar = _StageProgress(stages, show)  # one bar per stage
        history = self.history
        wall_start, cpu_start = time.perf_counter(), time.process_time()
        offset = history.time[-1] if history.time else 0.0
        wall_before, cpu_before = history.wall_time, history.cpu_time
        stop = False

        def after_step(phase: str, loss: float, terms: dict[str, float], lr_now: float) -> bool:
            params = self.tracked()
            history.record(phase, loss, terms, params, lr_now, offset + time.perf_counter() - wall_start)
            summary = f"loss={loss:.3e}" + "".join(
                f" {name}={value:.4g}" for name, value in params.items() if isinstance(value, float)
            )
            bar.update(phase, summary)
            if callback is None:
                return False
            info = StepInfo(len(history) - 1, phase, loss, terms, params, lr_now, self)
            return bool(callback(info))

        try:
            with limit_blas_threads(threads, "Trainer.fit") as limit:
                history.threads = limit
                compiled = self.compiled_loss = self._compiled_loss(jit, callback) if total_steps else None
                history.compiled = compiled is not None
                if adam_steps:
                    stop = self._adam(adam_steps, lr, schedule, params_lr, after_step, compiled)
                if lbfgs_steps and not stop:
                    stop = self._lbfgs(lbfgs_steps, dict(lbfgs_options or {}), after_step, compiled)
        finally:
            bar.close()
            history.wall_time = wall_before + time.perf_counter() - wall_start
            history.cpu_time = cpu_before + time.process_time() - cpu_start
            history.stopped_early = history.stopped_early or stop
            history.weights = self.weights_at(max(len(history) - 1, 0))
        return history

    def _compiled_loss(self, jit: bool | None, callback: Any) -> CompiledLoss | None:
        """The loss compiled and checked against eager mode, or None to train eagerly (see ``fit``'s ``jit``)."""
        if jit is False or (jit is None and callback is not None):
            return None
        compiled = CompiledLoss(self)
        reference = compiled.eager_reference(len(self.history))  # a mistake in the terms surfaces here, as itself
        try:
            compiled.check(reference, len(self.history))
        except Exception as error:
            reason = f"{type(error).__name__}: {str(error).strip().splitlines()[0] if str(error).strip() else ''}"
            if jit:
                raise RuntimeError(f"Trainer.fit(jit=True): the loss cannot be compiled ({reason})") from error
            warnings.warn(f"Trainer.fit: training eagerly, the loss cannot be compiled ({reason})", stacklevel=3)
            return None
        return compiled

    def _adam(
        self,
        steps: int,
        lr: float,
        schedule: Schedule | None,
        params_lr: float | None,
        after_step: Callable[..., bool],
        compiled: CompiledLoss | None,
    ) -> bool:
        groups = []
        if self.network:
            groups.append({"params": self.network, "lr": lr})
        if self.physical:
            groups.append({"params": self.physical, "lr": lr if params_lr is None else params_lr})
        optimizer = Adam(groups, lr=lr)
        scheduler = schedule(optimizer) if schedule is not None else None
        parameters = self.all_parameters()
        for _ in range(steps):
            for parameter in parameters:
                parameter.grad = None
            lr_now = optimizer.param_groups[0]["lr"]
            if compiled is not None:
                loss, terms, grads = compiled.evaluate(len(self.history))
                for parameter, gradient in zip(parameters, grads):
                    parameter.grad = None if gradient is None else from_numpy(gradient)
            else:
                with enable_grad():
                    total, terms = self.loss()
                    total.backward()
                loss = float(np.asarray(total.primal))
            optimizer.step()
            if isinstance(scheduler, ReduceLROnPlateau):
                scheduler.step(loss)  # it watches the loss
            elif scheduler is not None:
                scheduler.step()
            self.history.adam_steps += 1
            if after_step("adam", loss, terms, lr_now):
                return True
        return False

    def _lbfgs(
        self, iterations: int, options: dict[str, Any], after_step: Callable[..., bool], compiled: CompiledLoss | None
    ) -> bool:
        # Each evaluation leaves its terms here; L-BFGS-B's last evaluation of an iteration is at the
        # accepted point, so the callback reads that iteration's values.
        last: dict[str, Any] = {}
        evaluations = [0]

        def objective() -> Tensor:
            total, terms = self.loss()
            last["total"], last["terms"] = float(np.asarray(total.primal)), terms
            evaluations[0] += 1
            return total

        stopped = [False]

        def on_iteration(*_: Any) -> None:
            self.history.lbfgs_iterations += 1
            if after_step("lbfgs", last["total"], last["terms"], float("nan")):
                stopped[0] = True
                raise StopIteration

        settings = {
            "maxiter": iterations,
            "maxfun": max(int(1.25 * iterations), iterations + 20),
            "maxcor": 50,
            "maxls": 50,
            "ftol": float(np.finfo(float).eps),
        }
        settings.update(options)
        if compiled is None:
            result = scipy_minimize(
                objective, self.all_parameters(), method="L-BFGS-B", callback=on_iteration, **settings
            )
        else:
            flat = FlatParameters(self.all_parameters())

            def value_and_gradient(x: np.ndarray) -> tuple[float, np.ndarray]:
                flat.write(x)
                total, last["terms"], grads = compiled.evaluate(len(self.history))
                last["total"] = total
                evaluations[0] += 1
                return total, flat.flatten(grads)

            result = import_minimize()(
                value_and_gradient, flat.read(), jac=True, method="L-BFGS-B", callback=on_iteration, options=settings
            )
            flat.write(result.x)
        self.history.lbfgs_evaluations += evaluations[0]
        self.history.lbfgs_message = str(result.message)
        return stopped[0]


__all__ = ["History", "StepInfo", "Trainer", "geometric_ramp", "step_schedule"]
