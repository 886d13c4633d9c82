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

import numpy as np

from ..core import Primitive, Tracer, bind, tree_flatten, tree_unflatten, zeros_like_value
from ..core.pytree import TreeDef
from ..numpy._primitives import dtype as wnp_dtype
from ..numpy._primitives import shape
from ._validate import NATIVE_LEAVES, describe, leaf_paths, tree_text
from .differentiate import vjp


def _single_output(name: str, out: Any) -> Any:
    if isinstance(out, (tuple, list, dict)):
        raise TypeError(
            f"{name}: a function with a custom rule must return a single array or scalar, not a {type(out).__name__}"
        )
    return out


def _rule_name(rule: Any) -> str:
    """The rule function as its author wrote it: ``log1pexp_jvp``, ``test_clip.<locals>.<lambda>``."""
    return getattr(rule, "__qualname__", None) or getattr(rule, "__name__", None) or repr(rule)


def _require_callable(value: Any, owner: str, what: str) -> None:
    if not callable(value):
        raise TypeError(f"{owner}: {what} must be a function, got {describe(value)}")


def _kind_of(value: Any) -> str:
    """``a tuple of length 3``, ``a float``."""
    if _is_array_value(value):
        return f"a single value ({_signature(value)})"
    length = f" of length {len(value)}" if isinstance(value, (tuple, list)) else ""
    return f"a {type(value).__name__}{length}"


def _is_array_value(value: Any) -> bool:
    return isinstance(value, NATIVE_LEAVES) and not isinstance(value, complex)


def _signature(value: Any) -> str:
    """``float64[2, 3]``: the shape and dtype of a value, as rule messages show them."""
    return f"{wnp_dtype(value)}{list(shape(value))}"


def _check_like(value: Any, expected: Any, owner: str, what: str, of: str) -> Any:
    """``value`` (a rule's output) must be one array of ``expected``'s shape and floating dtype.

    Python numbers (which carry no dtype) take ``expected``'s dtype. Returns the value.
    """
    if isinstance(value, (tuple, list, dict)) or value is None or not _is_array_value(value):
        shown = _kind_of(value)
        raise TypeError(f"{owner}: {what} must be a single array like {of} ({_signature(expected)}), got {shown}")
    if tuple(shape(value)) != tuple(shape(expected)):
        raise ValueError(
            f"{owner}: {what} has shape {tuple(shape(value))} but {of} has shape {tuple(shape(expected))} "
            f"(expected {_signature(expected)}, got {_signature(value)})"
        )
    expected_dtype = wnp_dtype(expected)
    if type(value) in (float, int):
        if expected_dtype.kind == "f" and expected_dtype != np.float64:
            return np.asarray(value, dtype=expected_dtype)
        return value
    value_dtype = wnp_dtype(value)
    if expected_dtype.kind == "f" and value_dtype != expected_dtype:
        raise TypeError(
            f"{owner}: {what} has dtype {value_dtype} but {of} has dtype {expected_dtype} "
            f"(expected {_signature(expected)}, got {_signature(value)}); convert it with .astype(np.{expected_dtype})"
        )
    return value


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
        _require_callable(function, "custom_jvp", "the decorated object")
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
        """Set the rule ``rule(primals, tangents) -> (primal_out, tangent_out)``.

        When the rule runs, its result is checked: a pair whose primal output
        has the function's shape and dtype, and whose tangent has them too
        (errors name the rule by its ``__qualname__``).
        """
        _require_callable(rule, f"{self.__name__}.defjvp", "the JVP rule")
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
        rule = self.jvp_rule
        result = rule(tree_unflatten(treedef, leaves), tree_unflatten(treedef, tangents))
        owner = f"{self.__name__}: the JVP rule {_rule_name(rule)}"
        if not (isinstance(result, (tuple, list)) and len(result) == 2):
            raise TypeError(f"{owner} must return a pair (primal_out, tangent_out), got {_kind_of(result)}")
        primal_out, tangent_out = result
        if ans is not None:
            _check_like(primal_out, ans, owner, "the primal output it returned", f"{self.__name__}'s output")
        expected = ans if ans is not None else primal_out
        return _check_like(tangent_out, expected, owner, "the tangent it returned", f"{self.__name__}'s output")

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
        _require_callable(function, "custom_vjp", "the decorated object")
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
        """Set the forward pass (returning residuals) and the backward rule.

        When they run, their results are checked: ``forward`` returns a pair
        whose output has the function's shape and dtype; ``backward`` returns
        one cotangent (or None) per argument, each of its argument's
        structure, shape and dtype (errors name the rule by its ``__qualname__``).
        """
        _require_callable(forward, f"{self.__name__}.defvjp", "the forward pass")
        _require_callable(backward, f"{self.__name__}.defvjp", "the backward rule")
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
        forward, backward = self.forward, self.backward
        result = forward(*args)
        if not (isinstance(result, (tuple, list)) and len(result) == 2):
            raise TypeError(
                f"{self.__name__}: the forward pass {_rule_name(forward)} must return a pair (output, residuals), "
                f"got {_kind_of(result)}"
            )
        output, residuals = result
        if ans is not None:
            _check_like(
                output,
                ans,
                f"{self.__name__}: the forward pass {_rule_name(forward)}",
                "the output it returned",
                f"{self.__name__}'s output",
            )
        cotangents = backward(residuals, cotangent)
        owner = f"{self.__name__}: the backward rule {_rule_name(backward)}"
        if not isinstance(cotangents, tuple) or len(cotangents) != len(args):
            raise TypeError(
                f"{owner} must return a tuple with one cotangent per argument "
                f"({len(args)}), got {type(cotangents).__name__}"
                + (f" of length {len(cotangents)}" if isinstance(cotangents, tuple) else "")
            )
        flat = []
        for position, (arg, cotangent_arg) in enumerate(zip(args, cotangents)):
            arg_leaves, arg_tree = tree_flatten(arg)
            if cotangent_arg is None:
                flat.extend([None] * len(arg_leaves))
                continue
            ct_leaves, ct_tree = tree_flatten(cotangent_arg)
            if ct_tree != arg_tree:
                raise TypeError(
                    f"{owner} returned for argument {position} a cotangent whose structure {ct_tree!r} differs "
                    f"from {arg_tree!r}, the argument's: expected {tree_text(arg_tree)}, got {tree_text(ct_tree)}"
                )
            paths = leaf_paths(arg_tree)
            for index, (ct_leaf, arg_leaf) in enumerate(zip(ct_leaves, arg_leaves)):
                if ct_leaf is not None:
                    ct_leaves[index] = _check_like(
                        ct_leaf,
                        arg_leaf,
                        owner,
                        f"the cotangent it returned for argument {position}{paths[index]}",
                        "that argument",
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
