"""wengert: automatic differentiation of NumPy programs.

Forward mode (dual numbers) and reverse mode (a Wengert tape), to any order
and in any nesting, in two dialects over one engine: PyTorch's (`Tensor`,
``backward()``, ``autograd.grad``) and JAX's (`grad`, `jvp`, `vjp`, ...).

Example:
    >>> import wengert as wg
    >>> import wengert.numpy as wnp
    >>> wg.grad(lambda x: wnp.log(x) + x * 5.0 - wnp.sin(5.0))(2.0)
    5.5
"""

from . import (  # noqa: F401  (the subpackages, as wg.<name>)
    autograd,
    cuda,  # PyTorch's device queries: wg.cuda.is_available() is False
    dtypes,
    errors,  # noqa: F401  (wg.errors)
    lax,  # noqa: F401  (wg.lax: structured control flow)
    nn,  # noqa: F401  (wg.nn)
    numpy,  # noqa: F401  (installs the array interface on tracers)
    optim,  # noqa: F401  (wg.optim)
    pinn,  # noqa: F401  (wg.pinn: physics-informed networks)
    random,  # JAX's explicit keys
    serialization,
    tree_util,
)
from .compile import jit
from .core import Dual, tree_flatten, tree_leaves, tree_map, tree_unflatten
from .core.pytree import register_pytree_node
from .creation import *  # noqa: F403  (PyTorch's creation functions and dtypes: wg.zeros, wg.float32...)
from .generator import Generator, default_generator, initial_seed, manual_seed, seed
from .numpy import nn as jnn  # noqa: F401  (JAX's jax.nn: wg.jnn.relu, wg.jnn.softmax...)
from .serialization import load, save
from .teach import graph, trace
from .tensor import (
    Tensor,
    as_tensor,
    enable_grad,
    from_numpy,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
    tensor,
)
from .torch_functions import *  # noqa: F403  (PyTorch's top-level functions: wg.exp, wg.sum(x, dim=)...)
from .transforms import (
    biharmonic,
    checkpoint,
    checkpoint_sequential,
    custom_jvp,
    custom_vjp,
    differential_operator,
    grad,
    hessian,
    hvp,
    jacfwd,
    jacobian,
    jacrev,
    jet,
    jvp,
    laplacian,
    linearize,
    partial_derivative,
    stop_gradient,
    value_and_grad,
    vjp,
    vmap,
)

__version__ = "0.1.0"

__all__ = [
    "Dual",
    "errors",
    "Generator",
    "Tensor",
    "as_tensor",
    "default_generator",
    "initial_seed",
    "manual_seed",
    "seed",
    "checkpoint",
    "checkpoint_sequential",
    "custom_jvp",
    "custom_vjp",
    "hessian",
    "hvp",
    "jit",
    "jet",
    "laplacian",
    "biharmonic",
    "differential_operator",
    "partial_derivative",
    "lax",
    "jacfwd",
    "jacobian",
    "jacrev",
    "linearize",
    "stop_gradient",
    "vmap",
    "autograd",
    "enable_grad",
    "from_numpy",
    "grad",
    "graph",
    "is_grad_enabled",
    "jvp",
    "no_grad",
    "register_pytree_node",
    "set_grad_enabled",
    "tensor",
    "trace",
    "tree_flatten",
    "tree_leaves",
    "tree_map",
    "tree_unflatten",
    "value_and_grad",
    "vjp",
]
__all__ += ["cuda", "dtypes", "jnn", "load", "pinn", "random", "save", "serialization", "tree_util"]
# wg.max, wg.sum... stay out of a star import: a script's max(a, b) on numbers would become PyTorch's.
_BUILTIN_NAMES = {"abs", "all", "any", "max", "min", "pow", "round", "sum"}
__all__ += [
    name
    for name in (*creation.__all__, *torch_functions.__all__)  # noqa: F405
    if name not in __all__ and name not in _BUILTIN_NAMES
]
