"""Gradient-descent optimisers: `SGD`, `Adam`, `AdamW`, on PyTorch's `Optimizer` model.

An optimiser holds parameter groups (lists of leaf tensors, each group with
its own hyperparameters) and per-parameter state. ``step()`` reads each
parameter's ``.grad`` and gives the parameter its new values. The arithmetic is
that of `wengert.optim.formulas`, shared with the pure optimisers (`sgd`,
`adam`, `adamw`), run on the arrays beneath the tensors with the state updated
in place (no tensor operations, nothing recorded), because it runs on every
training step; each parameter receives a new array (as wengert's in-place
tensor operations do) and its version counter advances, so a backward pass
through a graph recorded before the step raises rather than differentiating at
stale parameters.

Example:
    >>> import wengert as wg
    >>> x = wg.tensor([3.0], requires_grad=True)
    >>> optimizer = SGD([x], lr=0.25)
    >>> for _ in range(3):
    ...     optimizer.zero_grad()
    ...     (x * x).sum().backward()
    ...     optimizer.step()
    >>> x.tolist()
    [0.375]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ..nn.module import Module, parameters_of, set_values_
from ..tensor import Tensor, enable_grad, from_numpy
from .formulas import (
    adam_scales,
    adam_step,
    decayed_weights,
    first_moment,
    l2_penalised,
    momentum_buffer,
    momentum_direction,
    running_max,
    second_moment,
    sgd_step,
)


def _iterable(value: Any) -> bool:
    return isinstance(value, Iterable) and not isinstance(value, (str, bytes, np.ndarray, set, frozenset))


def _number(group: dict[str, Any], key: str, owner: str) -> float:
    """A hyperparameter as a float; NaN for a non-finite one (so that every range check refuses it)."""
    value = group[key]
    if type(value) is not float:
        scalar = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))
        if not scalar:
            raise TypeError(f"{owner}: {key} must be a real number, got {value!r} ({type(value).__name__})")
        value = float(value)
    return value if math.isfinite(value) else math.nan


def _gradients(params: list[Tensor]) -> tuple[list[np.ndarray | None], bool]:
    """The parameters' gradients as arrays (None where there is none), and whether every one has one."""
    grads: list[np.ndarray | None] = []
    complete = True
    for parameter in params:
        grad = parameter.grad
        if grad is None:
            complete = False
        else:
            grad = grad.primal if isinstance(grad, Tensor) else grad
            if type(grad) is not np.ndarray:
                grad = np.asarray(grad)
        grads.append(grad)
    return grads, complete


class Optimizer:
    """Base class: parameter groups with per-group hyperparameters, per-parameter state, saving and loading.

    ``params`` is a module, an iterable of tensors, or an iterable of dicts
    (``{"params": [...], "lr": ...}``), one per group; a group's missing
    hyperparameters come from ``defaults``. Subclasses implement ``_update()``.

    Example:
        >>> import wengert as wg
        >>> a, b = wg.tensor(1.0, requires_grad=True), wg.tensor(2.0, requires_grad=True)
        >>> optimizer = SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
        >>> [group["lr"] for group in optimizer.param_groups]
        [0.1, 0.5]
    """

    def __init__(self, params: Any, defaults: dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        self.state: dict[Tensor, dict[str, Any]] = {}
        self.param_groups: list[dict[str, Any]] = []
        name = type(self).__name__
        if isinstance(params, (Module, Tensor)):
            groups: list[Any] = [{"params": params}]
        elif isinstance(params, dict):
            raise TypeError(
                f"{name}: params is a dict; pass a list of parameter groups ([{{'params': [...], 'lr': ...}}]), "
                "a list of tensors, or a module"
            )
        else:
            if not _iterable(params):
                parameters_of(params, f"{name}: params")  # refuses it, saying what to pass
            groups = list(params)
            if groups and not isinstance(groups[0], dict):
                groups = [{"params": groups}]
        if not groups:
            raise ValueError(f"{name}: optimizer got an empty parameter list")
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group: dict[str, Any]) -> None:
        """Add a group of parameters with its own hyperparameters (the defaults fill the rest)."""
        if not isinstance(group, dict) or "params" not in group:
            raise TypeError(f"a parameter group must be a dict with a 'params' entry, got {group!r}")
        name = type(self).__name__
        params = parameters_of(group["params"], f"{name} parameters")
        if not params:
            raise ValueError(f"{name}: a parameter group has no parameters")
        for index, parameter in enumerate(params):
            if not parameter.is_leaf:
                raise ValueError(
                    f"{name}: parameter {index} (shape {parameter.shape}) is not a leaf tensor: it was computed "
                    "from other tensors, so it cannot be optimised (detach() it, or optimise what it came from)"
                )
            if np.asarray(parameter.primal).dtype.kind != "f":
                raise TypeError(f"{name}: parameter {index} has dtype {parameter.dtype}; only floats can be optimised")
        existing = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in existing for p in params):
            raise ValueError(f"{name}: some parameters appear in more than one parameter group")
        unknown = set(group) - set(self.defaults) - {"params"}
        if unknown:
            raise TypeError(f"{name}: unknown hyperparameters {sorted(unknown)}; expected {sorted(self.defaults)}")
        full = {**self.defaults, **group, "params": params}
        self._check_hyperparameters(full)
        self.param_groups.append(full)

    def _check_hyperparameters(self, group: dict[str, Any]) -> None:
        """Each hyperparameter a number in its range (PyTorch's messages: ``Invalid learning rate: -1``)."""
        name = type(self).__name__
        lr = _number(group, "lr", name)
        if not lr >= 0:
            raise ValueError(
                f"{name}: Invalid learning rate: {group['lr']!r} (lr must be a non-negative number, and finite)"
            )
        if "weight_decay" in group and not _number(group, "weight_decay", name) >= 0:
            raise ValueError(f"{name}: Invalid weight_decay value: {group['weight_decay']!r} (must be non-negative)")

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the parameters' gradients: ``.grad = None`` (default), or zero arrays."""
        for group in self.param_groups:
            for parameter in group["params"]:
                if set_to_none or parameter.grad is None:
                    parameter.grad = None
                else:
                    parameter.grad = from_numpy(np.zeros_like(parameter.primal))

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter that has a gradient; returns ``closure()`` if given (it is called first)."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        self._update()
        return loss

    def _update(self) -> None:
        raise NotImplementedError

    # -- saving and loading -----------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """The hyperparameters of each group and a copy of the state, parameters numbered in group order.

        Example:
            >>> import wengert as wg
            >>> x = wg.tensor([1.0], requires_grad=True)
            >>> optimizer = Adam([x], lr=0.1)
            >>> (x * x).sum().backward(); optimizer.step()
            >>> sorted(optimizer.state_dict()["state"][0])
            ['exp_avg', 'exp_avg_sq', 'step']
        """
        numbering: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            indices = []
            for parameter in group["params"]:
                numbering.setdefault(id(parameter), len(numbering))
                indices.append(numbering[id(parameter)])
            groups.append({**{k: v for k, v in group.items() if k != "params"}, "params": indices})
        state = {}
        for group in self.param_groups:
            for parameter in group["params"]:
                entry = self.state.get(parameter)
                if entry:
                    state[numbering[id(parameter)]] = {
                        key: np.array(value, copy=True) if isinstance(value, np.ndarray) else value
                        for key, value in entry.items()
                    }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore hyperparameters and state saved by `state_dict` (for the same parameters, in the same order)."""
        name = type(self).__name__
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{name}.load_state_dict: {len(saved_groups)} parameter groups saved, {len(self.param_groups)} here"
            )
        by_index: dict[int, Tensor] = {}
        for number, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(
                    f"{name}.load_state_dict: group {number} has {len(saved['params'])} parameters saved "
                    f"and {len(group['params'])} here"
                )
            for index, parameter in zip(saved["params"], group["params"]):
                by_index[index] = parameter
        new_state: dict[Tensor, dict[str, Any]] = {}
        for index, entry in state_dict["state"].items():
            if index not in by_index:
                raise ValueError(f"{name}.load_state_dict: state for parameter {index}, which no group has")
            parameter = by_index[index]
            restored = {}
            for key, value in entry.items():
                if isinstance(value, np.ndarray):
                    if value.shape != parameter.shape:
                        raise ValueError(
                            f"{name}.load_state_dict: '{key}' of parameter {index} has shape {value.shape}, "
                            f"the parameter has shape {parameter.shape}"
                        )
                    value = np.array(value, dtype=parameter.dtype, copy=True)
                restored[key] = value
            new_state[parameter] = restored
        for saved, group in zip(saved_groups, self.param_groups):
            for key, value in saved.items():
                if key != "params":
                    group[key] = value
        self.state = new_state

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for number, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {number}")
            lines.extend(f"    {key}: {value}" for key, value in group.items() if key != "params")
        return "\n".join(lines) + "\n)"


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum, Nesterov momentum and weight decay (PyTorch's rule).

    With gradient ``g`` (plus ``weight_decay·p``) and momentum ``μ``:
    ``b ← μ·b + (1 - dampening)·g`` (``b = g`` at the first step), then
    ``p ← p - lr·(g + μ·b)`` with ``nesterov``, else ``p ← p - lr·b``.

    Example:
        >>> import wengert as wg
        >>> x = wg.tensor(1.0, requires_grad=True)
        >>> optimizer = SGD([x], lr=0.1, momentum=0.9)
        >>> for _ in range(2):
        ...     optimizer.zero_grad(); (x * x).backward(); optimizer.step()
        >>> round(x.item(), 6)
        0.46
    """

    def __init__(
        self,
        params: Any,
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
    ) -> None:
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "nesterov": nesterov,
            "weight_decay": weight_decay,
        }
        self._flat: dict[int, _FlatState] = {}
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group: dict[str, Any]) -> None:
        super()._check_hyperparameters(group)
        if not _number(group, "momentum", "SGD") >= 0:
            raise ValueError(f"SGD: Invalid momentum value: {group['momentum']!r} (momentum must be non-negative)")
        _number(group, "dampening", "SGD")
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("SGD: Nesterov momentum needs momentum > 0 and dampening = 0")

    def _update(self) -> None:
        state = self.state
        for index, group in enumerate(self.param_groups):
            params = group["params"]
            grads, complete = _gradients(params)
            momentum = group["momentum"]
            # Without momentum there is no state to keep flat, and per parameter is as fast.
            if momentum and complete and len(params) > 1 and self._fused_update(index, group, grads):
                continue
            lr, weight_decay = group["lr"], group["weight_decay"]
            dampening, nesterov = group["dampening"], group["nesterov"]
            for parameter, grad in zip(params, grads):
                if grad is None:
                    continue
                value = parameter.primal
                if momentum or weight_decay:
                    buffer, first = None, False
                    if momentum:
                        entry = state.get(parameter)
                        first = entry is None
                        if first:
                            entry = state[parameter] = {"momentum_buffer": np.empty_like(value)}
                        buffer = entry["momentum_buffer"]
                    grad = _sgd_direction(value, grad, buffer, first, momentum, dampening, nesterov, weight_decay)
                step_size = sgd_step(grad, lr)  # a new array, which becomes the new values
                if type(step_size) is not np.ndarray or step_size.dtype != value.dtype:
                    # A 0-d parameter (NumPy's arithmetic returned a scalar), or a gradient of another dtype.
                    step_size = sgd_step(grad, lr, out=np.empty_like(value))
                set_values_(parameter, np.subtract(value, step_size, out=step_size), "SGD.step")

    def _fused_update(self, index: int, group: dict[str, Any], grads: list[np.ndarray]) -> bool:
        """One update of the whole group over flat arrays (few NumPy calls); False when it cannot be fused."""
        keys = ("momentum_buffer",)
        flat = _flat_state(self._flat, index, group["params"], self.state, grads, keys, counted=False)
        if flat is None:
            return False
        values, grad = flat.arrays(grads)
        if grad.dtype != flat.dtype:  # gradients assigned in another dtype: the per-parameter path computes in theirs
            if flat.fresh:  # built just now: its zero buffers are no state yet
                for parameter in group["params"]:
                    self.state.pop(parameter, None)
            self._flat.pop(index, None)
            return False
        first = flat.fresh
        flat.fresh = False
        buffer = flat.entry["momentum_buffer"]
        direction = _sgd_direction(
            values, grad, buffer, first, group["momentum"], group["dampening"], group["nesterov"], group["weight_decay"]
        )
        step_size = sgd_step(direction, group["lr"], out=np.empty_like(values))
        _write_back(flat, group["params"], np.subtract(values, step_size, out=step_size), "SGD.step")
        return True


def _sgd_direction(
    value: np.ndarray,
    grad: np.ndarray,
    buffer: np.ndarray | None,
    first: bool,
    momentum: float,
    dampening: float,
    nesterov: bool,
    weight_decay: float,
) -> np.ndarray:
    """The direction SGD moves ``value`` along (weight decay and momentum), updating ``buffer`` in place."""
    if weight_decay:
        grad = l2_penalised(grad, value, weight_decay)
    if momentum:
        if first:
            np.copyto(buffer, grad)  # PyTorch's first buffer is the gradient itself
        else:
            momentum_buffer(buffer, grad, momentum, dampening, out=buffer)
        grad = momentum_direction(grad, buffer, momentum, nesterov)
    return grad


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015), optionally with AMSGrad and L2 weight decay added to the gradient.

    At step ``t`` with gradient ``g``: ``m ← β₁m + (1-β₁)g``,
    ``v ← β₂v + (1-β₂)g²``, ``p ← p - lr·(m / (1-β₁ᵗ)) / (√(v / (1-β₂ᵗ)) + eps)``;
    with ``amsgrad`` the running maximum of ``v`` replaces ``v`` in the step.

    Example:
        >>> import wengert as wg
        >>> x = wg.tensor(1.0, requires_grad=True)
        >>> optimizer = Adam([x], lr=0.1)
        >>> (x * x).backward(); optimizer.step()
        >>> round(x.item(), 6)  # the first step moves every coordinate by about lr
        0.9
    """

    _decoupled_weight_decay = False

    def __init__(
        self,
        params: Any,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
    ) -> None:
        betas = tuple(betas) if isinstance(betas, (tuple, list)) else betas  # anything else: refused when checked
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay, "amsgrad": amsgrad}
        self._flat: dict[int, _FlatState] = {}
        super().__init__(params, defaults)

    def _check_hyperparameters(self, group: dict[str, Any]) -> None:
        super()._check_hyperparameters(group)
        name = type(self).__name__
        betas = group["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"{name}: betas must be two numbers in [0, 1), a pair (beta1, beta2); got {betas!r}")
        for index, beta in enumerate(betas):
            value = _number({f"betas[{index}]": beta}, f"betas[{index}]", name)
            if not 0.0 <= value < 1.0:
                raise ValueError(
                    f"{name}: Invalid beta parameter at index {index}: {beta!r}; betas must be two numbers in [0, 1)"
                )
        if not _number(group, "eps", name) >= 0:
            raise ValueError(f"{name}: Invalid epsilon value: {group['eps']!r} (eps must be non-negative)")

    def _update(self) -> None:
        operation = f"{type(self).__name__}.step"
        for index, group in enumerate(self.param_groups):
            params = group["params"]
            grads, complete = _gradients(params)
            if complete and len(params) > 1 and self._fused_update(index, group, grads, operation):
                continue
            for parameter, grad in zip(params, grads):
                if grad is None:
                    continue
                entry = self.state.get(parameter)
                if entry is None:
                    value = parameter.primal
                    entry = self.state[parameter] = _adam_entry(
                        0, np.zeros_like(value), np.zeros_like(value), group["amsgrad"]
                    )
                entry["step"] += 1
                new_value = self._adam_kernel(group, entry, parameter.primal, grad, entry["step"])
                set_values_(parameter, new_value, operation)

    def _adam_kernel(self, group: dict[str, Any], entry: dict[str, Any], value: Any, grad: Any, step: int) -> Any:
        """Update the moments in ``entry`` in place and return the parameter's new values (a new array)."""
        lr = group["lr"]
        beta1, beta2 = group["betas"]
        weight_decay = group["weight_decay"]
        if weight_decay:
            if self._decoupled_weight_decay:
                value = decayed_weights(value, lr, weight_decay)
            else:
                grad = l2_penalised(grad, value, weight_decay)
        exp_avg, exp_avg_sq = entry["exp_avg"], entry["exp_avg_sq"]
        first_moment(exp_avg, grad, beta1, out=exp_avg)
        # One new array serves as scratch for g², then for the step, then holds the new values.
        scratch = np.empty_like(exp_avg)
        second_moment(exp_avg_sq, grad, beta2, out=exp_avg_sq, scratch=scratch)
        if group["amsgrad"]:
            maximum = entry.get("max_exp_avg_sq")
            if maximum is None:  # amsgrad switched on after some steps: the maximum starts now
                maximum = entry["max_exp_avg_sq"] = np.array(exp_avg_sq, copy=True)
            exp_avg_sq = running_max(maximum, exp_avg_sq, out=maximum)
        step_scale, eps_scale = adam_scales(lr, beta1, beta2, group["eps"], step)
        step_size = adam_step(exp_avg, exp_avg_sq, step_scale, eps_scale, out=scratch)
        return np.subtract(value, step_size, out=step_size)

    def _fused_update(self, index: int, group: dict[str, Any], grads: list[np.ndarray], operation: str) -> bool:
        """One update of the whole group over flat arrays (few NumPy calls); False when it cannot be fused."""
        keys = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq") if group["amsgrad"] else ("exp_avg", "exp_avg_sq")
        flat = _flat_state(self._flat, index, group["params"], self.state, grads, keys, counted=True)
        if flat is None:
            return False
        values, grad = flat.arrays(grads)
        if grad.dtype != flat.dtype:
            grad = grad.astype(flat.dtype)
        flat.step += 1
        new_values = self._adam_kernel(group, flat.entry, values, grad, flat.step)
        _write_back(flat, group["params"], new_values, operation)
        return True


def _adam_entry(step: int, exp_avg: np.ndarray, exp_avg_sq: np.ndarray, amsgrad: bool) -> dict[str, Any]:
    entry = {"step": step, "exp_avg": exp_avg, "exp_avg_sq": exp_avg_sq}
    if amsgrad:
        entry["max_exp_avg_sq"] = np.zeros_like(exp_avg_sq)
    return entry


# An optimiser updates a group of parameters as one flat array when they are small on average: below about
# 4,096 elements per parameter the NumPy calls saved (a dozen per parameter for Adam) outweigh the copies
# into and out of the flat arrays (Adam on ten parameters: 2.5x faster at 256 elements, 0.95x at 4,096,
# 0.64x at 65,536).
_FUSED_MEAN_SIZE = 4096


class _FlatState:
    """The per-parameter state arrays of a whole group as flat arrays; each parameter's state holds views of them.

    Updating one flat array instead of one array per parameter saves a dozen
    NumPy calls per parameter per step. The per-parameter state stays what
    `state_dict` saves and what the unfused path updates (in place, so the
    views stay views), so the two paths can alternate; the flat state is
    rebuilt whenever they no longer agree. ``keys`` name the state arrays;
    ``counted`` state also has a ``"step"`` (Adam's).
    """

    def __init__(
        self,
        params: list[Tensor],
        entries: list[dict[str, Any]],
        flat: dict[str, np.ndarray],
        dtype: np.dtype,
        step: int | None,
        fresh: bool,
    ) -> None:
        self.dtype = dtype
        self.shapes = [np.shape(p.primal) for p in params]
        sizes = [int(np.prod(shape, dtype=np.int64)) for shape in self.shapes]
        self.stops = list(np.cumsum(sizes, dtype=np.int64).tolist())
        self.starts = [0, *self.stops[:-1]]
        self.step = step
        self.entry = dict(flat) if step is None else {"step": step, **flat}
        self.fresh = fresh  # no state yet: SGD's first momentum buffer is the gradient
        self.values: np.ndarray | None = None
        self.entries = entries
        self.params = list(params)
        self.keys = tuple(flat)
        self.views = []  # per parameter, (key, view) for each state array
        for entry, shape, start, stop in zip(entries, self.shapes, self.starts, self.stops):
            views = tuple((key, array[start:stop].reshape(shape)) for key, array in flat.items())
            entry.update(views)
            self.views.append(views)

    @classmethod
    def build(
        cls, params: list[Tensor], state: dict[Tensor, dict[str, Any]], keys: tuple[str, ...], counted: bool
    ) -> _FlatState | None:
        dtypes = {np.asarray(p.primal).dtype for p in params}
        if len(dtypes) != 1:
            return None
        (dtype,) = dtypes
        expected = {"step", *keys} if counted else set(keys)
        old = [state.get(p) for p in params]
        if all(entry is None for entry in old):
            size = sum(int(np.size(p.primal)) for p in params)
            flat = {key: np.zeros(size, dtype=dtype) for key in keys}
            entries: list[dict[str, Any]] = [{"step": 0} if counted else {} for _ in params]
            fresh = True
        elif all(entry is not None and set(entry) == expected for entry in old):
            if counted and len({entry["step"] for entry in old}) != 1:
                return None  # parameters skipped at some steps have their own bias corrections
            flat = {key: np.concatenate([np.ravel(entry[key]) for entry in old]).astype(dtype) for key in keys}
            entries = old
            fresh = False
        else:
            return None
        for parameter, entry in zip(params, entries):
            state[parameter] = entry
        return cls(params, entries, flat, dtype, entries[0]["step"] if counted else None, fresh)

    def matches(self, params: list[Tensor], state: dict[Tensor, dict[str, Any]], keys: tuple[str, ...]) -> bool:
        """Whether the per-parameter state is still made of views of these flat arrays (at the same step)."""
        if keys != self.keys or len(params) != len(self.params):
            return False
        step = self.step
        for parameter, mine, entry, views in zip(params, self.params, self.entries, self.views):
            if parameter is not mine:
                return False
            if state.get(parameter) is not entry or (step is not None and entry["step"] != step):
                return False
            for key, view in views:
                if entry[key] is not view:
                    return False
        return True

    def arrays(self, grads: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """The parameters' values and their gradients, each as one flat array (the gradient in any dtype)."""
        grad = np.concatenate([g.ravel() for g in grads])
        values = self.values  # the last new values, unless a parameter has been given others since
        if values is not None:
            for parameter in self.params:
                if parameter.primal.base is not values:
                    values = None
                    break
        if values is None:
            values = np.concatenate([p.primal.ravel() for p in self.params])
        return values, grad


def _flat_state(
    cache: dict[int, _FlatState],
    index: int,
    params: list[Tensor],
    state: dict[Tensor, dict[str, Any]],
    grads: list[np.ndarray],
    keys: tuple[str, ...],
    counted: bool,
) -> _FlatState | None:
    """Group ``index``'s flat state, built or rebuilt if need be; None when the group is not to be fused."""
    flat = cache.get(index)
    if flat is not None and flat.matches(params, state, keys):
        return flat
    cache.pop(index, None)
    if sum(g.size for g in grads) >= _FUSED_MEAN_SIZE * len(params):
        return None
    flat = _FlatState.build(params, state, keys, counted)
    if flat is not None:
        cache[index] = flat
    return flat


def _write_back(flat: _FlatState, params: list[Tensor], new_values: np.ndarray, operation: str) -> None:
    """Give each parameter its piece of the new flat values (views of one array), and its state the step count."""
    flat.values = new_values
    step = flat.step
    for parameter, entry, shape, start, stop in zip(params, flat.entries, flat.shapes, flat.starts, flat.stops):
        if step is not None:
            entry["step"] = step
        set_values_(parameter, new_values[start:stop].reshape(shape), operation)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): ``p ← p·(1 - lr·weight_decay)`` before Adam's step.

    Example:
        >>> import wengert as wg
        >>> x = wg.tensor(1.0, requires_grad=True)
        >>> optimizer = AdamW([x], lr=0.1, weight_decay=0.5)
        >>> (x * 0.0).backward(); optimizer.step()  # a zero gradient: only the decay acts
        >>> round(x.item(), 6)
        0.95
    """

    _decoupled_weight_decay = True

    def __init__(
        self,
        params: Any,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)


def as_parameter_list(params: Module | Tensor | Iterable[Any]) -> list[Tensor]:
    """The tensors of a module, a tensor, or an iterable of tensors (each once)."""
    return parameters_of(params)


__all__ = ["SGD", "Adam", "AdamW", "Optimizer", "as_parameter_list"]
