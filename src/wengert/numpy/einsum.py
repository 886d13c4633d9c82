"""Einstein summation (``einsum``) as one primitive, and ``tensordot`` built on it.

The subscripts are normalised before the primitive is applied: each operand
gets a string of single-letter labels (an ellipsis becomes fresh letters, right
aligned as NumPy broadcasts them) and the output gets its labels explicitly.
Einsum is linear in each operand, so

* the JVP is the sum over operands of the same einsum with that operand
  replaced by its tangent;
* the VJP for operand k is an einsum of the cotangent with the other operands,
  whose output is operand k's labels. Two constants complete it: a vector of
  ones for each label that only operand k carries (the derivative is constant
  along it, so it is broadcast) and an identity matrix for each repeated label
  of operand k (``'ii'`` reads a diagonal, so the cotangent is put back on the
  diagonal). Labels that NumPy broadcast from size 1 are summed back.

Both rules are einsums again, so einsum differentiates to any order.
"""

from __future__ import annotations

import functools
import string
from typing import Any

import numpy as np

from ..core import Tracer, bind
from ._primitives import as_array_arg, dtype, has_tracer, primitive, shape, wraps_primitive
from .batching import batch_size
from .shape import stack, sum_to

LETTERS = string.ascii_letters

# -- parsing -------------------------------------------------------------------------------


def _check_term(term: str, where: str, subscripts: str) -> None:
    if term.count("...") > 1:
        raise ValueError(f"einsum: the {where} of subscripts {subscripts!r} has more than one ellipsis")
    for char in term.replace("...", ""):
        if char not in LETTERS:
            raise ValueError(
                f"einsum: invalid character {char!r} in the {where} of subscripts {subscripts!r} "
                "(labels are letters, with at most one '...')"
            )


@functools.lru_cache(maxsize=1024)
def parse_subscripts(subscripts: str, shapes: tuple[tuple[int, ...], ...]) -> tuple[tuple[str, ...], str]:
    """Normalise ``subscripts`` for operands of ``shapes``: (labels of each input, output labels).

    Example:
        >>> parse_subscripts("...ij,jk", ((5, 2, 3), (3, 4)))
        (('aij', 'jk'), 'aik')
    """
    text = subscripts.replace(" ", "")
    if text.count("->") > 1:
        raise ValueError(f"einsum: subscripts {subscripts!r} contain more than one '->'")
    explicit = "->" in text
    input_text, output_text = text.split("->") if explicit else (text, None)
    terms = input_text.split(",")
    if len(terms) != len(shapes):
        raise ValueError(
            f"einsum: subscripts {subscripts!r} name {len(terms)} operand(s), but {len(shapes)} were given"
        )
    for index, term in enumerate(terms):
        _check_term(term, f"operand {index}", subscripts)
    if output_text is not None:
        _check_term(output_text, "output", subscripts)

    # Ellipsis dimensions get fresh letters; an operand with fewer of them takes the last ones.
    used = set(text)
    fresh = [letter for letter in LETTERS if letter not in used]
    ellipsis_counts = []
    for index, (term, operand_shape) in enumerate(zip(terms, shapes)):
        named = len(term.replace("...", ""))
        if "..." in term:
            count = len(operand_shape) - named
            if count < 0:
                raise ValueError(
                    f"einsum: operand {index} of shape {operand_shape} has fewer dimensions than the "
                    f"{named} labels of {term!r}"
                )
        else:
            count = 0
            if named != len(operand_shape):
                raise ValueError(
                    f"einsum: operand {index} has shape {operand_shape} ({len(operand_shape)} dimensions) "
                    f"but its subscripts {term!r} name {named}"
                )
        ellipsis_counts.append(count)
    ellipsis_size = max(ellipsis_counts, default=0)
    if ellipsis_size > len(fresh):
        raise ValueError(f"einsum: too many dimensions for the 52 available labels in {subscripts!r}")
    ellipsis_labels = "".join(fresh[:ellipsis_size])
    inputs = tuple(
        term.replace("...", ellipsis_labels[ellipsis_size - count :]) for term, count in zip(terms, ellipsis_counts)
    )

    if output_text is None:
        counts: dict[str, int] = {}
        for term in terms:
            for label in term.replace("...", ""):
                counts[label] = counts.get(label, 0) + 1
        output = ellipsis_labels + "".join(sorted(label for label, count in counts.items() if count == 1))
    else:
        if "..." not in output_text and ellipsis_size:
            raise ValueError(f"einsum: the operands of {subscripts!r} have '...' dimensions, so the output needs '...'")
        output = output_text.replace("...", ellipsis_labels)
        appearing = set("".join(inputs))
        for label in output:
            if output.count(label) > 1:
                raise ValueError(f"einsum: output label {label!r} is repeated in {subscripts!r}")
            if label not in appearing:
                raise ValueError(f"einsum: output label {label!r} of {subscripts!r} appears in no operand")

    _label_sizes(inputs, shapes, subscripts)  # validates that the sizes agree
    return inputs, output


def _label_sizes(inputs: tuple[str, ...], shapes: tuple[tuple[int, ...], ...], subscripts: str) -> dict[str, int]:
    """The size of each label; sizes must agree, except that size 1 broadcasts."""
    sizes: dict[str, int] = {}
    for index, (labels, operand_shape) in enumerate(zip(inputs, shapes)):
        own: dict[str, int] = {}
        for label, size in zip(labels, operand_shape):
            if own.setdefault(label, size) != size:
                raise ValueError(
                    f"einsum: operand {index} of shape {operand_shape} repeats label {label!r} "
                    f"over dimensions of different sizes ({own[label]} and {size})"
                )
            known = sizes.get(label, 1)
            if size != 1 and known != 1 and size != known:
                raise ValueError(
                    f"einsum: label {label!r} of {subscripts!r} has size {known} in one operand and "
                    f"{size} in operand {index} (shapes {list(shapes)})"
                )
            if size != 1 or label not in sizes:
                sizes[label] = size
    return sizes


# -- the primitive ----------------------------------------------------------------------------


@functools.lru_cache(maxsize=1024)
def _aligned(inputs: tuple[str, ...]) -> bool:
    """Whether one operand carries every label: products and sums of aligned entries (e.g. Σ_t w_t·v_t²
    as "t,tr,tr->r"), where BLAS has nothing to do and NumPy's single loop reads each entry once while
    the optimised path would write intermediates (twice the time)."""
    widest = max(map(set, inputs), key=len)
    return all(set(term) <= widest for term in inputs)


def _einsum_impl(*operands: Any, inputs: tuple[str, ...], output: str) -> Any:
    # Contraction order and BLAS pay off for several operands or large ones; tiny
    # two-operand contractions are faster without the path search.
    large = len(operands) > 2 or any(np.size(operand) > 4096 for operand in operands)
    result = np.einsum(",".join(inputs) + "->" + output, *operands, optimize=large and not _aligned(inputs))
    if len(operands) == 1 and np.may_share_memory(result, operands[0]):
        result = result.copy()  # a rearrangement ("ij->ji", "ii->i") is a view: einsum's results are new arrays
    return result


def _einsum(operands: Any, inputs: tuple[str, ...], output: str) -> Any:
    return bind(einsum_p, tuple(operands), {"inputs": tuple(inputs), "output": output})


def _einsum_jvp(tangents: Any, ans: Any, *operands: Any, inputs: tuple[str, ...], output: str) -> Any:
    total = None
    for index, tangent in enumerate(tangents):
        if tangent is None:
            continue
        replaced = list(operands)
        replaced[index] = tangent
        term = _einsum(replaced, inputs, output)
        total = term if total is None else total + term
    return total


def _einsum_vjp(index: int) -> Any:
    def rule(g: Any, ans: Any, *operands: Any, inputs: tuple[str, ...], output: str) -> Any:
        target = inputs[index]
        own_sizes = dict(zip(target, shape(operands[index])))
        others = [j for j in range(len(operands)) if j != index]
        # The largest size of each label among what the cotangent's einsum reads.
        available: dict[str, int] = dict(zip(output, shape(g)))
        for j in others:
            for label, size in zip(inputs[j], shape(operands[j])):
                available[label] = max(available.get(label, 0), size)
        constant_dtype = np.result_type(dtype(g), dtype(operands[index]))
        fresh = iter(letter for letter in LETTERS if letter not in set("".join(inputs) + output))

        result_labels = []
        extra_operands = []
        extra_labels = []
        seen = set()
        for label in target:
            size = own_sizes[label]
            if label in seen:  # a repeated label reads a diagonal: put the cotangent back on it
                new_label = next(fresh)
                result_labels.append(new_label)
                extra_operands.append(np.eye(size, dtype=constant_dtype))
                extra_labels.append(label + new_label)
                continue
            seen.add(label)
            result_labels.append(label)
            if label not in available or available[label] < size:
                # Only this operand has the label at full size: the derivative is constant
                # along it, so the cotangent is broadcast (a product with ones).
                extra_operands.append(np.ones(size, dtype=constant_dtype))
                extra_labels.append(label)

        cotangent = _einsum(
            [g, *(operands[j] for j in others), *extra_operands],
            (output, *(inputs[j] for j in others), *extra_labels),
            "".join(result_labels),
        )
        operand_shape = tuple(shape(operands[index]))
        if tuple(shape(cotangent)) != operand_shape:  # the operand was broadcast from size 1
            cotangent = sum_to(cotangent, operand_shape)
        return cotangent

    return rule


class _EinsumRules:
    """VJP rules for any number of operands: rule k gives operand k's cotangent."""

    def __getitem__(self, index: int) -> Any:
        return _einsum_vjp(index)


def _einsum_batch(values: list, batched: tuple, inputs: tuple[str, ...], output: str) -> Any:
    """The batch axis is one more label, carried by the batched operands and the output."""
    used = set("".join(inputs) + output)
    label = next((letter for letter in LETTERS if letter not in used), None)
    if label is None:  # all 52 labels taken: one call per example
        examples = range(batch_size(values, batched))
        return stack([_einsum([v[i] if b else v for v, b in zip(values, batched)], inputs, output) for i in examples])
    batch_inputs = tuple(label + labels if is_batched else labels for labels, is_batched in zip(inputs, batched))
    return _einsum(values, batch_inputs, label + output)


def _einsum_taylor(primals: list, series: list, ans: Any, order: int, *, inputs: tuple, output: str) -> list:
    """Taylor mode: einsum is linear in each operand, so its t^k coefficient is the sum over
    k_1 + … + k_n = k of the einsum of the operands' coefficients of those orders (the Cauchy product
    of n series); a jet of order K in O(K^n) einsums, where its JVP differentiated by jets took 2^K."""
    full = [[p, *(s if s is not None else [None] * order)] for p, s in zip(primals, series)]
    moving = [i for i, s in enumerate(series) if s is not None]  # a constant operand enters at order 0 only
    coefficients = []
    for k in range(1, order + 1):
        total = None
        for split in compositions(k, len(moving)):
            orders = dict(zip(moving, split))
            operands = [x[orders.get(i, 0)] for i, x in enumerate(full)]
            if all(operand is not None for operand in operands):
                term = _einsum(operands, inputs, output)
                total = term if total is None else total + term
        coefficients.append(total)
    return coefficients


def compositions(total: int, parts: int) -> Any:
    """The tuples of ``parts`` non-negative integers that sum to ``total`` (also `partial_derivative`'s
    multi-indices)."""
    if parts == 1:
        yield (total,)
        return
    for first in range(total + 1):
        for rest in compositions(total - first, parts - 1):
            yield (first, *rest)


einsum_p = primitive("einsum", _einsum_impl, jvp_joint=_einsum_jvp, batch=_einsum_batch)
einsum_p.vjp = _EinsumRules()
einsum_p.taylor = _einsum_taylor
einsum_p.multiaffine = True  # linear in each operand: no second-order Taylor curvature when only one moves
einsum_p.fresh = True  # a new array, never a view of an operand: jit may write a later result into it


def _interleaved(arguments: tuple) -> tuple[str, tuple]:
    """``einsum(op0, sublist0, op1, sublist1, ..., [sublist_out])`` as a subscripts string."""
    operands = arguments[0::2]
    sublists = list(arguments[1::2])
    output = None
    if len(arguments) % 2 == 1:
        operands, output = operands[:-1], arguments[-1]

    def letters(sublist: Any) -> str:
        text = ""
        for item in sublist:
            if item is Ellipsis:
                text += "..."
            else:
                if not 0 <= int(item) < len(LETTERS):
                    raise ValueError(f"einsum: sublist label {item!r} must be in [0, {len(LETTERS)})")
                text += LETTERS[int(item)]
        return text

    subscripts = ",".join(letters(sublist) for sublist in sublists)
    if output is not None:
        subscripts += "->" + letters(output)
    return subscripts, tuple(operands)


@wraps_primitive(einsum_p)
def einsum(subscripts: Any, *operands: Any, optimize: Any = False) -> Any:
    """Einstein summation over the operands, as ``numpy.einsum``.

    Explicit (``'ij,jk->ik'``) and implicit (``'ij,jk'``) outputs, ``'...'``
    broadcasting, repeated labels (``'ii->'`` a trace, ``'ii->i'`` a diagonal)
    and the interleaved form ``einsum(a, [0, 1], b, [1, 2])``.

    Example:
        >>> einsum("ij,j->i", np.eye(2), np.array([1.0, 2.0]))
        array([1., 2.])
    """
    if not isinstance(subscripts, str):
        subscripts, operands = _interleaved((subscripts, *operands))
    if not has_tracer(operands):
        return np.einsum(subscripts, *operands, optimize=optimize)
    operands = tuple(as_array_arg(operand) for operand in operands)
    inputs, output = parse_subscripts(subscripts, tuple(tuple(shape(operand)) for operand in operands))
    return _einsum(operands, inputs, output)


# -- tensordot ---------------------------------------------------------------------------------


def _axes_list(axes: Any, ndim: int, which: str, operand_shape: tuple[int, ...]) -> list[int]:
    items = [axes] if isinstance(axes, (int, np.integer)) else list(axes)
    normalized = []
    for axis in items:
        if not isinstance(axis, (int, np.integer)):
            raise ValueError(f"tensordot: axes must be an integer or a pair of sequences of integers, got {axis!r}")
        axis = int(axis)
        if not -ndim <= axis < ndim:
            raise ValueError(f"tensordot: axis {axis} is out of bounds for {which} of shape {operand_shape}")
        normalized.append(axis % ndim)
    if len(set(normalized)) != len(normalized):
        raise ValueError(f"tensordot: repeated axis in {items} for {which}")
    return normalized


@wraps_primitive(einsum_p)
def tensordot(a: Any, b: Any, axes: Any = 2) -> Any:
    """Sum of products over the given axes of ``a`` and ``b``.

    ``axes`` is an integer N (the last N axes of ``a`` with the first N of
    ``b``) or a pair of axis sequences. The free axes of ``a`` come first in
    the result, then those of ``b``.

    Example:
        >>> tensordot(np.ones((2, 3)), np.ones((3, 4)), axes=1).shape
        (2, 4)
    """
    if not (isinstance(a, Tracer) or isinstance(b, Tracer)):
        return np.tensordot(a, b, axes)
    a, b = as_array_arg(a), as_array_arg(b)
    a_shape, b_shape = tuple(shape(a)), tuple(shape(b))
    a_ndim, b_ndim = len(a_shape), len(b_shape)
    if isinstance(axes, (int, np.integer)):
        count = int(axes)
        if count < 0 or count > a_ndim or count > b_ndim:
            raise ValueError(f"tensordot: axes={count} is invalid for shapes {a_shape} and {b_shape}")
        axes_a, axes_b = list(range(a_ndim - count, a_ndim)), list(range(count))
    else:
        try:
            first, second = axes
        except (TypeError, ValueError):
            raise ValueError(f"tensordot: axes must be an integer or a pair of sequences, got {axes!r}") from None
        axes_a = _axes_list(first, a_ndim, "a", a_shape)
        axes_b = _axes_list(second, b_ndim, "b", b_shape)
        if len(axes_a) != len(axes_b):
            raise ValueError(f"tensordot: axes {axes!r} pair {len(axes_a)} axes of a with {len(axes_b)} of b")
    for axis_a, axis_b in zip(axes_a, axes_b):
        if a_shape[axis_a] != b_shape[axis_b]:
            raise ValueError(
                f"tensordot: shape mismatch: axis {axis_a} of a {a_shape} has size {a_shape[axis_a]}, "
                f"axis {axis_b} of b {b_shape} has size {b_shape[axis_b]}"
            )
    if a_ndim + b_ndim - len(axes_a) > len(LETTERS):
        raise ValueError(f"tensordot: too many dimensions ({a_shape} and {b_shape}) for einsum's 52 labels")
    a_labels = LETTERS[:a_ndim]
    free_b = iter(LETTERS[a_ndim:])
    shared = dict(zip(axes_b, axes_a))
    b_labels = "".join(a_labels[shared[i]] if i in shared else next(free_b) for i in range(b_ndim))
    output = "".join(a_labels[i] for i in range(a_ndim) if i not in axes_a)
    output += "".join(b_labels[i] for i in range(b_ndim) if i not in shared)
    return _einsum((a, b), (a_labels, b_labels), output)


__all__ = ["einsum", "tensordot"]
