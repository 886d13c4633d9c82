"""`DenseNetwork`: a dense network given by its weight list, for the functional dialect.

Example:
    >>> import numpy as np
    >>> net = DenseNetwork([np.ones((2, 3)), np.zeros(3), np.ones((3, 1)), np.zeros(1)], "tanh")
    >>> net(np.zeros((5, 2))).shape
    (5, 1)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .. import numpy as wnp
from ..numpy.products import linear

ACTIVATIONS = {
    "identity": lambda z: z,
    "tanh": wnp.tanh,
    "sigmoid": wnp.sigmoid,
    "softplus": wnp.softplus,
    "sin": wnp.sin,
    "relu": wnp.relu,
}


@dataclass
class DenseNetwork:
    """``points ↦ σ(…σ(points @ W1 + b1)…) @ WL + bL``, from ``parameters = [W1, b1, W2, b2, …]``.

    W has shape (in, out), JAX's layout for ``x @ W`` (not `wengert.nn.Linear`'s
    (out, in)); the parameters may be arrays, tensors or tracers (the functional
    dialect's way in: ``wg.grad`` of a loss of ``DenseNetwork(params)``).
    ``activation`` (a name: "tanh", "sigmoid", "softplus", "sin", "relu",
    "identity") follows every layer but the last.

    Example:
        >>> import numpy as np
        >>> from wengert import pinn
        >>> params = [np.eye(2), np.zeros(2), np.ones((2, 1)), np.zeros(1)]
        >>> u_xx = pinn.Derivatives(DenseNetwork(params, "sin"), np.array([[0.5, 0.0]]))((0, 0))
        >>> round(float(u_xx[0, 0]), 6)  # −sin(0.5)
        -0.479426
    """

    parameters: Sequence[Any]
    activation: str = "tanh"

    def __post_init__(self) -> None:
        if len(self.parameters) < 2 or len(self.parameters) % 2:
            raise ValueError(f"DenseNetwork: parameters must be [W1, b1, W2, b2, …], got {len(self.parameters)} items")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"DenseNetwork: activation must be one of {sorted(ACTIVATIONS)}, got {self.activation!r}")

    def __call__(self, points: Any) -> Any:
        activation = ACTIVATIONS[self.activation]
        layers = len(self.parameters) // 2
        value = points
        for layer in range(layers):
            weight, bias = self.parameters[2 * layer], self.parameters[2 * layer + 1]
            value = value @ weight if bias is None else linear(value, weight, bias)
            if layer < layers - 1:
                value = activation(value)
        return value


__all__ = ["DenseNetwork"]
