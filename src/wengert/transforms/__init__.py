"""Function transformations (the JAX dialect), each an interpreter run over the core's traces."""

from .checkpoint import checkpoint, checkpoint_sequential
from .custom import custom_jvp, custom_vjp, stop_gradient
from .differentiate import grad, jvp, value_and_grad, vjp
from .jacobians import hessian, hvp, jacfwd, jacobian, jacrev, linearize
from .jets import jet
from .operators import biharmonic, differential_operator, laplacian, partial_derivative
from .vectorize import vmap

__all__ = [
    "checkpoint",
    "checkpoint_sequential",
    "custom_jvp",
    "custom_vjp",
    "biharmonic",
    "differential_operator",
    "laplacian",
    "partial_derivative",
    "stop_gradient",
    "grad",
    "hessian",
    "hvp",
    "jacfwd",
    "jacobian",
    "jacrev",
    "jet",
    "jvp",
    "linearize",
    "value_and_grad",
    "vjp",
    "vmap",
]
