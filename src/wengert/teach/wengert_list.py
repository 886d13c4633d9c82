"""The Wengert list of one evaluation, with its tangent and adjoint tables, read off the engine.

`trace` runs a function once under the reverse-mode `TapeTrace` that ``grad``
uses: the tape it records *is* the Wengert list. The tables are the engine's
own interpreters run over that list:

* the forward (tangent) table pushes a seed tangent through the list with the
  forward-mode `ForwardTrace`, one recorded primitive application at a time,
  so every v̇ is what the primitive's JVP rule returned;
* the backward (adjoint) table runs the engine's `backward_pass` over the list
  and writes down every contribution as the engine adds it (its ``observe``
  hook), so the rows come in the order the engine performs them, with ``+=``
  where a value has several consumers.

Only the words (``v̇1·v2 + v1·v̇2``) come from a table of templates
(`wengert.teach.notation`); no value is recomputed by a separate evaluator.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from ..core import (
    Dual,
    ForwardTrace,
    TapeTrace,
    Tracer,
    backward_pass,
    bind,
    clear_cotangents,
    next_level,
    primal_value,
    running,
    tree_flatten,
    tree_unflatten,
    zeros_like_value,
)
from . import notation, render
from .notation import Operand, adjoint_name, ascii_text, format_value, tangent_name

ORDERS = ("evaluation", "levels")


# -- the list --------------------------------------------------------------------------


@dataclass(frozen=True)
class Constant:
    """An argument of a primitive that is not on the list (a number or array the program used)."""

    value: Any


@dataclass(eq=False)
class Entry:
    """One line of a Wengert list: ``v4 = v1 · v2``, or an input ``v1 = x1``.

    ``operands`` holds, per argument of the primitive, the entry it came from
    or a `Constant`; ``node`` is the engine's own record of the application.
    """

    index: int
    primitive: str | None
    operands: tuple[Entry | Constant, ...]
    params: dict
    value: Any
    label: str | None = None
    node: Any = field(default=None, repr=False)
    height: int = 0

    @property
    def name(self) -> str:
        """``v3``."""
        return f"v{self.index}"

    @property
    def is_input(self) -> bool:
        return self.primitive is None

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(np.shape(primal_value(self.value))) if self.value is not None else ()

    def operand_views(self, ascii: bool = False, subscripts: bool = False, digits: int = 6) -> list[Operand]:
        views = []
        for operand in self.operands:
            if isinstance(operand, Entry):
                text = notation.subscripted(operand.name) if subscripts else operand.name
                views.append(Operand(text, True, operand.value))
            else:
                views.append(Operand(notation.number_text(operand.value, digits, ascii), False, operand.value))
        return views

    def expression(self, ascii: bool = False, subscripts: bool = False) -> str:
        """The right-hand side: ``ln(v1)`` (an input's is its name, ``x1``)."""
        if self.is_input:
            return self.label or self.name
        return notation.expression(self.primitive, self.operand_views(ascii, subscripts), self.params, ascii)

    def rule(self, ascii: bool = False) -> notation.Rule:
        """The tangent rule and the adjoint terms of this entry, in words."""
        primitive = getattr(self.node, "primitive", None)
        return notation.rule_words(
            self.primitive,
            self.operand_views(ascii),
            self.name,
            linear=bool(getattr(primitive, "linear", False)),
            jvp_rules=getattr(primitive, "jvp", None),
            ascii=ascii,
        )


class WengertList:
    """The Wengert list of one evaluation: one entry per primitive application.

    Made by `trace` (a function and its arguments) or `wengert.teach.graph`
    (the recorded graph of tensors). ``str()`` prints the list; the tables and
    pictures are methods. Entries are looked up by name: ``wl["v3"]``, ``wl["x1"]``.

    Example:
        >>> import wengert.numpy as wnp
        >>> def f(x1, x2):
        ...     return wnp.log(x1) + x1 * x2 - wnp.sin(x2)
        >>> print(trace(f, 2.0, 5.0, order="levels"))
        v1 = x1       = 2
        v2 = x2       = 5
        v3 = ln(v1)   = 0.693147
        v4 = v1 · v2  = 10
        v5 = sin(v2)  = -0.958924
        v6 = v3 + v4  = 10.6931
        v7 = v6 − v5  = 11.6521
        f  = v7
    """

    def __init__(
        self,
        entries: list[Entry],
        outputs: list[Entry | Constant],
        output_names: list[str],
        order: str,
        source: str,
    ) -> None:
        self.entries = entries
        self.inputs = [entry for entry in entries if entry.is_input]
        self.outputs = outputs
        self.output_names = output_names
        self.order = order
        self.source = source

    # -- access ----------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries)

    def __getitem__(self, key: str) -> Entry:
        if not isinstance(key, str):
            raise TypeError(f"look entries up by name ('v3' or an input's name), not by {type(key).__name__}")
        for entry in self.entries:
            if key == entry.name or (entry.is_input and key == entry.label):
                return entry
        raise KeyError(f"no entry named {key!r}; the list has {', '.join(self._names())}")

    def _names(self) -> list[str]:
        return [entry.name for entry in self.entries] + [entry.label for entry in self.inputs if entry.label]

    @property
    def operations(self) -> list[Entry]:
        """The entries that apply a primitive (all but the inputs)."""
        return [entry for entry in self.entries if not entry.is_input]

    def _input(self, wrt: str | int | None) -> Entry:
        if wrt is None:
            if len(self.inputs) == 1:
                return self.inputs[0]
            labels = ", ".join(entry.label or entry.name for entry in self.inputs)
            raise ValueError(f"the list has {len(self.inputs)} inputs ({labels}); choose one with wrt=")
        if isinstance(wrt, int) and not isinstance(wrt, bool):
            if not -len(self.inputs) <= wrt < len(self.inputs):
                raise IndexError(f"wrt={wrt} is out of range for {len(self.inputs)} inputs")
            return self.inputs[wrt]
        for entry in self.inputs:
            if wrt in (entry.label, entry.name):
                return entry
        labels = ", ".join(entry.label or entry.name for entry in self.inputs)
        raise ValueError(f"wrt={wrt!r} is not an input of the list; the inputs are {labels}")

    def _output(self, output: int | str | None) -> tuple[str, Entry | Constant]:
        if output is None:
            if len(self.outputs) != 1:
                raise ValueError(
                    f"the function has {len(self.outputs)} outputs ({', '.join(self.output_names)}); "
                    "choose one with output="
                )
            return self.output_names[0], self.outputs[0]
        if isinstance(output, str):
            if output not in self.output_names:
                raise ValueError(f"output={output!r} is not one of {', '.join(self.output_names)}")
            index = self.output_names.index(output)
        else:
            index = output
        return self.output_names[index], self.outputs[index]

    # -- text ------------------------------------------------------------------------

    def to_text(self, ascii: bool = False, digits: int = 6) -> str:
        """The list as text, one ``v3 = ln(v1) = 0.693147`` line per entry."""
        return render.list_text(self, ascii=ascii, digits=digits)

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        return (
            f"<WengertList of {len(self.operations)} operations on {len(self.inputs)} inputs "
            f"({self.order} order, from {self.source})>"
        )

    # -- tables ----------------------------------------------------------------------

    def tangents(self, wrt: str | int | None = None, tangent: Any = None) -> dict[str, Any]:
        """The tangent of every entry (by name) for a seed on input ``wrt``, by the forward interpreter."""
        return {entry.name: value for entry, value in self._push_forward(self._input(wrt), tangent).items()}

    def _push_forward(self, wrt: Entry, tangent: Any) -> dict[Entry, Any]:
        seed = _seed_tangent(wrt, tangent)
        forward = ForwardTrace(next_level())
        duals: dict[Entry, Any] = {}
        with running(forward):
            for entry in self.entries:
                if entry.is_input:
                    start = seed if entry is wrt else zeros_like_value(entry.value)
                    duals[entry] = Dual(entry.value, start, forward)
                    continue
                node = entry.node
                if node.args is None:
                    raise RuntimeError(_freed_message(entry))
                args = tuple(
                    duals[operand] if isinstance(operand, Entry) else arg
                    for operand, arg in zip(entry.operands, node.args)
                )
                duals[entry] = bind(node.primitive, args, node.params)
        return {
            entry: (dual.tangent if isinstance(dual, Dual) else zeros_like_value(dual)) for entry, dual in duals.items()
        }

    def forward_table(
        self, wrt: str | int | None = None, *, tangent: Any = None, ascii: bool = False, digits: int = 6
    ) -> Table | Tables:
        """The forward-mode (tangent) table for a seed tangent on input ``wrt``.

        One row per entry: i, the entry, its value, its tangent rule in words and
        the tangent v̇ᵢ = ∂vᵢ/∂wrt computed by the forward interpreter; a last row
        per output. ``tangent`` is the seed (1 for a scalar input, ones for an
        array: the directional derivative along all ones).

        Without ``wrt``, a list with several inputs gives one table per input
        (a `Tables`, in the inputs' order; one forward pass each, as forward
        mode needs), shown one under the other.

        Example:
            >>> import wengert.numpy as wnp
            >>> table = trace(lambda x: wnp.sin(x * x), 1.5).forward_table()
            >>> [row.rule for row in table.rows]
            ['seed', 'v̇1·v1 + v1·v̇1', 'cos(v2)·v̇2', '∂f/∂x = v̇3']
            >>> tables = trace(lambda x1, x2: x1 * x2, 2.0, 5.0).forward_table()
            >>> [(name, table.rows[-1].tangent) for name, table in tables.items()]
            [('x1', 5.0), ('x2', 2.0)]
        """
        if wrt is None and len(self.inputs) > 1:
            if tangent is not None:
                raise ValueError("a seed tangent= belongs to one input: choose it with wrt=")
            tables = [self.forward_table(index, ascii=ascii, digits=digits) for index in range(len(self.inputs))]
            return Tables("forward", [entry.label or entry.name for entry in self.inputs], tables)
        wrt_entry = self._input(wrt)
        tangents = self._push_forward(wrt_entry, tangent)
        label = wrt_entry.label or wrt_entry.name
        rows = []
        for entry in self.entries:
            rule = "seed" if entry.is_input else entry.rule(ascii).tangent()
            rows.append(
                ForwardRow(
                    entry.index,
                    entry.name,
                    f"{entry.name} = {entry.expression(ascii)}",
                    entry.value,
                    rule,
                    tangents[entry],
                )
            )
        for name, output in zip(self.output_names, self.outputs):
            partial = f"∂{name}/∂{label}"
            if isinstance(output, Entry):
                rows.append(
                    ForwardRow(
                        name,
                        name,
                        f"{name} = {output.name}",
                        output.value,
                        f"{partial} = {tangent_name(output.name, ascii)}",
                        tangents[output],
                    )
                )
            else:
                rows.append(
                    ForwardRow(name, name, f"{name} = constant", output.value, f"{partial} = 0", _zeros(output.value))
                )
        rows = [row._replace(rule=ascii_text(row.rule)) if ascii else row for row in rows]
        columns = ("i", "expression", "value", "tangent rule", "tangent")
        dot = tangent_name("v", ascii)
        title = f"Forward mode: tangents {dot} = ∂v/∂{label}"
        return Table(
            "forward",
            ascii_text(title) if ascii else title,
            columns,
            rows,
            ascii=ascii,
            digits=digits,
            info={"wrt": label, "derivative": {row.name: row.tangent for row in rows[len(self.entries) :]}},
        )

    def backward_table(
        self, *, output: int | str | None = None, seed: Any = None, ascii: bool = False, digits: int = 6
    ) -> Table:
        """The reverse-mode (adjoint) table: every contribution of the engine's backward pass.

        The first row seeds the output's adjoint (1, or ones for an array
        output: the gradient of its sum; or ``seed``). Then one row per
        contribution, in the order `backward_pass` makes them, written ``=``
        when the value has one consumer and ``+=`` when it has several, with the
        running adjoint. The last row is the gradient.

        Example:
            >>> table = trace(lambda x: x * x, 3.0).backward_table()
            >>> [(row.update, row.value) for row in table.rows]
            [('v̄2 = 1', 1.0), ('v̄1 += v̄2·v1', 3.0), ('v̄1 += v̄2·v1', 6.0), ('∂f/∂x = v̄1', 6.0)]
        """
        output_name, out = self._output(output)
        bar = lambda name: adjoint_name(name, ascii)  # noqa: E731
        by_node = {id(entry.node): entry for entry in self.entries}
        events: list[tuple[Entry, int, Entry, Any, Any]] = []

        def observe(node: Any, index: int, parent: Any, contribution: Any, accumulated: Any) -> None:
            events.append((by_node[id(node)], index, by_node[id(parent)], contribution, accumulated))

        gradient: list[Any] = [None] * len(self.inputs)
        rows: list[AdjointRow] = []
        if isinstance(out, Entry):
            start = _seed_cotangent(out, seed)
            rows.append(AdjointRow(0, out.name, None, f"{bar(out.name)} = {format_value(start)}", None, start, False))
            nodes = [entry.node for entry in reversed(self.entries)]
            for entry in self.entries:
                if entry.node.cotangent is not None:
                    raise RuntimeError("a backward pass is already running over this list; try again after it")
            out.node.cotangent = start
            try:
                try:
                    backward_pass(nodes, observe=observe)
                except RuntimeError as error:
                    if "saved values were already freed" in str(error):
                        raise RuntimeError(_freed_message(None)) from error
                    raise
                gradient = [entry.node.cotangent for entry in self.inputs]
            finally:
                clear_cotangents(nodes)
        consumers: dict[int, int] = {}
        for _, _, parent, _, _ in events:
            consumers[id(parent)] = consumers.get(id(parent), 0) + 1
        words: dict[int, notation.Rule] = {}
        for step, (entry, index, parent, contribution, accumulated) in enumerate(events, start=1):
            rule = words.get(id(entry))
            if rule is None:
                rule = words[id(entry)] = entry.rule(ascii)
            term = rule.adjoint_terms[index] if index < len(rule.adjoint_terms) else None
            fan_out = consumers[id(parent)] > 1
            update = f"{bar(parent.name)} {'+=' if fan_out else '='} {term}"
            rows.append(AdjointRow(step, parent.name, entry.name, update, contribution, accumulated, fan_out))
        gradient = [zeros_like_value(entry.value) if g is None else g for g, entry in zip(gradient, self.inputs)]
        rows.append(_gradient_row(output_name, self.inputs, gradient, ascii))
        rows = [row._replace(update=ascii_text(row.update)) if ascii else row for row in rows]
        title = f"Reverse mode: adjoints {bar('v')} = ∂{output_name}/∂v"
        return Table(
            "backward",
            ascii_text(title) if ascii else title,
            ("step", "update", "contribution", "adjoint"),
            rows,
            ascii=ascii,
            digits=digits,
            info={"gradient": {entry.label or entry.name: g for entry, g in zip(self.inputs, gradient)}},
        )

    def gradient(self, *, output: int | str | None = None, seed: Any = None) -> dict[str, Any]:
        """The gradient by the engine's backward pass, by input name (the backward table's last row)."""
        return self.backward_table(output=output, seed=seed).info["gradient"]

    def adjoints(self, *, output: int | str | None = None, seed: Any = None) -> dict[str, Any]:
        """The adjoint v̄ = ∂output/∂v of every entry (by name), as the engine's backward pass leaves it.

        Each is the last running value of the backward table for that entry (the
        seed for the output); an entry the output does not depend on gets zeros.

        Example:
            >>> adjoints = trace(lambda x1, x2: x1 * x2 + x1, 2.0, 5.0).adjoints()
            >>> adjoints
            {'v1': 6.0, 'v2': 2.0, 'v3': 1.0, 'v4': 1.0}
        """
        table = self.backward_table(output=output, seed=seed)
        found: dict[str, Any] = {}
        for row in table.rows[:-1]:
            found[row.target] = row.value
        return {entry.name: found.get(entry.name, _zeros(entry.value)) for entry in self.entries}

    # -- pictures and data -----------------------------------------------------------

    def to_dot(
        self,
        values: bool | None = None,
        ascii: bool = False,
        *,
        show: str | Sequence[str] | None = None,
        wrt: str | int | None = None,
        output: int | str | None = None,
    ) -> str:
        """The computational graph in Graphviz's DOT language, each node annotated as ``show`` says.

        ``show`` is ``"values"`` (the default), ``"tangents"`` (v̇ = ∂v/∂wrt for
        the input ``wrt``, by the forward interpreter), ``"adjoints"`` (v̄ =
        ∂output/∂v, by the backward pass), ``"none"``, or a tuple of them.
        ``values=False`` is the older spelling of ``show="none"``.

        Example:
            >>> import wengert.numpy as wnp
            >>> wl = trace(lambda x1, x2: wnp.log(x1) + x1 * x2 - wnp.sin(x2), 2.0, 5.0)
            >>> "x̄₁ = 5.5" in wl.to_dot(show="adjoints")  # the node of x1: its adjoint ∂f/∂x1
            True
            >>> "ẋ₂ = 1" in wl.to_dot(show="tangents", wrt="x2")
            True
        """
        return render.to_dot(self, values=values, ascii=ascii, show=show, wrt=wrt, output=output)

    def to_mermaid(
        self,
        values: bool | None = None,
        ascii: bool = False,
        *,
        show: str | Sequence[str] | None = None,
        wrt: str | int | None = None,
        output: int | str | None = None,
    ) -> str:
        """The computational graph as a Mermaid flowchart (``flowchart LR``), annotated as `to_dot`'s ``show``."""
        return render.to_mermaid(self, values=values, ascii=ascii, show=show, wrt=wrt, output=output)

    def to_svg(
        self,
        values: bool | None = None,
        *,
        show: str | Sequence[str] | None = None,
        wrt: str | int | None = None,
        output: int | str | None = None,
    ) -> str:
        """The graph rendered to SVG by Graphviz's ``dot``, annotated as `to_dot`'s ``show`` says.

        Raises `GraphvizNotFoundError` when ``dot`` is not installed.
        """
        return render.to_svg(self.to_dot(values=values, show=show, wrt=wrt, output=output))

    def to_dict(self) -> dict[str, Any]:
        """The list as plain data (what `to_json` writes)."""
        return render.list_dict(self)

    def to_json(self, indent: int | None = 2) -> str:
        """The list as JSON: inputs, entries (operation, inputs, value, shape) and outputs."""
        import json

        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def explore(self, height: int = 640) -> Any:
        """The interactive explorer page of this trace, inline in a notebook (`wengert.explore.notebook_html`).

        Example:
            >>> import wengert.numpy as wnp
            >>> view = trace(lambda x1, x2: wnp.log(x1) + x1 * x2 - wnp.sin(x2), 2.0, 5.0).explore()
            >>> view._repr_html_().startswith("<iframe srcdoc=")
            True
        """
        traced = getattr(self, "traced", None)
        if traced is None:
            raise ValueError("explore() needs a list made by wg.trace(f, *args): this one records no function")
        from ..explore.page import notebook_html

        function, args, names = traced
        html = notebook_html(function, *args, names=names, height=height)
        return type("ExplorerView", (), {"_repr_html_": lambda view: html, "html": html})()

    def _repr_html_(self) -> str:
        # A trace of a function: the interactive explorer (it steps through the list and its tables), then
        # the list and tables as plain HTML; otherwise the plain HTML alone.
        tables = render.trace_html(self)
        try:
            page = self.explore()._repr_html_()
        except Exception:  # noqa: BLE001  (a list the explorer cannot draw still shows its tables)
            return tables
        return f"{page}<details><summary>Wengert list and tables</summary>{tables}</details>"

    def _repr_svg_(self) -> str | None:
        try:
            return self.to_svg()
        except render.GraphvizNotFoundError:
            return None  # Jupyter then shows the HTML table


def _zeros(value: Any) -> Any:
    return zeros_like_value(value) if value is not None else 0.0


def _freed_message(entry: Entry | None) -> str:
    where = f" ({entry.name} = {entry.expression()})" if entry is not None else ""
    return (
        f"the values this graph saved{where} were freed by a backward() call; build the list before "
        "calling backward(), or call backward(retain_graph=True)"
    )


def _seed_tangent(wrt: Entry, tangent: Any) -> Any:
    value = primal_value(wrt.value)
    if tangent is None:
        if type(value) is float:
            return 1.0
        array = np.asarray(value)
        return np.ones_like(array, dtype=array.dtype if array.dtype.kind == "f" else np.float64)
    if np.shape(tangent) != np.shape(value):
        raise ValueError(
            f"the seed tangent has shape {np.shape(tangent)} but input {wrt.label or wrt.name} has shape "
            f"{np.shape(value)}"
        )
    return tangent


def _seed_cotangent(out: Entry, seed: Any) -> Any:
    value = primal_value(out.value)
    if seed is None:
        if type(value) is float:
            return 1.0
        return np.ones_like(np.asarray(value))
    if np.shape(seed) != np.shape(value):
        raise ValueError(f"the seed has shape {np.shape(seed)} but the output has shape {np.shape(value)}")
    return seed


def _gradient_row(output_name: str, inputs: list[Entry], gradient: list[Any], ascii: bool) -> AdjointRow:
    bars = [adjoint_name(entry.name, ascii) for entry in inputs]
    if len(inputs) == 1:
        label = inputs[0].label or inputs[0].name
        return AdjointRow(None, "gradient", None, f"∂{output_name}/∂{label} = {bars[0]}", None, gradient[0], False)
    text = f"∇{output_name} = ({', '.join(bars)})"
    return AdjointRow(None, "gradient", None, text, None, tuple(gradient), False)


# -- tables ------------------------------------------------------------------------------


class ForwardRow(NamedTuple):
    """A row of the forward table: entry i, its expression and value, its tangent rule and tangent."""

    i: int | str
    name: str
    expression: str
    value: Any
    rule: str
    tangent: Any


class AdjointRow(NamedTuple):
    """A row of the backward table: one contribution to the adjoint of ``target`` from entry ``source``."""

    step: int | None
    target: str
    source: str | None
    update: str
    contribution: Any
    value: Any
    accumulate: bool


class Table:
    """A table of rows (`ForwardRow` or `AdjointRow`) with text, Markdown and HTML renderings.

    ``info`` holds what the table concludes: ``info["derivative"]`` (forward)
    or ``info["gradient"]`` (backward).
    """

    def __init__(
        self,
        kind: str,
        title: str,
        columns: tuple[str, ...],
        rows: list[Any],
        *,
        ascii: bool = False,
        digits: int = 6,
        info: dict[str, Any] | None = None,
    ) -> None:
        self.kind = kind
        self.title = title
        self.columns = columns
        self.rows = rows
        self.ascii = ascii
        self.digits = digits
        self.info = info or {}

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.rows)

    def cells(self) -> list[list[str]]:
        """Every row as the strings the renderings show."""
        return render.table_cells(self)

    def to_text(self) -> str:
        """The table with aligned columns."""
        return render.table_text(self)

    def to_markdown(self) -> str:
        """The table in Markdown."""
        return render.table_markdown(self)

    def to_dict(self) -> dict[str, Any]:
        """The table as plain data (numbers and small arrays as lists)."""
        return render.table_dict(self)

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        return f"<Table {self.kind}: {len(self.rows)} rows>"

    def _repr_html_(self) -> str:
        return render.table_html(self)


class Tables:
    """Several tables shown one under the other: the forward tables of a list, one per input.

    Look a table up by input name (``tables["x2"]``) or position
    (``tables[1]``); ``info["derivative"]`` maps each input to its table's
    ``info["derivative"]``.
    """

    def __init__(self, kind: str, keys: list[str], tables: list[Table]) -> None:
        self.kind = kind
        self.keys = list(keys)
        self.tables = list(tables)
        self.info = {"derivative": {key: table.info.get("derivative") for key, table in zip(keys, tables)}}

    def __len__(self) -> int:
        return len(self.tables)

    def __iter__(self) -> Iterator[Table]:
        return iter(self.tables)

    def __getitem__(self, key: str | int) -> Table:
        if isinstance(key, str):
            if key not in self.keys:
                raise KeyError(f"no table for {key!r}; the tables are for {', '.join(self.keys)}")
            return self.tables[self.keys.index(key)]
        return self.tables[key]

    def items(self) -> list[tuple[str, Table]]:
        """``(input name, table)`` pairs, in order."""
        return list(zip(self.keys, self.tables))

    def to_text(self) -> str:
        """Every table as text, separated by a blank line."""
        return "\n\n".join(table.to_text() for table in self.tables)

    def to_markdown(self) -> str:
        """Every table in Markdown under its title."""
        return "\n\n".join(f"**{table.title}**\n\n{table.to_markdown()}" for table in self.tables)

    def to_dict(self) -> dict[str, Any]:
        """Plain data: ``{"kind": ..., "tables": {input name: table.to_dict()}}``."""
        return {"kind": self.kind, "tables": {key: table.to_dict() for key, table in self.items()}}

    def __str__(self) -> str:
        return self.to_text()

    def __repr__(self) -> str:
        return f"<Tables {self.kind}: {len(self.tables)} tables, for {', '.join(self.keys)}>"

    def _repr_html_(self) -> str:
        return "".join(table._repr_html_() for table in self.tables)


# -- building lists from the engine's records -------------------------------------------


def build_list(
    nodes: Sequence[Any],
    inputs: Sequence[Any],
    labels: Sequence[str],
    input_values: Sequence[Any],
    outputs: Sequence[Any],
    order: str,
    source: str,
) -> WengertList:
    """A `WengertList` from the engine's nodes (parents before children) and its inputs and outputs.

    ``outputs`` holds, per output, a node of ``nodes`` or a plain value.
    """
    check_order(order)
    input_ids = {id(node) for node in inputs}
    operations = [node for node in nodes if id(node) not in input_ids]
    heights: dict[int, int] = {id(node): 0 for node in inputs}
    for node in operations:
        heights[id(node)] = 1 + max(
            (heights.get(id(parent), 0) for parent in node.parents if parent is not None), default=0
        )
    if order == "levels":
        # Every entry whose inputs are ready, level by level, left to right (a stable sort).
        operations = sorted(operations, key=lambda node: heights[id(node)])
    entries: list[Entry] = []
    by_id: dict[int, Entry] = {}
    for index, (node, label, value) in enumerate(zip(inputs, labels, input_values), start=1):
        entry = Entry(index, None, (), {}, value, label=label, node=node, height=0)
        entries.append(entry)
        by_id[id(node)] = entry
    for node in operations:
        args = node.args
        operands = []
        for position, parent in enumerate(node.parents):
            if parent is not None and id(parent) in by_id:
                operands.append(by_id[id(parent)])
            else:
                operands.append(Constant(args[position] if args is not None else None))
        entry = Entry(
            len(entries) + 1,
            node.primitive.name,
            tuple(operands),
            dict(node.params),
            node.ans if node.ans is not None else _recompute(node, operands),
            node=node,
            height=heights[id(node)],
        )
        entries.append(entry)
        by_id[id(node)] = entry
    output_entries: list[Entry | Constant] = []
    for out in outputs:
        entry = by_id.get(id(out))
        output_entries.append(entry if entry is not None else Constant(primal_value(out)))
    names = ["f"] if len(outputs) == 1 else [f"f{k}" for k in range(1, len(outputs) + 1)]
    return WengertList(entries, output_entries, names, order, source)


def _recompute(node: Any, operands: Sequence[Entry | Constant]) -> Any:
    """The value of an entry whose node did not keep it (its VJP rules never read it): run it again."""
    values = [operand.value for operand in operands]
    if node.args is None or any(value is None for value in values):
        return None
    return node.primitive.impl(*[primal_value(value) for value in values], **node.params)


def check_order(order: str) -> None:
    if order not in ORDERS:
        raise ValueError(f"order={order!r}: choose 'evaluation' (as recorded) or 'levels' (re-scheduled by height)")


def trace(
    function: Callable[..., Any],
    *args: Any,
    names: Sequence[str] | None = None,
    order: str = "evaluation",
) -> WengertList:
    """The Wengert list of ``function(*args)``, recorded by the reverse-mode engine.

    Every argument is an input (pytrees are flattened, one input per leaf);
    inputs are named after the function's parameters (``x1``, ``x2``) unless
    ``names`` is given. Python integers are taken as floats.

    ``order="evaluation"`` (the default) lists the entries exactly as the tape
    recorded them, in the order the program ran. ``order="levels"`` re-numbers
    them by height: first every entry that reads only inputs, then every entry
    whose inputs are ready, left to right, which is how textbooks number
    ``ln x1 + x1·x2 − sin x2`` (v5 = sin v2 before v6 = v3 + v4). Both are
    topological orders, so both are Wengert lists of the same program; the
    tables follow the chosen order.

    Example:
        >>> import wengert.numpy as wnp
        >>> def f(x):
        ...     return wnp.sin(x**2) + wnp.exp(x)
        >>> wl = trace(f, 1.0)
        >>> [entry.expression() for entry in wl]
        ['x', 'v1²', 'sin(v2)', 'exp(v1)', 'v3 + v4']
        >>> round(wl.gradient()["x"], 6)  # 2·cos(1) + e
        3.798886
    """
    check_order(order)
    if not callable(function):
        raise TypeError(f"trace needs a function to call first, got {type(function).__name__}")
    labels = _input_labels(function, args, names)
    flat, tree = tree_flatten(args)
    values = [_as_input(value, label) for value, label in zip(flat, labels)]
    tape_trace = TapeTrace(next_level())
    with running(tape_trace):
        tracers = [tape_trace.new_input(value) for value in values]
        out = function(*tree_unflatten(tree, tracers))
    out_flat, _ = tree_flatten(out)
    if not out_flat:
        raise ValueError("the function returned no values to trace")
    outputs = [
        leaf if isinstance(leaf, Tracer) and leaf._trace is tape_trace else primal_value(leaf) for leaf in out_flat
    ]
    name = getattr(function, "__name__", type(function).__name__)
    wl = build_list(tape_trace.tape, tracers, labels, values, outputs, order, f"trace({name})")
    wl.traced = (function, args, names)  # what the explorer page retraces (`explore`)
    return wl


def _input_labels(function: Callable[..., Any], args: tuple, names: Sequence[str] | None) -> list[str]:
    counts = [len(tree_flatten(arg)[0]) for arg in args]
    total = sum(counts)
    if names is not None:
        if isinstance(names, str):
            names = [part.strip() for part in names.split(",")]
        names = list(names)
        if len(names) != total:
            raise ValueError(f"names has {len(names)} names but the arguments hold {total} inputs")
        for label in names:
            if not isinstance(label, str) or not label:
                raise TypeError(f"input names must be non-empty strings, got {label!r}")
        if len(set(names)) != len(names):
            raise ValueError(f"input names must be distinct, got {names}")
        return names
    parameters = _positional_parameters(function)
    if parameters is None or len(parameters) < len(args):
        return [f"x{k}" for k in range(1, total + 1)]
    labels = []
    for parameter, count in zip(parameters, counts):
        labels.extend([parameter] if count == 1 else [f"{parameter}[{k}]" for k in range(count)])
    return labels


def _positional_parameters(function: Callable[..., Any]) -> list[str] | None:
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):
        return None
    names = []
    for parameter in signature.parameters.values():
        if parameter.kind is inspect.Parameter.VAR_POSITIONAL:
            return None
        if parameter.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD):
            names.append(parameter.name)
    return names


def _as_input(value: Any, label: str) -> Any:
    raw = primal_value(value)
    if isinstance(raw, (bool, np.bool_)):
        raise TypeError(f"input {label} is a boolean ({raw!r}); only numbers can be differentiated")
    if isinstance(raw, (int, np.integer)):
        return float(raw)
    if isinstance(raw, (float, np.floating)):
        return value
    array = np.asarray(raw)
    kind = array.dtype.kind
    if kind in "iu":
        if isinstance(value, Tracer):
            raise TypeError(f"input {label} has integer dtype {array.dtype}; pass floating-point values")
        return array.astype(np.float64)
    if kind == "c":
        raise TypeError(f"input {label} is complex; complex differentiation is not supported yet")
    if kind != "f":
        raise TypeError(f"input {label} has dtype {array.dtype}; only floating-point values can be differentiated")
    return value if isinstance(value, (np.ndarray, Tracer)) else array
