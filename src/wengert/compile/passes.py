"""Passes over a staged program: each a function from `Program` to `Program`.

* `eliminate_dead_code` drops equations no output depends on (a Hessian-vector
  product never computes the gradient it does not return);
* `eliminate_common_subexpressions` computes a repeated application once;
* `fold_constants` evaluates equations whose inputs are all constants;
* `eliminate_identities` drops ``x * 1``, ``x + 0``, transposes of transposes,
  reshapes or broadcasts to the shape a value already has, and ``detach``
  (the optimised program only runs: nothing differentiates it again);
* `fold_transposes_into_matmul` lets a product of matrices read a transposed
  matrix's original (``x @ w.T`` becomes ``matmul_nt(x, w)``), so the transpose dies;
* `fuse_matmul_bias` computes a product of matrices and the bias added to it as
  one `matmul_add` equation, which adds the bias into the product's new array;
* `fuse_siblings` computes two equations that read the same operands as one,
  where the primitive of the first says how (``primitive.fuse_sibling``: tanh's
  second-order Taylor step and ẏ of the same layer, one loop over the directions);
* `fuse_into_readers` computes an equation with the chain of equations that alone
  read its result, where its primitive says how (``primitive.fuse_readers``: tanh's
  step summed against an output layer's one column, the step never written).

`optimize` runs them to a fixed point.

Example:
    >>> import wengert as wg, wengert.numpy as wnp
    >>> program = wg.jit(lambda x: wnp.sin(x) * wnp.sin(x)).lower(1.0).ir
    >>> program.count("sin")
    1
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..core.staging import Abstract, Equation, Literal, Var
from ..numpy.products import matmul_add_p, matmul_nt_p, matmul_p, matmul_tn_p
from ..numpy.shape import stack_part_p
from .program import Program


def optimize(program: Program) -> Program:
    """Run every pass until the program stops shrinking."""
    while True:
        before = len(program.equations)
        program = eliminate_identities(program)
        program = fold_constants(program)
        program = eliminate_common_subexpressions(program)
        program = fold_transposes_into_matmul(program)
        program = eliminate_dead_code(program)  # the folded transposes, before fusion counts readers
        program = fuse_matmul_bias(program)
        program = fuse_siblings(program)  # after dead-code elimination: a dead sibling is not computed
        program = fuse_into_readers(program)
        if len(program.equations) == before:
            return program


def eliminate_dead_code(program: Program) -> Program:
    """Keep only the equations that some output depends on."""
    live = {value.number for value in program.outputs if isinstance(value, Var)}
    kept = []
    for equation in reversed(program.equations):
        if equation.out.number in live:
            kept.append(equation)
            live.update(value.number for value in equation.inputs if isinstance(value, Var))
    kept.reverse()
    return _with(program, kept, program.outputs)


def eliminate_common_subexpressions(program: Program) -> Program:
    """Replace an equation that repeats an earlier one (same primitive, inputs and parameters) by its result."""
    seen: dict[Any, Var] = {}
    replaced: dict[int, Var | Literal] = {}
    kept = []
    for equation in program.equations:
        equation = _substituted(equation, replaced)
        key = _equation_key(equation)
        earlier = seen.get(key) if key is not None else None
        if earlier is not None:
            replaced[equation.out.number] = earlier
            continue
        if key is not None:
            seen[key] = equation.out
        kept.append(equation)
    return _with(program, kept, [_replace(value, replaced) for value in program.outputs])


def fold_constants(program: Program) -> Program:
    """Evaluate the equations whose inputs are all constants, once, at compile time."""
    replaced: dict[int, Var | Literal] = {}
    kept = []
    for equation in program.equations:
        equation = _substituted(equation, replaced)
        if all(isinstance(value, Literal) for value in equation.inputs):
            with np.errstate(all="ignore"):
                value = equation.primitive.impl(*[literal.value for literal in equation.inputs], **equation.params)
            replaced[equation.out.number] = Literal(value)
            continue
        kept.append(equation)
    return _with(program, kept, [_replace(value, replaced) for value in program.outputs])


def eliminate_identities(program: Program) -> Program:
    """Drop applications that return their input unchanged (same shape and dtype)."""
    replaced: dict[int, Var | Literal] = {}
    producers: dict[int, Equation] = {}
    kept = []
    for equation in program.equations:
        equation = _substituted(equation, replaced)
        same = _identity_of(equation, producers)
        if same is not None and _same_aval(same, equation.out):
            replaced[equation.out.number] = same
            continue
        producers[equation.out.number] = equation
        kept.append(equation)
    return _with(program, kept, [_replace(value, replaced) for value in program.outputs])


# The products of two matrices, by which operands they read transposed: a @ b, a @ b.T, a.T @ b.
# (No primitive reads both transposed.)
_PRODUCT_TRANSPOSES = {"matmul": (False, False), "matmul_nt": (False, True), "matmul_tn": (True, False)}
_PRODUCT_OF_TRANSPOSES = {
    (False, False): matmul_p,
    (False, True): matmul_nt_p,
    (True, False): matmul_tn_p,
}
_SUMS = ("add", "add_any")  # add_any: the core's sum of two cotangents, where a value fans out


def fold_transposes_into_matmul(program: Program) -> Program:
    """Let products of matrices read a transposed matrix's original: ``x @ w.T`` becomes ``matmul_nt(x, w)``.

    A transpose is a view, and the product primitives transpose their operands as views
    too, so the product runs on the same memory and gives the same bits. The transpose
    equation dies (dead-code elimination) when nothing else reads it. Only products of
    two matrices are rewritten; ``a.T @ b.T`` keeps one of its transposes. A transposed
    product, ``(a.T @ b).T``, is not rewritten as ``b.T @ a``: that saves a view, no
    arithmetic, and a BLAS may sum the swapped product in another order (OpenBLAS does, for
    some float64 shapes), which would change the bits.
    """
    producers: dict[int, Equation] = {}
    equations = []
    for equation in program.equations:
        if equation.primitive.name in _PRODUCT_TRANSPOSES and _all_matrices(equation.inputs):
            equation = _product_without_transposes(equation, producers)
        producers[equation.out.number] = equation
        equations.append(equation)
    return _with(program, equations, program.outputs)


def fuse_matmul_bias(program: Program) -> Program:
    """Compute a product of matrices and the bias added to it as one `matmul_add` equation.

    The product must be read by the sum only, and the sum must keep the product's shape
    and dtype (the bias broadcasts into it): the fused equation then adds the bias into
    the product's new array, the same additions in the same order as before.
    """
    uses = program.uses()
    products = {
        equation.out.number: equation
        for equation in program.equations
        if equation.primitive.name in _PRODUCT_TRANSPOSES
        and _all_matrices(equation.inputs)
        and uses.get(equation.out.number) == 1
    }
    fused: dict[int, Equation] = {}  # the fused equation, by the number of the sum it replaces
    absorbed: set[int] = set()  # the products it computes, by their result's number
    for equation in program.equations:
        pair = _product_and_bias(equation, products)
        if pair is not None:
            product, bias = pair
            params = {"product": product.primitive.name}
            fused[equation.out.number] = Equation(matmul_add_p, (*product.inputs, bias), params, equation.out)
            absorbed.add(product.out.number)
    if not fused:
        return program
    kept = [equation for equation in program.equations if equation.out.number not in absorbed]
    equations = [fused.get(equation.out.number, equation) for equation in kept]
    return _with(program, equations, program.outputs)


def fuse_siblings(program: Program) -> Program:
    """Compute two equations that read the same operands as one equation and two views of its result.

    A primitive with a ``fuse_sibling(equation, other, same)`` rule names, for another equation
    ``other`` (``same`` says whether two operands are one value: the same variable, or equal
    constants), the primitive, inputs and parameters of one equation computing both results
    stacked along a first axis, and each result's part ``(start, stop)`` of it; or None. The
    fused equation and its parts (`stack_part`, views) take the earlier equation's place when
    every input is defined there, else the later one's when nothing between reads the earlier
    result; otherwise the two stay apart.
    """
    equations = program.equations
    defined = {equation.out.number: index for index, equation in enumerate(equations)}
    readers = _readers(equations)
    number = max([var.number for var in program.inputs] + list(defined), default=0)
    plans: dict[int, tuple[Equation, list[Equation]]] = {}  # where the fused equation goes -> it and its parts
    taken: set[int] = set()
    for index, equation in enumerate(equations):
        rule = getattr(equation.primitive, "fuse_sibling", None)
        if rule is None or index in taken:
            continue
        candidates = {other for value in equation.inputs if isinstance(value, Var) for other in readers[value.number]}
        for other_index in sorted(candidates - taken - {index}):
            other = equations[other_index]
            fused = rule(equation, other, _same_operand)
            if fused is None:
                continue
            primitive, inputs, params, part, other_part = fused
            first, last = sorted((index, other_index))
            earlier_readers = readers.get(equations[first].out.number, ())
            if last in earlier_readers:
                continue  # one reads the other: not siblings
            if all(defined.get(var.number, -1) < first for var in _vars(inputs)):
                place = first
            elif all(reader > last for reader in earlier_readers):
                place = last
            else:
                continue
            number += 1
            aval = equation.out.aval
            out = Var(number, Abstract((max(part[1], other_part[1]), *aval.shape[1:]), aval.dtype))
            parts = [
                Equation(stack_part_p, (out,), {"start": start, "stop": stop}, target.out)
                for target, (start, stop) in ((equation, part), (other, other_part))
            ]
            plans[place] = (Equation(primitive, inputs, params, out), parts)
            taken.update((index, other_index))
            break
    if not plans:
        return program
    kept = []
    for index, equation in enumerate(equations):
        if index in plans:
            fused_equation, parts = plans[index]
            kept += [fused_equation, *parts]
        elif index not in taken:
            kept.append(equation)
    return _with(program, kept, program.outputs)


MAX_READER_CHAIN = 2
"""The longest chain of sole readers `fuse_into_readers` offers a rule (a reshape, then a product)."""


def fuse_into_readers(program: Program) -> Program:
    """Compute an equation and the chain of equations that alone read its result as one equation.

    Following the result through equations that are each the only reader of the one before
    (at most `MAX_READER_CHAIN`), a primitive with a ``fuse_readers(equation, chain)`` rule is
    offered each chain in turn; it names the primitive, inputs and parameters of one equation
    computing the chain's last result, or None. That equation takes the last one's place; the
    rest of the chain goes. Its inputs are the equation's and the chain's own, all defined
    before the last one's place.
    """
    equations = program.equations
    uses = program.uses()
    readers = _readers(equations)
    replaced: dict[int, Equation] = {}
    dropped: set[int] = set()
    for index, equation in enumerate(equations):
        rule = getattr(equation.primitive, "fuse_readers", None)
        if rule is None or index in dropped or index in replaced:
            continue
        chain: list[int] = []
        current = equation
        while len(chain) < MAX_READER_CHAIN and uses.get(current.out.number) == 1:
            sole = readers.get(current.out.number, ())  # empty where the one use is as an output
            if len(sole) != 1 or sole[0] in dropped or sole[0] in replaced:
                break
            reader = sole[0]
            chain.append(reader)
            current = equations[reader]
            fused = rule(equation, [equations[position] for position in chain])
            if fused is not None:
                primitive, inputs, params = fused
                replaced[chain[-1]] = Equation(primitive, inputs, params, current.out)
                dropped.update([index, *chain[:-1]])
                break
    if not replaced:
        return program
    kept = [replaced.get(index, equation) for index, equation in enumerate(equations) if index not in dropped]
    return _with(program, kept, program.outputs)


def _readers(equations: list[Equation]) -> dict[int, list[int]]:
    """The indices of the equations that read each variable, in program order (each equation once)."""
    readers: dict[int, list[int]] = {}
    for index, equation in enumerate(equations):
        for var in {value.number for value in equation.inputs if isinstance(value, Var)}:
            readers.setdefault(var, []).append(index)
    return readers


def _vars(values: tuple) -> list[Var]:
    return [value for value in values if isinstance(value, Var)]


def _same_operand(a: Var | Literal, b: Var | Literal) -> bool:
    """Whether two operands are one value: the same variable, or constants equal in shape, dtype and values."""
    if isinstance(a, Var) or isinstance(b, Var):
        return isinstance(a, Var) and isinstance(b, Var) and a.number == b.number
    if a.value is b.value:
        return True
    left, right = np.asarray(a.value), np.asarray(b.value)
    return left.shape == right.shape and left.dtype == right.dtype and bool(np.array_equal(left, right))


# -- helpers ------------------------------------------------------------------------------------


def _with(program: Program, equations: list[Equation], outputs: list) -> Program:
    return Program(program.inputs, equations, outputs, program.name, program.notes)


def _replace(value: Any, replaced: dict[int, Var | Literal]) -> Any:
    while isinstance(value, Var) and value.number in replaced:
        value = replaced[value.number]
    return value


def _substituted(equation: Equation, replaced: dict[int, Var | Literal]) -> Equation:
    if not replaced:
        return equation
    inputs = tuple(_replace(value, replaced) for value in equation.inputs)
    if all(new is old for new, old in zip(inputs, equation.inputs)):
        return equation
    return Equation(equation.primitive, inputs, equation.params, equation.out)


def _frozen(value: Any) -> Any:
    """A hashable stand-in for a parameter or literal; arrays and unhashable objects by identity."""
    if isinstance(value, (tuple, list)):
        return (type(value).__name__, tuple(_frozen(item) for item in value))
    if isinstance(value, dict):
        return ("dict", tuple((key, _frozen(item)) for key, item in sorted(value.items(), key=lambda kv: repr(kv[0]))))
    if isinstance(value, float) and math.isnan(value):
        return ("nan",)
    if isinstance(value, slice):  # unhashable before Python 3.12, equal by their parts
        return ("slice", _frozen(value.start), _frozen(value.stop), _frozen(value.step))
    if isinstance(value, np.ndarray):
        if value.size <= 16:
            return ("array", value.dtype.str, value.shape, value.tobytes())
        return ("id", id(value))
    try:
        hash(value)
    except TypeError:
        return ("id", id(value))
    return (type(value).__name__, value)


def _equation_key(equation: Equation) -> Any:
    inputs = tuple(
        ("var", value.number) if isinstance(value, Var) else _frozen(value.value) for value in equation.inputs
    )
    return (id(equation.primitive), inputs, _frozen(equation.params))


def _same_aval(value: Var | Literal, out: Var) -> bool:
    if not isinstance(value, Var):
        return False
    # Python-number-ness may differ (1.0 * x gives a NumPy scalar): the values are the same.
    return value.aval.shape == out.aval.shape and value.aval.dtype == out.aval.dtype


def _is_constant(value: Any, number: float) -> bool:
    if not isinstance(value, Literal):
        return False
    raw = value.value
    if isinstance(raw, bool) or not isinstance(raw, (int, float, np.number, np.ndarray)):
        return False
    array = np.asarray(raw)
    return array.size > 0 and array.dtype.kind in "iuf" and bool(np.all(array == number))


def _identity_of(equation: Equation, producers: dict[int, Equation]) -> Var | Literal | None:
    """The input an equation passes through unchanged, or None."""
    name = equation.primitive.name
    inputs = equation.inputs
    if name == "multiply" and len(inputs) == 2:
        if _is_constant(inputs[1], 1.0):
            return inputs[0]
        if _is_constant(inputs[0], 1.0):
            return inputs[1]
    if name == "add" and len(inputs) == 2:
        if _is_constant(inputs[1], 0.0):
            return inputs[0]
        if _is_constant(inputs[0], 0.0):
            return inputs[1]
    if name in ("subtract", "divide") and len(inputs) == 2 and _is_constant(inputs[1], float(name == "divide")):
        return inputs[0]
    if name in ("detach", "stop_gradient") and len(inputs) == 1:
        return inputs[0]  # a staged program runs; it is not differentiated again
    if name in ("reshape", "broadcast_to") and len(inputs) == 1:
        return inputs[0]  # kept only when the shape is unchanged (checked by the caller)
    if name == "where" and len(inputs) == 3 and isinstance(inputs[0], Literal):
        condition = np.asarray(inputs[0].value)
        if condition.dtype == bool and condition.size and bool(condition.all()):
            return inputs[1]
        if condition.dtype == bool and condition.size and not bool(condition.any()):
            return inputs[2]
    if name == "transpose" and len(inputs) == 1 and isinstance(inputs[0], Var):
        inner = producers.get(inputs[0].number)
        if inner is not None and inner.primitive.name == "transpose":
            outer_axes = _axes(equation.params.get("axes"), equation.out.aval.ndim)
            inner_axes = _axes(inner.params.get("axes"), equation.out.aval.ndim)
            if all(inner_axes[axis] == position for position, axis in enumerate(outer_axes)):
                return inner.inputs[0]
        axes = _axes(equation.params.get("axes"), equation.out.aval.ndim)
        if axes == tuple(range(len(axes))):
            return inputs[0]
    return None


def _axes(axes: Any, ndim: int) -> tuple[int, ...]:
    if axes is None:
        return tuple(reversed(range(ndim)))
    return tuple(int(axis) % ndim if ndim else int(axis) for axis in axes)


def _matrix_rank(value: Var | Literal) -> int:
    return value.aval.ndim if isinstance(value, Var) else np.ndim(value.value)


def _all_matrices(values: tuple) -> bool:
    return len(values) == 2 and all(_matrix_rank(value) == 2 for value in values)


def _transposed_original(value: Var | Literal, producers: dict[int, Equation]) -> Var | Literal | None:
    """The matrix whose full transpose ``value`` is, or None."""
    if not isinstance(value, Var):
        return None
    producer = producers.get(value.number)
    if producer is None or producer.primitive.name != "transpose" or len(producer.inputs) != 1:
        return None
    original = producer.inputs[0]
    if _matrix_rank(original) != 2 or _axes(producer.params.get("axes"), 2) != (1, 0):
        return None
    return original


def _product_without_transposes(equation: Equation, producers: dict[int, Equation]) -> Equation:
    """The product reading as many of its transposed operands' originals as a product primitive can."""
    left, right = equation.inputs
    left_transposed, right_transposed = _PRODUCT_TRANSPOSES[equation.primitive.name]
    left_original = _transposed_original(left, producers)
    right_original = _transposed_original(right, producers)
    # Both originals if a primitive reads them so, else either one, else the product as it is.
    for fold_left, fold_right in ((True, True), (True, False), (False, True)):
        if (fold_left and left_original is None) or (fold_right and right_original is None):
            continue
        primitive = _PRODUCT_OF_TRANSPOSES.get((left_transposed != fold_left, right_transposed != fold_right))
        if primitive is not None:
            inputs = (left_original if fold_left else left, right_original if fold_right else right)
            return Equation(primitive, inputs, equation.params, equation.out)
    return equation


def _product_and_bias(equation: Equation, products: dict[int, Equation]) -> tuple[Equation, Var | Literal] | None:
    """For a sum of a fusable product and a bias that keeps the product's shape and dtype: both; else None."""
    if equation.primitive.name not in _SUMS or len(equation.inputs) != 2:
        return None
    out = equation.out.aval
    for position, value in enumerate(equation.inputs):
        product = products.get(value.number) if isinstance(value, Var) else None
        if product is None:
            continue
        # x + y and y + x are the same IEEE sum, so the bias may come first in the sum.
        if out.python is None and out.shape == product.out.aval.shape and out.dtype == product.out.aval.dtype:
            return product, equation.inputs[1 - position]
    return None
