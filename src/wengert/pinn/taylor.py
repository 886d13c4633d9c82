"""Second-order Taylor mode for networks of affine layers and elementwise activations.

A PINN loss needs u, ∂u/∂x_i and ∂²u/∂x_i∂x_j of a network at N points. A jvp
of a jvp pushes four values (u, ∂_i u, ∂_j u, ∂_i∂_j u) through the network for
each pair (i, j), so u_xx and u_tt cost 2 × 4 streams and the primal is
evaluated twice. Taylor mode pushes all the requested coefficients at once,
and they share the primal:

- the primal stream h;
- one first-order stream ḣ_i per coordinate i that any request mentions;
- one second-order stream ḧ_ij per requested pair (i, j) — a joint stream,
  exact, with no polarisation identity.

For u_xx and u_tt that is 1 + 2 + 2 = 5 streams instead of 8. Through an
affine layer z = h·W + b every stream is a matrix product with the same W (the
bias goes on the primal only). Through an elementwise activation σ, with
z̈_ij the incoming second-order stream,

    y = σ(z),   ẏ_i = σ'(z)·ż_i,   ÿ_ij = σ''(z)·ż_i·ż_j + σ'(z)·z̈_ij,

with closed forms for σ' and σ'' where there are (tanh: σ' = 1 − y²,
σ'' = −2y·σ'; sigmoid; softplus; sin; relu; identity) and wengert's own
forward mode otherwise (a jvp of a jvp of σ with unit tangents, for GELU,
SiLU and other known elementwise functions). The input tangents are the unit
vectors e_i, the same on every row, so after the first affine layer ż_i is one
row of W broadcast over the points, and z̈_ij = 0 there.

Everything is written with `wengert.numpy` operations: on a network whose
parameters are tensors with ``requires_grad=True`` the results are recorded on
their tape (``loss.backward()`` reaches them), and inside `wengert.grad` the
results are tracers of that transformation.

Networks recognised (`network_stages`): `wengert.nn.MLP`, `wengert.nn.Sequential`
(nested too) of `wengert.nn.Linear` and the activation modules of
`wengert.nn` (`Tanh`, `Sigmoid`, `Softplus`, `Sin`, `ReLU`, `SiLU`, `GELU`,
`Identity`, and `Lambda` of a known elementwise `wengert.numpy` function), a
``functools.partial(wengert.nn.functional_call, module, values)`` of such a
module (the functional dialect), and `DenseNetwork`. Anything else — a
subclass that overrides ``forward``, a ``Lambda`` of an unknown function, a
plain Python function — is not recognised, and `wengert.pinn.Derivatives`
falls back to its jvp-of-jvp passes.

Example:
    >>> import numpy as np
    >>> import wengert.nn as nn
    >>> model = nn.MLP([2, 8, 1], activation="tanh", seed=0)
    >>> points = np.random.default_rng(0).uniform(size=(4, 2))
    >>> fields = taylor_fields(network_stages(model), points, [(), (0, 0), (1, 1)])
    >>> sorted(fields), fields[(0, 0)].shape
    ([(), (0,), (0, 0), (1,), (1, 1)], (4, 1))
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import numpy as wnp
from ..core import Tracer, primal_value
from ..numpy._primitives import plain_or_abstract
from ..numpy.logic import mask_value
from ..numpy.products import linear
from ..numpy.taylor_steps import tanh_taylor_step
from ..transforms import jvp

Key = tuple[int, ...]


# -- stages -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Affine:
    """``h ↦ h @ weight + bias`` (``bias`` may be None); ``weight`` has shape (in, out).

    A `wengert.nn.Linear` layer, whose weight is (out, in), becomes the stage of its weight's transposed view.
    """

    weight: Any
    bias: Any = None


@dataclass(frozen=True)
class Activation:
    """An elementwise function σ: ``kind`` names a closed form, or "generic" (σ', σ'' by forward mode).

    ``scale`` is the inner factor of ``sin(scale·z)`` and ``softplus(scale·z)/scale``;
    ``function`` is σ itself for the generic kind.
    """

    kind: str
    scale: float = 1.0
    function: Callable[[Any], Any] | None = None


Stage = Affine | Activation


# -- the closed forms -----------------------------------------------------------------------------------


def _activation_jets(stage: Activation, z: Any, second: bool) -> tuple[Any, Any, Any, Any]:
    """(σ(z), σ'(z), ratio, σ''(z)) for one stage; σ'' = ratio·σ' when ``ratio`` is given, else ``σ''`` itself.

    σ'' (or its ratio) is only formed when ``second`` is true; None means a zero.
    """
    kind = stage.kind
    if kind == "tanh":
        value = wnp.tanh(z)
        slope = 1.0 - wnp.square(value)
        return value, slope, (value * -2.0 if second else None), None
    if kind == "sigmoid":
        value = wnp.sigmoid(z)
        slope = value * (1.0 - value)
        return value, slope, (1.0 - 2.0 * value if second else None), None
    if kind == "softplus":
        beta = stage.scale
        if beta == 1.0:
            value, slope = wnp.softplus(z), wnp.sigmoid(z)
        else:
            value, slope = wnp.softplus(z * beta) / beta, wnp.sigmoid(z * beta)
        return value, slope, ((1.0 - slope) * beta if second else None), None
    if kind == "sin":
        omega = stage.scale
        inner = z if omega == 1.0 else z * omega
        value = wnp.sin(inner)
        slope = wnp.cos(inner) if omega == 1.0 else wnp.cos(inner) * omega
        return value, slope, None, (value * -(omega * omega) if second else None)
    if kind == "relu":
        # relu' is the step (0 at 0, as wengert's convention), constant between kinks: relu'' = 0.
        raw = plain_or_abstract(z)
        return wnp.relu(z), wnp.astype(wnp.greater(mask_value(z), 0), raw.dtype), None, None
    if kind == "generic":
        return _generic_jets(stage.function, z, second)
    raise ValueError(f"unknown activation kind {kind!r}")  # pragma: no cover (stages are built here)


def _generic_jets(function: Callable[[Any], Any], z: Any, second: bool) -> tuple[Any, Any, Any, Any]:
    """σ, σ' and σ'' of an elementwise σ by forward mode: a jvp (of a jvp) with the tangent 1 everywhere."""
    raw = plain_or_abstract(z)
    ones = np.ones(raw.shape, dtype=raw.dtype)
    if not second:
        value, slope = jvp(function, (z,), (ones,))
        return value, slope, None, None
    (value, slope), (_, curvature) = jvp(lambda q: jvp(function, (q,), (ones,)), (z,), (ones,))
    return value, slope, None, curvature


# -- the propagation --------------------------------------------------------------------------------------


def _check_keys(keys: Iterable[Key], dimension: int) -> list[Key]:
    checked = []
    for key in keys:
        key = tuple(sorted(int(index) for index in key))
        if len(key) > 2:
            raise ValueError(f"Taylor mode here is second order; the request {key} has order {len(key)}")
        if any(not 0 <= index < dimension for index in key):
            raise ValueError(f"the request {key} names a coordinate outside 0..{dimension - 1}")
        checked.append(key)
    return checked


def _check_combination(label: Hashable, coefficients: Mapping[Key, float], dimension: int) -> list[tuple]:
    """The terms (i, j, c) of Σ c·∂_i∂_j u, ones (c = 1) first so that −1 terms become subtractions."""
    if not coefficients:
        raise ValueError(f"the combination {label!r} has no terms")
    terms = []
    for key, coefficient in coefficients.items():
        (pair,) = _check_keys([key], dimension)
        if len(pair) != 2:
            raise ValueError(f"the combination {label!r} has the term {key} of order {len(pair)}; only second order")
        terms.append((*pair, float(coefficient)))
    return sorted(terms, key=lambda term: term[2] != 1.0)


def _quadratic(first: dict[int, Any], terms: list[tuple]) -> Any:
    """Σ c·ż_i·ż_j: the first-order streams' share of a second-order stream through an activation."""
    total = None
    for i, j, coefficient in terms:
        # wnp.square: one node whose rule needs no second cotangent to add up, unlike ż·ż
        product = wnp.square(first[i]) if i == j else first[i] * first[j]
        if total is None:
            total = product if coefficient == 1.0 else product * coefficient
        elif coefficient == 1.0:
            total = total + product
        elif coefficient == -1.0:
            total = total - product
        else:
            total = total + product * coefficient
    return total


def _times(a: Any, b: Any) -> Any:
    """a·b with None as a symbolic zero."""
    if a is None or b is None:
        return None
    return a * b


def _plus(a: Any, b: Any) -> Any:
    """a + b with None as a symbolic zero."""
    if a is None:
        return b
    if b is None:
        return a
    return a + b


def taylor_fields(
    stages: Sequence[Stage],
    x: Any,
    keys: Iterable[Key],
    combinations: Mapping[Hashable, Mapping[Key, float]] | None = None,
) -> dict[Any, Any]:
    """u and its input derivatives of order ≤ 2 at every point, pushed through ``stages`` together.

    ``keys`` are sorted index tuples: () for u, (i,) for ∂u/∂x_i, (i, j) for
    ∂²u/∂x_i∂x_j. The result holds every requested key, and also u and the
    first derivatives that the second-order streams needed (they come free).

    ``combinations`` maps labels to coefficients ``{(i, j): c, …}``: each is
    Σ c·∂²u/∂x_i∂x_j pushed as ONE second-order stream (collapsed Taylor mode:
    the streams are linear in the second-order coefficients, so a weighted sum
    of them propagates as a single stream) — a wave operator u_tt − u_xx or a
    Laplacian costs one stream instead of one per term. The result holds it
    under its label.

    Example:
        >>> w = np.array([[2.0], [3.0]])
        >>> fields = taylor_fields([Affine(w), Activation("sin")], np.array([[0.5, 0.0]]), [(0, 1)])
        >>> round(float(fields[(0, 1)][0, 0]), 6), round(float(fields[(0,)][0, 0]), 6)  # −6·sin(1), 2·cos(1)
        (-5.048826, 1.080605)
        >>> operator = {"wave": {(1, 1): 1.0, (0, 0): -1.0}}  # u_tt − u_xx as one stream
        >>> wave = taylor_fields([Affine(w), Activation("sin")], np.array([[0.5, 0.0]]), [], operator)
        >>> round(float(wave["wave"][0, 0]), 6)  # (9 − 4)·(−sin(1))
        -4.207355
    """
    raw = plain_or_abstract(x)
    if raw.ndim != 2:
        raise ValueError(f"the points must be a 2-D array of shape (N, d), got shape {raw.shape}")
    dimension = raw.shape[1]
    keys = _check_keys(keys, dimension)
    # each second-order stream: its terms (i, j, c) and its value (None: zero, as at the input)
    terms: dict[Any, list[tuple]] = {key: [(*key, 1.0)] for key in sorted({key for key in keys if len(key) == 2})}
    for label, coefficients in (combinations or {}).items():
        terms[label] = _check_combination(label, coefficients, dimension)
    directions = sorted(
        {index for key in keys for index in key} | {t[k] for ts in terms.values() for t in ts for k in (0, 1)}
    )
    dtype = raw.dtype
    if FUSED_TANH and _fusable(stages):
        return _fused_fields(stages, x, directions, terms, dtype)
    # the unit tangent e_i, one row broadcast over every point
    first: dict[int, Any] = {}
    for i in directions:
        unit = np.zeros((1, dimension), dtype=dtype)
        unit[0, i] = 1
        first[i] = unit
    second: dict[Any, Any] = dict.fromkeys(terms)
    value = x
    for stage in stages:
        if isinstance(stage, Affine):
            value = stage_affine(value, stage)
            first = {i: stream @ stage.weight for i, stream in first.items()}
            second = {label: None if stream is None else stream @ stage.weight for label, stream in second.items()}
            continue
        if stage.kind == "identity":
            continue
        value, slope, ratio, curvature = _activation_jets(stage, value, bool(second))
        if ratio is not None and any(stream is None for stream in second.values()):
            curvature = ratio * slope  # shared by the streams that start here (z̈ = 0)
        new_second = {}
        for label, stream in second.items():
            tangents = _quadratic(first, terms[label])
            if stream is None:  # ÿ = σ''·Σ c·ż_i·ż_j
                new_second[label] = _times(curvature, tangents)
            elif ratio is not None:  # σ'' = ratio·σ': ÿ = σ'·(z̈ + ratio·Σ c·ż_i·ż_j)
                new_second[label] = slope * (stream + ratio * tangents)
            else:
                new_second[label] = _plus(_times(curvature, tangents), slope * stream)
        second = new_second
        first = {i: slope * stream for i, stream in first.items()}
    fields: dict[Any, Any] = {(): value}
    out_shape = tuple(wnp.shape(value))
    for i, stream in first.items():
        fields[(i,)] = _full(stream, out_shape, dtype)
    for label, stream in second.items():
        fields[label] = _full(stream, out_shape, dtype)
    return fields


# -- tanh networks: the fused step ---------------------------------------------------------------------------

# True sends networks whose activations are all tanh through the fused path: the streams stacked along
# the rows (one matrix product per affine layer) and `tanh_taylor_step` (one node per activation, in place,
# in cache-sized chunks). The results agree with the composed path to rounding. The fused path allocates
# less (B3's step peaks at 36 MiB instead of 44), which made it the faster one while glibc handed memory
# back after every step; with the allocator settled (`wengert.numpy.allocator`) the composed path's
# whole-array operations win: B3 5-stream 23.1 ms fused against 21.8 composed, collapsed 20.5 against
# 17.4, float32 and the functional dialect alike, a 10,000-point Burgers network even (71.5 / 69.9 ms).
FUSED_TANH = False


def _fusable(stages: Sequence[Stage]) -> bool:
    """Whether every activation is tanh (or the identity) and there is at least one tanh."""
    kinds = {stage.kind for stage in stages if isinstance(stage, Activation)}
    return "tanh" in kinds and kinds <= {"tanh", "identity"}


def _fused_fields(
    stages: Sequence[Stage], x: Any, directions: list[int], terms: dict[Any, list[tuple]], dtype: np.dtype
) -> dict[Any, Any]:
    """`taylor_fields` for tanh networks, the streams stacked along the rows through `tanh_taylor_step`.

    Until the first activation the first-order streams are one row each (ż_i = e_i·W…, shared by every
    point) and the second-order streams are zero, so the stack is the points and then one row per
    direction: ``entry`` form. Every affine layer is one matrix product of the whole stack; its bias
    waits for the next tanh step (which adds it to the primal block) or for the output.
    """
    points, dimension = np.shape(primal_value(x))
    position = {direction: k for k, direction in enumerate(directions)}
    labels = list(terms)
    step_terms = tuple(tuple((position[i], position[j], c) for i, j, c in terms[label]) for label in labels)
    units = np.zeros((len(directions), dimension), dtype=dtype)
    units[np.arange(len(directions)), directions] = 1
    stack = wnp.concatenate([x, units], axis=0)
    entry, bias = True, None
    for stage in stages:
        if isinstance(stage, Affine):
            if bias is not None:  # two affine layers in a row: the first one's bias joins the primal now
                stack = _add_to_primal(stack, bias, points)
            stack, bias = stack @ stage.weight, stage.bias
        elif stage.kind == "tanh":
            stack = tanh_taylor_step(stack, bias, first=len(directions), terms=step_terms, entry=entry)
            entry, bias = False, None
    count = 1 + len(directions) + len(labels)
    blocks = [stack[k * points : (k + 1) * points] for k in range(count)]
    fields: dict[Any, Any] = {(): blocks[0] if bias is None else blocks[0] + bias}
    for k, direction in enumerate(directions):
        fields[(direction,)] = blocks[1 + k]
    for k, label in enumerate(labels):
        fields[label] = blocks[1 + len(directions) + k]
    return fields


def _add_to_primal(stack: Any, bias: Any, points: int) -> Any:
    """The bias added to the first ``points`` rows (the primal block) only."""
    rows = wnp.shape(stack)[0]
    mask = np.zeros((rows, 1), dtype=plain_or_abstract(stack).dtype)
    mask[:points] = 1
    return stack + mask * bias


def stage_affine(value: Any, stage: Affine) -> Any:
    """The primal stream through an affine stage: ``value @ weight + bias`` as one fused ``linear`` primitive."""
    if stage.bias is None:
        return value @ stage.weight
    return linear(value, stage.weight, stage.bias)


def _full(stream: Any, shape: tuple[int, ...], dtype: np.dtype) -> Any:
    """A stream at the output's shape: zeros for a symbolic zero, broadcast for a row shared by every point."""
    if stream is None:
        return np.zeros(shape, dtype=dtype)
    if tuple(wnp.shape(stream)) != shape:
        return wnp.broadcast_to(stream, shape)
    return stream


# -- recognising networks -------------------------------------------------------------------------------


@dataclass
class DenseNetwork:
    """A dense network given by its weights, callable as ``u(points)``, that `Derivatives` runs in Taylor mode.

    ``parameters`` is ``[W1, b1, W2, b2, …]`` with W of shape (in, out), JAX's
    layout for ``x @ W`` (not `wengert.nn.Linear`'s (out, in)) (arrays,
    tensors or tracers — the functional dialect's way in); ``activation`` (a
    name: "tanh", "sigmoid", "softplus", "sin", "relu") follows every layer but
    the last.

    Example:
        >>> net = DenseNetwork([np.ones((2, 3)), np.zeros(3), np.ones((3, 1)), np.zeros(1)], "tanh")
        >>> net(np.zeros((5, 2))).shape
        (5, 1)
    """

    parameters: Sequence[Any]
    activation: str = "tanh"

    def __post_init__(self) -> None:
        if len(self.parameters) < 2 or len(self.parameters) % 2:
            raise ValueError(f"DenseNetwork: parameters must be [W1, b1, W2, b2, …], got {len(self.parameters)} items")
        if self.activation not in _CLOSED_FORMS:
            raise ValueError(
                f"DenseNetwork: activation must be one of {sorted(_CLOSED_FORMS)}, got {self.activation!r}"
            )

    def stages(self) -> list[Stage]:
        """The affine and activation stages, in order."""
        stages: list[Stage] = []
        layers = len(self.parameters) // 2
        for layer in range(layers):
            stages.append(Affine(self.parameters[2 * layer], self.parameters[2 * layer + 1]))
            if layer < layers - 1:
                stages.append(Activation(self.activation))
        return stages

    def __call__(self, points: Any) -> Any:
        value = points
        for stage in self.stages():
            if isinstance(stage, Affine):
                value = stage_affine(value, stage)
            else:
                value = _activation_jets(stage, value, False)[0]
        return value


_CLOSED_FORMS = ("identity", "tanh", "sigmoid", "softplus", "sin", "relu")


def _function_stage(function: Callable[[Any], Any]) -> Activation | None:
    """The stage of a known elementwise `wengert.numpy` function, else None."""
    closed = {wnp.tanh: "tanh", wnp.sigmoid: "sigmoid", wnp.softplus: "softplus", wnp.sin: "sin", wnp.relu: "relu"}
    for known, kind in closed.items():
        if function is known:
            return Activation(kind)
    generic = (wnp.cos, wnp.exp, wnp.sinh, wnp.cosh, wnp.arctan, wnp.arcsinh, wnp.square, wnp.expm1)
    if any(function is known for known in generic):
        return Activation("generic", function=function)
    return None


def _module_stages(module: Any, prefix: str, values: dict[str, Any], stages: list[Stage]) -> bool:
    """Append the stages of ``module`` (parameters named ``prefix…`` taken from ``values`` first); False if unknown."""
    from .. import nn
    from .problems import FieldNetwork

    kind = type(module)  # exact types: a subclass may override forward
    if kind is FieldNetwork:
        start = len(stages)
        if not _module_stages(module.net, f"{prefix}net.", values, stages):
            return False
        if module.center is not None:
            _fold_input_map(stages, start, module.center, module.inverse_half_width)
        return True
    if kind is nn.MLP:
        return _module_stages(module.layers, f"{prefix}layers.", values, stages)
    if kind is nn.Sequential:
        return all(_module_stages(child, f"{prefix}{name}.", values, stages) for name, child in module._modules.items())
    if kind is nn.Linear:
        weight = values.get(f"{prefix}weight", module.__dict__["weight"])
        bias = values.get(f"{prefix}bias", module.__dict__["bias"])
        if len(wnp.shape(weight)) != 2:
            return False  # the layer's own forward gives the error
        stages.append(Affine(wnp.transpose(weight), bias))  # Linear keeps (out, in); the stage reads (in, out)
        return True
    simple = {nn.Tanh: "tanh", nn.Sigmoid: "sigmoid", nn.ReLU: "relu", nn.Identity: "identity"}
    if kind in simple:
        stages.append(Activation(simple[kind]))
        return True
    if kind is nn.Softplus:
        stages.append(Activation("softplus", scale=module.beta))
        return True
    if kind is nn.Sin:
        stages.append(Activation("sin", scale=module.frequency))
        return True
    if kind in (nn.SiLU, nn.GELU):
        stages.append(Activation("generic", function=module))
        return True
    if kind is nn.Lambda:
        stage = _function_stage(module.function)
        if stage is None:
            return False
        stages.append(stage)
        return True
    return False


def _fold_input_map(stages: list[Stage], start: int, center: np.ndarray, scale: np.ndarray) -> None:
    """Put x ↦ (x − center)·scale in front of ``stages[start:]``: into the affine stage there, else as its own."""
    first = stages[start] if start < len(stages) else None
    if isinstance(first, Affine):
        kind = plain_or_abstract(first.weight).dtype
        scale, center = np.asarray(scale, dtype=kind), np.asarray(center, dtype=kind)
        weight = first.weight * scale[:, None]  # (x − c)·s @ W + b = x @ (s·W) + (b − (c·s) @ W)
        shift = wnp.matmul(center * scale, first.weight)
        stages[start] = Affine(weight, -shift if first.bias is None else first.bias - shift)
    else:
        stages.insert(start, Affine(np.diag(scale), -center * scale))


def network_stages(u: Any) -> list[Stage] | None:
    """The affine and activation stages of ``u`` when it is a network Taylor mode knows, else None.

    Example:
        >>> import wengert.nn as nn
        >>> [type(stage).__name__ for stage in network_stages(nn.MLP([2, 4, 1], seed=0))]
        ['Affine', 'Activation', 'Affine']
        >>> network_stages(lambda p: p) is None
        True
    """
    if isinstance(u, DenseNetwork):
        return u.stages()
    values: dict[str, Any] = {}
    if isinstance(u, functools.partial):
        from ..nn import functional_call

        if u.func is not functional_call or len(u.args) != 2 or u.keywords or not isinstance(u.args[1], dict):
            return None
        u, values = u.args
    from ..nn import Module

    if not isinstance(u, Module):
        return None
    stages: list[Stage] = []
    if not _module_stages(u, "", values, stages):
        return None
    return stages


def prepared_points(stages: Sequence[Stage], x: Any) -> Any:
    """The points as the first layer takes them, or None when Taylor mode should leave the call to u itself.

    `wengert.nn.Linear` converts plain arrays to its weights' dtype and raises
    its own errors for a wrong width or a traced input of another dtype; for
    those the jvp path (which calls the network) gives the same error.
    """
    first = next((stage for stage in stages if isinstance(stage, Affine)), None)
    if first is None:
        return x
    weight_shape = tuple(wnp.shape(first.weight))
    weight_dtype = plain_or_abstract(first.weight).dtype
    raw = plain_or_abstract(x)
    if raw.dtype != weight_dtype and (isinstance(x, Tracer) or not isinstance(stages[0], Affine)):
        return None  # Linear's conversion (or its error) happens inside the network: let the network do it
    if not isinstance(stages[0], Affine):
        return x
    if len(weight_shape) != 2 or raw.shape[1] != weight_shape[0]:
        return None
    if raw.dtype != weight_dtype:
        return raw.astype(weight_dtype)
    return x


__all__ = ["Activation", "Affine", "DenseNetwork", "network_stages", "prepared_points", "taylor_fields"]
