"""A staged program: inputs, equations and outputs — the Wengert list a compiler works on.

Example:
    >>> import wengert as wg, wengert.numpy as wnp
    >>> print(wg.jit(lambda x: wnp.sin(x) * x).lower(1.0).ir)
    def f(v1: float):
        v2 = sin(v1)
        v3 = multiply(v2, v1)
        return v3
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..core.staging import Equation, Literal, Var


@dataclass
class Program:
    """Equations in evaluation order between input variables and outputs (variables or literals)."""

    inputs: list[Var]
    equations: list[Equation]
    outputs: list[Var | Literal]
    name: str = "f"
    notes: list[str] = field(default_factory=list)

    def uses(self) -> dict[int, int]:
        """How many times each variable is read (by equations and as an output)."""
        counts: dict[int, int] = {}
        for equation in self.equations:
            for value in equation.inputs:
                if isinstance(value, Var):
                    counts[value.number] = counts.get(value.number, 0) + 1
        for value in self.outputs:
            if isinstance(value, Var):
                counts[value.number] = counts.get(value.number, 0) + 1
        return counts

    def count(self, primitive_name: str) -> int:
        """How many equations apply the primitive of this name."""
        return sum(1 for equation in self.equations if equation.primitive.name == primitive_name)

    def edges(self) -> list[tuple[str, str]]:
        """The data-flow edges ``(producer, consumer)`` between variables, in equation order."""
        pairs = []
        for equation in self.equations:
            for value in equation.inputs:
                if isinstance(value, Var):
                    pairs.append((value.name, equation.out.name))
        return pairs

    def to_mermaid(self) -> str:
        """The program's graph as a Mermaid flowchart: inputs, one node per equation, outputs.

        Example:
            >>> import wengert as wg, wengert.numpy as wnp
            >>> print(wg.jit(wnp.sin).lower(1.0).ir.to_mermaid())
            flowchart LR
                v1(["v1: float"])
                v2["v2 = sin"]
                v1 --> v2
                v2 --> out0(("out 0"))
        """
        lines = ["flowchart LR"]
        lines += [f'    {var.name}(["{var.name}: {var.aval!r}"])' for var in self.inputs]
        lines += [
            f'    {equation.out.name}["{equation.out.name} = {equation.primitive.name}"]' for equation in self.equations
        ]
        lines += [f"    {source} --> {target}" for source, target in self.edges()]
        for index, value in enumerate(self.outputs):
            if isinstance(value, Var):
                lines.append(f'    {value.name} --> out{index}(("out {index}"))')
        return "\n".join(lines)

    def to_dot(self) -> str:
        """The program's graph in Graphviz's DOT language."""
        lines = ["digraph program {", "    rankdir=LR;", '    node [fontname="Helvetica"];']
        lines += [f'    {var.name} [shape=ellipse, label="{var.name}: {var.aval!r}"];' for var in self.inputs]
        lines += [
            f'    {equation.out.name} [shape=box, label="{equation.out.name} = {equation.primitive.name}"];'
            for equation in self.equations
        ]
        lines += [f"    {source} -> {target};" for source, target in self.edges()]
        for index, value in enumerate(self.outputs):
            if isinstance(value, Var):
                lines.append(f'    out{index} [shape=doublecircle, label="out {index}"];')
                lines.append(f"    {value.name} -> out{index};")
        lines.append("}")
        return "\n".join(lines)

    def __str__(self) -> str:
        signature = ", ".join(f"{var.name}: {var.aval!r}" for var in self.inputs)
        lines = [f"def {self.name}({signature}):"]
        for equation in self.equations:
            arguments = [_text(value) for value in equation.inputs]
            arguments += [f"{key}={value!r}" for key, value in equation.params.items() if _shown(value)]
            lines.append(f"    {equation.out.name} = {equation.primitive.name}({', '.join(arguments)})")
        outputs = ", ".join(_text(value) for value in self.outputs)
        lines.append(f"    return {outputs}" if self.outputs else "    return ()")
        return "\n".join(lines)


def _text(value: Any) -> str:
    if isinstance(value, Var):
        return value.name
    raw = value.value
    if isinstance(raw, (bool, int, float)) or raw is None:
        return repr(raw)
    shape = getattr(raw, "shape", None)
    if shape is not None and len(shape) == 0:
        return repr(raw.item()) if hasattr(raw, "item") else repr(raw)
    if shape is not None:
        return f"<{getattr(raw, 'dtype', '')}{list(shape)}>"
    return type(raw).__name__


def _shown(value: Any) -> bool:
    return isinstance(value, (bool, int, float, str, tuple)) or value is None
