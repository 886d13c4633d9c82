"""PyTorch's random state: `manual_seed`, `Generator`, and the default generator everything draws from.

Layer initialisation and the random creation functions (``wg.rand``,
``wg.randn``, ``wg.randint``...) draw from one default generator unless they are
given a generator (or a seed) of their own, so ``wg.manual_seed(0)`` at the top
of a script makes two runs of it give the same numbers, as in PyTorch. The
numbers come from NumPy's PCG64, not PyTorch's Mersenne Twister: the same seed
gives other numbers than ``torch.manual_seed``, but always the same ones.
(The JAX dialect's explicit keys are `wengert.random`.)

Example:
    >>> import wengert as wg
    >>> first = wg.manual_seed(0).numpy.standard_normal(2)
    >>> second = wg.manual_seed(0).numpy.standard_normal(2)
    >>> bool((first == second).all())
    True
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np


def _check_seed(seed: Any, operation: str) -> int:
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"{operation}: the seed must be an integer, got {type(seed).__name__} {seed!r}")
    seed = int(seed)
    if seed < 0:
        # PyTorch accepts negative seeds by wrapping them into 64 bits; so does this.
        seed += 1 << 64
    if not 0 <= seed < 1 << 64:
        raise ValueError(f"{operation}: the seed must fit in 64 bits, got {seed!r}")
    return seed


class Generator:
    """A random-number generator with PyTorch's methods (``manual_seed``, ``seed``, ``get_state``...).

    ``generator.numpy`` is the NumPy ``Generator`` its draws come from.

    Example:
        >>> g = Generator().manual_seed(42)
        >>> a = g.numpy.random(3)
        >>> b = Generator().manual_seed(42).numpy.random(3)
        >>> bool((a == b).all()), g.initial_seed()
        (True, 42)
    """

    def __init__(self, device: str = "cpu") -> None:
        if str(device) != "cpu":
            raise ValueError(f"Generator: wengert runs on the CPU only, got device={device!r}")
        self.device = "cpu"
        self.seed()

    def manual_seed(self, seed: int) -> Generator:
        """Restart the stream from ``seed``; returns the generator."""
        self._initial_seed = _check_seed(seed, "manual_seed")
        self.numpy = np.random.Generator(np.random.PCG64(self._initial_seed))
        return self

    def seed(self) -> int:
        """Restart the stream from a fresh seed drawn from the operating system's entropy; returns it."""
        seed = int(np.random.SeedSequence().generate_state(2, np.uint32).view(np.uint64)[0])
        self.manual_seed(seed)
        return seed

    def initial_seed(self) -> int:
        """The seed the stream last restarted from."""
        return self._initial_seed

    def get_state(self) -> dict:
        """The stream's state (NumPy's bit-generator state dict); `set_state` resumes from it."""
        return {"initial_seed": self._initial_seed, "bit_generator": self.numpy.bit_generator.state}

    def set_state(self, state: dict) -> Generator:
        """Resume from a state returned by `get_state`; returns the generator."""
        if not isinstance(state, dict) or "bit_generator" not in state:
            raise TypeError("Generator.set_state: pass a state returned by Generator.get_state()")
        self.numpy.bit_generator.state = state["bit_generator"]
        self._initial_seed = int(state.get("initial_seed", self._initial_seed))
        return self

    def __repr__(self) -> str:
        return f"<wengert.Generator seeded {self._initial_seed}>"


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed the default generator (layer initialisation, ``wg.rand``, ``wg.randn``...); returns it.

    Example:
        >>> _ = manual_seed(7)
        >>> first = numpy_generator().random(3)
        >>> _ = manual_seed(7)
        >>> bool((numpy_generator().random(3) == first).all())
        True
    """
    return default_generator.manual_seed(seed)


def seed() -> int:
    """Seed the default generator from the operating system's entropy; returns the seed."""
    return default_generator.seed()


def initial_seed() -> int:
    """The seed the default generator last restarted from."""
    return default_generator.initial_seed()


def numpy_generator(generator: Generator | None = None, seed: int | None = None) -> np.random.Generator:
    """The NumPy generator a draw comes from: ``seed``'s own, then ``generator``'s, then the default one.

    Example:
        >>> a = numpy_generator(seed=3).random()
        >>> a == numpy_generator(seed=3).random()
        True
    """
    if seed is not None:
        return np.random.default_rng(_check_seed(seed, "seed"))
    if generator is None:
        return default_generator.numpy
    if not isinstance(generator, Generator):
        raise TypeError(f"generator must be a wengert.Generator, got {type(generator).__name__}")
    return generator.numpy


__all__ = ["Generator", "default_generator", "initial_seed", "manual_seed", "numpy_generator", "seed"]
