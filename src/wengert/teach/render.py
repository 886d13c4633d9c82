"""Renderings of Wengert lists and their tables: text, HTML, DOT, Mermaid, SVG, JSON.

Everything here formats what a `WengertList` or `Table` already holds; no value
is computed here.
"""

from __future__ import annotations

import html
import shutil
import subprocess
from typing import TYPE_CHECKING, Any

import numpy as np

from ..core import primal_value
from . import notation
from .notation import display_width, format_value, json_value

if TYPE_CHECKING:
    from .wengert_list import Entry, Table, WengertList


class GraphvizNotFoundError(RuntimeError):
    """Graphviz's ``dot`` program is needed (for SVG) but is not installed."""


GRAPHVIZ_HELP = (
    "rendering SVG needs Graphviz's 'dot' program, which is not on PATH. Install Graphviz: "
    "'apt-get install graphviz' (Debian/Ubuntu), 'brew install graphviz' (macOS), "
    "'conda install graphviz', or see https://graphviz.org/download/. "
    "to_dot() and to_mermaid() work without it."
)

# -- the list as text and HTML ----------------------------------------------------------------


def list_text(wl: WengertList, ascii: bool = False, digits: int = 6) -> str:
    """One ``v3 = ln(v1)  = 0.693147`` line per entry, then ``f = v7``."""
    lines = []
    name_width = max([len(entry.name) for entry in wl.entries] + [len(name) for name in wl.output_names])
    expressions = [entry.expression(ascii) for entry in wl.entries]
    width = max((display_width(text) for text in expressions), default=0)
    for entry, text in zip(wl.entries, expressions):
        padding = " " * (width - display_width(text))
        value = format_value(entry.value, digits, ascii)
        lines.append(f"{entry.name.ljust(name_width)} = {text}{padding}  = {value}")
    for name, output in zip(wl.output_names, wl.outputs):
        target = output.name if hasattr(output, "name") else format_value(output.value, digits, ascii)
        lines.append(f"{name.ljust(name_width)} = {target}")
    return "\n".join(lines)


def list_html(wl: WengertList, digits: int = 6) -> str:
    """The list as an HTML table (Jupyter's rich display)."""
    rows = []
    for entry in wl.entries:
        rows.append((entry.name, entry.expression(), format_value(entry.value, digits)))
    for name, output in zip(wl.output_names, wl.outputs):
        target = output.name if hasattr(output, "name") else format_value(output.value, digits)
        rows.append((name, target, ""))
    caption = f"Wengert list ({wl.order} order), {wl.source}"
    return _html_table(caption, ("v", "expression", "value"), rows, numeric={2})


def trace_html(wl: WengertList, digits: int = 6) -> str:
    """The list, the forward table of each input and the backward table of each output, as HTML tables."""
    parts = [list_html(wl, digits)]
    try:
        tables = [wl.forward_table(index, digits=digits) for index in range(len(wl.inputs))]
        tables += [wl.backward_table(output=index, digits=digits) for index in range(len(wl.outputs))]
    except Exception as error:  # e.g. the graph's saved values were freed: show the list and say why no tables
        parts.append(f'<p class="wengert-note">no tables: {html.escape(str(error))}</p>')
    else:
        parts += [table_html(table) for table in tables]
    spaced = "".join(f'<div style="margin-bottom:1.2em">{part}</div>' for part in parts)
    return '<div class="wengert-trace">' + spaced + "</div>"


def _html_table(caption: str, columns: tuple[str, ...], rows: list[tuple[str, ...]], numeric: set[int]) -> str:
    head = "".join(f"<th>{html.escape(column)}</th>" for column in columns)
    body = []
    for row in rows:
        cells = []
        for index, cell in enumerate(row):
            align = ' style="text-align:right"' if index in numeric else ' style="text-align:left"'
            cells.append(f"<td{align}>{html.escape(str(cell))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f'<table class="wengert"><caption>{html.escape(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


# -- tables ------------------------------------------------------------------------------------

_NUMERIC_FIELDS = {"value", "tangent", "contribution"}


def _fields(table: Table) -> tuple[str, ...]:
    if table.kind == "forward":
        return ("i", "expression", "value", "rule", "tangent")
    return ("step", "update", "contribution", "value")


def table_cells(table: Table) -> list[list[str]]:
    """Every row of ``table`` as strings."""
    cells = []
    for row in table.rows:
        line = []
        for name in _fields(table):
            value = getattr(row, name)
            if name == "contribution" and value is None:
                line.append("")
            elif name in _NUMERIC_FIELDS:
                line.append(format_value(value, table.digits, table.ascii))
            else:
                line.append("" if value is None else str(value))
        cells.append(line)
    return cells


def _numeric_columns(table: Table) -> set[int]:
    return {index for index, name in enumerate(_fields(table)) if name in _NUMERIC_FIELDS or name in ("i", "step")}


def table_text(table: Table) -> str:
    """``table`` with aligned columns under its title."""
    cells = table_cells(table)
    columns = list(table.columns)
    widths = [display_width(column) for column in columns]
    for line in cells:
        widths = [max(width, display_width(cell)) for width, cell in zip(widths, line)]
    numeric = _numeric_columns(table)

    def format_line(line: list[str]) -> str:
        parts = []
        for index, (cell, width) in enumerate(zip(line, widths)):
            padding = " " * (width - display_width(cell))
            parts.append(padding + cell if index in numeric else cell + padding)
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([table.title, format_line(columns), rule, *(format_line(line) for line in cells)])


def table_markdown(table: Table) -> str:
    """``table`` as a Markdown table."""
    numeric = _numeric_columns(table)
    lines = [
        "| " + " | ".join(table.columns) + " |",
        "|" + "|".join("---:" if index in numeric else "---" for index in range(len(table.columns))) + "|",
    ]
    for line in table_cells(table):
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in line) + " |")
    return "\n".join(lines)


def table_html(table: Table) -> str:
    """``table`` as HTML (Jupyter's rich display)."""
    rows = [tuple(line) for line in table_cells(table)]
    return _html_table(table.title, table.columns, rows, _numeric_columns(table))


def table_dict(table: Table) -> dict[str, Any]:
    """``table`` as plain data: its columns and rows, numbers as numbers."""
    rows = []
    for row in table.rows:
        data = {}
        for name, value in row._asdict().items():
            if name in _NUMERIC_FIELDS:
                data[name] = json_value(value)
                if value is not None and not notation.is_scalar(value) and not isinstance(value, tuple):
                    data[name + "_shape"] = list(np.shape(primal_value(value)))
            else:
                data[name] = value
        rows.append(data)
    info = {key: _json_info(value) for key, value in table.info.items()}
    return {"kind": table.kind, "title": table.title, "columns": list(table.columns), "rows": rows, **info}


def _json_info(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key): json_value(item) for key, item in value.items()}
    if isinstance(value, str):
        return value
    return json_value(value)


# -- the list as data --------------------------------------------------------------------------


def list_dict(wl: WengertList) -> dict[str, Any]:
    """The list as plain data: inputs, entries and outputs."""
    entries = []
    for entry in wl.entries:
        item: dict[str, Any] = {
            "id": entry.name,
            "op": "input" if entry.is_input else entry.primitive,
            "expression": entry.expression(),
        }
        if entry.is_input:
            item["name"] = entry.label
        else:
            item["inputs"] = [_operand_data(operand) for operand in entry.operands]
            params = {key: _param_data(value) for key, value in entry.params.items()}
            if params:
                item["params"] = params
        item["value"] = json_value(entry.value)
        item["shape"] = list(entry.shape)
        if entry.value is not None:
            item["dtype"] = str(np.asarray(primal_value(entry.value)).dtype)
        entries.append(item)
    outputs = []
    for name, output in zip(wl.output_names, wl.outputs):
        if hasattr(output, "name"):
            outputs.append({"name": name, "id": output.name})
        else:
            outputs.append({"name": name, "value": json_value(output.value)})
    return {"order": wl.order, "source": wl.source, "entries": entries, "outputs": outputs}


def _operand_data(operand: Any) -> Any:
    if hasattr(operand, "name"):
        return operand.name
    value = operand.value
    if notation.is_scalar(value):
        return {"constant": json_value(value)}
    return {"constant": json_value(value), "shape": list(np.shape(primal_value(value)))}


def _param_data(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (tuple, list)) and all(isinstance(v, (bool, int, float, str, type(None))) for v in value):
        return list(value)
    return repr(value)


# -- graphs ------------------------------------------------------------------------------------


def _node_ids(wl: WengertList) -> tuple[dict[int, str], list[str]]:
    """Graph ids: inputs by their names when those are plain identifiers (x1), entries as v3, outputs as f."""
    taken = {entry.name for entry in wl.entries}
    ids: dict[int, str] = {}
    for entry in wl.entries:
        label = entry.label
        if entry.is_input and label and label.isidentifier() and label not in taken:
            ids[id(entry)] = label
            taken.add(label)
        else:
            ids[id(entry)] = entry.name
    output_ids = []
    for name in wl.output_names:
        candidate = name
        while candidate in taken:
            candidate += "_out"
        taken.add(candidate)
        output_ids.append(candidate)
    return ids, output_ids


def _edges(wl: WengertList, ids: dict[int, str], output_ids: list[str]) -> list[tuple[str, str]]:
    edges = []
    for entry in wl.entries:
        for operand in entry.operands:
            if hasattr(operand, "name"):
                edges.append((ids[id(operand)], ids[id(entry)]))
    for output, output_id in zip(wl.outputs, output_ids):
        if hasattr(output, "name"):
            edges.append((ids[id(output)], output_id))
    return edges


SHOW = ("values", "tangents", "adjoints")


class Annotations:
    """What the graph's nodes show besides their expressions: values, tangents for one input, adjoints.

    Built by `annotations` from the ``show=``, ``wrt=`` and ``output=``
    arguments of ``to_dot``/``to_svg``/``to_mermaid``; the numbers come from
    the list's own `tangents` and `adjoints` (the engine's interpreters).
    """

    def __init__(self, wl: WengertList, show: tuple[str, ...], wrt: Any, output: Any, ascii: bool) -> None:
        self.show = show
        self.ascii = ascii
        self.tangents: dict[str, Any] = {}
        self.adjoints: dict[str, Any] = {}
        self.wrt_label = ""
        self.output_name = ""
        if "tangents" in show:
            wrt_entry = wl._input(wrt)
            self.wrt_label = wrt_entry.label or wrt_entry.name
            self.tangents = wl.tangents(wrt)
        if "adjoints" in show:
            self.output_name = wl._output(output)[0]
            self.adjoints = wl.adjoints(output=output)

    def _name(self, entry: Entry, mark: Any) -> str:
        name = (entry.label or entry.name) if entry.is_input else entry.name
        marked = mark(name, self.ascii)
        return marked if self.ascii else notation.subscripted(marked)

    def entry_lines(self, entry: Entry) -> list[str]:
        lines = []
        if "values" in self.show:
            lines.append(format_value(entry.value, 4, self.ascii))
        if "tangents" in self.show:
            lines.append(f"{self._name(entry, notation.tangent_name)} = {self._number(self.tangents[entry.name])}")
        if "adjoints" in self.show:
            lines.append(f"{self._name(entry, notation.adjoint_name)} = {self._number(self.adjoints[entry.name])}")
        return lines

    def output_lines(self, name: str, output: Any) -> list[str]:
        if "tangents" not in self.show:
            return []
        tangent = self.tangents[output.name] if hasattr(output, "name") else 0.0
        label = self.wrt_label if self.ascii else notation.subscripted(self.wrt_label)
        text = f"∂{name}/∂{label} = {self._number(tangent)}"
        return [notation.ascii_text(text) if self.ascii else text]

    def caption(self) -> str:
        """A line under the graph saying what the numbers are (empty for values only)."""
        parts = []
        if "tangents" in self.show:
            label = self.wrt_label if self.ascii else notation.subscripted(self.wrt_label)
            parts.append(f"tangents {notation.tangent_name('v', self.ascii)} = ∂v/∂{label}")
        if "adjoints" in self.show:
            parts.append(f"adjoints {notation.adjoint_name('v', self.ascii)} = ∂{self.output_name}/∂v")
        text = "; ".join(parts)
        return notation.ascii_text(text) if self.ascii else text

    def _number(self, value: Any) -> str:
        return format_value(value, 4, self.ascii)


def annotations(wl: WengertList, values: bool | None, show: Any, wrt: Any, output: Any, ascii: bool) -> Annotations:
    """Check ``values=``/``show=``/``wrt=``/``output=`` and read the numbers the nodes will show."""
    if show is not None and values is not None:
        raise ValueError("give show= (what the nodes show) or the older values=True/False, not both")
    if show is None:
        chosen: tuple[str, ...] = () if values is False else ("values",)
    else:
        names = (show,) if isinstance(show, str) else tuple(show)
        for name in names:
            if name not in SHOW + ("none",):
                raise ValueError(
                    f"show={name!r}: choose 'values', 'tangents' (with wrt=), 'adjoints' (with output= for "
                    "several outputs), 'none', or a tuple of them"
                )
        chosen = tuple(name for name in SHOW if name in names)
    if wrt is not None and "tangents" not in chosen:
        raise ValueError(f"wrt={wrt!r} chooses the input of the tangents: pass show='tangents' as well")
    if output is not None and "adjoints" not in chosen:
        raise ValueError(f"output={output!r} chooses the output of the adjoints: pass show='adjoints' as well")
    return Annotations(wl, chosen, wrt, output, ascii)


def _label_lines(entry: Entry, notes: Annotations) -> list[str]:
    ascii = notes.ascii
    if entry.is_input:
        label = entry.label or entry.name
        lines = [label if ascii else notation.subscripted(label)]
    else:
        name = entry.name if ascii else notation.subscripted(entry.name)
        lines = [f"{name} = {entry.expression(ascii, subscripts=not ascii)}"]
    return lines + notes.entry_lines(entry)


def _output_lines(name: str, output: Any, notes: Annotations) -> list[str]:
    if hasattr(output, "name"):
        return [name] + notes.output_lines(name, output)
    return [f"{name} = {format_value(output.value, 4, notes.ascii)}"] + notes.output_lines(name, output)


def to_mermaid(
    wl: WengertList,
    values: bool | None = None,
    ascii: bool = False,
    *,
    show: Any = None,
    wrt: Any = None,
    output: Any = None,
) -> str:
    """A Mermaid ``flowchart LR``: inputs and outputs as circles, entries as boxes, edges as data flow."""
    notes = annotations(wl, values, show, wrt, output, ascii)
    ids, output_ids = _node_ids(wl)
    lines = ["flowchart LR"]
    caption = notes.caption()
    if caption:
        lines.append(f"    %% {caption}")
    for entry in wl.entries:
        text = "<br/>".join(_mermaid_escape(line) for line in _label_lines(entry, notes))
        if entry.is_input:
            lines.append(f'    {ids[id(entry)]}(("{text}"))')
        else:
            lines.append(f'    {ids[id(entry)]}["{text}"]')
    for name, output_entry, output_id in zip(wl.output_names, wl.outputs, output_ids):
        text = "<br/>".join(_mermaid_escape(line) for line in _output_lines(name, output_entry, notes))
        lines.append(f'    {output_id}(("{text}"))')
    for source, target in _edges(wl, ids, output_ids):
        lines.append(f"    {source} --> {target}")
    return "\n".join(lines) + "\n"


def _mermaid_escape(text: str) -> str:
    return text.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def to_dot(
    wl: WengertList,
    values: bool | None = None,
    ascii: bool = False,
    *,
    show: Any = None,
    wrt: Any = None,
    output: Any = None,
) -> str:
    """A Graphviz ``digraph``, left to right: inputs as circles, entries as boxes, outputs as double circles."""
    notes = annotations(wl, values, show, wrt, output, ascii)
    ids, output_ids = _node_ids(wl)
    lines = [
        "digraph wengert {",
        "    rankdir=LR;",
        '    node [fontname="Helvetica", fontsize=11];',
        "    edge [arrowsize=0.7];",
    ]
    caption = notes.caption()
    if caption:
        lines.append(f'    label="{_dot_escape(caption)}"; labelloc=t; fontname="Helvetica"; fontsize=12;')
    for entry in wl.entries:
        label = "\\n".join(_dot_escape(line) for line in _label_lines(entry, notes))
        shape = 'shape=ellipse, style=filled, fillcolor="#e8f0fe"' if entry.is_input else "shape=box, style=rounded"
        lines.append(f'    "{ids[id(entry)]}" [label="{label}", {shape}];')
    for name, output_entry, output_id in zip(wl.output_names, wl.outputs, output_ids):
        label = "\\n".join(_dot_escape(line) for line in _output_lines(name, output_entry, notes))
        # A derivative under the name would swell a circle: a double-bordered box holds it better.
        shape = "shape=doublecircle" if "\\n" not in label else "shape=box, style=rounded, peripheries=2"
        lines.append(f'    "{output_id}" [label="{label}", {shape}];')
    for source, target in _edges(wl, ids, output_ids):
        lines.append(f'    "{source}" -> "{target}";')
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def to_svg(dot_source: str) -> str:
    """Render DOT source to SVG with Graphviz's ``dot`` program."""
    program = shutil.which("dot")
    if program is None:
        raise GraphvizNotFoundError(GRAPHVIZ_HELP)
    result = subprocess.run(
        [program, "-Tsvg"], input=dot_source.encode("utf-8"), capture_output=True, timeout=60, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"Graphviz 'dot' failed: {result.stderr.decode('utf-8', 'replace').strip()}")
    return result.stdout.decode("utf-8")
