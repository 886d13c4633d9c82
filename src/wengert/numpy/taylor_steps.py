"""Fused Taylor-mode steps: a whole second-order Taylor step through an activation as one primitive.

Second-order Taylor mode (`wengert.pinn.taylor`) pushes several streams
through a network: the primal z, first-order streams ż_i and second-order
streams z̈_k, each second-order stream carrying Σ c·∂_i∂_j of its terms. Through
an elementwise activation σ they become

    y = σ(z),   ẏ_i = σ'(z)·ż_i,   ÿ_k = σ''(z)·Q_k + σ'(z)·z̈_k,   Q_k = Σ_(i,j,c) c·ż_i·ż_j.

Composed of `wengert.numpy` operations that step is a dozen nodes per layer and
as many NumPy passes, each with its own temporary; forward and backward it is
about half of a PINN training step. `tanh_taylor_step` does it for tanh as ONE
primitive: its implementation runs in-place NumPy on a preallocated output, and
its joint VJP shares the slope σ' = 1 − y² between the cotangents of every
stream. Both rules have a composed form in wengert operations, used whenever a
value is traced (a backward pass that is itself recorded, forward over
reverse, staging), so the step differentiates to any order.

Layout: the streams are stacked along the rows, so that an affine layer is one
matrix product for all of them. For N points and width W, ``streams`` has
shape (K·N, W) with the blocks [z, ż_1 … ż_F, z̈_1 … z̈_S] of N rows each
(``first=F``, ``terms`` one tuple per second-order stream), and the output has
the same blocks for y. The entry form (``entry=True``) is the first hidden
layer's: the points' unit tangents make each ż_i one row shared by every point
and every z̈_k zero, so ``streams`` is (N + F, W): z, then one row per ż_i. The
``bias`` is added to z only (an affine layer's bias belongs to the primal).

For tanh, with s = σ' = 1 − y², σ'' = −2y·s, and the VJP of the step is, with
Y, Ẏ_i, Ÿ_k the cotangents of the output's blocks,

    z̄̈_k = s·Ÿ_k,    ż̄_i = s·Ẏ_i − 2y·Σ_k s·Ÿ_k·∂Q_k/∂ż_i,
    z̄ = s·Y − 2y·(Σ_i Ẏ_i·ẏ_i + Σ_k Ÿ_k·ÿ_k) − 2s·Σ_k s·Ÿ_k·Q_k,

where the middle term reads the outputs ẏ, ÿ (σ''·ż_i = −2y·ẏ_i, and the
derivative of σ''(z) is σ''' = (6y² − 2)·s, which the rest of the ÿ term
absorbs), so the z̈ blocks are not read at all.

Example:
    >>> import numpy as np
    >>> z, dz = np.array([[0.5]]), np.array([[2.0]])  # one point, width 1; ż = 2, z̈ = 0
    >>> out = tanh_taylor_step(np.concatenate([z, dz]), first=1, terms=(((0, 0, 1.0),),), entry=True)
    >>> y = np.tanh(0.5)
    >>> np.allclose(out[:, 0], [y, (1 - y * y) * 2.0, -2 * y * (1 - y * y) * 4.0])
    True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..core import Tracer, bind
from ._primitives import dtype as _dtype
from ._primitives import primitive, shape, wraps_primitive
from .batching import align, materialize
from .elementwise import square
from .indexing import getitem
from .shape import broadcast_to, concatenate, unbroadcast

Terms = tuple[tuple[tuple[int, int, float], ...], ...]


# -- the layout -------------------------------------------------------------------------------------------


def _points(rows: int, first: int, count: int, entry: bool) -> int:
    """N, the number of points, from the rows of the input streams."""
    return rows - first if entry else rows // count


def _block(x: Any, index: int, size: int) -> Any:
    """Rows ``index·size … (index + 1)·size`` of ``x`` (its second-to-last axis), lead axes kept."""
    return getitem(x, (Ellipsis, slice(index * size, (index + 1) * size), slice(None)))


def _input_blocks(streams: Any, first: int, seconds: int, entry: bool) -> tuple[Any, list, list, int]:
    """(z, [ż_i], [z̈_k] with None for zero, N) of the input streams."""
    count = 1 + first + seconds
    points = _points(shape(streams)[-2], first, count, entry)
    if entry:
        tangents = [getitem(streams, (Ellipsis, slice(points + i, points + i + 1), slice(None))) for i in range(first)]
        return _block(streams, 0, points), tangents, [None] * seconds, points
    tangents = [_block(streams, 1 + i, points) for i in range(first)]
    curvatures = [_block(streams, 1 + first + k, points) for k in range(seconds)]
    return _block(streams, 0, points), tangents, curvatures, points


def _quadratic(tangents: Sequence[Any], terms: tuple) -> Any:
    """Q = Σ c·ż_i·ż_j over the terms (i, j, c) of one second-order stream, in wengert operations."""
    total = None
    for i, j, c in terms:
        product = square(tangents[i]) if i == j else tangents[i] * tangents[j]
        if c != 1.0:
            product = product * c
        total = product if total is None else total + product
    return total


def _quadratic_tangent(tangents: Sequence[Any], directions: Sequence[Any], terms: tuple) -> Any:
    """dQ = Σ c·(dż_i·ż_j + ż_i·dż_j), None when every dż is zero."""
    total = None
    for i, j, c in terms:
        for a, b in ((i, j), (j, i)):
            if directions[a] is None:
                continue
            piece = directions[a] * tangents[b]
            if c != 1.0:
                piece = piece * c
            total = piece if total is None else total + piece
    return total


# -- the implementation: in-place NumPy --------------------------------------------------------------------


def _check(streams: Any, bias: Any, first: int, terms: Terms, entry: bool) -> int:
    """N, after checking the layout; clear errors for what does not fit."""
    streams_shape = np.shape(streams)
    if len(streams_shape) < 2:
        raise ValueError(f"tanh_taylor_step: streams must have 2 dimensions or more (rows, width), got {streams_shape}")
    kind = np.asarray(streams).dtype if not hasattr(streams, "dtype") else streams.dtype
    if kind.kind != "f":
        raise TypeError(f"tanh_taylor_step: streams must be a floating array, got dtype {kind}")
    rows = streams_shape[-2]
    count = 1 + first + len(terms)
    if entry and rows <= first:
        raise ValueError(f"tanh_taylor_step: entry streams need N + {first} rows (N ≥ 1), got {rows}")
    if not entry and (rows == 0 or rows % count):
        raise ValueError(
            f"tanh_taylor_step: streams of {rows} rows are not {count} blocks (1 + first={first} + {len(terms)} terms)"
        )
    for k, stream_terms in enumerate(terms):
        if not stream_terms:
            raise ValueError(f"tanh_taylor_step: second-order stream {k} has no terms")
        for i, j, _ in stream_terms:
            if not (0 <= i < first and 0 <= j < first):
                raise ValueError(
                    f"tanh_taylor_step: term ({i}, {j}) of stream {k} is outside the streams 0..{first - 1}"
                )
    points = _points(rows, first, count, entry)
    if bias is not None:
        row = (*streams_shape[:-2], 1, streams_shape[-1])  # one bias for every point
        try:
            fits = np.broadcast_shapes(np.shape(bias), row) == row
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(
                f"tanh_taylor_step: the bias of shape {np.shape(bias)} must broadcast to {row} (one row for all points)"
            )
    return points


# The rows of one chunk times the width: every temporary of a chunk (and the chunk's share of the
# inputs) stays in the core's cache across the dozen passes over it. Unchunked, each pass reads
# megabytes from memory again, and the fused step is slower than the composed ops it replaces.
CHUNK_ELEMENTS = 16384


def _row_chunks(points: int, width: int) -> list[slice]:
    """Slices of the rows 0..N in chunks of about `CHUNK_ELEMENTS` elements."""
    rows = max(1, CHUNK_ELEMENTS // max(width, 1))
    return [slice(start, min(start + rows, points)) for start in range(0, points, rows)]


def _quadratic_into(out: np.ndarray, tangents: list, terms: tuple, scratch: np.ndarray) -> None:
    """out ← Σ c·ż_i·ż_j, in place (``scratch``: a buffer of out's shape for the second term on)."""
    for position, (i, j, c) in enumerate(terms):
        target = out if position == 0 else scratch
        if i == j:
            np.square(tangents[i], out=target)
        else:
            np.multiply(tangents[i], tangents[j], out=target)
        if position == 0:
            if c != 1.0:
                np.multiply(out, c, out=out)
        else:
            _add_scaled(out, target, c)


def _entry_quadratics(tangents: list, terms: Terms) -> list[np.ndarray]:
    """Q_k of the entry form: one row each (the ż_i are rows shared by every point)."""
    rows = []
    for stream_terms in terms:
        row = np.empty_like(tangents[0])
        _quadratic_into(row, tangents, stream_terms, np.empty_like(row))
        rows.append(row)
    return rows


def _step_impl(streams: Any, *bias: Any, first: int, terms: Terms, entry: bool) -> np.ndarray:
    streams = np.asarray(streams)
    bias_value = bias[0] if bias else None
    points = _check(streams, bias_value, first, terms, entry)
    seconds = len(terms)
    count = 1 + first + seconds
    lead, width = streams.shape[:-2], streams.shape[-1]
    kind = np.result_type(streams, bias_value) if bias_value is not None else streams.dtype
    out = np.empty((*lead, count * points, width), dtype=kind)
    chunks = _row_chunks(points, width)
    size = chunks[0].stop
    slope_buffer = np.empty((*lead, size, width), dtype=kind)
    ratio_buffer = np.empty_like(slope_buffer) if seconds else None
    scratch_buffer = np.empty_like(slope_buffer) if seconds else None
    if entry:
        rows = [streams[..., points + i : points + i + 1, :] for i in range(first)]
        quadratics = _entry_quadratics(rows, terms) if seconds else []
    for part in chunks:
        used = part.stop - part.start

        def block(x: np.ndarray, index: int, part: slice = part) -> np.ndarray:
            return x[..., index * points + part.start : index * points + part.stop, :]

        slope = slope_buffer[..., :used, :]
        value = block(out, 0)
        if bias_value is None:
            np.tanh(block(streams, 0), out=value)
        else:
            np.add(block(streams, 0), bias_value, out=value)
            np.tanh(value, out=value)
        np.square(value, out=slope)
        np.subtract(1.0, slope, out=slope)
        tangents = rows if entry else [block(streams, 1 + i) for i in range(first)]
        for i, tangent in enumerate(tangents):
            np.multiply(slope, tangent, out=block(out, 1 + i))
        if not seconds:
            continue
        ratio = ratio_buffer[..., :used, :]
        np.multiply(value, -2.0, out=ratio)  # σ''/σ' = −2y, shared by every second-order stream
        for k, stream_terms in enumerate(terms):
            target = block(out, 1 + first + k)
            if entry:  # z̈ = 0 and Q is one row
                np.multiply(ratio, quadratics[k], out=target)
            else:
                _quadratic_into(target, tangents, stream_terms, scratch_buffer[..., :used, :])
                np.multiply(target, ratio, out=target)
                np.add(target, block(streams, 1 + first + k), out=target)
            np.multiply(target, slope, out=target)
    return out


# -- the rules, in wengert operations ---------------------------------------------------------------------


def _step_jvp(tangents: tuple, ans: Any, streams: Any, *bias: Any, first: int, terms: Terms, entry: bool) -> Any:
    direction = tangents[0]
    bias_direction = tangents[1] if len(tangents) > 1 else None
    if direction is None and bias_direction is None:
        return None
    seconds = len(terms)
    _, slopes_in, _, points = _input_blocks(streams, first, seconds, entry)
    value = _block(ans, 0, points)
    slope = 1.0 - square(value)
    if direction is not None:
        dz, dslopes, dcurvatures, _ = _input_blocks(direction, first, seconds, entry)
        if bias_direction is not None:
            dz = dz + bias_direction
    else:
        dz = broadcast_to(bias_direction, shape(value))
        dslopes, dcurvatures = [None] * first, [None] * seconds
    shift = value * dz * -2.0  # d(σ')/σ' = −2y·dz
    pieces = [slope * dz]
    for i in range(first):
        piece = shift * _block(ans, 1 + i, points)
        if dslopes[i] is not None:
            piece = piece + slope * dslopes[i]
        pieces.append(piece)
    for k, stream_terms in enumerate(terms):
        # d(σ''·Q + σ'·z̈) = shift·ÿ + σ'·(dz̈ − 2σ'·dz·Q − 2y·dQ)
        inner = slope * dz * _quadratic(slopes_in, stream_terms) * -2.0
        if dcurvatures[k] is not None:
            inner = inner + dcurvatures[k]
        dq = _quadratic_tangent(slopes_in, dslopes, stream_terms)
        if dq is not None:
            inner = inner - 2.0 * value * dq
        pieces.append(shift * _block(ans, 1 + first + k, points) + slope * inner)
    return concatenate(pieces, axis=-2)


def _step_vjp(cotangent: Any, ans: Any, streams: Any, *bias: Any, first: int, terms: Terms, entry: bool) -> tuple:
    if not (isinstance(cotangent, Tracer) or isinstance(ans, Tracer) or isinstance(streams, Tracer)) and not (
        bias and isinstance(bias[0], Tracer)
    ):
        fast = _step_vjp_numpy(cotangent, ans, streams, bias, first, terms, entry)
        if fast is not None:
            return fast
    return _step_vjp_composed(cotangent, ans, streams, bias, first, terms, entry)


def _step_vjp_composed(cotangent: Any, ans: Any, streams: Any, bias: tuple, first: int, terms: Terms, entry: bool):
    """The joint VJP in wengert operations (differentiable again)."""
    seconds = len(terms)
    _, slopes_in, _, points = _input_blocks(streams, first, seconds, entry)
    value = _block(ans, 0, points)
    slope = 1.0 - square(value)
    outer = _block(cotangent, 0, points)
    weighted = [slope * _block(cotangent, 1 + first + k, points) for k in range(seconds)]  # s·Ÿ_k = z̄̈_k
    # D = Σ Ẏ_i·ẏ_i + Σ Ÿ_k·ÿ_k: every derivative block's cotangent against its output
    total = None
    for index in range(1, 1 + first + seconds):
        product = _block(cotangent, index, points) * _block(ans, index, points)
        total = product if total is None else total + product
    z_bar = slope * outer
    if total is not None:
        z_bar = z_bar - 2.0 * value * total
    curvature_total = None
    for k, stream_terms in enumerate(terms):
        product = weighted[k] * _quadratic(slopes_in, stream_terms)
        curvature_total = product if curvature_total is None else curvature_total + product
    if curvature_total is not None:
        z_bar = z_bar - 2.0 * slope * curvature_total
    slope_bars = []
    for i in range(first):
        slope_bar = slope * _block(cotangent, 1 + i, points)
        for k, stream_terms in enumerate(terms):
            for a, b, c in stream_terms:
                for this, other in ((a, b), (b, a)):
                    if this == i:  # ∂(c·ż_a·ż_b)/∂ż_i
                        slope_bar = slope_bar + value * weighted[k] * slopes_in[other] * (-2.0 * c)
        if entry:
            slope_bar = unbroadcast(slope_bar, slopes_in[i])
        slope_bars.append(slope_bar)
    blocks = [z_bar, *slope_bars] + ([] if entry else weighted)
    streams_bar = concatenate(blocks, axis=-2)
    if not bias:
        return (streams_bar,)
    return streams_bar, unbroadcast(z_bar, bias[0])


def _slope_contributions(first: int, terms: Terms) -> list[list[tuple[int, int, float]]]:
    """For each ż_i, the (stream k, other direction, coefficient) of ∂Q_k/∂ż_i against P_k = −4y·σ'·Ÿ_k.

    ∂(c·ż_i²)/∂ż_i = 2c·ż_i and ∂(c·ż_i·ż_j)/∂ż_i = c·ż_j; with σ'' = −2y·σ' the factor 2 of P_k
    makes the coefficient c on the diagonal and c/2 off it.
    """
    contributions: list[list[tuple[int, int, float]]] = [[] for _ in range(first)]
    for k, stream_terms in enumerate(terms):
        for i, j, c in stream_terms:
            if i == j:
                contributions[i].append((k, i, c))
            else:
                contributions[i].append((k, j, c / 2.0))
                contributions[j].append((k, i, c / 2.0))
    return contributions


def _add_scaled(total: np.ndarray, piece: np.ndarray, coefficient: float) -> None:
    """total += coefficient·piece (``piece`` may be overwritten)."""
    if coefficient == 1.0:
        np.add(total, piece, out=total)
    elif coefficient == -1.0:
        np.subtract(total, piece, out=total)
    else:
        np.multiply(piece, coefficient, out=piece)
        np.add(total, piece, out=total)


def _step_vjp_numpy(cotangent: Any, ans: Any, streams: Any, bias: tuple, first: int, terms: Terms, entry: bool):
    """The joint VJP on plain arrays, in place chunk by chunk; None unless they are plain arrays of one dtype."""
    if type(cotangent) is not np.ndarray or type(ans) is not np.ndarray or type(streams) is not np.ndarray:
        return None
    if cotangent.shape != ans.shape or cotangent.dtype != ans.dtype or streams.dtype != ans.dtype:
        return None
    if streams.shape[:-2] != ans.shape[:-2]:
        return None
    seconds = len(terms)
    count = 1 + first + seconds
    points = ans.shape[-2] // count
    lead, width, kind = ans.shape[:-2], ans.shape[-1], ans.dtype
    streams_bar = np.empty((*lead, points + first if entry else count * points, width), dtype=kind)
    chunks = _row_chunks(points, width)
    size = chunks[0].stop

    def buffer() -> np.ndarray:
        return np.empty((*lead, size, width), dtype=kind)

    slope_buffer, scratch_buffer, spare_buffer = buffer(), buffer(), buffer()
    ratio_buffer = buffer() if seconds else None
    weighted_buffers = [buffer() for _ in range(seconds)] if entry else []
    product_buffers = [buffer() for _ in range(seconds)]
    contributions = _slope_contributions(first, terms)
    if entry:
        rows = [streams[..., points + i : points + i + 1, :] for i in range(first)]
        quadratics = _entry_quadratics(rows, terms) if seconds else []
        row_bars = np.zeros((*lead, first, width), dtype=kind)  # Σ over the points, chunk by chunk
        product_sums = np.zeros((*lead, seconds, width), dtype=kind)
    bias_value = bias[0] if bias else None
    bias_by_chunk = type(bias_value) is np.ndarray and bias_value.shape == (width,) and not lead
    bias_bar = np.zeros(width, dtype=kind) if bias_by_chunk else None
    for part in chunks:
        used = part.stop - part.start

        def block(x: np.ndarray, index: int, part: slice = part) -> np.ndarray:
            return x[..., index * points + part.start : index * points + part.stop, :]

        slope, scratch, spare = slope_buffer[..., :used, :], scratch_buffer[..., :used, :], spare_buffer[..., :used, :]
        value = block(ans, 0)
        z_bar = block(streams_bar, 0)
        np.square(value, out=slope)
        np.subtract(1.0, slope, out=slope)
        # y·D, D = Σ over the derivative blocks of cotangent·output
        if count > 1:
            np.multiply(block(cotangent, 1), block(ans, 1), out=z_bar)
            for index in range(2, count):
                np.multiply(block(cotangent, index), block(ans, index), out=scratch)
                np.add(z_bar, scratch, out=z_bar)
            np.multiply(z_bar, value, out=z_bar)
        else:
            z_bar.fill(0.0)
        tangents = rows if entry else [block(streams, 1 + i) for i in range(first)]
        products = [product[..., :used, :] for product in product_buffers]
        if seconds:
            ratio = ratio_buffer[..., :used, :]
            np.multiply(value, -4.0, out=ratio)
            weighted = [  # σ'·Ÿ_k: the cotangent of z̈_k
                weighted_buffers[k][..., :used, :] if entry else block(streams_bar, 1 + first + k)
                for k in range(seconds)
            ]
            for k, stream_terms in enumerate(terms):
                np.multiply(block(cotangent, 1 + first + k), slope, out=weighted[k])
                if entry:
                    quadratic = quadratics[k]
                else:
                    quadratic = scratch
                    _quadratic_into(quadratic, tangents, stream_terms, spare)
                if k == 0:
                    np.multiply(weighted[k], quadratic, out=products[0])
                else:
                    np.multiply(weighted[k], quadratic, out=spare)
                    np.add(products[0], spare, out=products[0])
            # z̄ = σ'·Y − 2·(y·D + σ'·Σ_k σ'·Ÿ_k·Q_k)
            np.multiply(products[0], slope, out=products[0])
            np.add(z_bar, products[0], out=z_bar)
            for k in range(seconds):  # P_k = −4y·σ'·Ÿ_k, for the ż cotangents
                np.multiply(weighted[k], ratio, out=products[k])
        np.multiply(z_bar, -2.0, out=z_bar)
        np.multiply(block(cotangent, 0), slope, out=scratch)
        np.add(z_bar, scratch, out=z_bar)
        if bias_by_chunk:
            np.add(bias_bar, np.add.reduce(z_bar, axis=0), out=bias_bar)
        if entry:  # one row per ż_i: every point's share summed, Σ_n P_k·row = row·Σ_n P_k
            for i in range(first):
                np.multiply(block(cotangent, 1 + i), slope, out=scratch)
                row_bars[..., i, :] += np.add.reduce(scratch, axis=-2)
            for k in range(seconds):
                product_sums[..., k, :] += np.add.reduce(products[k], axis=-2)
            continue
        for i in range(first):
            slope_bar = block(streams_bar, 1 + i)
            np.multiply(block(cotangent, 1 + i), slope, out=slope_bar)
            for k, other, coefficient in contributions[i]:
                np.multiply(products[k], tangents[other], out=spare)
                _add_scaled(slope_bar, spare, coefficient)
    if entry:
        for i in range(first):
            row_bar = streams_bar[..., points + i, :]
            row_bar[...] = row_bars[..., i, :]
            for k, other, coefficient in contributions[i]:
                row_bar += coefficient * rows[other][..., 0, :] * product_sums[..., k, :]
    if bias_value is None:
        return (streams_bar,)
    if bias_by_chunk:
        return streams_bar, bias_bar
    return streams_bar, unbroadcast(streams_bar[..., :points, :].copy(), bias_value)


def _step_batch(values: list, batched: tuple, first: int, terms: Terms, entry: bool) -> Any:
    """Leading axes are carried through: the batch axis goes in front of the rows (and of the bias's rows)."""
    size = next(shape(v)[0] for v, b in zip(values, batched) if b)
    streams = materialize(values[0], batched[0], size)
    rest = values[1:]
    if rest and batched[1]:
        (_, bias) = align([streams, rest[0]], (True, True), len(shape(streams)) - 1)
        rest = [bias]
    return bind(tanh_taylor_step_p, (streams, *rest), {"first": first, "terms": terms, "entry": entry})


tanh_taylor_step_p = primitive(
    "tanh_taylor_step", _step_impl, jvp_joint=_step_jvp, vjp_joint=_step_vjp, batch=_step_batch
)


def _normalise_terms(terms: Any) -> Terms:
    try:
        return tuple(tuple((int(i), int(j), float(c)) for i, j, c in stream_terms) for stream_terms in terms)
    except (TypeError, ValueError):
        raise TypeError(
            f"tanh_taylor_step: terms must be one tuple of (i, j, coefficient) per second-order stream, got {terms!r}"
        ) from None


@wraps_primitive(tanh_taylor_step_p)
def tanh_taylor_step(
    streams: Any, bias: Any = None, *, first: int, terms: Sequence[Sequence[tuple]] = (), entry: bool = False
) -> Any:
    """One second-order Taylor step through ``tanh(z + bias)``, the streams stacked along the rows.

    ``streams`` holds the blocks [z, ż_1 … ż_F, z̈_1 … z̈_S] of N rows each, or
    with ``entry=True`` z (N rows) and one row per ż_i (z̈ = 0); ``terms`` has
    one tuple of (i, j, c) per second-order stream, whose output is
    σ''(z)·Σ c·ż_i·ż_j + σ'(z)·z̈. The result has the blocks [y, ẏ_1 …, ÿ_1 …]
    of N rows each. See the module's docstring for the layout and the rules.

    Example:
        >>> z = np.zeros((2, 3))                      # two points, width 3, no derivative streams
        >>> tanh_taylor_step(z, np.ones(3), first=0).shape
        (2, 3)
    """
    first = int(first)
    if first < 0:
        raise ValueError(f"tanh_taylor_step: first must be ≥ 0, got {first}")
    terms = _normalise_terms(terms)
    params = {"first": first, "terms": terms, "entry": bool(entry)}
    args = (streams,) if bias is None else (streams, bias)
    if isinstance(streams, Tracer) or isinstance(bias, Tracer):
        _check(_PrimalView(streams), None if bias is None else _PrimalView(bias), first, terms, bool(entry))
        return bind(tanh_taylor_step_p, args, params)
    return _step_impl(*args, **params)


class _PrimalView:
    """Shape and dtype of a traced value, for the layout checks before it is recorded."""

    def __init__(self, value: Any) -> None:
        self.shape = tuple(shape(value))
        self.dtype = _dtype(value)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:  # np.shape needs no data
        raise TypeError("a layout view has no data")


__all__ = ["tanh_taylor_step"]
