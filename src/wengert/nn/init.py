"""Initial values of weights: PyTorch's in-place initialisers (``xavier_uniform_``...) and array initialisers.

Two families live here.

PyTorch's ``torch.nn.init``: ``uniform_``, ``normal_``, ``constant_``,
``zeros_``, ``ones_``, ``eye_``, ``xavier_uniform_``, ``xavier_normal_``,
``kaiming_uniform_``, ``kaiming_normal_``, ``trunc_normal_``, ``orthogonal_``
and ``calculate_gain``, with PyTorch's names, arguments and semantics. Each
fills a tensor (a `Parameter`, say) in place and returns it. Fans are
PyTorch's, for its ``(out_features, in_features)`` layout (that of
`wengert.nn.Linear`): ``fan_in = shape[1]·k``, ``fan_out = shape[0]·k`` with
``k`` the product of the remaining axes. Draws come from the default
generator (``wg.manual_seed`` seeds it) unless ``generator=`` is given. As in
PyTorch they are not recorded by autograd, and they advance the tensor's
version counter, so a backward pass through a graph that saved the old
values raises instead of silently using stale ones.

Array initialisers, the JAX dialect's: ``glorot_normal``, ``glorot_uniform``,
``kaiming_normal``, ``kaiming_uniform``, ``normal``, ``uniform``, ``zeros``
return a new NumPy array of a given shape, read as ``(in, out)`` (JAX's
layout, for ``x @ W``): the first axis is the fan-in, the second the fan-out.
Values are drawn in float64 and then rounded to ``dtype``, so a float32 model
starts from the float64 model's values, rounded.

Example:
    >>> import numpy as np
    >>> import wengert as wg
    >>> from wengert.nn import Parameter
    >>> w = Parameter(np.empty((300, 200)))
    >>> _ = wg.manual_seed(0)
    >>> xavier_normal_(w) is w
    True
    >>> round(float(w.detach().numpy().std() / np.sqrt(2 / 500)), 1)
    1.0
    >>> round(float(glorot_normal((200, 300), rng=np.random.default_rng(0)).std() / np.sqrt(2 / 500)), 1)
    1.0
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from ..core import Tracer
from ..generator import Generator, numpy_generator
from ..tensor import Tensor
from .module import Parameter, set_values_  # noqa: F401 (Parameter: the examples use it)

Shape = tuple[int, ...]


def make_rng(rng: Any = None, seed: int | None = None) -> np.random.Generator:
    """The NumPy ``Generator`` to draw from: ``rng`` (a NumPy or wengert Generator, or an integer seed), or ``seed``.

    With neither, the default generator (the one ``wg.manual_seed`` seeds), so
    that a script seeded once draws the same initial weights every run.

    Example:
        >>> int(make_rng(seed=3).integers(100)) == int(make_rng(3).integers(100))
        True
    """
    if rng is not None and seed is not None:
        raise ValueError("pass either rng= or seed=, not both")
    if rng is None:
        return numpy_generator(seed=seed)
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, Generator):
        return rng.numpy
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise TypeError(
        f"rng must be a numpy.random.Generator, a wengert.Generator or an integer seed, got {type(rng).__name__} "
        "(make one with np.random.default_rng(seed))"
    )


def fans(shape: Shape) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight of ``shape`` read in the array initialisers' ``(in, out)`` layout.

    (PyTorch's ``(out, in)`` layout, that of the in-place initialisers, is `fan_in_and_fan_out`.)

    Example:
        >>> fans((3, 5))
        (3, 5)
    """
    shape = tuple(int(n) for n in shape)
    if len(shape) == 2:
        return shape[0], shape[1]
    if len(shape) == 1:
        return shape[0], shape[0]
    raise ValueError(f"fans(): expected a 1-D or 2-D weight shape (in, out), got {shape}")


def _float_dtype(dtype: Any) -> np.dtype:
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"initial weights must have a floating dtype, got {dtype}")
    return dtype


def normal(shape: Shape, std: float = 1.0, rng: Any = None, dtype: Any = np.float64) -> np.ndarray:
    """Independent normal values of mean 0 and standard deviation ``std``."""
    return (std * make_rng(rng).standard_normal(shape)).astype(_float_dtype(dtype))


def uniform(shape: Shape, low: float = -1.0, high: float = 1.0, rng: Any = None, dtype: Any = np.float64) -> np.ndarray:
    """Independent values uniform on ``[low, high)``."""
    return make_rng(rng).uniform(low, high, shape).astype(_float_dtype(dtype))


def zeros(shape: Shape, rng: Any = None, dtype: Any = np.float64) -> np.ndarray:
    """Zeros (``rng`` is accepted and ignored, so that every initialiser has one signature)."""
    return np.zeros(shape, dtype=_float_dtype(dtype))


def glorot_normal(shape: Shape, rng: Any = None, dtype: Any = np.float64, gain: float = 1.0) -> np.ndarray:
    """Glorot (Xavier) normal: standard deviation ``gain·√(2 / (fan_in + fan_out))``."""
    fan_in, fan_out = fans(shape)
    return normal(shape, gain * math.sqrt(2.0 / (fan_in + fan_out)), rng, dtype)


def glorot_uniform(shape: Shape, rng: Any = None, dtype: Any = np.float64, gain: float = 1.0) -> np.ndarray:
    """Glorot (Xavier) uniform on ``±gain·√(6 / (fan_in + fan_out))``."""
    fan_in, fan_out = fans(shape)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform(shape, -bound, bound, rng, dtype)


def _kaiming_gain(a: float) -> float:
    """The gain of a leaky ReLU of negative slope ``a`` (√2 for ReLU, a = 0)."""
    return math.sqrt(2.0 / (1.0 + a * a))


def kaiming_normal(shape: Shape, rng: Any = None, dtype: Any = np.float64, a: float = 0.0) -> np.ndarray:
    """He (Kaiming) normal for (leaky) ReLU layers: standard deviation ``√(2 / (1 + a²)) / √fan_in``."""
    fan_in, _ = fans(shape)
    return normal(shape, _kaiming_gain(a) / math.sqrt(fan_in), rng, dtype)


def kaiming_uniform(shape: Shape, rng: Any = None, dtype: Any = np.float64, a: float = 0.0) -> np.ndarray:
    """He (Kaiming) uniform on ``±√(2 / (1 + a²))·√(3 / fan_in)``.

    With ``a = √5`` the bound is ``1/√fan_in``: PyTorch's default for ``nn.Linear`` weights.

    Example:
        >>> w = kaiming_uniform((4, 3), rng=0, a=np.sqrt(5))
        >>> bool(np.all(np.abs(w) <= 0.5))
        True
    """
    fan_in, _ = fans(shape)
    bound = _kaiming_gain(a) * math.sqrt(3.0 / fan_in)
    return uniform(shape, -bound, bound, rng, dtype)


# -- a dense layer's parameters ---------------------------------------------------------------------------

LinearInit = Callable[[int, int, np.random.Generator, np.dtype, bool], tuple[np.ndarray, "np.ndarray | None"]]


def _out_in(weight: np.ndarray) -> np.ndarray:
    """A weight drawn in ``(in, out)`` order, stored in ``(out, in)`` order (the same matrix, transposed)."""
    return np.ascontiguousarray(weight.T)


def _with_zero_bias(weight_init: Callable[..., np.ndarray]) -> LinearInit:
    def init(
        fan_in: int, fan_out: int, rng: np.random.Generator, dtype: np.dtype, bias: bool
    ) -> tuple[np.ndarray, np.ndarray | None]:
        weight = np.asarray(weight_init((fan_in, fan_out), rng, dtype))
        if weight.shape != (fan_in, fan_out):
            raise ValueError(
                f"the init function returned a weight of shape {weight.shape}; it is asked for the shape "
                f"(in_features, out_features) = {(fan_in, fan_out)} (the layer stores its transpose)"
            )
        return _out_in(weight.astype(dtype, copy=False)), (zeros((fan_out,), dtype=dtype) if bias else None)

    return init


def _pytorch_linear(
    fan_in: int, fan_out: int, rng: np.random.Generator, dtype: np.dtype, bias: bool
) -> tuple[np.ndarray, np.ndarray | None]:
    # PyTorch's nn.Linear: kaiming_uniform(a=√5) weights, i.e. U(±1/√fan_in), and a U(±1/√fan_in) bias.
    weight = kaiming_uniform((fan_in, fan_out), rng, dtype, a=math.sqrt(5.0))
    bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
    return _out_in(weight), (uniform((fan_out,), -bound, bound, rng, dtype) if bias else None)


LINEAR_INITS: dict[str, LinearInit] = {
    "glorot_normal": _with_zero_bias(glorot_normal),
    "glorot_uniform": _with_zero_bias(glorot_uniform),
    "kaiming_normal": _with_zero_bias(kaiming_normal),
    "kaiming_uniform": _with_zero_bias(kaiming_uniform),
    "pytorch": _pytorch_linear,
}
"""Named initialisations of a dense layer: ``(fan_in, fan_out, rng, dtype, bias)`` → ``(weight, bias)``.

The weight comes in `wengert.nn.Linear`'s ``(out, in)`` layout. It is drawn in
``(in, out)`` order and transposed, so that a seed gives the layer the same
function as when wengert stored weights ``(in, out)``.
"""


def linear_init(init: str | Callable[..., np.ndarray]) -> LinearInit:
    """The initialisation of a dense layer named ``init``, or one built from a weight initialiser.

    A callable ``init(shape, rng, dtype)`` is asked for the weight of shape
    ``(in_features, out_features)`` (the array initialisers' layout, so
    ``init=nn.init.glorot_uniform`` gets its fans right); the layer stores its
    transpose. The bias starts at zero.

    Example:
        >>> weight, bias = linear_init("pytorch")(3, 2, np.random.default_rng(0), np.dtype(np.float64), True)
        >>> weight.shape, bias.shape
        ((2, 3), (2,))
    """
    if callable(init):
        return _with_zero_bias(init)
    try:
        return LINEAR_INITS[init]
    except (KeyError, TypeError):
        raise ValueError(f"unknown init {init!r}; expected one of {sorted(LINEAR_INITS)} or a callable") from None


# -- PyTorch's torch.nn.init: in place, (out, in) fans --------------------------------------------------------

_LINEAR_GAINS = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d")


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for ``nonlinearity`` (PyTorch's ``calculate_gain``): the factor of the init's spread.

    1 for "linear", the convolutions and "sigmoid"; 5/3 for "tanh"; √2 for
    "relu"; √(2 / (1 + slope²)) for "leaky_relu" (``param`` is the negative
    slope, 0.01 by default); 3/4 for "selu".

    Example:
        >>> calculate_gain("tanh"), round(calculate_gain("leaky_relu", 0.2), 6)
        (1.6666666666666667, 1.38675)
    """
    if nonlinearity in _LINEAR_GAINS or nonlinearity == "sigmoid":
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, numbers.Real) and not isinstance(param, bool):
            slope = float(param)
        else:
            raise ValueError(f"calculate_gain: negative_slope {param!r} is not a valid number")
        return math.sqrt(2.0 / (1.0 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4.0
    known = sorted({*_LINEAR_GAINS, "sigmoid", "tanh", "relu", "leaky_relu", "selu"})
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}; expected one of {known}")


def _values_of(tensor: Any, operation: str) -> np.ndarray:
    """The current values of the tensor (or NumPy array) an initialiser fills; refuses anything else."""
    if isinstance(tensor, Tensor):
        if isinstance(tensor.primal, Tracer):
            raise TypeError(
                f"nn.init.{operation}: the tensor's values are traced by a transformation; pass a plain one"
            )
        return np.asarray(tensor.primal)
    if isinstance(tensor, np.ndarray):
        return tensor
    if isinstance(tensor, Tracer):
        raise TypeError(
            f"nn.init.{operation}: got a value traced by a transformation; initialise the parameter itself "
            "(an nn.Parameter or a NumPy array), outside the transformed function"
        )
    raise TypeError(
        f"nn.init.{operation}: expected a tensor (an nn.Parameter, say) or a NumPy array, got {type(tensor).__name__}"
    )


def _filled(tensor: Any, values: Any, operation: str) -> Any:
    """``tensor`` holding ``values`` (cast to its dtype), set outside autograd with a new version; returns it."""
    if isinstance(tensor, Tensor):
        old = np.asarray(tensor.primal)
        set_values_(tensor, np.asarray(values, dtype=old.dtype).reshape(old.shape), operation)
    else:
        np.copyto(tensor, np.asarray(values).reshape(tensor.shape), casting="unsafe")
    return tensor


def _floating(values: np.ndarray, operation: str) -> None:
    if values.dtype.kind != "f":
        raise TypeError(f"nn.init.{operation}: random values need a floating-point tensor, got dtype {values.dtype}")


def _empty(values: np.ndarray, operation: str) -> bool:
    if values.size == 0:
        warnings.warn(f"nn.init.{operation}: initializing a zero-element tensor is a no-op", stacklevel=3)
        return True
    return False


def _rng(generator: Any) -> np.random.Generator:
    """The NumPy generator for ``generator=``: the default one for None, a wengert or NumPy Generator's own."""
    if generator is None or isinstance(generator, Generator):
        return numpy_generator(generator)
    if isinstance(generator, np.random.Generator):
        return generator
    raise TypeError(
        f"generator must be a wengert.Generator (wg.Generator().manual_seed(seed)) or None, got "
        f"{type(generator).__name__}"
    )


def _number(value: Any, operation: str, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"nn.init.{operation}: {name} must be a real number, got {value!r} ({type(value).__name__})")
    return float(value)


def fan_in_and_fan_out(tensor: Any) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight in PyTorch's ``(out, in, *kernel)`` layout (``_calculate_fan_in_and_fan_out``).

    Example:
        >>> fan_in_and_fan_out(np.zeros((5, 3))), fan_in_and_fan_out(np.zeros((8, 4, 3, 3)))
        ((3, 5), (36, 72))
    """
    shape = np.shape(tensor.primal if isinstance(tensor, Tensor) else tensor)
    if len(shape) < 2:
        raise ValueError(
            f"fan in and fan out can not be computed for a tensor with fewer than 2 dimensions (got shape {shape})"
        )
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


_calculate_fan_in_and_fan_out = fan_in_and_fan_out  # PyTorch's (private) name, which custom layers call


def _fan(tensor: Any, mode: str, operation: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"nn.init.{operation}: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor: Any, a: float = 0.0, b: float = 1.0, generator: Any = None) -> Any:
    """Fill ``tensor`` with values uniform on ``[a, b)``, in place; returns it.

    Example:
        >>> w = uniform_(Parameter(np.empty((3, 4))), -0.5, 0.5)
        >>> bool((np.abs(w.detach().numpy()) <= 0.5).all())
        True
    """
    values = _values_of(tensor, "uniform_")
    _floating(values, "uniform_")
    low, high = _number(a, "uniform_", "a"), _number(b, "uniform_", "b")
    if low > high:
        raise ValueError(f"nn.init.uniform_: expects a <= b, got a={low}, b={high}")
    return _filled(tensor, _rng(generator).uniform(low, high, values.shape), "uniform_")


def normal_(tensor: Any, mean: float = 0.0, std: float = 1.0, generator: Any = None) -> Any:
    """Fill ``tensor`` with values drawn from the normal distribution N(mean, std²), in place; returns it.

    Example:
        >>> w = normal_(Parameter(np.empty((2, 2))), std=0.0)
        >>> w.detach().numpy().tolist()
        [[0.0, 0.0], [0.0, 0.0]]
    """
    values = _values_of(tensor, "normal_")
    _floating(values, "normal_")
    mean, std = _number(mean, "normal_", "mean"), _number(std, "normal_", "std")
    if std < 0:
        raise ValueError(f"nn.init.normal_: std must be non-negative, got {std}")
    return _filled(tensor, mean + std * _rng(generator).standard_normal(values.shape), "normal_")


def constant_(tensor: Any, val: float) -> Any:
    """Fill ``tensor`` with the value ``val``, in place; returns it.

    Example:
        >>> constant_(Parameter(np.empty(3)), 0.25).detach().numpy().tolist()
        [0.25, 0.25, 0.25]
    """
    values = _values_of(tensor, "constant_")
    if isinstance(val, bool) or not isinstance(val, numbers.Number):
        raise TypeError(f"nn.init.constant_: val must be a number, got {val!r} ({type(val).__name__})")
    return _filled(tensor, np.full(values.shape, val), "constant_")


def zeros_(tensor: Any) -> Any:
    """Fill ``tensor`` with zeros, in place; returns it."""
    return _filled(tensor, np.zeros(_values_of(tensor, "zeros_").shape), "zeros_")


def ones_(tensor: Any) -> Any:
    """Fill ``tensor`` with ones, in place; returns it."""
    return _filled(tensor, np.ones(_values_of(tensor, "ones_").shape), "ones_")


def eye_(tensor: Any) -> Any:
    """Fill a 2-D ``tensor`` with the identity matrix (ones on the diagonal, also when not square); returns it.

    Example:
        >>> eye_(Parameter(np.empty((2, 3)))).detach().numpy().tolist()
        [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    """
    values = _values_of(tensor, "eye_")
    if values.ndim != 2:
        raise ValueError(f"nn.init.eye_: only tensors with 2 dimensions are supported, got shape {values.shape}")
    return _filled(tensor, np.eye(*values.shape), "eye_")


def xavier_uniform_(tensor: Any, gain: float = 1.0, generator: Any = None) -> Any:
    """Glorot (Xavier) uniform, in place: U(±a) with ``a = gain·√(6 / (fan_in + fan_out))``; returns the tensor.

    Example:
        >>> w = xavier_uniform_(Parameter(np.empty((30, 20))))
        >>> bool((np.abs(w.detach().numpy()) <= np.sqrt(6 / 50)).all())
        True
    """
    values = _values_of(tensor, "xavier_uniform_")
    _floating(values, "xavier_uniform_")
    fan_in, fan_out = fan_in_and_fan_out(values)
    if _empty(values, "xavier_uniform_"):
        return tensor
    bound = _number(gain, "xavier_uniform_", "gain") * math.sqrt(6.0 / (fan_in + fan_out))
    return _filled(tensor, _rng(generator).uniform(-bound, bound, values.shape), "xavier_uniform_")


def xavier_normal_(tensor: Any, gain: float = 1.0, generator: Any = None) -> Any:
    """Glorot (Xavier) normal, in place: N(0, std²), ``std = gain·√(2 / (fan_in + fan_out))``; returns the tensor."""
    values = _values_of(tensor, "xavier_normal_")
    _floating(values, "xavier_normal_")
    fan_in, fan_out = fan_in_and_fan_out(values)
    if _empty(values, "xavier_normal_"):
        return tensor
    std = _number(gain, "xavier_normal_", "gain") * math.sqrt(2.0 / (fan_in + fan_out))
    return _filled(tensor, std * _rng(generator).standard_normal(values.shape), "xavier_normal_")


def _kaiming_std(tensor: Any, a: float, mode: str, nonlinearity: str, operation: str) -> float:
    fan = _fan(tensor, mode, operation)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(
    tensor: Any, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", generator: Any = None
) -> Any:
    """He (Kaiming) uniform, in place: U(±bound), ``bound = gain·√(3 / fan)``; returns the tensor.

    ``gain = calculate_gain(nonlinearity, a)``; ``fan`` is the fan-in or
    fan-out (``mode``). ``a = √5`` gives PyTorch's `nn.Linear` default, U(±1/√in).

    Example:
        >>> w = kaiming_uniform_(Parameter(np.empty((3, 16))), a=5**0.5)
        >>> bool((np.abs(w.detach().numpy()) <= 0.25).all())
        True
    """
    values = _values_of(tensor, "kaiming_uniform_")
    _floating(values, "kaiming_uniform_")
    std = _kaiming_std(values, a, mode, nonlinearity, "kaiming_uniform_")
    if _empty(values, "kaiming_uniform_"):
        return tensor
    bound = math.sqrt(3.0) * std
    return _filled(tensor, _rng(generator).uniform(-bound, bound, values.shape), "kaiming_uniform_")


def kaiming_normal_(
    tensor: Any, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", generator: Any = None
) -> Any:
    """He (Kaiming) normal, in place: N(0, std²), ``std = gain / √fan``; returns the tensor (see `kaiming_uniform_`)."""
    values = _values_of(tensor, "kaiming_normal_")
    _floating(values, "kaiming_normal_")
    std = _kaiming_std(values, a, mode, nonlinearity, "kaiming_normal_")
    if _empty(values, "kaiming_normal_"):
        return tensor
    return _filled(tensor, std * _rng(generator).standard_normal(values.shape), "kaiming_normal_")


def _standard_normal_cdf(z: float) -> float:
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


def _truncated_standard_normal(lower: float, upper: float, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` draws of a standard normal conditioned on [lower, upper], by rejection (exact in distribution).

    Proposals are standard normal draws when the interval holds a fair share of
    the mass, else uniform draws on the interval accepted with probability
    exp(-(z² - m²)/2), m the point of the interval closest to 0.
    """
    mass = _standard_normal_cdf(upper) - _standard_normal_cdf(lower)
    out = np.empty(count)
    filled = 0
    use_normal = mass >= 0.05 or not math.isfinite(upper - lower)
    nearest = 0.0 if lower <= 0.0 <= upper else min(abs(lower), abs(upper))
    rate = max(mass, 1e-3) if use_normal else 0.1  # the expected share of proposals kept (uniform: a guess)
    while filled < count:
        batch = min(max(64, int(1.2 * (count - filled) / rate) + 16), 1 << 22)
        if use_normal:
            proposals = rng.standard_normal(batch)
            kept = proposals[(proposals >= lower) & (proposals <= upper)]
        else:
            proposals = rng.uniform(lower, upper, batch)
            accept = rng.random(batch) < np.exp(-(proposals * proposals - nearest * nearest) / 2.0)
            kept = proposals[accept]
        take = min(kept.size, count - filled)
        out[filled : filled + take] = kept[:take]
        filled += take
    return out


def trunc_normal_(
    tensor: Any, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0, generator: Any = None
) -> Any:
    """Fill ``tensor`` with draws of N(mean, std²) truncated to ``[a, b]`` (bounds in the values' units); returns it.

    Example:
        >>> w = trunc_normal_(Parameter(np.empty(1000)), std=0.02, a=-0.03, b=0.03)
        >>> bool((np.abs(w.detach().numpy()) <= 0.03).all())
        True
    """
    values = _values_of(tensor, "trunc_normal_")
    _floating(values, "trunc_normal_")
    mean, std = _number(mean, "trunc_normal_", "mean"), _number(std, "trunc_normal_", "std")
    low, high = _number(a, "trunc_normal_", "a"), _number(b, "trunc_normal_", "b")
    if not std > 0:
        raise ValueError(f"nn.init.trunc_normal_: std must be positive, got {std}")
    if not low < high:
        raise ValueError(f"nn.init.trunc_normal_: expects a < b, got a={low}, b={high}")
    draws = _truncated_standard_normal((low - mean) / std, (high - mean) / std, values.size, _rng(generator))
    return _filled(tensor, np.clip(mean + std * draws, low, high), "trunc_normal_")


def orthogonal_(tensor: Any, gain: float = 1.0, generator: Any = None) -> Any:
    """Fill ``tensor`` with a (semi-)orthogonal matrix, scaled by ``gain``, in place; returns it.

    The tensor (at least 2-D) is seen as a ``shape[0] × rest`` matrix whose rows
    (or columns, whichever are fewer) are orthonormal, drawn uniformly (the Q of
    a normal matrix's QR decomposition, signs fixed by R's diagonal).

    Example:
        >>> q = orthogonal_(Parameter(np.empty((3, 5)))).detach().numpy()
        >>> bool(np.allclose(q @ q.T, np.eye(3)))
        True
    """
    values = _values_of(tensor, "orthogonal_")
    _floating(values, "orthogonal_")
    if values.ndim < 2:
        raise ValueError(
            f"nn.init.orthogonal_: only tensors with 2 or more dimensions are supported, got {values.shape}"
        )
    if _empty(values, "orthogonal_"):
        return tensor
    rows = values.shape[0]
    columns = values.size // rows
    flat = _rng(generator).standard_normal((rows, columns))
    if rows < columns:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    signs = np.sign(np.diag(r))
    signs[signs == 0] = 1.0
    q = q * signs
    if rows < columns:
        q = q.T
    return _filled(tensor, _number(gain, "orthogonal_", "gain") * q, "orthogonal_")


__all__ = [
    "LINEAR_INITS",
    "calculate_gain",
    "constant_",
    "eye_",
    "fan_in_and_fan_out",
    "fans",
    "glorot_normal",
    "glorot_uniform",
    "kaiming_normal",
    "kaiming_normal_",
    "kaiming_uniform",
    "kaiming_uniform_",
    "linear_init",
    "make_rng",
    "normal",
    "normal_",
    "ones_",
    "orthogonal_",
    "trunc_normal_",
    "uniform",
    "uniform_",
    "xavier_normal_",
    "xavier_uniform_",
    "zeros",
    "zeros_",
]
