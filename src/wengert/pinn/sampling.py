"""Collocation points for PINNs: in the interior of a box, on its spatial faces, on its initial face.

A domain is a box given by its ``bounds`` [(lo, hi), ...], one pair per input
coordinate (a single pair (lo, hi) is an interval). Every sampler returns a
float64 array of shape (n, d), the layout a network's input takes, with
coordinate j in column j.

Interior samplers: `uniform` (independent uniform draws, NumPy only),
`latin_hypercube` (one point in each of n strata per coordinate) and `sobol`
(a scrambled Sobol' sequence; balanced when n is a power of two). The last two
use ``scipy.stats.qmc``, an optional dependency. `grid` gives a tensor-product
grid. `boundary_points` and `initial_points` put points on the spatial faces
(x = lo or hi) and on the initial face (t = t0) of a space-time box.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

Bounds = Sequence[tuple[float, float]] | tuple[float, float]
Seed = int | np.random.Generator | None
METHODS = ("uniform", "lhs", "sobol")


def _qmc() -> Any:
    try:
        from scipy.stats import qmc
    except ImportError as error:  # pragma: no cover - exercised only without SciPy
        raise ImportError(
            "Latin hypercube and Sobol' sampling need SciPy (scipy.stats.qmc); "
            "install it with: pip install 'wengert[scipy]'"
        ) from error
    return qmc


def as_bounds(bounds: Bounds) -> np.ndarray:
    """Bounds as a (d, 2) float array of (lo, hi) rows, checked finite with lo < hi.

    Example:
        >>> as_bounds((0.0, 1.0))
        array([[0., 1.]])
    """
    array = np.asarray(bounds, dtype=float)
    if array.ndim == 1 and array.shape == (2,):
        array = array[None, :]
    if array.ndim != 2 or array.shape[1] != 2 or array.shape[0] == 0:
        raise ValueError(f"bounds must be (lo, hi) or a sequence of (lo, hi) pairs, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"bounds must be finite, got {array.tolist()}")
    if not np.all(array[:, 0] < array[:, 1]):
        raise ValueError(f"every bound needs lo < hi, got {array.tolist()}")
    return array


def _check_count(n: Any, name: str = "n", minimum: int = 1) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < minimum:
        raise ValueError(f"{name} must be an integer of at least {minimum}, got {n!r}")
    return int(n)


def _scale(unit: np.ndarray, box: np.ndarray) -> np.ndarray:
    return box[:, 0] + unit * (box[:, 1] - box[:, 0])


def _qmc_engine(kind: str, dimension: int, seed: Seed, **options: Any) -> Any:
    qmc = _qmc()
    engine_class = qmc.Sobol if kind == "sobol" else qmc.LatinHypercube
    try:
        return engine_class(dimension, rng=seed, **options)
    except TypeError:  # SciPy before 1.15 named the generator `seed`
        return engine_class(dimension, seed=seed, **options)


def _unit_sample(n: int, dimension: int, method: str, seed: Seed) -> np.ndarray:
    """n points in the unit cube [0, 1)^dimension by ``method``."""
    if method == "uniform":
        return np.random.default_rng(seed).random((n, dimension))
    if method == "lhs":
        return _qmc_engine("lhs", dimension, seed).random(n)
    if method == "sobol":
        return _sobol_unit(n, dimension, seed, scramble=True)
    raise ValueError(f"method must be one of {METHODS}, got {method!r}")


def _sobol_unit(n: int, dimension: int, seed: Seed, scramble: bool) -> np.ndarray:
    engine = _qmc_engine("sobol", dimension, seed, scramble=scramble)
    if n & (n - 1) == 0:
        return engine.random_base2(n.bit_length() - 1)
    return engine.random(n)  # SciPy warns that the balance properties need a power of two


def uniform(n: int, bounds: Bounds, seed: Seed = None) -> np.ndarray:
    """n independent uniform points in the box ``bounds``: shape (n, d).

    Example:
        >>> points = uniform(4, [(-1.0, 1.0), (0.0, 1.0)], seed=0)
        >>> points.shape, bool(points[:, 1].min() >= 0.0)
        ((4, 2), True)
    """
    box = as_bounds(bounds)
    return _scale(_unit_sample(_check_count(n), len(box), "uniform", seed), box)


def latin_hypercube(n: int, bounds: Bounds, seed: Seed = None) -> np.ndarray:
    """n Latin-hypercube points in ``bounds``: each coordinate has one point in each of its n equal strata.

    Example:
        >>> points = latin_hypercube(5, (0.0, 1.0), seed=0)
        >>> sorted(np.floor(points[:, 0] * 5).astype(int).tolist())
        [0, 1, 2, 3, 4]
    """
    box = as_bounds(bounds)
    return _scale(_unit_sample(_check_count(n), len(box), "lhs", seed), box)


def sobol(n: int, bounds: Bounds, seed: Seed = None, scramble: bool = True) -> np.ndarray:
    """The first n points of a (scrambled) Sobol' sequence in ``bounds``.

    With n a power of two every dyadic sub-box of the unit cube of volume 1/n
    (per coordinate: every interval [k/n, (k+1)/n)) holds exactly one point's
    coordinate; other n work but lose that balance (SciPy warns).

    Example:
        >>> points = sobol(8, (0.0, 1.0), seed=0)
        >>> sorted(np.floor(points[:, 0] * 8).astype(int).tolist())
        [0, 1, 2, 3, 4, 5, 6, 7]
    """
    box = as_bounds(bounds)
    return _scale(_sobol_unit(_check_count(n), len(box), seed, scramble), box)


def grid(shape: int | Sequence[int], bounds: Bounds) -> np.ndarray:
    """A tensor-product grid, end points included: shape[j] points along coordinate j, as (∏shape, d).

    The first coordinate varies slowest.

    Example:
        >>> grid((2, 3), [(0.0, 1.0), (0.0, 2.0)])[:4].tolist()
        [[0.0, 0.0], [0.0, 1.0], [0.0, 2.0], [1.0, 0.0]]
    """
    box = as_bounds(bounds)
    counts = (shape,) * len(box) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if len(counts) != len(box):
        raise ValueError(f"grid: shape {counts} has {len(counts)} entries but bounds have {len(box)} coordinates")
    axes = [np.linspace(lo, hi, _check_count(count, "each grid count", 2)) for (lo, hi), count in zip(box, counts)]
    return np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, len(box))


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")


def _time_index(time_axis: int | None, dimension: int) -> int | None:
    if time_axis is None:
        return None
    if not -dimension <= time_axis < dimension:
        raise ValueError(f"time_axis {time_axis} is out of range for {dimension} coordinates")
    return time_axis % dimension


def _split_evenly(n: int, shares: np.ndarray) -> np.ndarray:
    """Integer counts summing to n in proportion to ``shares`` (largest remainders get the leftovers)."""
    exact = n * shares / shares.sum()
    counts = np.floor(exact).astype(int)
    leftovers = n - counts.sum()
    counts[np.argsort(-(exact - counts), kind="stable")[:leftovers]] += 1
    return counts


def boundary_points(
    n: int,
    bounds: Bounds,
    time_axis: int | None = None,
    seed: Seed = None,
    method: str = "uniform",
) -> np.ndarray:
    """n points on the spatial faces of the box ``bounds`` (all coordinates but ``time_axis`` are spatial).

    The faces x_j = lo_j and x_j = hi_j of every spatial coordinate j share the
    n points in proportion to their measure (the product of the other
    coordinates' extents, time included), so the density along the boundary
    is even; the other coordinates of each face's points are drawn by
    ``method`` ("uniform", "lhs" or "sobol"). In one dimension the faces are
    the interval's two end points, which then share the n points (repeated).
    Points come grouped face by face: coordinate 0's lower face first.

    Example:
        >>> points = boundary_points(4, [(-1.0, 1.0), (0.0, 1.0)], time_axis=-1, seed=0)
        >>> points[:, 0].tolist()
        [-1.0, -1.0, 1.0, 1.0]
        >>> boundary_points(2, (0.0, 1.0)).tolist()
        [[0.0], [1.0]]
    """
    box = as_bounds(bounds)
    n = _check_count(n)
    _check_method(method)
    dimension = len(box)
    time_index = _time_index(time_axis, dimension)
    spatial = [j for j in range(dimension) if j != time_index]
    if not spatial:
        raise ValueError("boundary_points: the box has no spatial coordinate (only the time axis)")
    extents = box[:, 1] - box[:, 0]
    faces = [(j, side) for j in spatial for side in (0, 1)]
    measures = np.array([np.prod(np.delete(extents, j)) for j, _ in faces])
    counts = _split_evenly(n, measures)
    rng = np.random.default_rng(seed)
    pieces = []
    for (j, side), count in zip(faces, counts):
        if count == 0:
            continue
        free = [k for k in range(dimension) if k != j]
        points = np.empty((count, dimension))
        points[:, j] = box[j, side]
        if free:
            face_seed = rng if method == "uniform" else int(rng.integers(2**63))
            points[:, free] = _scale(_unit_sample(int(count), len(free), method, face_seed), box[free])
        pieces.append(points)
    return np.concatenate(pieces, axis=0)


def initial_points(
    n: int,
    bounds: Bounds,
    time_axis: int = -1,
    seed: Seed = None,
    method: str = "uniform",
) -> np.ndarray:
    """n points on the initial face t = t0 (the lower bound of coordinate ``time_axis``) of ``bounds``.

    The spatial coordinates are drawn by ``method`` ("uniform", "lhs" or "sobol").

    Example:
        >>> points = initial_points(3, [(-1.0, 1.0), (0.0, 1.0)], seed=0)
        >>> points.shape, points[:, 1].tolist()
        ((3, 2), [0.0, 0.0, 0.0])
    """
    box = as_bounds(bounds)
    n = _check_count(n)
    _check_method(method)
    dimension = len(box)
    if dimension < 2:
        raise ValueError("initial_points needs a space-time box: bounds with a spatial and a time coordinate")
    time_index = _time_index(time_axis, dimension)
    spatial = [j for j in range(dimension) if j != time_index]
    points = np.empty((n, dimension))
    points[:, time_index] = box[time_index, 0]
    points[:, spatial] = _scale(_unit_sample(n, len(spatial), method, seed), box[spatial])
    return points
