"""The update formulas of SGD and Adam, written once for the stateful optimisers and the pure ones.

Each function computes one term of an update for one parameter (or one flat
array of parameters); applying the step (``param - step``) is left to the
optimiser (`apply_updates` for the pure ones). They are written with NumPy's
ufuncs and operators, which dispatch on traced values, so the same lines run on
plain arrays (`SGD`, `Adam`, `AdamW`, on the arrays beneath their tensors) and
on traced values (`sgd`, `adam`, `adamw` inside ``wg.jit``, ``wg.grad`` or
``wg.vmap``). The order of the operations is part of the contract: the
stateful and the pure optimisers round identically because they call these
functions.

Without ``out`` a function returns new values and changes nothing. The
stateful optimisers pass ``out=`` (and ``scratch=``) arrays: the same formula
then writes into the optimiser's own state and reuses one scratch array, as
in-place NumPy does, because fresh arrays the size of a large model cost
measurably more than the arithmetic (1.6x for Adam's moments at 2 million
parameters). Hence NumPy's ufuncs rather than operators: ``np.add(a, b,
out=None)`` on a traced value dispatches to ``wengert.numpy.add`` (the
tracers' ``__array_ufunc__``), so one spelling serves both. Traced values take
no ``out``.

Scalars (``lr``, ``beta1``...) are Python floats, so that NumPy keeps a float32
parameter float32; a traced scalar (the bias correction of a traced step count)
is converted to the parameter's dtype by the caller.

Example:
    >>> import numpy as np
    >>> m = first_moment(np.zeros(2), np.array([1.0, -2.0]), 0.9)
    >>> m.tolist()
    [0.09999999999999998, -0.19999999999999996]
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import numpy as wnp

# -- the formulas -------------------------------------------------------------------------------


def l2_penalised(grad: Any, param: Any, weight_decay: float) -> Any:
    """The gradient of the loss plus ``weight_decay/2·‖param‖²`` (PyTorch's coupled weight decay).

    Example:
        >>> l2_penalised(1.0, 2.0, 0.5)
        2.0
    """
    return grad + weight_decay * param


def momentum_buffer(buffer: Any, grad: Any, momentum: float, dampening: float, out: Any = None) -> Any:
    """SGD's next momentum buffer ``μ·b + (1 - dampening)·g`` (the first buffer is ``g`` itself).

    Example:
        >>> float(momentum_buffer(1.0, 2.0, 0.5, 0.0))
        2.5
    """
    term = grad if dampening == 0 else (1.0 - dampening) * grad
    return np.add(np.multiply(buffer, momentum, out=out), term, out=out)


def momentum_direction(grad: Any, buffer: Any, momentum: float, nesterov: bool) -> Any:
    """The direction SGD moves along: the buffer, or ``g + μ·b`` with Nesterov momentum.

    Example:
        >>> momentum_direction(1.0, 2.5, 0.5, True)
        2.25
    """
    return grad + momentum * buffer if nesterov else buffer


def sgd_step(direction: Any, lr: Any, out: Any = None) -> Any:
    """How far SGD moves: ``direction·lr`` (the parameter becomes ``param - step``).

    Example:
        >>> float(sgd_step(2.0, 0.25))
        0.5
    """
    return np.multiply(direction, lr, out=out)


def first_moment(exp_avg: Any, grad: Any, beta1: float, out: Any = None) -> Any:
    """Adam's running mean of the gradient: ``β₁·m + (1 - β₁)·g``.

    Example:
        >>> float(first_moment(1.0, 3.0, 0.5))
        2.0
    """
    return np.add(np.multiply(exp_avg, beta1, out=out), (1.0 - beta1) * grad, out=out)


def second_moment(exp_avg_sq: Any, grad: Any, beta2: float, out: Any = None, scratch: Any = None) -> Any:
    """Adam's running mean of the squared gradient: ``β₂·v + (1 - β₂)·g²`` (``scratch`` holds ``g²``).

    Example:
        >>> float(second_moment(1.0, 3.0, 0.5))
        5.0
    """
    weighted_square = np.multiply(np.multiply(grad, grad, out=scratch), 1.0 - beta2, out=scratch)
    return np.add(np.multiply(exp_avg_sq, beta2, out=out), weighted_square, out=out)


def running_max(max_exp_avg_sq: Any, exp_avg_sq: Any, out: Any = None) -> Any:
    """AMSGrad's running maximum of the second moment (elementwise).

    Example:
        >>> float(running_max(1.0, 3.0))
        3.0
    """
    return np.maximum(max_exp_avg_sq, exp_avg_sq, out=out)


def adam_scales(lr: Any, beta1: float, beta2: float, eps: float, step: Any) -> tuple[Any, Any]:
    """Adam's bias corrections at ``step`` (1 for the first update) folded into two scalars.

    ``lr·m̂/(√v̂ + eps)`` with ``m̂ = m/(1-β₁ᵗ)``, ``v̂ = v/(1-β₂ᵗ)`` (PyTorch's
    and Kingma & Ba's Algorithm 1) equals ``s·m/(√v + e)`` with
    ``s = lr·√(1-β₂ᵗ)/(1-β₁ᵗ)`` and ``e = eps·√(1-β₂ᵗ)``: one pass over the data
    fewer. Returns ``(s, e)``: Python floats for a Python ``step`` and ``lr``,
    traced scalars for a traced step count.

    Example:
        >>> step_scale, eps_scale = adam_scales(0.1, 0.9, 0.999, 1e-8, 1)
        >>> m, v = first_moment(0.0, -3.0, 0.9), second_moment(0.0, -3.0, 0.999)
        >>> round(float(adam_step(m, v, step_scale, eps_scale)), 9)  # the first step moves by lr
        -0.1
    """
    correction = 1.0 - beta2**step
    root = math.sqrt(correction) if type(correction) is float else wnp.sqrt(correction)
    return lr * root / (1.0 - beta1**step), eps * root


def adam_step(exp_avg: Any, exp_avg_sq: Any, step_scale: Any, eps_scale: Any, out: Any = None) -> Any:
    """How far Adam moves: ``s·m/(√v + e)``, ``(s, e)`` from `adam_scales` (the parameter becomes ``param - step``).

    Example:
        >>> float(adam_step(0.5, 0.25, 2.0, 0.0))
        2.0
    """
    denominator = np.add(np.sqrt(exp_avg_sq, out=out), eps_scale, out=out)
    return np.multiply(np.divide(exp_avg, denominator, out=out), step_scale, out=out)


def decayed_weights(param: Any, lr: float, weight_decay: float) -> Any:
    """AdamW's decoupled decay as PyTorch applies it to the parameter: ``param·(1 - lr·weight_decay)``.

    Example:
        >>> decayed_weights(2.0, 0.1, 0.5)
        1.9
    """
    return param * (1.0 - lr * weight_decay)


def decay_term(param: Any, lr: Any, weight_decay: float) -> Any:
    """AdamW's decoupled decay as an additive update (optax's form): ``param·(lr·weight_decay)``, to subtract.

    The same decay as `decayed_weights`, written so that it adds to an update;
    ``param - decay_term`` and `decayed_weights` agree to rounding, not bit for bit.

    Example:
        >>> decay_term(2.0, 0.1, 0.5)
        0.1
    """
    return param * (lr * weight_decay)


def clip_factor(norm: Any, max_norm: float) -> Any:
    """The factor that scales gradients of joint norm ``norm`` to at most ``max_norm`` (PyTorch's rule).

    ``max_norm / (norm + 1e-6)``, applied when it is below 1.

    Example:
        >>> clip_factor(10.0, 1.0) < 1.0
        True
    """
    return max_norm / (norm + 1e-6)


__all__ = [
    "adam_scales",
    "adam_step",
    "clip_factor",
    "decay_term",
    "decayed_weights",
    "first_moment",
    "l2_penalised",
    "momentum_buffer",
    "momentum_direction",
    "running_max",
    "second_moment",
    "sgd_step",
]
