"""JAX-style random numbers: explicit keys, split and folded, on NumPy's counter-based Philox generator.

A key is a small array, two uint32 words, as JAX's raw keys (``jax.random.PRNGKey``).
Every function draws from the key it is given and from nothing else: the same key
gives the same numbers, every time, in every process and on every machine (for a
given NumPy version: the bits are Philox's, which NumPy never changes; the
transformation to normal or uniform numbers is NumPy's ``Generator``'s). A key is
used once: to draw again, ``split`` it, or ``fold_in`` a number (a step, an example).

The numbers differ from JAX's (JAX uses the Threefry generator and its own
transformations): a script ported from JAX gets other, equally random numbers,
reproducibly.

The draws are primitives of wengert (not differentiable in the key): under
``wg.vmap`` over a batch of keys each example draws from its own key, exactly as a
loop over the keys would; under ``wg.jit`` a key passed as an argument is read when
the compiled program runs, so each call draws from that call's key (a key made
inside the function from a constant seed gives constant numbers, as in JAX);
``wg.checkpoint`` recomputes the same numbers. Parameters such as ``uniform``'s
``minval``/``maxval`` or a reparameterised ``mu + sigma * normal(key)`` are
differentiable as usual: the draw is a constant.

Example:
    >>> import wengert.random as wr
    >>> key = wr.PRNGKey(0)
    >>> key
    array([0, 0], dtype=uint32)
    >>> key, subkey = wr.split(key)
    >>> x = wr.normal(subkey, (3,))
    >>> bool(np.all(x == wr.normal(subkey, (3,))))  # the same key, the same numbers
    True
    >>> wr.randint(wr.PRNGKey(1), (5,), 0, 10).shape
    (5,)
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .core import Tracer, bind
from .core.staging import Abstract
from .numpy._primitives import dtype as _dtype_of
from .numpy._primitives import primitive
from .numpy._primitives import shape as _shape_of

__all__ = [
    "PRNGKey",
    "bernoulli",
    "categorical",
    "choice",
    "exponential",
    "fold_in",
    "gumbel",
    "key",
    "normal",
    "permutation",
    "randint",
    "split",
    "uniform",
]

KEY_SHAPE = (2,)
KEY_DTYPE = np.dtype(np.uint32)
_WORD = 0xFFFFFFFF
_FLOATS = ("float16", "float32", "float64")

# Philox's 128-bit key is the key's 64 bits and a tag: drawing numbers, deriving keys by
# splitting and by folding in use three unrelated streams of every key.
_DRAW_TAG = 0x6472617720202020  # "draw"
_SPLIT_TAG = 0x73706C6974202020  # "split"
_FOLD_TAG = 0x666F6C6420696E20  # "fold in"


# -- keys as Philox generators -------------------------------------------------------------------


def _as_uint64(values: Any) -> np.ndarray:
    """Integers as uint64, negative ones wrapped modulo 2**64 (two's complement)."""
    array = np.asarray(values)
    if array.dtype.kind == "u":
        return array.astype(np.uint64)
    return array.astype(np.int64).astype(np.uint64)


def _words(keys: np.ndarray) -> np.ndarray:
    """The 64-bit number of each key (its two uint32 words, high first)."""
    keys = np.asarray(keys).astype(np.uint64)
    return (keys[..., 0] << np.uint64(32)) | keys[..., 1]


def _keys_of_words(words: np.ndarray) -> np.ndarray:
    """Keys (..., 2) from 64-bit numbers: the high word first, independent of the machine's byte order."""
    words = np.asarray(words, dtype=np.uint64)
    return np.stack([(words >> np.uint64(32)).astype(np.uint32), (words & np.uint64(_WORD)).astype(np.uint32)], -1)


def _philox(word: Any, tag: int, counter: int = 0) -> np.random.Philox:
    return np.random.Philox(counter=counter, key=(tag << 64) | int(word))


def _generator(word: Any) -> np.random.Generator:
    return np.random.Generator(_philox(word, _DRAW_TAG))


def _each_key(keys: Any, out_shape: tuple[int, ...], out_dtype: Any, draw: Callable[[Any], Any]) -> Any:
    """``draw(word)`` for every key of ``keys`` (..., 2), stacked on the keys' leading axes."""
    keys = np.asarray(keys)
    words = _words(keys)
    out = np.empty(words.shape + out_shape, dtype=out_dtype)
    for index in np.ndindex(words.shape):
        out[index] = draw(words[index])
    return out[()] if out.ndim == 0 else out


def _leading(value: Any, core_rank: int) -> tuple[int, ...]:
    """The axes of a primitive's argument before its ``core_rank`` last ones (batches of keys)."""
    value_shape = tuple(value.shape) if isinstance(value, Abstract) else tuple(np.shape(value))
    return value_shape[: len(value_shape) - core_rank]


def _one_key_primitive(name: str, impl: Callable[..., Any], shape_rule: Callable[..., Abstract]) -> Any:
    """A primitive of one key argument: its implementation takes keys of any leading shape, so a batch is one call."""
    prim = primitive(name, impl, differentiable=False)
    prim.batch = lambda values, batched, **params: bind(prim, (values[0],), params)
    prim.shape_rule = shape_rule
    return prim


# -- the primitives ------------------------------------------------------------------------------


def _seed_impl(seed: Any) -> np.ndarray:
    return _keys_of_words(_as_uint64(seed))


seed_p = _one_key_primitive(
    "random_seed", _seed_impl, lambda seed: Abstract((*_leading(seed, 0), *KEY_SHAPE), KEY_DTYPE)
)


def _split_impl(keys: Any, shape: tuple[int, ...]) -> np.ndarray:
    count = math.prod(shape)

    def split_one(word: Any) -> np.ndarray:
        return _keys_of_words(_philox(word, _SPLIT_TAG).random_raw(count)).reshape(*shape, *KEY_SHAPE)

    return _each_key(keys, (*shape, *KEY_SHAPE), KEY_DTYPE, split_one)


split_p = _one_key_primitive(
    "random_split",
    _split_impl,
    lambda keys, shape: Abstract((*_leading(keys, 1), *shape, *KEY_SHAPE), KEY_DTYPE),
)


def _fold_in_impl(keys: Any, data: Any) -> np.ndarray:
    keys, data = np.asarray(keys), _as_uint64(data)
    lead = np.broadcast_shapes(keys.shape[:-1], data.shape)
    words = np.broadcast_to(_words(keys), lead)
    data = np.broadcast_to(data, lead)
    out = np.empty(lead, dtype=np.uint64)
    for index in np.ndindex(lead):
        # Philox is a bijection of its counter for a given key: different data give different keys.
        out[index] = _philox(words[index], _FOLD_TAG, counter=int(data[index])).random_raw()
    return _keys_of_words(out)


def _fold_in_shape(keys: Any, data: Any) -> Abstract:
    return Abstract((*np.broadcast_shapes(_leading(keys, 1), _leading(data, 0)), *KEY_SHAPE), KEY_DTYPE)


def _fold_in_batch(values: list, batched: tuple) -> Any:
    """Keys and data batched (or not) on axis 0: their leading axes aligned, then one call."""
    from .numpy import reshape

    size = next(_shape_of(value)[0] for value, is_batched in zip(values, batched) if is_batched)
    (keys, data), (keys_batched, data_batched) = values, batched
    key_lead = tuple(_shape_of(keys)[1:-1] if keys_batched else _shape_of(keys)[:-1])
    data_lead = tuple(_shape_of(data)[1:] if data_batched else _shape_of(data))
    rank = max(len(key_lead), len(data_lead))
    keys = reshape(keys, (size if keys_batched else 1, *(1,) * (rank - len(key_lead)), *key_lead, *KEY_SHAPE))
    data = reshape(data, (size if data_batched else 1, *(1,) * (rank - len(data_lead)), *data_lead))
    return bind(fold_in_p, (keys, data), {})


fold_in_p = primitive("random_fold_in", _fold_in_impl, differentiable=False, batch=_fold_in_batch)
fold_in_p.shape_rule = _fold_in_shape


def _float_draw(keys: Any, shape: tuple[int, ...], dtype: str, method: str) -> Any:
    kind = np.dtype(dtype)
    drawn = np.float32 if kind.itemsize < 4 else kind  # NumPy's generator draws float32 and float64

    def draw_one(word: Any) -> Any:
        values = getattr(_generator(word), method)(shape, dtype=drawn)
        if drawn is kind:
            return values
        values = values.astype(kind)
        if method == "random":  # rounding to float16 may reach 1.0: keep [0, 1)
            values = np.minimum(values, np.nextafter(kind.type(1), kind.type(0)))
        return values

    return _each_key(keys, shape, kind, draw_one)


def _normal_impl(keys: Any, shape: tuple[int, ...], dtype: str) -> Any:
    return _float_draw(keys, shape, dtype, "standard_normal")


def _uniform_impl(keys: Any, shape: tuple[int, ...], dtype: str) -> Any:
    return _float_draw(keys, shape, dtype, "random")


def _draw_shape(keys: Any, shape: tuple[int, ...], dtype: str, **_: Any) -> Abstract:
    return Abstract((*_leading(keys, 1), *shape), np.dtype(dtype))


normal_p = _one_key_primitive("random_normal", _normal_impl, _draw_shape)
uniform_p = _one_key_primitive("random_uniform", _uniform_impl, _draw_shape)


def _randint_impl(keys: Any, shape: tuple[int, ...], minval: Any, maxval: Any, dtype: str) -> Any:
    return _each_key(
        keys, shape, np.dtype(dtype), lambda word: _generator(word).integers(minval, maxval, shape, dtype=dtype)
    )


randint_p = _one_key_primitive("random_randint", _randint_impl, _draw_shape)


def _permutation_impl(keys: Any, n: int) -> Any:
    return _each_key(keys, (n,), np.int64, lambda word: _generator(word).permutation(n))


permutation_p = _one_key_primitive(
    "random_permutation", _permutation_impl, lambda keys, n: Abstract((*_leading(keys, 1), n), np.dtype(np.int64))
)


# -- checking arguments --------------------------------------------------------------------------


def _checked_key(key: Any, caller: str) -> Any:
    """``key`` as an array (or the traced value it is), after checking it is one key."""
    if isinstance(key, Tracer):
        key_shape, key_dtype, array = tuple(_shape_of(key)), _dtype_of(key), key
    else:
        if isinstance(key, (bool, int, float, np.number)):
            hint = f"; make one with wengert.random.PRNGKey({key!r})" if isinstance(key, (int, np.integer)) else ""
            raise TypeError(
                f"{caller}: key must be a PRNG key (a uint32 array of shape (2,) made by wengert.random.PRNGKey(seed)"
                f" or split from one), got the {type(key).__name__} {key!r}{hint}"
            )
        try:
            array = np.asarray(key)
        except Exception as error:
            raise TypeError(f"{caller}: key must be a PRNG key (wengert.random.PRNGKey(seed)), got {key!r}") from error
        key_shape, key_dtype = array.shape, array.dtype
    if key_dtype == KEY_DTYPE and len(key_shape) > 1 and key_shape[-1] == 2:
        raise ValueError(
            f"{caller}: key must be a single key of shape (2,), got a batch of keys of shape {key_shape}; draw from "
            f"each with wg.vmap(lambda k: {caller}(k, ...))(keys), or pick one (keys[0])"
        )
    if key_dtype != KEY_DTYPE or key_shape != KEY_SHAPE:
        raise TypeError(
            f"{caller}: key must be a PRNG key, a uint32 array of shape (2,) made by wengert.random.PRNGKey(seed), "
            f"got a {key_dtype} array of shape {key_shape}"
        )
    return array


def _checked_shape(shape: Any, caller: str, name: str = "shape") -> tuple[int, ...]:
    """A shape given as an int or a sequence of non-negative ints, as a tuple."""
    try:
        if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
            dims: tuple[int, ...] = (operator.index(shape),)
        elif isinstance(shape, Sequence) and not isinstance(shape, str):
            dims = tuple(operator.index(extent) for extent in shape)
        else:
            raise TypeError
    except TypeError:
        raise TypeError(
            f"{caller}: {name} must be a tuple of non-negative ints, got {shape!r}; under jit make it static "
            "(it fixes the shape of the result)"
        ) from None
    if any(extent < 0 for extent in dims):
        raise ValueError(f"{caller}: {name} must not have negative extents, got {shape!r}")
    return dims


def _checked_dtype(dtype: Any, caller: str, kinds: str, allowed: str) -> np.dtype:
    try:
        kind = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"{caller}: dtype must be {allowed}, got {dtype!r}") from None
    if kind.kind not in kinds or (kind.kind == "f" and kind.name not in _FLOATS):
        raise TypeError(f"{caller}: dtype must be {allowed}, got {kind}")
    return kind


def _float_dtype(dtype: Any, caller: str) -> np.dtype:
    return _checked_dtype(dtype, caller, "f", "a floating-point dtype (float16, float32 or float64)")


def _draw(prim: Any, key: Any, params: dict) -> Any:
    return bind(prim, (key,), params)


def _concrete_int(value: Any, caller: str, name: str) -> int:
    """A Python int from an int, a NumPy integer or a 0-d integer array; a clear error for anything else."""
    if isinstance(value, Tracer):
        raise TypeError(
            f"{caller}: {name} must be a concrete integer (it fixes the shape of the result), got a traced value; "
            "under jit pass it as a static argument"
        )
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        return int(value)
    if isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iu":
        return int(value)
    raise TypeError(f"{caller}: {name} must be an integer, got {value!r} ({type(value).__name__})")


def _broadcasts_to(value: Any, target: tuple[int, ...], caller: str, name: str) -> None:
    value_shape = tuple(_shape_of(value))
    try:
        fits = np.broadcast_shapes(value_shape, target) == target
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"{caller}: {name} of shape {value_shape} does not broadcast to the shape {target}")


# -- keys ----------------------------------------------------------------------------------------


def PRNGKey(seed: Any) -> Any:  # noqa: N802  (JAX's name)
    """A key from an integer seed: its 64 bits as two uint32 words, high first (JAX's raw key layout).

    Negative seeds wrap modulo 2**64, as 64-bit integers do. A traced seed (``jit``,
    ``vmap`` over seeds) gives a traced key.

    Example:
        >>> PRNGKey(42)
        array([ 0, 42], dtype=uint32)
        >>> PRNGKey(2**32 + 1)
        array([1, 1], dtype=uint32)
    """
    if isinstance(seed, Tracer):
        if _dtype_of(seed).kind not in "iu" or tuple(_shape_of(seed)):
            raise TypeError(f"PRNGKey: seed must be one integer, got a traced {_dtype_of(seed)} of shape {seed.shape}")
        return bind(seed_p, (seed,), {})
    number = _concrete_int(seed, "PRNGKey", "seed")
    if not -(2**63) <= number < 2**64:
        raise ValueError(f"PRNGKey: seed must fit in 64 bits (-2**63 <= seed < 2**64), got {number}")
    number %= 2**64
    return np.array([number >> 32, number & _WORD], dtype=np.uint32)


def key(seed: Any) -> Any:
    """A key from an integer seed: the same as `PRNGKey` (a raw uint32 key, not JAX's typed key).

    Example:
        >>> bool(np.all(key(7) == PRNGKey(7)))
        True
    """
    return PRNGKey(seed)


def split(key: Any, num: int | Sequence[int] = 2) -> Any:
    """``num`` new keys from ``key``, independent of it and of each other: shape ``(num, 2)``, or ``(*num, 2)``.

    Example:
        >>> keys = split(PRNGKey(0), 3)
        >>> keys.shape, keys.dtype
        ((3, 2), dtype('uint32'))
        >>> len({tuple(k) for k in keys})
        3
    """
    key = _checked_key(key, "split")
    return _draw(split_p, key, {"shape": _checked_shape(num, "split", "num")})


def fold_in(key: Any, data: Any) -> Any:
    """A new key from ``key`` and an integer ``data`` (a step or an example number); different data, different keys.

    ``data`` may be traced (a loop counter under ``jit``, indices under ``vmap``).

    Example:
        >>> k = PRNGKey(0)
        >>> bool(np.all(fold_in(k, 1) == fold_in(k, 1))), bool(np.any(fold_in(k, 1) != fold_in(k, 2)))
        (True, True)
    """
    key = _checked_key(key, "fold_in")
    if isinstance(data, Tracer):
        if _dtype_of(data).kind not in "iub" or tuple(_shape_of(data)):
            raise TypeError(
                f"fold_in: data must be one integer, got a traced {_dtype_of(data)} of shape {tuple(_shape_of(data))}"
            )
    else:
        number = _concrete_int(data, "fold_in", "data")
        if not -(2**63) <= number < 2**64:
            raise ValueError(f"fold_in: data must fit in 64 bits, got {number}")
        data = number % 2**64
    return bind(fold_in_p, (key, data), {})


# -- distributions -------------------------------------------------------------------------------


def normal(key: Any, shape: Any = (), dtype: Any = np.float64) -> Any:
    """Standard normal numbers of ``shape`` drawn from ``key``.

    Example:
        >>> x = normal(PRNGKey(0), (10_000,))
        >>> abs(float(x.mean())) < 0.05, abs(float(x.std()) - 1) < 0.05
        (True, True)
    """
    key = _checked_key(key, "normal")
    params = {"shape": _checked_shape(shape, "normal"), "dtype": _float_dtype(dtype, "normal").name}
    return _draw(normal_p, key, params)


def uniform(key: Any, shape: Any = (), dtype: Any = np.float64, minval: Any = 0.0, maxval: Any = 1.0) -> Any:
    """Numbers uniform on [minval, maxval) of ``shape``; differentiable in ``minval`` and ``maxval``.

    ``minval`` and ``maxval`` broadcast to ``shape``.

    Example:
        >>> u = uniform(PRNGKey(0), (1000,), minval=-1.0, maxval=1.0)
        >>> bool(u.min() >= -1.0 and u.max() < 1.0)
        True
    """
    from . import numpy as wnp

    key = _checked_key(key, "uniform")
    dims = _checked_shape(shape, "uniform")
    kind = _float_dtype(dtype, "uniform")
    drawn = _draw(uniform_p, key, {"shape": dims, "dtype": kind.name})
    plain_bounds = not isinstance(minval, Tracer) and not isinstance(maxval, Tracer)
    if plain_bounds and type(minval) in (int, float) and type(maxval) in (int, float) and (minval, maxval) == (0, 1):
        return drawn
    _broadcasts_to(minval, dims, "uniform", "minval")
    _broadcasts_to(maxval, dims, "uniform", "maxval")
    scaled = wnp.add(wnp.multiply(drawn, wnp.subtract(maxval, minval)), minval)
    if _dtype_of(scaled) != kind:
        scaled = wnp.astype(scaled, kind)
    return wnp.broadcast_to(scaled, dims) if tuple(_shape_of(scaled)) != dims else scaled


def bernoulli(key: Any, p: Any = 0.5, shape: Any = None) -> Any:
    """Booleans that are True with probability ``p`` (which broadcasts to ``shape``; its shape by default).

    Example:
        >>> b = bernoulli(PRNGKey(0), 0.3, (10_000,))
        >>> b.dtype, abs(float(b.mean()) - 0.3) < 0.02
        (dtype('bool'), True)
    """
    from . import numpy as wnp

    key = _checked_key(key, "bernoulli")
    p_shape = tuple(_shape_of(p))
    dims = p_shape if shape is None else _checked_shape(shape, "bernoulli")
    _broadcasts_to(p, dims, "bernoulli", "p")
    p_dtype = _dtype_of(p)
    kind = p_dtype if p_dtype.kind == "f" and p_dtype.name in _FLOATS else np.dtype(np.float64)
    return wnp.less(_draw(uniform_p, key, {"shape": dims, "dtype": kind.name}), p)


def randint(key: Any, shape: Any, minval: Any, maxval: Any, dtype: Any = np.int64) -> Any:
    """Integers uniform on [minval, maxval) of ``shape`` (the bounds broadcast to it, and must be concrete).

    Example:
        >>> r = randint(PRNGKey(0), (1000,), 3, 7)
        >>> sorted(set(r.tolist()))
        [3, 4, 5, 6]
    """
    key = _checked_key(key, "randint")
    dims = _checked_shape(shape, "randint")
    kind = _checked_dtype(dtype, "randint", "iu", "an integer dtype")
    bounds = []
    for name, value in (("minval", minval), ("maxval", maxval)):
        if isinstance(value, Tracer):
            raise TypeError(
                f"randint: {name} must be concrete integers (Python ints or NumPy arrays), got a traced value; "
                "under jit pass it as a static argument"
            )
        array = np.asarray(value)
        if array.dtype.kind not in "iu":
            raise TypeError(f"randint: {name} must be an integer or an array of integers, got {value!r}")
        _broadcasts_to(array, dims, "randint", name)
        info = np.iinfo(kind)
        if np.any(array < info.min) or np.any(array > info.max + 1):
            raise ValueError(f"randint: {name} {value!r} is outside the range of {kind}")
        bounds.append(int(array) if array.ndim == 0 else array)
    if np.any(np.asarray(bounds[1]) <= np.asarray(bounds[0])):
        raise ValueError(
            f"randint: maxval must be greater than minval (the range is [minval, maxval)), got {minval!r}"
            f" and {maxval!r}"
        )
    return _draw(randint_p, key, {"shape": dims, "minval": bounds[0], "maxval": bounds[1], "dtype": kind.name})


def permutation(key: Any, x: Any, axis: int = 0, independent: bool = False) -> Any:
    """A random permutation of ``range(x)`` for an integer ``x``; ``x`` shuffled along ``axis`` for an array.

    Shuffling an array is differentiable in it (the permutation is a constant).

    Example:
        >>> sorted(permutation(PRNGKey(0), 5).tolist())
        [0, 1, 2, 3, 4]
        >>> permutation(PRNGKey(0), np.eye(3)).sum(axis=0)
        array([1., 1., 1.])
    """
    from . import numpy as wnp

    key = _checked_key(key, "permutation")
    if independent:
        raise NotImplementedError(
            "permutation: independent=True (each slice shuffled separately) is not implemented; shuffle slices with "
            "wg.vmap over split keys"
        )
    is_integer = not isinstance(x, Tracer) and (
        isinstance(x, (int, np.integer)) or (np.ndim(x) == 0 and np.asarray(x).dtype.kind in "iu")
    )
    if is_integer and not isinstance(x, bool):
        n = operator.index(x) if isinstance(x, (int, np.integer)) else int(np.asarray(x))
        if n < 0:
            raise ValueError(f"permutation: x must be a non-negative integer or an array, got {n}")
        return _draw(permutation_p, key, {"n": n})
    if isinstance(x, Tracer) and not tuple(_shape_of(x)):
        raise TypeError(
            "permutation: a traced 0-d x cannot be a length (it fixes the shape of the result); pass the length as a "
            "concrete integer (a static argument under jit), or an array to shuffle"
        )
    x = x if isinstance(x, Tracer) else np.asarray(x)
    x_shape = tuple(_shape_of(x))
    if not x_shape:
        raise TypeError(f"permutation: x must be an integer or an array of at least one dimension, got {x!r}")
    axis = _normalized_axis(axis, len(x_shape), "permutation")
    return wnp.take(x, _draw(permutation_p, key, {"n": x_shape[axis]}), axis=axis)


def _normalized_axis(axis: Any, ndim: int, caller: str) -> int:
    try:
        axis = operator.index(axis)
    except TypeError:
        raise TypeError(f"{caller}: axis must be an int, got {axis!r}") from None
    if not -ndim <= axis < ndim:
        raise ValueError(f"{caller}: axis {axis} is out of bounds for an array of {ndim} dimensions")
    return axis % ndim


def choice(key: Any, a: Any, shape: Any = (), replace: bool = True, p: Any = None, axis: int = 0) -> Any:
    """Elements of ``a`` (``range(a)`` for an integer) along ``axis``, drawn with or without replacement, weights ``p``.

    ``p`` (one weight per element, normalised here) selects by inverse CDF with
    replacement and by Gumbel top-k without; the result has ``shape`` in place of ``axis``.

    Example:
        >>> c = choice(PRNGKey(0), 5, (4,), replace=False)
        >>> len(set(c.tolist())), bool(c.min() >= 0 and c.max() < 5)
        (4, True)
        >>> set(choice(PRNGKey(1), np.array([10.0, 20.0]), (20,), p=np.array([0.0, 1.0])).tolist())
        {20.0}
    """
    from . import numpy as wnp

    key = _checked_key(key, "choice")
    dims = _checked_shape(shape, "choice")
    size = math.prod(dims)
    if isinstance(a, Tracer) or np.ndim(a) > 0:
        a = a if isinstance(a, Tracer) else np.asarray(a)
        a_shape = tuple(_shape_of(a))
        axis = _normalized_axis(axis, len(a_shape), "choice")
        n = a_shape[axis]
    else:
        n = _concrete_int(a, "choice", "a")
        a = None
    if n <= 0 and size > 0:
        raise ValueError(f"choice: cannot draw {size} samples from an empty population")
    if not replace and size > n:
        raise ValueError(f"choice: cannot draw {size} samples without replacement from a population of {n}")
    if p is None:
        if replace:
            indices = _draw(randint_p, key, {"shape": (size,), "minval": 0, "maxval": max(n, 1), "dtype": "int64"})
        else:
            indices = _draw(permutation_p, key, {"n": n})[:size]
    else:
        if tuple(_shape_of(p)) != (n,):
            raise ValueError(f"choice: p must have one weight per element, shape ({n},), got {tuple(_shape_of(p))}")
        if replace:
            cumulative = wnp.cumsum(p)
            drawn = _draw(uniform_p, key, {"shape": (size,), "dtype": "float64"})
            indices = wnp.searchsorted(cumulative, wnp.multiply(cumulative[-1], wnp.subtract(1.0, drawn)))
            indices = wnp.minimum(indices, n - 1)  # rounding of the last sum cannot pick past the end
        else:
            noise = gumbel(key, (n,))
            indices = wnp.argsort(wnp.subtract(wnp.negative(noise), wnp.log(p)))[:size]
    indices = wnp.reshape(indices, dims)
    if a is None:
        return indices
    return wnp.take(a, indices, axis=axis)


def gumbel(key: Any, shape: Any = (), dtype: Any = np.float64) -> Any:
    """Standard Gumbel numbers, −log(−log U) for U uniform on (0, 1).

    Example:
        >>> g = gumbel(PRNGKey(0), (20_000,))
        >>> abs(float(g.mean()) - 0.5772) < 0.03  # the Euler–Mascheroni constant
        True
    """
    from . import numpy as wnp

    kind = _float_dtype(dtype, "gumbel")
    drawn = uniform(key, shape, kind, minval=float(np.finfo(kind).tiny), maxval=1.0)
    return wnp.negative(wnp.log(wnp.negative(wnp.log(drawn))))


def exponential(key: Any, shape: Any = (), dtype: Any = np.float64) -> Any:
    """Exponential numbers of rate 1, −log(1 − U).

    Example:
        >>> e = exponential(PRNGKey(0), (20_000,))
        >>> abs(float(e.mean()) - 1.0) < 0.03
        True
    """
    from . import numpy as wnp

    drawn = uniform(key, shape, _float_dtype(dtype, "exponential"))
    return wnp.negative(wnp.log1p(wnp.negative(drawn)))


def categorical(key: Any, logits: Any, axis: int = -1, shape: Any = None) -> Any:
    """Category indices drawn with probabilities softmax(``logits``) along ``axis`` (the Gumbel-max trick).

    The result has the logits' shape without ``axis``, or ``shape`` (which must
    end with that batch shape).

    Example:
        >>> c = categorical(PRNGKey(0), np.log(np.array([0.2, 0.8])), shape=(10_000,))
        >>> abs(float(c.mean()) - 0.8) < 0.02
        True
    """
    from . import numpy as wnp

    key = _checked_key(key, "categorical")
    logits = logits if isinstance(logits, Tracer) else np.asarray(logits)
    logits_shape = tuple(_shape_of(logits))
    if not logits_shape:
        raise ValueError("categorical: logits must have at least one dimension (the categories)")
    axis = _normalized_axis(axis, len(logits_shape), "categorical")
    batch_shape = logits_shape[:axis] + logits_shape[axis + 1 :]
    dims = batch_shape if shape is None else _checked_shape(shape, "categorical")
    if dims[len(dims) - len(batch_shape) :] != batch_shape or len(dims) < len(batch_shape):
        raise ValueError(
            f"categorical: shape {dims} must end with the logits' batch shape {batch_shape} (their shape without axis)"
        )
    prefix = dims[: len(dims) - len(batch_shape)]
    logits_dtype = _dtype_of(logits)
    kind = logits_dtype if logits_dtype.name in _FLOATS else np.dtype(np.float64)
    noise = gumbel(key, (*prefix, *logits_shape), kind)
    return wnp.argmax(wnp.add(noise, logits), axis=len(prefix) + axis)
