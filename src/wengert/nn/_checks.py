"""Checks of constructor arguments for layers, optimisers and schedulers, with messages that name them.

Example:
    >>> positive_int(3, "Linear", "in_features")
    3
    >>> positive_int(3.5, "Linear", "in_features")
    Traceback (most recent call last):
    ...
    TypeError: Linear: in_features must be a positive int, got 3.5 (float)
"""

from __future__ import annotations

import difflib
import math
import operator
from collections.abc import Iterable
from typing import Any

import numpy as np


def _shown(value: Any) -> str:
    text = " ".join(repr(value).split())
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})"


def integer(value: Any, owner: str, name: str, minimum: int | None = None, what: str = "an int") -> int:
    """``value`` as an int (Python or NumPy integers; never bools or floats), at least ``minimum``.

    Example:
        >>> integer(np.int64(4), "StepLR", "step_size", minimum=1)
        4
    """
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{owner}: {name} must be {what}, got {_shown(value)}")
    try:
        number = operator.index(value)
    except TypeError:
        raise TypeError(f"{owner}: {name} must be {what}, got {_shown(value)}") from None
    if minimum is not None and number < minimum:
        raise ValueError(f"{owner}: {name} must be {what}, got {number}")
    return number


def positive_int(value: Any, owner: str, name: str) -> int:
    """``value`` as an int ≥ 1."""
    return integer(value, owner, name, minimum=1, what="a positive int")


def real_number(value: Any, owner: str, name: str) -> float:
    """``value`` as a finite float (Python or NumPy real numbers, 0-d arrays; never bools or strings).

    Example:
        >>> real_number(np.float32(0.5), "SGD", "momentum")
        0.5
    """
    scalar = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))
    zero_d = isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iuf"
    if not (scalar or zero_d):
        raise TypeError(f"{owner}: {name} must be a real number, got {_shown(value)}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{owner}: {name} must be a finite number, got {number}")
    return number


def closest(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'tanh'?)`` when a close match exists, else ''."""
    matches = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {matches[0]!r}?)" if matches else ""


def check_device(device: Any, owner: str) -> None:
    """Accept PyTorch's ``device=`` when it names the CPU (None, "cpu", "cpu:0"); wengert has no other device.

    Example:
        >>> check_device("cuda", "Linear")
        Traceback (most recent call last):
        ...
        RuntimeError: Linear: wengert computes on the CPU only, got device='cuda' (pass 'cpu' or leave it out)
    """
    if device is None:
        return
    name = device if isinstance(device, str) else str(getattr(device, "type", device))
    if name.partition(":")[0] != "cpu":
        raise RuntimeError(
            f"{owner}: wengert computes on the CPU only, got device={device!r} (pass 'cpu' or leave it out)"
        )
