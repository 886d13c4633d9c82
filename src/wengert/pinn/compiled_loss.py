"""The trainer's loss as one compiled program: the weighted total, each term, and the gradient.

A `Trainer`'s loss terms are functions of no arguments that read the
parameters they close over (``model(x)``, ``exp(problem.log_beta)``). To stage
them, `CompiledLoss` makes the loss a function of the parameters' values: while
`wg.jit` traces it, each trained parameter reads as the matching traced argument
(`standing_in`), so the terms build their values from the arguments while
nothing records on the parameters themselves. The program — the terms, their
weighted sum and its gradient with respect to every parameter — is staged
once per `Trainer.fit` call and then runs as generated NumPy code at every step
(Adam's) and every evaluation (L-BFGS's). The weights enter as an argument, so
a schedule (a physics warm-up) changes them without a retrace.

Before it is trusted, the first compiled evaluation is compared with an eager
one at the same point (values and gradients). Terms that are not functions of
the parameters alone — terms that draw random points, count their calls, or
read something else that changes — fail that comparison, and the trainer runs
them eagerly instead.

Example:
    >>> import numpy as np
    >>> import wengert.nn as nn
    >>> from wengert.pinn import Trainer
    >>> slope = nn.Parameter(3.0)
    >>> x = np.linspace(0.0, 1.0, 8)
    >>> trainer = Trainer(None, {"fit": lambda: ((slope * x - 2.0 * x) ** 2).mean()}, params={"slope": slope})
    >>> total, terms, grads = CompiledLoss(trainer).evaluate(step=0)
    >>> round(total, 6), round(float(grads[0]), 6)
    (0.357143, 0.714286)
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import numpy as wnp
from ..compile import jit
from ..tensor import Tensor, enable_grad
from ..transforms import value_and_grad

if TYPE_CHECKING:
    from .trainer import Trainer

# The compiled and the eager evaluation must agree to this (relative to the largest entry): they run
# the same operations, so they agree to the last bit but for the odd reassociated sum.
AGREEMENT = 1e-9


@contextmanager
def standing_in(parameters: Sequence[Tensor], values: Sequence[Any]) -> Iterator[None]:
    """Inside the block, each parameter reads as the matching value and records nothing; restored after.

    Example:
        >>> import wengert as wg
        >>> weight = wg.tensor(2.0, requires_grad=True)
        >>> def square(value):
        ...     with standing_in([weight], [value]):
        ...         return (weight * weight).primal
        >>> wg.grad(square)(3.0), weight.item()
        (6.0, 2.0)
    """
    saved = [(parameter.primal, parameter._node) for parameter in parameters]
    try:
        for parameter, value in zip(parameters, values):
            parameter.primal, parameter._node = value, None
        yield
    finally:
        for parameter, (primal, node) in zip(parameters, saved):
            parameter.primal, parameter._node = primal, node


def term_value(name: str, term: Any) -> Any:
    """A loss term's value as a 0-d array (traced or not); a clear error when it is not one number."""
    if not isinstance(term, Tensor) or np.size(term.primal) != 1:
        shape = f" of shape {term.shape}" if isinstance(term, Tensor) else ""
        raise TypeError(
            f"Trainer: loss term {name!r} must return a one-element tensor computed from the parameters, "
            f"got {type(term).__name__}{shape}"
        )
    return wnp.reshape(term.primal, ())


class CompiledLoss:
    """The trainer's weighted loss, its terms and its gradient, compiled with `wg.jit` (see the module)."""

    def __init__(self, trainer: Trainer) -> None:
        self.trainer = trainer
        self.parameters = trainer.all_parameters()
        self.names = list(trainer.losses)
        # Parameters the loss does not reach get no gradient (None), as in eager mode: set by `check`.
        self.unused: set[int] = set()
        self.program = jit(value_and_grad(self._weighted_loss, has_aux=True))

    def _weighted_loss(self, values: list, weights: Any) -> tuple[Any, Any]:
        with standing_in(self.parameters, values):
            terms = [term_value(name, self.trainer.losses[name]()) for name in self.names]
        total = None
        for index, term in enumerate(terms):
            # Eager mode multiplies by a Python float, which takes the term's precision: so does this.
            weighted = wnp.astype(weights[index], wnp.result_type(term)) * term
            total = weighted if total is None else total + weighted
        return total, wnp.stack(terms)

    def evaluate(self, step: int) -> tuple[float, dict[str, float], list[np.ndarray | None]]:
        """The weighted total, each term (floats), and each parameter's gradient, at training step ``step``."""
        weights_now = self.trainer.weights_at(step)
        if all(weight == 0.0 for weight in weights_now.values()):
            raise ValueError("Trainer: every loss term has weight 0")
        values = [np.asarray(parameter.primal) for parameter in self.parameters]
        weights = np.array([weights_now[name] for name in self.names], dtype=np.float64)
        (total, terms), grads = self.program(values, weights)
        term_values = {}
        for name, value in zip(self.names, terms.tolist()):
            if not math.isfinite(value):
                raise FloatingPointError(f"Trainer: loss term {name!r} is {value} (diverged, or NaN in the model)")
            term_values[name] = value
        gradients: list[np.ndarray | None] = []
        for index, gradient in enumerate(grads):
            if index in self.unused:
                gradients.append(None)
                continue
            gradient = np.asarray(gradient)
            if any(np.may_share_memory(gradient, value) for value in values):
                gradient = gradient.copy()  # a gradient that is a parameter's own array (d(a·b)/db = a)
            gradients.append(gradient)
        return float(total), term_values, gradients

    def eager_reference(self, step: int) -> tuple[float, dict[str, float], list[Any]]:
        """One eager evaluation and backward pass at the current parameters (their ``.grad`` left as found)."""
        saved = [parameter.grad for parameter in self.parameters]
        for parameter in self.parameters:
            parameter.grad = None
        try:
            with enable_grad():
                total, terms = self.trainer.loss(step)
                total.backward()
            grads = [parameter.grad for parameter in self.parameters]
        finally:
            for parameter, grad in zip(self.parameters, saved):
                parameter.grad = grad
        return float(np.asarray(total.primal)), terms, grads

    def check(self, reference: tuple[float, dict[str, float], list[Any]], step: int) -> None:
        """Compare one compiled evaluation with the eager ``reference`` at the same point; raise where they differ."""
        total, terms, eager_grads = reference
        self.unused = {index for index, gradient in enumerate(eager_grads) if gradient is None}
        compiled_total, compiled_terms, compiled_grads = self.evaluate(step)
        pairs = [("the total", total, compiled_total)]
        pairs += [(f"term {name!r}", terms[name], compiled_terms[name]) for name in self.names]
        pairs += [
            (f"the gradient of parameter {index}", np.asarray(eager.primal), compiled)
            for index, (eager, compiled) in enumerate(zip(eager_grads, compiled_grads))
            if eager is not None
        ]
        for what, eager_value, compiled_value in pairs:
            eager_value, compiled_value = np.asarray(eager_value), np.asarray(compiled_value)
            scale = float(np.max(np.abs(eager_value))) if eager_value.size else 0.0
            if eager_value.shape != compiled_value.shape or not np.all(
                np.abs(eager_value - compiled_value) <= AGREEMENT * max(scale, 1e-300)
            ):
                raise ValueError(
                    f"{what} differs between the compiled and the eager loss at the same parameters: are the "
                    "loss terms functions of the parameters alone (no random draws, no state that changes)?"
                )


__all__ = ["CompiledLoss", "standing_in", "term_value"]
