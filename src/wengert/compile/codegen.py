r"""Code generation: a staged program becomes straight-line Python source, one line per equation.

Each line calls the primitive's implementation under the primitive's own name
(``v3 = sin(v1)``), with constants and parameters written as literals where
Python can read them back, and kept in the function's namespace otherwise
(``c1``, ``c2``...). A temporary is deleted right after its last use, so the
memory it holds goes back as soon as it can, or lends it to an elementwise result
(``out=``) when no view of it can exist. Tall products, and the elementwise results
that meet them, are written column-major when nothing in the program reads them as
rows (`_column_major_results`). The source is registered with
`linecache` under a file name of its own, so tracebacks, ``inspect.getsource``
and debuggers show the generated lines with their Wengert variables.

Example:
    >>> import wengert as wg, wengert.numpy as wnp
    >>> print(wg.jit(lambda x, y: wnp.log(x) + x * y).lower(np.ones(3), np.ones(3)).source)
    def f(v1, v2):
        v3 = log(v1)
        v4 = multiply(v1, v2)
        v5 = np.add(v3, v4, out=v3)
        del v3, v4
        return (v5,)
    <BLANKLINE>
    >>> print(wg.jit(lambda x, y: wnp.log(x) + x * y).lower(2.0, 5.0).source.split("\n\n")[0])
    def f_floats(v1, v2):
        v3 = math.log(v1)
        v4 = v1 * v2
        v5 = v3 + v4
        return (v5,)
    <BLANKLINE>
"""

from __future__ import annotations

import itertools
import keyword
import linecache
import math
import re
from collections.abc import Callable
from typing import Any

import numpy as np

from ..core.staging import Literal, Var
from .program import Program

_counter = itertools.count(1)


class Emitted:
    """Generated source, the namespace it runs in, and the compiled function."""

    def __init__(self, source: str, namespace: dict, function: Callable[..., Any], filename: str) -> None:
        self.source = source
        self.namespace = namespace
        self.function = function
        self.filename = filename


def emit(program: Program) -> Emitted:
    """Write ``program`` as Python source, compile it, and return the function (it returns a tuple).

    A program whose values are all Python numbers, and whose every primitive has a Python-float
    template (``primitive.scalar_template``), is written a second time with plain arithmetic and
    ``math``; that version runs first, and the NumPy version reruns the program where Python
    raises (a division by zero, an overflow, ``math.log`` of a negative) and NumPy gives inf or nan.
    """
    emitted = _emit_numpy(program)
    if not any(var.aval.python is float for var in program.inputs):
        return emitted
    numpy_name = emitted.function.__name__
    namespace = emitted.namespace
    namespace["math"] = math
    namespace["float64"] = np.float64
    scalar = _scalar_source(program, numpy_name)
    # Python floats raise where NumPy gives inf or nan: rerun with NumPy scalars, as eager wengert does.
    promoted = f"{numpy_name}(*[float64(value) if type(value) is float else value for value in values])"
    if scalar is None:
        source = emitted.source
        first = f"{numpy_name}(*values)"
    else:
        source = scalar + "\n\n" + emitted.source
        first = f"{numpy_name}_floats(*values)"
    wrapper = (
        f"def {numpy_name}_program(*values):\n"
        f"    try:\n"
        f"        return {first}\n"
        f"    except (ArithmeticError, ValueError):\n"
        f"        return {promoted}\n"
    )
    source = source + "\n\n" + wrapper
    filename = f"<wengert.jit {numpy_name} #{next(_counter)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102  (the source is ours, generated above)
    return Emitted(source, namespace, namespace[f"{numpy_name}_program"], filename)


def _scalar_source(program: Program, numpy_name: str) -> str | None:
    """The program as Python-float arithmetic, or None where it does not apply."""
    if not program.inputs or any(var.aval.python not in (float, int) for var in program.inputs):
        return None
    lines = [f"def {numpy_name}_floats({', '.join(var.name for var in program.inputs)}):"]
    for equation in program.equations:
        template = getattr(equation.primitive, "scalar_template", None)
        if template is None or equation.params or equation.out.aval.shape:
            return None
        arguments = [_scalar_text(value) for value in equation.inputs]
        if None in arguments:
            return None
        lines.append(f"    {equation.out.name} = {template.format(*arguments)}")
    outputs = [_scalar_text(value) for value in program.outputs]
    if None in outputs:
        return None
    lines.append(f"    return ({', '.join(outputs)}{',' if len(outputs) == 1 else ''})")
    return "\n".join(lines) + "\n"


def _scalar_text(value: Var | Literal) -> str | None:
    """A 0-d variable's name or a constant's Python literal, for the float version; None where neither fits."""
    if isinstance(value, Var):
        return None if value.aval.shape else value.name
    number = _python_number(value.value)
    return None if number is None else repr(number)


def _python_number(value: Any) -> float | int | None:
    """A finite float or int constant as a Python number (exactly), or None."""
    if type(value) in (float, int) and math.isfinite(value):
        return value
    dtype = getattr(value, "dtype", None)
    if dtype is not None and getattr(value, "shape", None) == () and dtype.kind == "f" and dtype.itemsize == 8:
        number = float(value)
        return number if math.isfinite(number) else None
    return None


def _emit_numpy(program: Program) -> Emitted:
    namespace: dict[str, Any] = {}
    names = _Names(namespace)
    name = _identifier(program.name) or "f"
    if keyword.iskeyword(name):
        name = "f" if name == "lambda" else name + "_"
    last_use = _last_uses(program)
    kept = {value.number for value in program.outputs if isinstance(value, Var)}
    kept.update(var.number for var in program.inputs)  # the caller holds the inputs: nothing to free
    reusable = _reusable_buffers(program, kept, last_use)
    buffers = [_buffer_for(equation, index, last_use, reusable) for index, equation in enumerate(program.equations)]
    slots, shapes = _workspace_slots(program, buffers, kept, last_use)
    lines: list[str] = []
    if shapes:
        _install_workspace(namespace, shapes)
        lines.append("    _w = _acquire()")
    columns = _column_major_results(program, buffers, kept)
    if columns:
        namespace["_columns"] = _columns
    for index, equation in enumerate(program.equations):
        target = _out_target(equation, buffers[index], slots.get(index), index in columns, names)
        if target is not None:
            arguments = [_argument(value, names) for value in equation.inputs]
            if getattr(equation.primitive, "ufunc", None) is not None:
                function = names.ufunc(equation.primitive)
            else:  # an implementation that takes out= (``primitive.takes_out``), and its parameters
                function = names.function(equation.primitive)
                arguments += [f"{key}={_literal(value, names)}" for key, value in equation.params.items()]
            lines.append(f"    {equation.out.name} = {function}({', '.join(arguments)}, out={target})")
        else:
            function = names.function(equation.primitive)
            arguments = [_argument(value, names) for value in equation.inputs]
            arguments += [f"{key}={_literal(value, names)}" for key, value in equation.params.items()]
            lines.append(f"    {equation.out.name} = {function}({', '.join(arguments)})")
        dead = [var for var in _vars_of(equation.inputs) if last_use.get(var.number) == index]
        dead = [var.name for var in dead if var.number not in kept]
        if dead:
            lines.append(f"    del {', '.join(sorted(set(dead), key=lambda text: int(text[1:])))}")
    outputs = [_argument(value, names) for value in program.outputs]
    if shapes:
        lines.append("    _release(_w)")
    lines.append(f"    return ({', '.join(outputs)}{',' if len(outputs) == 1 else ''})")
    while name in namespace or re.fullmatch(r"[vc]\d+", name):
        name += "_"  # not the name of a primitive it calls, nor of a variable
    lines.insert(0, f"def {name}({', '.join(var.name for var in program.inputs)}):")
    source = "\n".join(lines) + "\n"
    filename = f"<wengert.jit {name} #{next(_counter)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102  (the source is ours, generated above)
    return Emitted(source, namespace, namespace[name], filename)


COLUMN_MAJOR_MIN_ROWS = 1000
COLUMN_MAJOR_MIN_COLUMNS = 128
COLUMN_MAJOR_MIN_INNER = 2
"""A value of at least this many rows (the product of its leading axes) and columns (its last axis) is
tall: a product writing it column-major runs 12-19% faster on OpenBLAS's AVX-512 kernels (1,000-2,000
rows of 128), up to 30% for tens of thousands of rows (`wengert.numpy.products.stacked_product`). A
product summing one term (an outer product, a broadcast multiply) writes rows. A first layer of a few
coordinates writes column-major too, since its bias is added inside the product (`wengert.numpy.blas`)
and the hidden values, their streams and the next products then share one order: B10 at d = 2 under
jit 5.40 -> 5.30 ms (eight interleaved runs; d = 8 and 32 alike), though the product itself takes
62 µs against 50 into rows (1,000 × 2 @ 2 × 128)."""


def _tall(value: Any) -> bool:
    aval = getattr(value, "aval", None)
    if not isinstance(value, Var) or aval is None or aval.python is not None:
        return False
    shape = tuple(aval.shape)
    return (
        len(shape) >= 2
        and shape[-1] >= COLUMN_MAJOR_MIN_COLUMNS
        and math.prod(shape[:-1]) >= COLUMN_MAJOR_MIN_ROWS
        and np.dtype(aval.dtype).kind in "fc"
    )


def _column_major_results(program: Program, buffers: list, kept: set[int]) -> set[int]:
    """The equations whose tall results are written column-major (last axis outermost, the others in
    row-major order, so that reshapes among the leading axes stay views).

    Elementwise operations between two memory orders read one of them with a stride (4.5x slower),
    so the tall values that meet in an elementwise operation, a reshape that keeps the last axis, or
    the sum over a stack's first axis (einsum) take one order together. A group is column-major when
    a matrix product makes one of its values and nothing forces row-major on any: a program input or
    output, a producer that cannot write into a given array, a reader that needs rows (a reduction
    over the points, a reshape of the last axis, an index). A primitive marked ``any_memory_order``
    (it takes ``out=`` and works elementwise in either order, like tanh's fused Taylor step) joins its
    tall inputs and result as an elementwise operation does; with a result that is not tall, its tall
    inputs alone."""
    parent: dict[int, int] = {}

    def root(number: int) -> int:
        while parent.setdefault(number, number) != number:
            parent[number] = parent[parent[number]]
            number = parent[number]
        return number

    def join(a: Any, b: Any) -> None:
        parent[root(a.number)] = root(b.number)

    blocked: set[int] = {var.number for var in program.inputs if _tall(var)} | set(kept)
    products: set[int] = set()
    for equation in program.equations:
        primitive, out = equation.primitive, equation.out
        tall_inputs = [value for value in equation.inputs if _tall(value)]
        takes_out = getattr(primitive, "takes_out", False)
        if (_elementwise(equation) or getattr(primitive, "any_memory_order", False)) and _tall(out):
            for value in tall_inputs:
                join(value, out)
            continue
        if getattr(primitive, "any_memory_order", False):  # a small result (a sum over the points' columns)
            for value in tall_inputs[1:]:
                join(value, tall_inputs[0])
            continue
        if takes_out and _tall(out):
            first = equation.inputs[0]
            if isinstance(first, Var) and len(first.aval.shape) == 2 and first.aval.shape[-1] >= COLUMN_MAJOR_MIN_INNER:
                products.add(out.number)  # reading a column-major operand costs a product nothing
            else:
                blocked.add(out.number)  # a product of few terms writes rows, and its group reads them
            continue
        view = getattr(primitive, "view_of_input", False) and _tall(out) and len(tall_inputs) == 1
        if view and tuple(tall_inputs[0].aval.shape)[-1] == tuple(out.aval.shape)[-1]:
            join(tall_inputs[0], out)
            continue
        if primitive.name == "einsum" and _tall(out):
            labels, output = equation.params.get("inputs", ()), equation.params.get("output", "")
            summed_first = [
                isinstance(value, Var) and (not _tall(value) or labels[n][1:] == output)
                for n, value in enumerate(equation.inputs)
            ]
            if all(summed_first) and tall_inputs:
                for value in tall_inputs:
                    join(value, out)
                continue
        if takes_out:
            continue  # a product reads its operands in either order
        blocked.update(value.number for value in tall_inputs)
        if _tall(out):
            blocked.add(out.number)
    groups_blocked = {root(number) for number in blocked}
    groups_with_products = {root(number) for number in products}
    chosen = set()
    for index, equation in enumerate(program.equations):
        out = equation.out
        if not _tall(out) or buffers[index] is not None:
            continue
        group = root(out.number)
        if group in groups_blocked or group not in groups_with_products:
            continue
        if out.number in products or _elementwise(equation) or getattr(equation.primitive, "any_memory_order", False):
            chosen.add(index)
    return chosen


def _out_target(equation: Any, buffer: Var | None, slot: int | None, column_major: bool, names: Any) -> str | None:
    """Where ``equation`` writes its result (``out=``), or None for a new array of its own choosing.

    A temporary that dies here and that nothing else sees lends its memory (``buffer``); else a free
    workspace slot takes the result; a column-major result gets that order in either kind of memory."""
    if buffer is not None:
        return buffer.name
    shape = tuple(equation.out.aval.shape)
    if column_major:  # a tall product or an elementwise result among them (`_column_major_results`)
        if slot is not None:
            return f"_w[{slot}].reshape({(shape[-1], -1)!r}).T.reshape({shape!r})"
        return f"_columns({shape!r}, {names.constant(np.dtype(equation.out.aval.dtype))})"
    if slot is not None:
        return f"_w[{slot}]" + ("" if len(shape) == 1 else f".reshape({shape!r})")
    return None


def _columns(shape: tuple, dtype: Any) -> np.ndarray:
    """A new array of ``shape`` whose last axis is outermost in memory (`_column_major_results`)."""
    return np.empty((shape[-1], math.prod(shape[:-1])), dtype).T.reshape(shape)


def _elementwise(equation: Any) -> bool:
    """Whether ``equation`` is a ufunc call without parameters: a new array, or one written with ``out=``."""
    return getattr(equation.primitive, "ufunc", None) is not None and not equation.params


def _never_aliases(equation: Any) -> bool:
    """Whether ``equation``'s result is new memory, never a view of an input: a ufunc without
    parameters, or a primitive marked ``fresh`` (a product, a reduction)."""
    return _elementwise(equation) or getattr(equation.primitive, "fresh", False)


def _reusable_buffers(program: Program, kept: set[int], last_use: dict[int, int]) -> set[int]:
    """Temporaries whose memory an elementwise result may take over once they die.

    A temporary qualifies when a primitive that makes a fresh array produced it (a ufunc, a
    matrix product) and only primitives that cannot return a view of it read it (ufuncs, and
    primitives marked ``fresh``): overwriting it after its last use is then invisible. A view
    of such a temporary (``primitive.view_of_input``: reshape) made at its last use owns the
    memory alone, so it qualifies too (second-order Taylor mode reshapes its stacks of streams
    around every product). A view made earlier leaves its source reusable when only such
    readers read the view and the view dies before its source does.
    """
    fresh, borrowed = set(), {}
    for index, equation in enumerate(program.equations):
        if getattr(equation.primitive, "ufunc", None) is not None or getattr(equation.primitive, "fresh", False):
            fresh.add(equation.out.number)
        elif getattr(equation.primitive, "view_of_input", False):
            (source,) = _vars_of(equation.inputs) or (None,)
            owned = source is not None and source.number in fresh and source.number not in kept
            if owned and last_use.get(source.number) == index:
                fresh.add(equation.out.number)
            elif owned:
                borrowed[equation.out.number] = source.number
    unsafe_views = set()
    for equation in program.equations:
        if equation.out.number in borrowed:
            continue  # judged below, by the view's own readers
        if not _never_aliases(equation):
            numbers = {var.number for var in _vars_of(equation.inputs)}
            fresh.difference_update(numbers)
            unsafe_views.update(numbers & borrowed.keys())
    for view, source in borrowed.items():
        if view in kept or view in unsafe_views or last_use.get(view, -1) >= last_use.get(source, -1):
            fresh.discard(source)
    return {number for number in fresh if number not in kept}


WORKSPACE_MIN_BYTES = 1 << 22
"""A temporary this large, made by a primitive that can write into a given array, gets memory that the
compiled program keeps between calls (a workspace): fresh large arrays cost page faults (a 32 MB
product took 25 ms instead of 18 in B10). Smaller ones come from malloc's reused heap, whose recently
freed memory is also the likeliest in cache (B3's 2 MB stacks were no faster in slots)."""


def _workspace_slots(
    program: Program, buffers: list, kept: set[int], last_use: dict[int, int]
) -> tuple[dict[int, int], list[tuple[int, np.dtype]]]:
    """Which equations write into which workspace array (equation index -> slot), and the slots' shapes.

    A value's memory is shared by the results written into it in place and by its reshapes; such a
    group gets a slot only when no member is kept (an output) and only ufuncs, fresh-making
    primitives and the group's own reshapes read its members, so that nothing outlives the call
    holding the memory. A slot is reused once every member of the group in it is dead.
    """
    root: dict[int, int] = {}  # value -> the value that made its memory
    readers: dict[int, list[Any]] = {}
    for index, equation in enumerate(program.equations):
        for var in _vars_of(equation.inputs):
            readers.setdefault(var.number, []).append(equation)
        source = buffers[index]
        if source is None and getattr(equation.primitive, "view_of_input", False):
            (source,) = _vars_of(equation.inputs) or (None,)
        if source is not None:
            root[equation.out.number] = root.get(source.number, source.number)
    members: dict[int, list[int]] = {}
    for value, made_by in root.items():
        members.setdefault(made_by, []).append(value)

    def contained(value: int) -> bool:  # a reshape reading it is a member of the group, checked in turn
        return value not in kept and all(
            _never_aliases(reader) or getattr(reader.primitive, "view_of_input", False)
            for reader in readers.get(value, ())
        )

    defined = {equation.out.number: index for index, equation in enumerate(program.equations)}
    slots: dict[int, int] = {}
    shapes: list[tuple[int, np.dtype]] = []
    busy_until: list[int] = []
    for index, equation in enumerate(program.equations):
        out, aval, primitive = equation.out.number, equation.out.aval, equation.primitive
        writes_into = _elementwise(equation) or getattr(primitive, "takes_out", False)  # its parameters go with out=
        if out in root or not writes_into or aval.python is not None or not aval.shape:
            continue
        if np.dtype(aval.dtype).itemsize * math.prod(aval.shape) < WORKSPACE_MIN_BYTES:
            continue
        chain = [out, *members.get(out, [])]
        if not all(contained(value) for value in chain):
            continue
        end = max(last_use.get(value, defined[value]) for value in chain)
        key = (math.prod(aval.shape), np.dtype(aval.dtype))  # a slot is flat: any shape of its size uses it
        # The slot freed last, as malloc's free lists would give: its memory is the likeliest still in cache.
        free = max(
            (slot for slot, until in enumerate(busy_until) if until < index and shapes[slot] == key),
            key=busy_until.__getitem__,
            default=None,
        )
        if free is None:
            free = len(shapes)
            shapes.append(key)
            busy_until.append(end)
        else:
            busy_until[free] = end
        slots[index] = free
    return slots, shapes


def _install_workspace(namespace: dict, shapes: list[tuple[int, np.dtype]]) -> None:
    """``_acquire()`` a workspace (a list of flat arrays of the slots' sizes) and ``_release`` it after the call.

    Each call takes a workspace of its own from the pool (a new one when every pooled one is in use:
    threads, recursion), so calls never share memory; a call that raises does not return its workspace."""
    pool: list[list[np.ndarray]] = []

    def acquire() -> list[np.ndarray]:
        try:
            return pool.pop()
        except IndexError:
            return [np.empty(shape, dtype) for shape, dtype in shapes]

    namespace["_acquire"], namespace["_release"] = acquire, pool.append


def _buffer_for(equation: Any, index: int, last_use: dict[int, int], reusable: set[int]) -> Var | None:
    """An input of ``equation`` whose memory its result can be written into, or None."""
    if not _elementwise(equation):
        return None
    out = equation.out.aval
    if not out.shape or out.python is not None:
        return None  # 0-d results are NumPy scalars, not arrays with memory to reuse
    for value in equation.inputs:
        if (
            isinstance(value, Var)
            and value.number in reusable
            and last_use.get(value.number) == index
            and value.aval.shape == out.shape
            and value.aval.dtype == out.dtype
        ):
            return value
    return None


class _Names:
    """Names in the generated function's namespace: primitives' implementations and constants."""

    def __init__(self, namespace: dict) -> None:
        self.namespace = namespace
        self.functions: dict[int, str] = {}
        self.constants = itertools.count(1)

    def function(self, primitive: Any) -> str:
        known = self.functions.get(id(primitive))
        if known is not None:
            return known
        name = self._free(_identifier(primitive.name) or "primitive")
        self.namespace[name] = primitive.impl
        self.functions[id(primitive)] = name
        return name

    def ufunc(self, primitive: Any) -> str:
        """The name of ``primitive.ufunc``: ``np.add`` for NumPy's own, the primitive's where it is its
        implementation (taking ``out=``), a namespace name otherwise."""
        function = primitive.ufunc
        if function is primitive.impl:
            return self.function(primitive)
        if isinstance(function, np.ufunc) and getattr(np, function.__name__, None) is function:
            self.namespace["np"] = np
            return f"np.{function.__name__}"
        known = self.functions.get(id(function))
        if known is None:
            known = self.functions[id(function)] = self._free(_identifier(getattr(function, "__name__", "")) or "into")
            self.namespace[known] = function
        return known

    def _free(self, base: str) -> str:
        if keyword.iskeyword(base) or re.fullmatch(r"[vc]\d+", base):
            base += "_"
        name = base
        for suffix in itertools.count(2):
            if name not in self.namespace:
                return name
            name = f"{base}_{suffix}"
        raise AssertionError("unreachable")

    def constant(self, value: Any) -> str:
        name = f"c{next(self.constants)}"
        self.namespace[name] = value
        return name


def _identifier(text: str) -> str:
    cleaned = re.sub(r"\W+", "_", text).strip("_")
    return "_" + cleaned if cleaned[:1].isdigit() else cleaned


def _argument(value: Any, names: _Names) -> str:
    if isinstance(value, Var):
        return value.name
    return _literal(value.value if isinstance(value, Literal) else value, names)


def _literal(value: Any, names: _Names) -> str:
    """Source text for a constant: itself where Python reads it back exactly, a namespace name otherwise."""
    kind = type(value)
    if value is None or kind is bool or kind is int or kind is str:
        return repr(value)
    if kind is float:
        return repr(value) if math.isfinite(value) else names.constant(value)
    if kind is tuple and all(_is_plain(item) for item in value):
        return repr(value)
    if isinstance(value, slice) and all(_is_plain(part) for part in (value.start, value.stop, value.step)):
        return repr(value)
    return names.constant(value)


def _is_plain(value: Any) -> bool:
    kind = type(value)
    if value is None or kind is bool or kind is int or kind is str:
        return True
    if kind is float:
        return math.isfinite(value)
    if kind is tuple:  # not a NamedTuple: its repr names a class the generated code cannot see
        return all(_is_plain(item) for item in value)
    return False


def _vars_of(values: Any) -> list[Var]:
    return [value for value in values if isinstance(value, Var)]


def _last_uses(program: Program) -> dict[int, int]:
    last: dict[int, int] = {}
    for index, equation in enumerate(program.equations):
        for var in _vars_of(equation.inputs):
            last[var.number] = index
    return last
