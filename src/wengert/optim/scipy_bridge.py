"""`scipy_minimize`: SciPy's optimisers (L-BFGS-B, BFGS, Newton-CG, trust-krylov...) on wengert parameters.

SciPy sees one flat float64 vector made of all parameters. Every evaluation
writes that vector into the parameters, runs the loss once and its backward
pass once, and hands SciPy the value and the exact gradient together
(``jac=True``). Methods that use second derivatives get exact Hessian-vector
products (a second backward pass through the recorded first one). SciPy is an
optional dependency: ``pip install 'wengert[scipy]'``.

Example:
    >>> import wengert as wg
    >>> x = wg.tensor([3.0, -1.0], requires_grad=True)
    >>> result = scipy_minimize(lambda: ((x - 1.0) ** 2).sum(), [x])
    >>> result.success, [round(v, 6) for v in x.tolist()]
    (True, [1.0, 1.0])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..autograd import grad as autograd_grad
from ..nn.module import parameters_of, set_values_
from ..tensor import Tensor, enable_grad, no_grad

# Methods that take no derivatives, and methods that accept exact Hessian-vector products.
_DERIVATIVE_FREE = {"nelder-mead", "powell", "cobyla", "cobyqa"}
_HESSIAN_VECTOR = {"newton-cg", "trust-ncg", "trust-krylov", "trust-constr"}
_FULL_HESSIAN_ONLY = {"dogleg", "trust-exact"}


def import_minimize() -> Callable[..., Any]:
    try:
        from scipy.optimize import minimize
    except ImportError:  # pragma: no cover - exercised only without SciPy
        raise ImportError(
            "scipy_minimize needs SciPy, an optional dependency of wengert: pip install 'wengert[scipy]'"
        ) from None
    return minimize


class FlatParameters:
    """Moves between the parameters and SciPy's flat float64 vector."""

    def __init__(self, params: list[Tensor]) -> None:
        self.params = params
        self.shapes = [np.shape(p.primal) for p in params]
        self.dtypes = [np.asarray(p.primal).dtype for p in params]
        sizes = [int(np.prod(shape, dtype=np.int64)) for shape in self.shapes]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int)

    def read(self) -> np.ndarray:
        return np.concatenate([np.asarray(p.primal, dtype=np.float64).ravel() for p in self.params])

    def split(self, x: np.ndarray) -> list[np.ndarray]:
        """The pieces of a flat vector, each a new array shaped and typed like its parameter."""
        return [
            np.array(x[start:stop], dtype=dtype).reshape(shape)
            for shape, dtype, start, stop in zip(self.shapes, self.dtypes, self.offsets[:-1], self.offsets[1:])
        ]

    def write(self, x: np.ndarray) -> None:
        # Copies: SciPy may change its array in place later.
        for parameter, piece in zip(self.params, self.split(x)):
            set_values_(parameter, piece, "scipy_minimize")

    def flatten(self, grads: Any) -> np.ndarray:
        out = np.zeros(self.offsets[-1], dtype=np.float64)
        for g, start, stop in zip(grads, self.offsets[:-1], self.offsets[1:]):
            if g is not None:
                out[start:stop] = np.asarray(g.primal if isinstance(g, Tensor) else g).ravel()
        return out


def _loss_tensor(loss_fn: Callable[[], Any]) -> Tensor:
    loss = loss_fn()
    if not isinstance(loss, Tensor) or np.size(loss.primal) != 1:
        raise TypeError(
            f"scipy_minimize: loss_fn() must return a one-element tensor computed from the parameters, got "
            f"{type(loss).__name__}{'' if not isinstance(loss, Tensor) else f' of shape {loss.shape}'}"
        )
    if not loss.requires_grad:
        raise RuntimeError(
            "scipy_minimize: the loss does not depend on any parameter that requires grad "
            "(was it computed under no_grad, or from detached values?)"
        )
    return loss


def scipy_minimize(
    loss_fn: Callable[[], Any],
    params: Any,
    method: str = "L-BFGS-B",
    *,
    bounds: Any = None,
    constraints: Any = (),
    tol: float | None = None,
    callback: Callable[..., Any] | None = None,
    **options: Any,
) -> Any:
    """Minimise ``loss_fn()`` over ``params`` with ``scipy.optimize.minimize``; returns SciPy's ``OptimizeResult``.

    ``loss_fn`` takes no arguments and computes a scalar tensor from the
    parameters (a module, a tensor, or an iterable of tensors that require
    grad). Each evaluation runs it once and one backward pass; the value and
    the exact gradient go to SciPy together. For Newton-CG, trust-ncg,
    trust-krylov and trust-constr, exact Hessian-vector products are supplied
    too. ``bounds``, ``constraints``, ``tol`` and ``callback`` go to
    ``minimize`` (bounds refer to the flat vector: the parameters in order,
    each raveled); other keywords form its ``options`` (``maxiter``,
    ``gtol``, ``ftol``...). The parameters are left at ``result.x``; their
    ``.grad`` is not touched. ``result.message``, ``result.nit`` and
    ``result.nfev`` tell why and after how much work it stopped.

    Example:
        >>> import wengert as wg, wengert.numpy as wnp
        >>> p = wg.tensor([-1.2, 1.0], requires_grad=True)
        >>> rosenbrock = lambda: (100.0 * (p[1] - p[0] ** 2) ** 2 + (1.0 - p[0]) ** 2)
        >>> result = scipy_minimize(rosenbrock, p, method="BFGS", gtol=1e-10)
        >>> bool(np.allclose(p.detach().numpy(), [1.0, 1.0], atol=1e-6))
        True
    """
    if not callable(loss_fn):
        raise TypeError(
            f"scipy_minimize: loss_fn must be a function of no arguments that computes the loss tensor from the "
            f"parameters, got {type(loss_fn).__name__}; write it as a function: lambda: loss(model(x), y)"
        )
    minimize = import_minimize()
    params = [p for p in parameters_of(params, "scipy_minimize parameters") if p.requires_grad]
    if not params:
        raise ValueError("scipy_minimize: no parameters that require grad")
    flat = FlatParameters(params)
    key = method.lower() if isinstance(method, str) else None
    if key in _FULL_HESSIAN_ONLY:
        raise ValueError(
            f"scipy_minimize: method {method!r} needs the full Hessian matrix; use 'trust-krylov' or "
            "'trust-ncg', which get exact Hessian-vector products"
        )

    def value(x: np.ndarray) -> float:
        flat.write(x)
        with no_grad():
            loss = loss_fn()
        loss = np.asarray(loss.primal if isinstance(loss, Tensor) else loss)
        if loss.size != 1:
            raise TypeError(f"scipy_minimize: loss_fn() must return one number, got shape {loss.shape}")
        return float(loss.item())

    def value_and_gradient(x: np.ndarray) -> tuple[float, np.ndarray]:
        flat.write(x)
        with enable_grad():
            loss = _loss_tensor(loss_fn)
            grads = autograd_grad(loss, params, allow_unused=True)
        return float(loss.item()), flat.flatten(grads)

    def hessian_vector_product(x: np.ndarray, vector: np.ndarray) -> np.ndarray:
        flat.write(x)
        with enable_grad():
            loss = _loss_tensor(loss_fn)
            grads = autograd_grad(loss, params, create_graph=True, allow_unused=True)
            directional = None
            for g, piece in zip(grads, flat.split(vector)):
                if g is None or not g.requires_grad:
                    continue  # this part of the gradient does not depend on the parameters
                term = (g * piece).sum()
                directional = term if directional is None else directional + term
            if directional is None:
                return np.zeros_like(vector)
            return flat.flatten(autograd_grad(directional, params, allow_unused=True))

    arguments: dict[str, Any] = {"method": method, "tol": tol, "callback": callback, "options": options or None}
    if bounds is not None:
        arguments["bounds"] = bounds
    if constraints:
        arguments["constraints"] = constraints
    x0 = flat.read()
    if key in _DERIVATIVE_FREE:
        result = minimize(value, x0, **arguments)
    else:
        if key in _HESSIAN_VECTOR:
            arguments["hessp"] = hessian_vector_product
        result = minimize(value_and_gradient, x0, jac=True, **arguments)
    flat.write(result.x)
    return result


__all__ = ["scipy_minimize"]
