"""Pure optimisers over pytrees (optax's interface), so that a whole training step is one function ``wg.jit`` stages.

An optimiser is a `GradientTransformation`, a pair of pure functions::

    opt = adam(1e-3)
    state = opt.init(params)                             # zeros shaped like the parameters, a step count
    updates, state = opt.update(grads, state, params)    # nothing is changed in place
    params = apply_updates(params, updates)              # params + updates, leaf by leaf

``params`` and ``grads`` are the same pytree (dicts, lists, tuples,
NamedTuples... of floating-point arrays), ``state`` is a pytree of arrays too,
so the step can be jitted, differentiated or vectorised like any other
function: nothing in it reads the numbers. The updates are the signed changes
(``-lr·…``), as in optax.

The arithmetic is that of the stateful `SGD`, `Adam` and `AdamW` (the functions
of `wengert.optim.formulas`), with PyTorch's conventions where optax's differ:
Adam's bias corrections as ``torch.optim.Adam`` computes them, SGD's momentum
buffer equal to the first gradient (and ``dampening``), L2 ``weight_decay``
added to the gradient in `sgd` and `adam`, `adamw`'s default decay 1e-2. Run
eagerly, `sgd` and `adam` give the stateful optimisers' iterates bit for bit;
`adamw` adds its decay to the update (optax's form) where `AdamW` multiplies
the parameter by ``1 - lr·weight_decay`` (PyTorch's), so the two agree to
rounding. AMSGrad keeps the maximum of the raw second moment (PyTorch's; optax's
``amsgrad`` that of the bias-corrected one). Under ``wg.jit`` the bias
corrections are powers of a traced step count, computed by NumPy's ``power``,
which may differ from Python's in the last bit: jitted and eager steps agree to
rounding.

A learning rate may be a schedule: a function of the number of updates done
so far (0 at the first update) returning the rate. Eagerly it receives a
Python int; under ``wg.jit`` a traced integer, so write it with
``wengert.numpy`` functions (``lambda count: 0.1 * wnp.exp(-0.01 * count)``).

Example:
    >>> import numpy as np
    >>> import wengert as wg, wengert.numpy as wnp
    >>> def loss(params, x, y):
    ...     return wnp.mean((x @ params["w"] + params["b"] - y) ** 2)
    >>> x = np.linspace(-1.0, 1.0, 32)[:, None]
    >>> y = 3.0 * x + 1.0
    >>> opt = adam(0.1)
    >>> @wg.jit
    ... def step(params, state, x, y):
    ...     value, grads = wg.value_and_grad(loss)(params, x, y)
    ...     updates, state = opt.update(grads, state, params)
    ...     return apply_updates(params, updates), state, value
    >>> params = {"w": np.zeros((1, 1)), "b": np.zeros(1)}
    >>> state = opt.init(params)
    >>> for _ in range(300):
    ...     params, state, value = step(params, state, x, y)
    >>> [round(float(params["w"][0, 0]), 3), round(float(params["b"][0]), 3)]
    [3.0, 1.0]
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from .. import numpy as wnp
from ..core import Tracer, tree_flatten, tree_unflatten
from ..core.pytree import TreeDef
from ..nn._checks import real_number
from ..nn.module import Module
from ..tensor import Tensor
from ..transforms._validate import leaf_paths
from .formulas import (
    adam_scales,
    adam_step,
    clip_factor,
    decay_term,
    first_moment,
    l2_penalised,
    momentum_buffer,
    momentum_direction,
    running_max,
    second_moment,
    sgd_step,
)

Schedule = Callable[[Any], Any]


class GradientTransformation(NamedTuple):
    """An optimiser as two pure functions, ``init(params) -> state`` and ``update(grads, state, params)``.

    ``update`` returns ``(updates, new_state)``.

    Example:
        >>> opt = sgd(0.1)
        >>> updates, _ = opt.update({"w": np.array([2.0])}, opt.init({"w": np.array([1.0])}))
        >>> updates["w"].tolist()
        [-0.2]
    """

    init: Callable[[Any], Any]
    update: Callable[..., tuple[Any, Any]]


class EmptyState(NamedTuple):
    """The state of a transformation that keeps none (`clip_by_global_norm`)."""


class SGDState(NamedTuple):
    """`sgd`'s state: the number of updates done, and the momentum buffers (None without momentum)."""

    count: Any
    momentum_buffer: Any


class AdamState(NamedTuple):
    """`adam`'s and `adamw`'s state: the number of updates done and the moments (names as in `Adam`'s state).

    ``max_exp_avg_sq`` (AMSGrad's running maximum) is None without ``amsgrad``.
    """

    count: Any
    exp_avg: Any
    exp_avg_sq: Any
    max_exp_avg_sq: Any


# -- checks ----------------------------------------------------------------------------------------


def _shown(value: Any) -> str:
    text = " ".join(repr(value).split())
    return text if len(text) <= 60 else text[:57] + "..."


def _leaf_problem(leaf: Any) -> str | None:
    """What makes ``leaf`` unfit to be a parameter or a gradient (None when it is fit)."""
    if type(leaf) is np.ndarray or isinstance(leaf, np.generic):
        kind = leaf.dtype.kind
    elif type(leaf) is float:
        return None
    elif isinstance(leaf, Tensor):
        return (
            "a wengert Tensor; the pure optimisers take arrays (tensor.detach().numpy()), or use the stateful "
            "optimisers (optim.Adam(model.parameters())) on tensors"
        )
    elif isinstance(leaf, Tracer):
        kind = leaf.dtype.kind
    elif isinstance(leaf, Module):
        return (
            f"a Module ({type(leaf).__name__}), not a pytree of arrays; pass its parameters as a dict of arrays, "
            "{name: p.detach().numpy() for name, p in model.named_parameters()}, and run the model on them with "
            "nn.functional_call(model, params, x)"
        )
    else:
        return (
            f"a {type(leaf).__name__} ({_shown(leaf)}); expected a pytree (dicts, lists, tuples, NamedTuples) "
            "of floating-point arrays"
        )
    if kind != "f":
        what = "complex numbers (not supported)" if kind == "c" else f"dtype {leaf.dtype}"
        return f"an array of {what}; only floating-point values can be optimised"
    return None


def _leaves(tree: Any, what: str, owner: str) -> tuple[list[Any], TreeDef]:
    """The leaves of ``tree``, each a floating-point array, number or traced value, and its structure."""
    leaves, treedef = tree_flatten(tree)
    for index, leaf in enumerate(leaves):
        if type(leaf) is np.ndarray and leaf.dtype.kind == "f":
            continue
        problem = _leaf_problem(leaf)
        if problem is not None:
            raise TypeError(f"{owner}: {what}{leaf_paths(treedef)[index]} is {problem}")
    return leaves, treedef


def _structure(treedef: TreeDef) -> str:
    """A pytree structure with its keys: ``{'b': *, 'w': [*, *]}``."""
    if treedef.kind is None:
        return "*"
    children = [_structure(child) for child in treedef.children]
    if treedef.kind is dict:
        return "{" + ", ".join(f"{key!r}: {child}" for key, child in zip(treedef.aux, children)) + "}"
    if treedef.kind is list:
        return "[" + ", ".join(children) + "]"
    if treedef.kind is tuple:
        return "(" + ", ".join(children) + ("," if len(children) == 1 else "") + ")"
    return f"{treedef.kind.__name__}(" + ", ".join(children) + ")"


def _same_structure(treedef: TreeDef, other: TreeDef, what: str, other_what: str, owner: str) -> None:
    if treedef != other:
        first, second = _structure(treedef), _structure(other)
        if len(first) + len(second) > 400:
            first, second = first[:197] + "...", second[:197] + "..."
        raise ValueError(f"{owner}: {what} have the structure {first}, but {other_what} have {second}")


def _shape(value: Any) -> tuple[int, ...]:
    return tuple(value.shape) if hasattr(value, "shape") else ()


def _same_shapes(
    leaves: list[Any], others: list[Any], treedef: TreeDef, what: str, other_what: str, owner: str
) -> None:
    for index, (leaf, other) in enumerate(zip(leaves, others)):
        if _shape(leaf) != _shape(other):
            raise ValueError(
                f"{owner}: {what}{leaf_paths(treedef)[index]} has shape {_shape(leaf)}, but {other_what} "
                f"{_shape(other)}"
            )


def _state(state: Any, kind: type, owner: str, maker: str) -> Any:
    if not isinstance(state, kind):
        raise TypeError(
            f"{owner}: the state is a {type(state).__name__}, not the {kind.__name__} that {maker}.init makes; "
            f"pass the state returned by {maker}.init or by the previous {owner}"
        )
    return state


def _moments(tree: Any, treedef: TreeDef, what: str, owner: str) -> list[Any]:
    """The leaves of one part of the state, checked against the gradients' structure."""
    leaves, state_def = tree_flatten(tree)
    _same_structure(
        treedef, state_def, "the gradients", f"the {what} in the state (made by init from the parameters)", owner
    )
    return leaves


def _parameters(params: Any, treedef: TreeDef, grads: list[Any], needed: str | None, owner: str) -> list[Any] | None:
    """The parameters' leaves (checked against the gradients), or None when not given and not needed."""
    if params is None:
        if needed is not None:
            raise TypeError(f"{owner}: {needed} acts on the parameters; pass them: update(grads, state, params)")
        return None
    leaves, params_def = _leaves(params, "params", owner)
    _same_structure(treedef, params_def, "the gradients", "the parameters", owner)
    _same_shapes(grads, leaves, treedef, "the gradient ", "its parameter has shape", owner)
    return leaves


def _rate(value: Any, owner: str, name: str = "learning_rate") -> float | Schedule:
    """A constant rate (a finite positive number) or a schedule (a function of the update count)."""
    if callable(value) and not isinstance(value, (np.ndarray, np.generic)):
        return value
    number = real_number(value, owner, name)
    if not number > 0:
        raise ValueError(
            f"{owner}: {name} must be positive, got {value!r} (a function of the update count is a schedule)"
        )
    return number


def _fraction(value: Any, owner: str, name: str) -> float:
    number = real_number(value, owner, name)
    if not 0.0 <= number < 1.0:
        raise ValueError(f"{owner}: {name} must be in [0, 1), got {number}")
    return number


def _non_negative(value: Any, owner: str, name: str) -> float:
    number = real_number(value, owner, name)
    if number < 0:
        raise ValueError(f"{owner}: {name} must be non-negative, got {number}")
    return number


# -- the step count and the learning rate ----------------------------------------------------------


def _count(state_count: Any) -> Any:
    """The number of updates done: a Python int when concrete (bias corrections in Python floats, as `Adam`)."""
    return state_count if isinstance(state_count, Tracer) else int(state_count)


def _next_count(count: Any) -> Any:
    # A NumPy integer, as a jitted step returns it (so that eager and jitted steps share one signature).
    return count + 1 if isinstance(count, Tracer) else np.int64(count + 1)


def _learning_rate(learning_rate: float | Schedule, count: Any, owner: str) -> Any:
    if not callable(learning_rate):
        return learning_rate
    rate = learning_rate(count)
    if isinstance(rate, Tracer):
        return rate  # staged: its value is not known here
    name = getattr(learning_rate, "__qualname__", repr(learning_rate))
    try:
        if isinstance(rate, (bool, str, bytes)):
            raise TypeError
        number = float(rate)
    except (TypeError, ValueError):
        raise TypeError(
            f"{owner}: the learning-rate schedule {name!r} returned {_shown(rate)} ({type(rate).__name__}) at "
            f"count {count}; it must return a number"
        ) from None
    if not (math.isfinite(number) and number >= 0):
        raise ValueError(
            f"{owner}: the learning-rate schedule {name!r} returned {number} at count {count}; a learning rate "
            "must be finite and non-negative"
        )
    return number


def _in_dtype(scalar: Any, dtype: np.dtype) -> Any:
    """A scalar that does not change the dtype of arrays of ``dtype`` (Python floats never do)."""
    if type(scalar) is float or dtype == np.float64:
        return scalar
    return wnp.astype(scalar, dtype)


def _dtype(value: Any) -> np.dtype:
    return value.dtype if hasattr(value, "dtype") else np.dtype(np.float64)


def _cast(grad: Any, dtype: np.dtype) -> Any:
    """A gradient in the dtype of its state (as the stateful optimisers cast ``.grad``)."""
    return grad if _dtype(grad) == dtype else wnp.astype(grad, dtype)


def _zeros(leaves: list[Any], treedef: TreeDef) -> Any:
    return tree_unflatten(treedef, [wnp.zeros_like(leaf) for leaf in leaves])


# -- optimisers ------------------------------------------------------------------------------------


def sgd(
    learning_rate: float | Schedule,
    momentum: float | None = None,
    nesterov: bool = False,
    *,
    dampening: float = 0.0,
    weight_decay: float = 0.0,
) -> GradientTransformation:
    """Stochastic gradient descent with optional (Nesterov) momentum and L2 weight decay, as the class `SGD`.

    With ``g`` the gradient (plus ``weight_decay·p``): ``b ← μ·b + (1 - dampening)·g``
    (``b = g`` at the first update), then ``u = -lr·(g + μ·b)`` with ``nesterov``,
    else ``u = -lr·b``. ``momentum=None`` (or 0) is plain gradient descent.

    Example:
        >>> opt = sgd(0.1, momentum=0.9)
        >>> params = {"x": np.array([1.0])}
        >>> state = opt.init(params)
        >>> for _ in range(2):
        ...     updates, state = opt.update({"x": 2.0 * params["x"]}, state, params)
        ...     params = apply_updates(params, updates)
        >>> round(float(params["x"][0]), 6)
        0.46
    """
    owner = "sgd"
    learning_rate = _rate(learning_rate, owner)
    momentum = 0.0 if momentum is None else _non_negative(momentum, owner, "momentum")
    dampening = real_number(dampening, owner, "dampening")
    weight_decay = _non_negative(weight_decay, owner, "weight_decay")
    if not isinstance(nesterov, (bool, np.bool_)):
        raise TypeError(f"{owner}: nesterov must be True or False, got {_shown(nesterov)}")
    if nesterov and (momentum <= 0 or dampening != 0):
        raise ValueError(f"{owner}: Nesterov momentum needs momentum > 0 and dampening = 0")

    def init(params: Any) -> SGDState:
        leaves, treedef = _leaves(params, "params", f"{owner}.init")
        buffers = _zeros(leaves, treedef) if momentum else None
        return SGDState(np.int64(0), buffers)

    def next_buffer(buffer: Any, grad: Any, count: Any) -> Any:
        if not isinstance(count, Tracer):
            return grad if count == 0 else momentum_buffer(buffer, grad, momentum, dampening)
        if dampening == 0:
            return momentum_buffer(buffer, grad, momentum, dampening)  # from a zero buffer: the gradient itself
        return wnp.where(count == 0, grad, momentum_buffer(buffer, grad, momentum, dampening))

    def update(updates: Any, state: Any, params: Any = None) -> tuple[Any, SGDState]:
        where = f"{owner}.update"
        grads, treedef = _leaves(updates, "the gradients", where)
        state = _state(state, SGDState, where, owner)
        param_leaves = _parameters(params, treedef, grads, "weight_decay" if weight_decay else None, where)
        buffers = _moments(state.momentum_buffer, treedef, "momentum buffers", where) if momentum else None
        if momentum:
            _same_shapes(grads, buffers, treedef, "the gradient ", "its momentum buffer has shape", where)
        count = _count(state.count)
        rate = _learning_rate(learning_rate, count, where)
        out, new_buffers = [], []
        for index, grad in enumerate(grads):
            dtype = _dtype(buffers[index]) if momentum else _dtype(param_leaves[index] if param_leaves else grad)
            grad = _cast(grad, dtype)
            if weight_decay:
                grad = l2_penalised(grad, param_leaves[index], weight_decay)
            if momentum:
                buffer = next_buffer(buffers[index], grad, count)
                new_buffers.append(buffer)
                grad = momentum_direction(grad, buffer, momentum, nesterov)
            out.append(-sgd_step(grad, _in_dtype(rate, dtype)))
        new_state = SGDState(_next_count(count), tree_unflatten(treedef, new_buffers) if momentum else None)
        return tree_unflatten(treedef, out), new_state

    return GradientTransformation(init, update)


def _adam(
    owner: str,
    learning_rate: float | Schedule,
    b1: float,
    b2: float,
    eps: float,
    weight_decay: float,
    amsgrad: bool,
    decoupled: bool,
) -> GradientTransformation:
    learning_rate = _rate(learning_rate, owner)
    beta1, beta2 = _fraction(b1, owner, "b1"), _fraction(b2, owner, "b2")
    eps = _non_negative(eps, owner, "eps")
    weight_decay = _non_negative(weight_decay, owner, "weight_decay")
    if not isinstance(amsgrad, (bool, np.bool_)):
        raise TypeError(f"{owner}: amsgrad must be True or False, got {_shown(amsgrad)}")

    def init(params: Any) -> AdamState:
        leaves, treedef = _leaves(params, "params", f"{owner}.init")
        maximum = _zeros(leaves, treedef) if amsgrad else None
        return AdamState(np.int64(0), _zeros(leaves, treedef), _zeros(leaves, treedef), maximum)

    def update(updates: Any, state: Any, params: Any = None) -> tuple[Any, AdamState]:
        where = f"{owner}.update"
        grads, treedef = _leaves(updates, "the gradients", where)
        state = _state(state, AdamState, where, owner)
        param_leaves = _parameters(params, treedef, grads, "weight_decay" if weight_decay else None, where)
        exp_avgs = _moments(state.exp_avg, treedef, "first moments (exp_avg)", where)
        exp_avg_sqs = _moments(state.exp_avg_sq, treedef, "second moments (exp_avg_sq)", where)
        maxima = _moments(state.max_exp_avg_sq, treedef, "maxima (max_exp_avg_sq)", where) if amsgrad else None
        _same_shapes(grads, exp_avgs, treedef, "the gradient ", "its moment in the state has shape", where)
        count = _count(state.count)
        rate = _learning_rate(learning_rate, count, where)
        step_scale, eps_scale = adam_scales(rate, beta1, beta2, eps, count + 1)
        out, new_avgs, new_sqs, new_maxima = [], [], [], []
        for index, grad in enumerate(grads):
            dtype = _dtype(exp_avgs[index])
            grad = _cast(grad, dtype)
            if weight_decay and not decoupled:
                grad = l2_penalised(grad, param_leaves[index], weight_decay)
            exp_avg = first_moment(exp_avgs[index], grad, beta1)
            exp_avg_sq = second_moment(exp_avg_sqs[index], grad, beta2)
            new_avgs.append(exp_avg)
            new_sqs.append(exp_avg_sq)
            if amsgrad:
                exp_avg_sq = running_max(maxima[index], exp_avg_sq)
                new_maxima.append(exp_avg_sq)
            step = adam_step(exp_avg, exp_avg_sq, _in_dtype(step_scale, dtype), _in_dtype(eps_scale, dtype))
            if weight_decay and decoupled:
                step = step + decay_term(param_leaves[index], _in_dtype(rate, dtype), weight_decay)
            out.append(-step)
        new_state = AdamState(
            _next_count(count),
            tree_unflatten(treedef, new_avgs),
            tree_unflatten(treedef, new_sqs),
            tree_unflatten(treedef, new_maxima) if amsgrad else None,
        )
        return tree_unflatten(treedef, out), new_state

    return GradientTransformation(init, update)


def adam(
    learning_rate: float | Schedule,
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-8,
    *,
    weight_decay: float = 0.0,
    amsgrad: bool = False,
) -> GradientTransformation:
    """Adam (Kingma & Ba), as the class `Adam`: optional AMSGrad and L2 weight decay added to the gradient.

    At update ``t`` (1 for the first): ``m ← b1·m + (1-b1)·g``,
    ``v ← b2·v + (1-b2)·g²``, ``u = -lr·(m/(1-b1ᵗ)) / (√(v/(1-b2ᵗ)) + eps)``,
    computed as ``torch.optim.Adam`` does; with ``amsgrad`` the running maximum
    of ``v`` replaces ``v`` in the step (PyTorch's AMSGrad: the maximum of the
    raw ``v``, bias-corrected at the current step; optax's ``amsgrad`` keeps the
    maximum of the bias-corrected ``v``).

    Example:
        >>> opt = adam(0.1)
        >>> params = [np.array([1.0, -1.0])]
        >>> updates, state = opt.update([np.array([3.0, -0.5])], opt.init(params))
        >>> np.round(updates[0], 6).tolist()  # the first update moves every coordinate by about lr
        [-0.1, 0.1]
    """
    return _adam("adam", learning_rate, b1, b2, eps, weight_decay, amsgrad, decoupled=False)


def adamw(
    learning_rate: float | Schedule,
    b1: float = 0.9,
    b2: float = 0.999,
    eps: float = 1e-8,
    *,
    weight_decay: float = 1e-2,
    amsgrad: bool = False,
) -> GradientTransformation:
    """Adam with decoupled weight decay (Loshchilov & Hutter): ``u = -lr·(adam direction + weight_decay·p)``.

    The decay is added to the update (optax's form), so ``p + u`` equals the
    class `AdamW`'s ``p·(1 - lr·weight_decay) - lr·(adam direction)`` to
    rounding. The default ``weight_decay`` is PyTorch's, 1e-2 (optax's is 1e-4).

    Example:
        >>> opt = adamw(0.1, weight_decay=0.5)
        >>> params = {"w": np.array([1.0])}
        >>> updates, _ = opt.update({"w": np.array([0.0])}, opt.init(params), params)
        >>> round(float(updates["w"][0]), 6)  # a zero gradient: only the decay acts
        -0.05
    """
    return _adam("adamw", learning_rate, b1, b2, eps, weight_decay, amsgrad, decoupled=True)


# -- composition and clipping ----------------------------------------------------------------------


def global_norm(tree: Any) -> Any:
    """The Euclidean norm of all the leaves of ``tree`` taken together.

    Example:
        >>> float(global_norm({"a": np.array([3.0]), "b": np.array([[4.0]])}))
        5.0
    """
    leaves, _ = _leaves(tree, "the tree", "global_norm")
    total = 0.0
    for leaf in leaves:
        total = total + wnp.sum(leaf * leaf)
    return wnp.sqrt(total)


def clip_by_global_norm(max_norm: float) -> GradientTransformation:
    """Scale all updates together so that their joint norm is at most ``max_norm`` (as `clip_grad_norm_`).

    The updates are multiplied by ``max_norm / (norm + 1e-6)`` when that is
    below 1, PyTorch's rule; chain it before an optimiser to clip gradients.

    Example:
        >>> opt = chain(clip_by_global_norm(1.0), sgd(1.0))
        >>> grads = {"w": np.array([3.0, 4.0])}
        >>> updates, _ = opt.update(grads, opt.init(grads))
        >>> np.round(updates["w"], 6).tolist()
        [-0.6, -0.8]
    """
    owner = "clip_by_global_norm"
    max_norm = real_number(max_norm, owner, "max_norm")
    if not max_norm > 0:
        raise ValueError(f"{owner}: max_norm must be positive, got {max_norm}")

    def init(params: Any) -> EmptyState:
        _leaves(params, "params", f"{owner}.init")
        return EmptyState()

    def update(updates: Any, state: Any, params: Any = None) -> tuple[Any, EmptyState]:
        where = f"{owner}.update"
        leaves, treedef = _leaves(updates, "the updates", where)
        _state(state, EmptyState, where, owner)
        factor = clip_factor(global_norm(updates), max_norm)
        if isinstance(factor, Tracer):
            factor = wnp.minimum(factor, 1.0)
        else:
            factor = float(factor)
            if factor >= 1.0:
                return updates, state
        return tree_unflatten(treedef, [leaf * _in_dtype(factor, _dtype(leaf)) for leaf in leaves]), state

    return GradientTransformation(init, update)


def chain(*transformations: GradientTransformation) -> GradientTransformation:
    """Apply several transformations one after the other; the state is the tuple of their states.

    Example:
        >>> opt = chain(clip_by_global_norm(10.0), adam(1e-3))
        >>> state = opt.init({"w": np.zeros(2)})
        >>> [type(part).__name__ for part in state]
        ['EmptyState', 'AdamState']
    """
    for index, transformation in enumerate(transformations):
        if not isinstance(transformation, GradientTransformation):
            raise TypeError(
                f"chain: argument {index} is a {type(transformation).__name__} ({_shown(transformation)}), not a "
                "GradientTransformation (sgd(...), adam(...), clip_by_global_norm(...), chain(...))"
            )

    def init(params: Any) -> tuple:
        return tuple(transformation.init(params) for transformation in transformations)

    def update(updates: Any, state: Any, params: Any = None) -> tuple[Any, tuple]:
        if not isinstance(state, tuple) or len(state) != len(transformations):
            raise TypeError(
                f"chain.update: the state must be the tuple of {len(transformations)} states that chain.init "
                f"makes, got {_shown(state)} ({type(state).__name__})"
            )
        new_state = []
        for transformation, part in zip(transformations, state):
            updates, part = transformation.update(updates, part, params)
            new_state.append(part)
        return updates, tuple(new_state)

    return GradientTransformation(init, update)


def apply_updates(params: Any, updates: Any) -> Any:
    """``params + updates`` leaf by leaf, each result in its parameter's dtype.

    Example:
        >>> apply_updates({"w": np.array([1.0])}, {"w": np.array([-0.25])})
        {'w': array([0.75])}
    """
    owner = "apply_updates"
    param_leaves, treedef = _leaves(params, "params", owner)
    update_leaves, updates_def = _leaves(updates, "the updates", owner)
    _same_structure(updates_def, treedef, "the updates", "the parameters", owner)
    _same_shapes(update_leaves, param_leaves, treedef, "the update ", "its parameter has shape", owner)
    out = []
    for param, update in zip(param_leaves, update_leaves):
        new = param + update
        dtype = _dtype(param)
        out.append(new if _dtype(new) == dtype else wnp.astype(new, dtype))
    return tree_unflatten(treedef, out)


__all__ = [
    "AdamState",
    "EmptyState",
    "GradientTransformation",
    "SGDState",
    "adam",
    "adamw",
    "apply_updates",
    "chain",
    "clip_by_global_norm",
    "global_norm",
    "sgd",
]
