"""Derivatives of a network's outputs with respect to its inputs, at every collocation point at once.

A PINN's physics loss needs ∂u/∂x_j, ∂²u/∂x_i∂x_j … of the network u at N
collocation points x (an (N, d) array, one point per row). The network acts
row by row — output row n depends on input row n only — so the Jacobian of
the whole batch is block diagonal, and one forward-mode pass with the tangent
e_j repeated on every row,

    jvp(u, (x,), (E_j,)),   E_j[n] = e_j for every n,

gives ∂u/∂x_j at all N points: the cost of about two network evaluations,
whatever N. Second derivatives are forward-over-forward (a jvp of a jvp);
mixed ones take the two unit vectors in the two passes. Reverse mode would
need one backward sweep per output component, and reverse-over-reverse for
second derivatives, so forward mode is the default here; ``mode="reverse"``
(via `wengert.vjp`) is kept for comparison and cross-checking.

By default `Derivatives` and the functions here run second-order Taylor mode
(`wengert.core.taylor.second_order_jet`) on whatever ``u`` is — a network, a
Module with its own ``forward``, a plain function: every requested derivative
of order ≤ 2 in one pass that shares the primal, and weighted sums of second
derivatives (the wave operator, the Laplacian) as one collapsed stream.
``method="jvp"`` forces jvp-of-jvp passes; the values agree to rounding.

The function ``u`` may be a plain `wengert.numpy` function or a network whose
parameters are `wengert.Tensor` leaves with ``requires_grad=True``: the
derivatives then are tensors recorded on the parameters' tape, so a loss built
from them is trained with ``loss.backward()``. Inside ``wengert.grad`` they
are tracers of that transformation, for the functional dialect.

u must map (N, d) points to (N,) or (N, k) outputs, row by row. A function that
mixes rows (a batch normalisation, a sum over points) gets the wrong
derivatives from the repeated-tangent trick, silently — only row-wise
functions are supported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from .. import numpy as wnp
from ..core import primal_value
from ..numpy._primitives import plain_or_abstract
from ..transforms import jvp, vjp
from ..transforms.operators import row_wise_jet

Function = Callable[[Any], Any]
MODES = ("forward", "reverse")
METHODS = ("auto", "taylor", "jvp")


# -- checks and unit tangents ------------------------------------------------------------------------


def _check_points(x: Any) -> Any:
    """The collocation points as an (N, d) floating-point array (lists converted; tensors kept)."""
    if isinstance(x, (list, tuple)):
        x = np.asarray(x, dtype=float)
    raw = plain_or_abstract(x)
    if raw.ndim != 2:
        raise ValueError(
            f"the collocation points must be a 2-D array of shape (N, d), one point per row; got shape {raw.shape}"
            " (reshape a 1-D array of N points with x.reshape(-1, 1))"
        )
    if raw.dtype.kind != "f":
        raise TypeError(f"the collocation points must be floating point, got dtype {raw.dtype}")
    return x


def _dimension(x: Any) -> int:
    return np.shape(primal_value(x))[1]


def _check_index(index: Any, dimension: int, what: str) -> int:
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
        raise TypeError(f"{what} must be an integer input coordinate, got {index!r}")
    if not -dimension <= index < dimension:
        raise ValueError(f"{what}={index} is out of range for points with d={dimension} coordinates")
    return int(index) % dimension


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")


def _unit_tangent(x: Any, j: int) -> np.ndarray:
    """e_j on every row: the tangent whose push-forward is ∂/∂x_j at every point."""
    raw = plain_or_abstract(x)
    tangent = np.zeros(raw.shape, dtype=raw.dtype)
    tangent[:, j] = 1
    return tangent


def _row_checked(u: Function, rows: int) -> Function:
    """u, with a check that it returns one output row per point."""

    def checked(points: Any) -> Any:
        out = u(points)
        out_shape = tuple(wnp.shape(out))
        if len(out_shape) not in (1, 2) or out_shape[0] != rows:
            raise ValueError(
                f"u must map (N, d) points to (N,) or (N, k) outputs, one row per point; "
                f"for N={rows} points it returned shape {out_shape}"
            )
        return out

    return checked


# -- the two engines ---------------------------------------------------------------------------------


def forward_tower(u: Function, x: Any, directions: Sequence[int]) -> list:
    """Every mixed derivative of u along sub-collections of ``directions``, by nested forward passes.

    Entry b of the result (a bitmask over the directions) is u differentiated
    once along each direction whose bit is set: with directions (i, j) that is
    [u, ∂_i u, ∂_j u, ∂_i∂_j u]. The innermost jvp pushes the first direction.

    Example:
        >>> u = lambda x: x[:, 0] ** 3
        >>> value, slope, _, curvature = forward_tower(u, np.array([[2.0]]), (0, 0))
        >>> float(slope[0]), float(curvature[0])
        (12.0, 12.0)
    """
    x = _check_points(x)
    directions = [_check_index(direction, _dimension(x), "directions") for direction in directions]

    def differentiate_along(function: Function, direction: int) -> Function:
        tangent = _unit_tangent(x, direction)

        def pushed(points: Any) -> list:
            values, tangents = jvp(function, (points,), (tangent,))
            return [*values, *tangents]

        return pushed

    checked = _row_checked(u, np.shape(primal_value(x))[0])
    function: Function = lambda points: [checked(points)]
    for direction in directions:
        function = differentiate_along(function, direction)
    return function(x)


def _reverse_first(u: Function, x: Any, j: int) -> Any:
    """∂u/∂x_j at every point by reverse mode: one backward sweep per output component."""
    out, pullback = vjp(_row_checked(u, np.shape(primal_value(x))[0]), x)
    out_shape = tuple(wnp.shape(out))
    dtype = plain_or_abstract(out).dtype
    if len(out_shape) == 1:
        return pullback(np.ones(out_shape, dtype=dtype))[0][:, j]
    columns = []
    for component in range(out_shape[1]):
        seed = np.zeros(out_shape, dtype=dtype)
        seed[:, component] = 1
        columns.append(pullback(seed)[0][:, j])
    return wnp.stack(columns, axis=1)


def _reverse_derivative(u: Function, x: Any, directions: Sequence[int]) -> Any:
    """u differentiated along each of ``directions`` in turn, by nested reverse mode."""
    function = u
    for direction in directions:
        function = (lambda inner, j: lambda points: _reverse_first(inner, points, j))(function, direction)
    return function(x)


# -- the public operators ------------------------------------------------------------------------------


def derivative(u: Function, x: Any, wrt: int = 0, mode: str = "forward") -> Any:
    """∂u/∂x_wrt at every collocation point (same shape as u(x)), in one forward pass.

    Example:
        >>> import wengert.numpy as wnp
        >>> x = np.array([[0.0, 1.0], [0.5, 2.0]])
        >>> derivative(lambda p: wnp.sin(p[:, :1]) * p[:, 1:], x, wrt=0)  # cos(x)·t
        array([[1.        ],
               [1.75516512]])
    """
    x = _check_points(x)
    j = _check_index(wrt, _dimension(x), "wrt")
    _check_mode(mode)
    if mode == "reverse":
        return _reverse_derivative(u, x, (j,))
    return Derivatives(u, x)((j,))


def second_derivative(u: Function, x: Any, wrt: tuple[int, int] = (0, 0), mode: str = "forward") -> Any:
    """∂²u/∂x_i∂x_j at every collocation point, by one second-order Taylor pass (u, u_i, u_j and u_ij).

    Example:
        >>> import wengert.numpy as wnp
        >>> x = np.array([[1.0, 2.0]])
        >>> float(second_derivative(lambda p: p[:, 0] ** 2 * p[:, 1] ** 3, x, wrt=(0, 1))[0])  # 2x·3t²
        24.0
    """
    x = _check_points(x)
    if not isinstance(wrt, (tuple, list)) or len(wrt) != 2:
        raise TypeError(f"wrt must be a pair (i, j) of input coordinates, got {wrt!r}")
    dimension = _dimension(x)
    i, j = (_check_index(index, dimension, "wrt") for index in wrt)
    _check_mode(mode)
    return _second(u, x, i, j, mode)


def _second(u: Function, x: Any, i: int, j: int, mode: str) -> Any:
    """∂²u/∂x_i∂x_j: by Taylor mode, or by reverse over reverse."""
    if mode == "reverse":
        return _reverse_derivative(u, x, (j, i))
    return Derivatives(u, x)((i, j))


def _spatial_indices(spatial: Iterable[int] | None, dimension: int) -> tuple[int, ...]:
    if spatial is None:
        return tuple(range(dimension))
    indices = tuple(_check_index(index, dimension, "spatial") for index in spatial)
    if not indices or len(set(indices)) != len(indices):
        raise ValueError(f"spatial must list distinct input coordinates, got {spatial!r}")
    return indices


def laplacian(
    u: Function, x: Any, spatial: Iterable[int] | None = None, mode: str = "forward", method: str = "auto"
) -> Any:
    """Σ_i ∂²u/∂x_i² over the ``spatial`` coordinates (default: all) at every collocation point.

    In forward mode (``method`` as in `Derivatives`) the whole sum is one
    collapsed Taylor stream (the forward Laplacian): 1 + d + 1 streams through
    the network instead of d jvps of jvps.

    Example:
        >>> x = np.array([[1.0, 2.0, 5.0]])
        >>> float(laplacian(lambda p: (p[:, :2] ** 2).sum(axis=1) * p[:, 2], x, spatial=(0, 1))[0])
        20.0
    """
    x = _check_points(x)
    indices = _spatial_indices(spatial, _dimension(x))
    _check_mode(mode)
    if method != "jvp" and mode == "forward":
        return Derivatives(u, x, method=method).combination({(i, i): 1.0 for i in indices})
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if method == "taylor":
        raise ValueError("method='taylor' is a forward-mode engine; it needs mode='forward'")
    total = None
    for i in indices:
        term = _second(u, x, i, i, mode)
        total = term if total is None else total + term
    return total


def gradient(u: Function, x: Any, mode: str = "forward") -> Any:
    """All first derivatives at every point: shape (N, k, d) for outputs (N, k), (N, d) for outputs (N,).

    The d forward passes run as one pass (Taylor mode's first order, batched over the d unit tangents).

    Example:
        >>> x = np.array([[1.0, 2.0]])
        >>> gradient(lambda p: p[:, :1] * p[:, 1:], x)  # (t, x)
        array([[[2., 1.]]])
    """
    x = _check_points(x)
    _check_mode(mode)
    dimension = _dimension(x)
    if mode == "reverse":
        columns = [_reverse_derivative(u, x, (j,)) for j in range(dimension)]
        return wnp.stack(columns, axis=-1)
    _, first, _ = _taylor_pass(u, x, range(dimension), [])
    return wnp.stack([first[j] for j in range(dimension)], axis=-1)


def _taylor_pass(
    u: Function,
    x: Any,
    coordinates: Iterable[int],
    streams: Sequence[Sequence[tuple[int, int, float]]],
    first_order: bool = True,
) -> tuple[Any, dict[int, Any], Any]:
    """One second-order Taylor pass: u, ∂u/∂x_i for each coordinate i given, and the streams Σ c·∂_i∂_j u.

    The tangent of coordinate i is e_i on every row (`wengert.transforms.operators.row_wise_jet`).
    With ``first_order=False`` no first derivative is computed (an empty dict).
    """
    coordinates = sorted(set(coordinates) | {index for terms in streams for i, j, _ in terms for index in (i, j)})
    raw = plain_or_abstract(x)
    if not coordinates and not streams:  # the value alone: no direction to push
        return _row_checked(u, raw.shape[0])(x), {}, None
    position = {i: n for n, i in enumerate(coordinates)}
    value, first, second = row_wise_jet(
        _row_checked(u, raw.shape[0]),
        x,
        np.eye(raw.shape[1], dtype=raw.dtype)[coordinates],
        [[(position[i], position[j], c) for i, j, c in stream] for stream in streams],
        first_order,
    )
    return value, {} if first is None else {i: first[n] for i, n in position.items()}, second


# -- several derivatives sharing passes ------------------------------------------------------------------


class Derivatives:
    """Several derivatives of u at the points x, computed together so that they share forward passes.

    Ask for derivatives by name — "u" for the value, "u_x", "u_xx", "u_xt" …
    with single-character coordinate ``names`` (the field's name before the one
    underscore is free: "phi_x"; a name such as "uxx", a derivative with its
    underscore left out, is refused) — or by index tuple: () for the value,
    (0,), (0, 0), (0, 1) …. One call returns one array, or a tuple for several requests.
    Results are cached, so later calls reuse earlier passes.

    ``method`` chooses the forward engine (``mode="forward"``):

    - ``"taylor"``: second-order Taylor mode
      (`wengert.core.taylor.second_order_jet`) — one pass pushes u, the first
      derivatives along every coordinate the requests name and one joint
      stream per requested second derivative through u together, sharing the
      primal (u_xx and u_tt: 5 streams instead of the 2 × 4 of two jvps of
      jvps). It works for any u built from wengert operations — a network, a
      Module with its own ``forward``, a plain function — and for requests of
      order ≤ 2; a third-order request raises.
    - ``"jvp"``: nested forward passes (a jvp of a jvp). Each pass along
      directions (a, b, …) yields every derivative along a sub-collection of
      them, so the passes are planned greedily from the highest order down.
      For Burgers' residual u_t + u·u_x − ν·u_xx the four quantities take
      two passes: a jvp of a jvp along x (u, u_x, u_xx) and one jvp along t.
    - ``"auto"`` (the default): Taylor mode for orders ≤ 2, jvp passes for
      third order and up. Both give the same values, to rounding.

    ``passes`` counts the forward passes run so far (a Taylor pass counts one).

    Example:
        >>> import wengert.numpy as wnp
        >>> x = np.array([[0.5, 1.0]])
        >>> fields = Derivatives(lambda p: wnp.sin(p[:, :1]) * wnp.exp(-p[:, 1:]), x, names="xt")
        >>> u, u_t, u_x, u_xx = fields("u", "u_t", "u_x", "u_xx")  # one Taylor pass
        >>> fields.passes, fields.method
        (1, 'taylor')
        >>> bool(np.allclose(u_xx, -u) and np.allclose(u_t, -u))
        True
        >>> import wengert.nn as nn
        >>> network = Derivatives(nn.MLP([2, 8, 1], seed=0), x, names="xt")
        >>> u_tt, u_xx = network("u_tt", "u_xx")
        >>> network.passes
        1
    """

    def __init__(
        self,
        u: Function,
        x: Any,
        names: Sequence[str] | str | None = None,
        mode: str = "forward",
        method: str = "auto",
    ) -> None:
        self.u = u
        self.x = _check_points(x)
        self.dimension = _dimension(self.x)
        _check_mode(mode)
        self.mode = mode
        if method not in METHODS:
            raise ValueError(f"method must be one of {METHODS}, got {method!r}")
        if method == "taylor" and mode != "forward":
            raise ValueError("method='taylor' is a forward-mode engine; it needs mode='forward'")
        self.method = "reverse" if mode == "reverse" else ("jvp" if method == "jvp" else "taylor")
        self._strict_taylor = method == "taylor"
        self.names = None if names is None else tuple(names)
        if self.names is not None:
            if len(self.names) != self.dimension:
                raise ValueError(f"names {self.names} must name each of the d={self.dimension} input coordinates")
            if any(not isinstance(name, str) or len(name) != 1 for name in self.names) or len(set(self.names)) != len(
                self.names
            ):
                raise ValueError(f"names must be distinct single characters such as 'xt', got {names!r}")
        self.passes = 0
        self._cache: dict[tuple[int, ...], Any] = {}

    def key(self, request: str | Sequence[int]) -> tuple[int, ...]:
        """The sorted index tuple of a request ("u_xt" → (0, 1) with names "xt"; () is the value)."""
        if isinstance(request, str):
            field, underscore, suffix = request.partition("_")
            if not field.isidentifier() or "_" in suffix:
                raise ValueError(
                    f"request {request!r}: ask for the value by a name such as 'u', and for a derivative by "
                    "the name, one underscore and the coordinate names, such as 'u_xt'"
                )
            if not underscore:  # the value, unless the name reads as a derivative with its underscore left out
                if self.names is not None and len(field) > 1 and all(letter in self.names for letter in field[1:]):
                    meant = "u_" + field if field[0] in self.names else field[0] + "_" + field[1:]
                    raise ValueError(
                        f"request {request!r} reads as a derivative without its underscore: "
                        f"ask for {meant!r}, or 'u' for the value"
                    )
                return ()
            if self.names is None:
                raise ValueError(
                    f"the request {request!r} names coordinates, but no names were given; "
                    "pass names='xt' (one character per input coordinate) or request index tuples such as (0, 1)"
                )
            unknown = [letter for letter in suffix if letter not in self.names]
            if not suffix or unknown:
                raise ValueError(f"request {request!r}: {suffix!r} is not made of the coordinate names {self.names}")
            return tuple(sorted(self.names.index(letter) for letter in suffix))
        if not isinstance(request, (tuple, list)):
            raise TypeError(f"a request is a string such as 'u_x' or a tuple of coordinates, got {request!r}")
        return tuple(sorted(_check_index(index, self.dimension, "request") for index in request))

    def __call__(self, *requests: str | Sequence[int]) -> Any:
        if not requests:
            raise TypeError("ask for at least one derivative, for example fields('u_x')")
        keys = [self.key(request) for request in requests]
        self._compute(keys)
        results = tuple(self._cache[key] for key in keys)
        return results[0] if len(results) == 1 else results

    def combination(self, coefficients: Mapping[str | Sequence[int], float]) -> Any:
        """Σ c·(derivative) over ``{request: c}`` at every point, such as the wave operator u_tt − c²·u_xx.

        In Taylor mode the second-order terms are pushed through the network
        as ONE stream (collapsed Taylor mode: second-order streams are linear
        in their coefficients, so their weighted sum propagates as a single
        stream), instead of one stream per term; lower-order terms come from
        the same pass. Otherwise each term is computed (and cached) as by a
        call, and the terms are summed.

        Example:
            >>> import wengert.nn as nn
            >>> x = np.array([[0.5, 1.0]])
            >>> fields = Derivatives(nn.MLP([2, 8, 1], seed=0), x, names="xt")
            >>> wave = fields.combination({"u_tt": 1.0, "u_xx": -1.0})
            >>> u_tt, u_xx = Derivatives(nn.MLP([2, 8, 1], seed=0), x, names="xt", method="jvp")("u_tt", "u_xx")
            >>> bool(np.allclose(wave.detach().numpy(), (u_tt - u_xx).detach().numpy()))
            True
        """
        if not isinstance(coefficients, Mapping) or not coefficients:
            raise TypeError(f"coefficients must be a non-empty mapping {{request: number}}, got {coefficients!r}")
        terms: dict[tuple[int, ...], float] = {}
        for request, coefficient in coefficients.items():
            if isinstance(coefficient, bool) or not isinstance(coefficient, (int, float, np.integer, np.floating)):
                raise TypeError(f"the coefficient of {request!r} must be a real number, got {coefficient!r}")
            key = self.key(request)
            terms[key] = terms.get(key, 0.0) + float(coefficient)
        label = ("combination", tuple(sorted(terms.items())))
        if label in self._cache:
            return self._cache[label]
        collapsed = {key: c for key, c in terms.items() if len(key) == 2 and c != 0.0}
        others = [key for key in terms if key not in collapsed]
        if self.method == "taylor" and collapsed:
            lower = [key[0] for key in others if len(key) == 1 and key not in self._cache]
            total = self._taylor(lower, [[(*key, c) for key, c in collapsed.items()]], first_order=bool(lower))[0]
        else:
            total, others = None, list(terms)
        self._compute(others)
        for key in others:
            if terms[key] != 0.0:
                term = self._cache[key] if terms[key] == 1.0 else self._cache[key] * terms[key]
                total = term if total is None else total + term
        if total is None:  # every coefficient was zero
            total = wnp.zeros_like(self._cache[others[0]])
        self._cache[label] = total
        return total

    def _taylor(
        self, coordinates: list[int], streams: list[list[tuple[int, int, float]]], first_order: bool = True
    ) -> Any:
        """One Taylor pass: caches u and the first derivatives it gives (none with ``first_order=False``),
        returns the streams (stacked)."""
        self.passes += 1
        value, first, second = _taylor_pass(self.u, self.x, coordinates, streams, first_order)
        self._cache.setdefault((), value)
        for i, derivative in first.items():
            self._cache.setdefault((i,), derivative)
        return second

    def _compute(self, keys: list[tuple[int, ...]]) -> None:
        missing = sorted({key for key in keys if key not in self._cache}, key=len, reverse=True)
        if self.method == "taylor":
            taylor_keys = [key for key in missing if len(key) <= 2]
            if self._strict_taylor and len(taylor_keys) < len(missing):
                raise ValueError(
                    f"method='taylor' gives derivatives of order ≤ 2; {max(missing, key=len)} has order "
                    f"{max(len(key) for key in missing)} (use method='auto' to take those by jvp passes)"
                )
            if taylor_keys:
                pairs = sorted(key for key in taylor_keys if len(key) == 2)
                second = self._taylor([key[0] for key in taylor_keys if len(key) == 1], [[(*k, 1.0)] for k in pairs])
                for k, key in enumerate(pairs):
                    self._cache.setdefault(key, second[k])
                missing = [key for key in missing if key not in self._cache]
        for key in missing:
            if key in self._cache:  # a higher-order pass of this call produced it
                continue
            self.passes += 1
            if self.mode == "reverse":
                self._cache[key] = self.u(self.x) if not key else _reverse_derivative(self.u, self.x, key)
                continue
            tower = forward_tower(self.u, self.x, key)
            for mask, value in enumerate(tower):
                sub_key = tuple(sorted(key[bit] for bit in range(len(key)) if mask >> bit & 1))
                self._cache.setdefault(sub_key, value)
