"""User-defined derivative rules (``custom_jvp``, ``custom_vjp``) and ``stop_gradient``.

A decorated function becomes a primitive of its own, so every interpreter at
every level meets the user's rule instead of the function's interior:

* `custom_jvp` takes a forward rule. Reverse mode uses its transpose, obtained
  by differentiating the (linear) tangent map in reverse, so ``grad``,
  ``jacrev`` and ``hessian`` honour the rule too.
* `custom_vjp` takes a forward pass that returns residuals and a backward rule.
  The residuals are recomputed in the backward pass (the forward call keeps
  only the inputs). Forward mode cannot use a reverse rule: it raises.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..core import Primitive, Tracer, bind, tree_flatten, tree_unflatten, zeros_like_value
from ..core.pytree import TreeDef
from ..numpy._primitives import shape
from .differentiate import vjp


def _single_output(name: str, out: Any) -> Any:
    if isinstance(out, (tuple, list, dict)):
        raise TypeError(
            f"{name}: a function with a custom rule must return a single array or scalar, not a {type(out).__name__}"
        )
    return out


class custom_jvp:
    """A function with a hand-written forward-mode rule.

    Example:
        >>> import wengert as wg, wengert.numpy as wnp
        >>> @wg.custom_jvp
        ... def log1pexp(x):
        ...     return wnp.log(1.0 + wnp.exp(x))
        >>> @log1pexp.defjvp
        ... def log1pexp_jvp(primals, tangents):
        ...     (x,), (t,) = primals, tangents
        ...     return log1pexp(x), t * (1.0 - 1.0 / (1.0 + wnp.exp(x)))
        >>> wg.grad(log1pexp)(1000.0)
        1.0
    """

    def __init__(self, function: Callable[..., Any]) -> None:
        self.function = function
        self.jvp_rule: Callable[..., Any] | None = None
        self.__name__ = getattr(function, "__name__", "custom_jvp")
        self.__doc__ = function.__doc__
        self.primitive = Primitive(
            f"custom_jvp({self.__name__})",
            self._impl,
            jvp_joint=self._jvp,
            vjp_joint=self._vjp,
        )

    def defjvp(self, rule: Callable[..., Any]) -> Callable[..., Any]:
        """Set the rule ``rule(primals, tangents) -> (primal_out, tangent_out)``."""
        self.jvp_rule = rule
        return rule

    def __call__(self, *args: Any) -> Any:
        if self.jvp_rule is None:
            raise TypeError(f"{self.__name__}: no JVP rule; decorate one with @{self.__name__}.defjvp")
        leaves, treedef = tree_flatten(args)
        return bind(self.primitive, leaves, {"treedef": treedef})

    def _impl(self, *leaves: Any, treedef: TreeDef) -> Any:
        return _single_output(self.__name__, self.function(*tree_unflatten(treedef, leaves)))

    def _jvp(self, tangents: Any, ans: Any, *leaves: Any, treedef: TreeDef) -> Any:
        tangents = [zeros_like_value(leaf) if t is None else t for t, leaf in zip(tangents, leaves)]
        _, tangent_out = self.jvp_rule(tree_unflatten(treedef, leaves), tree_unflatten(treedef, tangents))
        return tangent_out

    def _vjp(self, cotangent: Any, ans: Any, *leaves: Any, treedef: TreeDef) -> tuple:
        # The tangent map t -> rule(x, t)[1] is linear; the reverse mode of a linear map
        # is its transpose, whatever point it is taken at.
        def tangent_map(*tangents: Any) -> Any:
            return self._jvp(tangents, ans, *leaves, treedef=treedef)

        zeros = [zeros_like_value(leaf) for leaf in leaves]
        _, pullback = vjp(tangent_map, *zeros)
        return pullback(cotangent)


class custom_vjp:
    """A function with a hand-written reverse-mode rule.

    ``defvjp(forward, backward)``: ``forward(*args) -> (output, residuals)`` and
    ``backward(residuals, cotangent) -> tuple of cotangents, one per argument``.

    Example:
        >>> import wengert as wg, wengert.numpy as wnp
        >>> @wg.custom_vjp
        ... def clip_gradient(x):
        ...     return x
        >>> clip_gradient.defvjp(lambda x: (x, None), lambda res, g: (wnp.clip(g, -1.0, 1.0),))
        >>> wg.grad(lambda x: 5.0 * clip_gradient(x))(2.0)
        1.0
    """

    def __init__(self, function: Callable[..., Any]) -> None:
        self.function = function
        self.forward: Callable[..., Any] | None = None
        self.backward: Callable[..., Any] | None = None
        self.__name__ = getattr(function, "__name__", "custom_vjp")
        self.__doc__ = function.__doc__
        self.primitive = Primitive(
            f"custom_vjp({self.__name__})",
            self._impl,
            jvp_joint=self._jvp,
            vjp_joint=self._vjp,
        )

    def defvjp(self, forward: Callable[..., Any], backward: Callable[..., Any]) -> None:
        """Set the forward pass (returning residuals) and the backward rule."""
        self.forward = forward
        self.backward = backward

    def __call__(self, *args: Any) -> Any:
        if self.backward is None:
            raise TypeError(f"{self.__name__}: no VJP rule; call {self.__name__}.defvjp(forward, backward)")
        leaves, treedef = tree_flatten(args)
        return bind(self.primitive, leaves, {"treedef": treedef})

    def _impl(self, *leaves: Any, treedef: TreeDef) -> Any:
        return _single_output(self.__name__, self.function(*tree_unflatten(treedef, leaves)))

    def _jvp(self, tangents: Any, ans: Any, *leaves: Any, treedef: TreeDef) -> Any:
        raise TypeError(
            f"{self.__name__} has a custom VJP rule only: forward-mode differentiation (jvp, jacfwd, "
            "hessian) cannot use it. Define a custom_jvp instead, or use reverse mode (grad, jacrev)."
        )

    def _vjp(self, cotangent: Any, ans: Any, *leaves: Any, treedef: TreeDef) -> list:
        args = tree_unflatten(treedef, leaves)
        _, residuals = self.forward(*args)
        cotangents = self.backward(residuals, cotangent)
        if not isinstance(cotangents, tuple) or len(cotangents) != len(args):
            raise TypeError(
                f"{self.__name__}: the backward rule must return a tuple with one cotangent per argument "
                f"({len(args)}), got {type(cotangents).__name__}"
                + (f" of length {len(cotangents)}" if isinstance(cotangents, tuple) else "")
            )
        flat = []
        for arg, cotangent_arg in zip(args, cotangents):
            arg_leaves, arg_tree = tree_flatten(arg)
            if cotangent_arg is None:
                flat.extend([None] * len(arg_leaves))
                continue
            ct_leaves, ct_tree = tree_flatten(cotangent_arg)
            if ct_tree != arg_tree:
                raise TypeError(f"{self.__name__}: a cotangent's structure {ct_tree!r} differs from {arg_tree!r}")
            for ct_leaf, arg_leaf in zip(ct_leaves, arg_leaves):
                if ct_leaf is not None and tuple(shape(ct_leaf)) != tuple(shape(arg_leaf)):
                    raise ValueError(
                        f"{self.__name__}: the backward rule returned a cotangent of shape {tuple(shape(ct_leaf))} "
                        f"for an argument of shape {tuple(shape(arg_leaf))}"
                    )
            flat.extend(ct_leaves)
        return flat


def _stop_gradient_batch(values: list, batched: tuple) -> Any:
    return values[0]


stop_gradient_p = Primitive("stop_gradient", lambda x: x, differentiable=False, batch=_stop_gradient_batch)


def stop_gradient(x: Any) -> Any:
    """``x``'s value, treated as a constant by every differentiating transformation.

    Example:
        >>> import wengert as wg
        >>> wg.grad(lambda x: x * wg.stop_gradient(x))(3.0)
        3.0
    """
    leaves, treedef = tree_flatten(x)
    return tree_unflatten(
        treedef, [bind(stop_gradient_p, (leaf,), {}) if isinstance(leaf, Tracer) else leaf for leaf in leaves]
    )
