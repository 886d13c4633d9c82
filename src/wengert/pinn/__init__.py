"""Physics-informed neural networks: reference solutions, collocation samplers, input derivatives.

- `references`: the problems' reference solutions, computed here (SIR by an
  adaptive Runge–Kutta solve, Burgers by the Cole–Hopf transform with
  Gauss–Hermite quadrature, closed forms for the wave, heat and Poisson equations).
- `sampling`: collocation points in a box, on its spatial faces and on its initial face.
- `derivatives`: ∂u/∂x_j, ∂²u/∂x_i∂x_j, Laplacians and gradients of a network's
  outputs at every collocation point, by forward mode (a jvp per direction,
  a jvp of a jvp for second derivatives).

Example:
    >>> import numpy as np
    >>> import wengert.numpy as wnp
    >>> from wengert import pinn
    >>> x = pinn.latin_hypercube(4, [(-1.0, 1.0), (0.0, 1.0)], seed=0)
    >>> u_x = pinn.derivative(lambda p: wnp.sin(p[:, :1]) * p[:, 1:], x, wrt=0)
    >>> bool(np.allclose(u_x[:, 0], np.cos(x[:, 0]) * x[:, 1]))
    True
"""

from .dense import DenseNetwork
from .derivatives import Derivatives, derivative, forward_tower, gradient, laplacian, second_derivative
from .problems import SIR, Burgers, FieldNetwork, Heat1D, Poisson1D, Problem, Wave1D
from .references import (
    BURGERS_NU,
    BurgersGrid,
    SIRObservations,
    SIRSolution,
    burgers_reference,
    burgers_reference_dx,
    burgers_reference_grid,
    heat_reference,
    poisson_reference,
    poisson_source,
    relative_l2_error,
    sir_observations,
    sir_reference,
    wave_reference,
)
from .sampling import as_bounds, boundary_points, grid, initial_points, latin_hypercube, sobol, uniform
from .trainer import History, StepInfo, Trainer, geometric_ramp, step_schedule

__all__ = [
    "DenseNetwork",
    "BURGERS_NU",
    "SIR",
    "Burgers",
    "BurgersGrid",
    "Derivatives",
    "FieldNetwork",
    "Heat1D",
    "History",
    "Poisson1D",
    "Problem",
    "SIRObservations",
    "SIRSolution",
    "StepInfo",
    "Trainer",
    "Wave1D",
    "as_bounds",
    "boundary_points",
    "burgers_reference",
    "burgers_reference_dx",
    "burgers_reference_grid",
    "derivative",
    "forward_tower",
    "geometric_ramp",
    "gradient",
    "grid",
    "heat_reference",
    "initial_points",
    "laplacian",
    "latin_hypercube",
    "poisson_reference",
    "poisson_source",
    "relative_l2_error",
    "second_derivative",
    "sir_observations",
    "sir_reference",
    "sobol",
    "step_schedule",
    "uniform",
    "wave_reference",
]
