"""Function transformations (the JAX dialect), each an interpreter run over the core's traces."""

from .differentiate import grad, jvp, value_and_grad, vjp

__all__ = ["grad", "jvp", "value_and_grad", "vjp"]
