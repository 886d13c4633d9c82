"""How the teaching tools write things: values, expressions and derivative rules in words.

A Wengert list entry is shown as ``v4 = v1 · v2``; its tangent rule as
``v̇1·v2 + v1·v̇2`` and its adjoint contributions as ``v̄4·v2`` and ``v̄4·v1``.
The words come from a small table keyed by primitive name; a primitive that is
not in the table gets a generic rule that is still correct
(``∂v5/∂v2·v̇2``). The numbers never come from here: they are read off the
engine's tape and interpreters (see `wengert.teach.wengert_list`).

Text is written with the seeds' symbols (v̇ for a tangent, v̄ for an adjoint,
``·``, ``−``); `ascii_text` turns any of it into plain ASCII for terminals
that need it.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core import primal_value

# -- symbols ------------------------------------------------------------------------

_DOT = "\u0307"  # combining dot above: v̇
_BAR = "\u0304"  # combining macron: v̄

_ASCII = {
    "·": "*",
    "−": "-",
    "∂": "d",
    "√": "sqrt",
    "∇": "grad ",
    "ᵀ": ".T",
    "×": "x",
    **{sup: "^" + digit for sup, digit in zip("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")},
    "—": "-",
    "…": "...",
    "ε": "eps",
    "≥": ">=",
    "≤": "<=",
}
_SUPERSCRIPTS = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def tangent_name(name: str, ascii: bool = False) -> str:
    """The tangent of ``v3``: ``v̇3`` (or ``vdot3`` in ASCII)."""
    return _decorate(name, _DOT, "dot", ascii)


def adjoint_name(name: str, ascii: bool = False) -> str:
    """The adjoint of ``v3``: ``v̄3`` (or ``vbar3`` in ASCII)."""
    return _decorate(name, _BAR, "bar", ascii)


def _decorate(name: str, mark: str, word: str, ascii: bool) -> str:
    stem = name.rstrip("0123456789")
    digits = name[len(stem) :]
    if not stem or not digits:  # not of the form v3: mark the first letter
        return f"{name}{word}" if ascii else name[:1] + mark + name[1:]
    if ascii:
        return f"{stem}{word}{digits}"
    return stem + mark + digits


def ascii_text(text: str) -> str:
    """``text`` in plain ASCII: v̇3 → vdot3, v̄3 → vbar3, · → *, − → -, ² → ^2."""
    out = []
    for char in text:
        if char in (_DOT, _BAR):
            # v̇3 -> vdot3: the mark goes between the letter and the digits.
            out.append("dot" if char == _DOT else "bar")
            continue
        replacement = _ASCII.get(char)
        if replacement is None and ord(char) > 127:
            decomposed = unicodedata.normalize("NFKD", char)
            replacement = decomposed if decomposed.isascii() else "?"
        out.append(char if replacement is None else replacement)
    return "".join(out)


def subscripted(name: str) -> str:
    """``v3`` → ``v₃``, ``x1`` → ``x₁`` (the seeds' graph labels); other names unchanged."""
    stem = name.rstrip("0123456789")
    if not stem or stem == name or not stem.isidentifier():
        return name
    return stem + name[len(stem) :].translate(_SUBSCRIPTS)


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal (combining marks take none)."""
    return sum(0 if unicodedata.combining(char) else 1 for char in text)


# -- values -------------------------------------------------------------------------


def is_scalar(value: Any) -> bool:
    """Whether a value is shown as a number (Python or NumPy scalar, 0-d array)."""
    value = primal_value(value)
    if isinstance(value, (bool, int, float, np.number, np.bool_)):
        return True
    return isinstance(value, np.ndarray) and value.ndim == 0


def shape_text(value: Any, ascii: bool = False) -> str:
    """``float64[3×2]`` for an array."""
    value = np.asarray(primal_value(value))
    dims = ("x" if ascii else "×").join(str(n) for n in value.shape)
    return f"{value.dtype}[{dims}]"


SMALL_ARRAY = 6  # arrays of at most this many numbers are shown number by number


def format_value(value: Any, digits: int = 6, ascii: bool = False) -> str:
    """A value as the tables show it: a number, a small array's numbers, or a larger array's dtype and shape.

    Example:
        >>> import numpy as np
        >>> format_value(np.array([1.0, 2.0, 3.0])), format_value(np.zeros((3, 4)))
        ('[1, 2, 3]', 'float64[3×4]')
    """
    if value is None:
        return "freed"
    if isinstance(value, tuple):
        return "(" + ", ".join(format_value(v, digits, ascii) for v in value) + ")"
    value = primal_value(value)
    if not is_scalar(value):
        array = np.asarray(value)
        if 0 < array.size <= SMALL_ARRAY and array.dtype.kind in "biuf":
            return _nested_text(array, digits, ascii)
        return shape_text(value, ascii)
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    number = float(np.asarray(value))
    if number == 0.0:
        return "0"  # also -0.0: a sign on a zero only distracts in a table
    return f"{number:.{digits}g}"


def _nested_text(array: np.ndarray, digits: int, ascii: bool) -> str:
    if array.ndim == 0:
        return format_value(array[()], digits, ascii)
    return "[" + ", ".join(_nested_text(part, digits, ascii) for part in array) + "]"


def number_text(value: Any, digits: int = 6, ascii: bool = False) -> str:
    """A constant inside an expression: like `format_value`, negative numbers in parentheses."""
    text = format_value(value, digits, ascii) if is_scalar(value) else "const" + _shape_suffix(value, ascii)
    return f"({text})" if text.startswith("-") else text


def _shape_suffix(value: Any, ascii: bool) -> str:
    value = np.asarray(primal_value(value))
    return "[" + ("x" if ascii else "×").join(str(n) for n in value.shape) + "]"


def json_value(value: Any, limit: int = 100) -> Any:
    """A value for JSON: numbers as numbers, small arrays as nested lists, larger ones as ``None``."""
    value = primal_value(value)
    if value is None:
        return None
    if isinstance(value, tuple):
        return [json_value(v, limit) for v in value]
    array = np.asarray(value)
    if array.dtype.kind not in "biuf" or array.size > limit:
        return None
    result = array.tolist()
    return _finite_json(result)


def _finite_json(value: Any) -> Any:
    # JSON has no NaN or infinity: spell them as strings.
    if isinstance(value, list):
        return [_finite_json(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


# -- operands ------------------------------------------------------------------------


@dataclass(frozen=True)
class Operand:
    """One argument of an entry as the words see it: a list name (``v3``) or a constant."""

    text: str
    traced: bool
    value: Any = None


# -- expressions ---------------------------------------------------------------------

_EXPRESSIONS: dict[str, str] = {
    "add": "{0} + {1}",
    "subtract": "{0} − {1}",
    "multiply": "{0} · {1}",
    "divide": "{0} / {1}",
    "matmul": "{0} @ {1}",
    "negative": "−{0}",
    "log": "ln({0})",
    "square": "{0}²",
    "add_any": "{0} + {1}",
}


def expression(name: str, operands: Sequence[Operand], params: dict, ascii: bool = False) -> str:
    """The right-hand side of an entry: ``ln(v1)``, ``v1 · v2``, ``sum(v3, axis=0)``."""
    texts = [operand.text for operand in operands]
    if name == "power" and len(operands) == 2 and not operands[1].traced and _small_integer(operands[1].value):
        exponent = int(primal_value(operands[1].value))
        text = f"{texts[0]}^{exponent}" if ascii else texts[0] + str(exponent).translate(_SUPERSCRIPTS)
        return text
    if name == "power" and len(operands) == 2:
        text = f"{texts[0]}^{texts[1]}"
    elif name == "getitem" and len(operands) == 1:
        text = f"{texts[0]}[{_index_text(params.get('index'))}]"
    elif name == "transpose" and len(operands) == 1 and params.get("axes") is None:
        text = texts[0] + "ᵀ"
    elif name in _EXPRESSIONS and len(operands) == _EXPRESSIONS[name].count("{"):
        text = _EXPRESSIONS[name].format(*texts)
    else:
        shown = [f"{key}={_param_text(value)}" for key, value in params.items() if _shown_param(value)]
        text = f"{name}({', '.join([*texts, *shown])})"
    return ascii_text(text) if ascii else text


def _small_integer(value: Any) -> bool:
    if not is_scalar(value):
        return False
    number = float(np.asarray(primal_value(value)))
    return number.is_integer() and 0 <= number <= 9


def _shown_param(value: Any) -> bool:
    return value is not None and value is not False and value != ()


def _param_text(value: Any) -> str:
    if isinstance(value, (np.dtype, type)):
        return getattr(value, "__name__", str(value))
    if isinstance(value, np.ndarray):
        return "array" + _shape_suffix(value, True)
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _index_text(index: Any) -> str:
    parts = index if isinstance(index, tuple) else (index,)
    return ", ".join(_one_index(part) for part in parts)


def _one_index(part: Any) -> str:
    if isinstance(part, slice):
        start = "" if part.start is None else str(part.start)
        stop = "" if part.stop is None else str(part.stop)
        step = "" if part.step is None else f":{part.step}"
        return f"{start}:{stop}{step}"
    if part is None:
        return "None"
    if part is Ellipsis:
        return "..."
    if isinstance(part, np.ndarray):
        return "array" + _shape_suffix(part, True)
    return repr(part)


# -- derivative rules in words -------------------------------------------------------
#
# Per primitive and per argument position: the tangent term (``{t}`` is that
# argument's tangent) and the adjoint term (``{g}`` is the adjoint of the entry).
# ``{0}``, ``{1}`` are the operands, ``{y}`` the entry itself. Terms of
# constant arguments are left out: their tangent is zero and they get no adjoint.

Template = tuple[str, str]  # (tangent term, adjoint term)

_UNARY: dict[str, Template] = {
    "negative": ("−{t}", "−{g}"),
    "exp": ("exp({0})·{t}", "{g}·exp({0})"),
    "exp2": ("ln2·{y}·{t}", "{g}·ln2·{y}"),
    "expm1": ("({y} + 1)·{t}", "{g}·({y} + 1)"),
    "log": ("{t} / {0}", "{g} / {0}"),
    "log2": ("{t} / ({0}·ln2)", "{g} / ({0}·ln2)"),
    "log10": ("{t} / ({0}·ln10)", "{g} / ({0}·ln10)"),
    "log1p": ("{t} / (1 + {0})", "{g} / (1 + {0})"),
    "sqrt": ("{t} / (2·{y})", "{g} / (2·{y})"),
    "cbrt": ("{t} / (3·{y}²)", "{g} / (3·{y}²)"),
    "square": ("2·{0}·{t}", "{g}·2·{0}"),
    "reciprocal": ("−{y}²·{t}", "−{g}·{y}²"),
    "abs": ("sign({0})·{t}", "{g}·sign({0})"),
    "sin": ("cos({0})·{t}", "{g}·cos({0})"),
    "cos": ("−sin({0})·{t}", "−{g}·sin({0})"),
    "tan": ("(1 + {y}²)·{t}", "{g}·(1 + {y}²)"),
    "arcsin": ("{t} / √(1 − {0}²)", "{g} / √(1 − {0}²)"),
    "arccos": ("−{t} / √(1 − {0}²)", "−{g} / √(1 − {0}²)"),
    "arctan": ("{t} / (1 + {0}²)", "{g} / (1 + {0}²)"),
    "sinh": ("cosh({0})·{t}", "{g}·cosh({0})"),
    "cosh": ("sinh({0})·{t}", "{g}·sinh({0})"),
    "tanh": ("(1 − {y}²)·{t}", "{g}·(1 − {y}²)"),
    "arcsinh": ("{t} / √({0}² + 1)", "{g} / √({0}² + 1)"),
    "arccosh": ("{t} / √({0}² − 1)", "{g} / √({0}² − 1)"),
    "arctanh": ("{t} / (1 − {0}²)", "{g} / (1 − {0}²)"),
    "sigmoid": ("{y}·(1 − {y})·{t}", "{g}·{y}·(1 − {y})"),
    "softplus": ("sigmoid({0})·{t}", "{g}·sigmoid({0})"),
    "relu": ("[{0} > 0]·{t}", "{g}·[{0} > 0]"),
    "sum": ("sum({t})", "broadcast({g})"),
    "mean": ("mean({t})", "broadcast({g}) / n"),
    "reshape": ("reshape({t})", "reshape({g})"),
    "transpose": ("{t}ᵀ", "{g}ᵀ"),
    "broadcast_to": ("broadcast({t})", "sum_to({g})"),
    "sum_to": ("sum_to({t})", "broadcast({g})"),
    "getitem": ("{t}[…]", "scatter({g})"),
}

_BINARY: dict[str, tuple[Template, Template]] = {
    "add": (("{t}", "{g}"), ("{t}", "{g}")),
    "add_any": (("{t}", "{g}"), ("{t}", "{g}")),
    "subtract": (("{t}", "{g}"), ("−{t}", "−{g}")),
    "multiply": (("{t}·{1}", "{g}·{1}"), ("{0}·{t}", "{g}·{0}")),
    "divide": (("{t} / {1}", "{g} / {1}"), ("−{y}·{t} / {1}", "−{g}·{y} / {1}")),
    "matmul": (("{t} @ {1}", "{g} @ {1}ᵀ"), ("{0} @ {t}", "{0}ᵀ @ {g}")),
}


def _power_templates(operands: Sequence[Operand]) -> tuple[Template, Template]:
    base, exponent = operands
    if not exponent.traced and is_scalar(exponent.value):
        b = float(np.asarray(primal_value(exponent.value)))
        lower = b - 1.0
        if lower == 1.0:
            factor = f"{_short(b)}·{{0}}"
        elif lower == 0.0:
            factor = "1"
        else:
            factor = f"{_short(b)}·{{0}}^{_short(lower)}"
    else:
        factor = "{1}·{0}^({1} − 1)"
    base_rule = (f"{factor}·{{t}}", f"{{g}}·{factor}") if factor != "1" else ("{t}", "{g}")
    exponent_rule = ("ln({0})·{y}·{t}", "{g}·ln({0})·{y}")
    return base_rule, exponent_rule


def _short(number: float) -> str:
    text = f"{number:.6g}"
    return f"({text})" if text.startswith("-") else text


def _templates(name: str, operands: Sequence[Operand], linear: bool, jvp_rules: Any) -> list[Template]:
    count = len(operands)
    if count == 1 and name in _UNARY:
        return [_UNARY[name]]
    if count == 2 and name in _BINARY:
        return list(_BINARY[name])
    if count == 2 and name == "power":
        return list(_power_templates(operands))
    if linear:
        return [_linear_template(name, operands, position, jvp_rules) for position in range(count)]
    return [(f"∂{{y}}/∂{{{position}}}·{{t}}", f"{{g}}·∂{{y}}/∂{{{position}}}") for position in range(count)]


def _linear_template(name: str, operands: Sequence[Operand], position: int, jvp_rules: Any) -> Template:
    # A linear primitive's tangent map is the primitive itself, applied to the tangents
    # (arguments it is not differentiable in, like where's condition, stay as they are).
    parts = []
    for index in range(len(operands)):
        fixed = jvp_rules is not None and index < len(jvp_rules) and jvp_rules[index] is None
        if index == position:
            parts.append("{t}")
        elif fixed:
            parts.append(f"{{{index}}}")
        else:
            parts.append("0")
    return f"{name}({', '.join(parts)})", f"{name}ᵀ({{g}})"


@dataclass(frozen=True)
class Rule:
    """The derivative rule of one entry in words."""

    tangent_terms: tuple[str | None, ...]
    adjoint_terms: tuple[str | None, ...]

    def tangent(self) -> str:
        """The whole tangent rule: the terms of the traced arguments, summed."""
        return join_terms([term for term in self.tangent_terms if term is not None]) or "0"


def rule_words(
    name: str,
    operands: Sequence[Operand],
    entry_name: str,
    *,
    linear: bool = False,
    jvp_rules: Any = None,
    ascii: bool = False,
) -> Rule:
    """The tangent and adjoint terms of an entry ``entry_name = name(operands)``.

    Example:
        >>> rule = rule_words("multiply", [Operand("v1", True), Operand("v2", True)], "v4")
        >>> rule.tangent()
        'v̇1·v2 + v1·v̇2'
        >>> rule.adjoint_terms[0]
        'v̄4·v2'
    """
    templates = _templates(name, operands, linear, jvp_rules)
    texts = [operand.text for operand in operands]
    gradient = adjoint_name(entry_name, ascii)
    tangent_terms: list[str | None] = []
    adjoint_terms: list[str | None] = []
    for position, operand in enumerate(operands):
        if not operand.traced or position >= len(templates):
            tangent_terms.append(None)
            adjoint_terms.append(None)
            continue
        tangent_template, adjoint_template = templates[position]
        tangent = tangent_name(operand.text, ascii)
        tangent_terms.append(_finish(_fill(tangent_template, texts, entry_name, tangent, gradient), ascii))
        adjoint_terms.append(_finish(_fill(adjoint_template, texts, entry_name, tangent, gradient), ascii))
    return Rule(tuple(tangent_terms), tuple(adjoint_terms))


_FIELD = re.compile(r"\{(\w+)\}")


def _fill(template: str, texts: Sequence[str], entry_name: str, tangent: str, gradient: str) -> str:
    """Put the operands ({0}, {1}), the entry ({y}), a tangent ({t}) and an adjoint ({g}) into ``template``."""
    named = {"y": entry_name, "t": tangent, "g": gradient}

    def replace(match: re.Match) -> str:
        key = match.group(1)
        if key.isdigit():
            return texts[int(key)]
        return named[key]

    return _FIELD.sub(replace, template)


def _finish(text: str, ascii: bool) -> str:
    return ascii_text(text) if ascii else text


def join_terms(terms: Sequence[str]) -> str:
    """``a + b``, written ``a − b`` when b starts with a minus sign."""
    out = ""
    for term in terms:
        if not out:
            out = term
        elif term.startswith("−"):
            out += " − " + term[1:]
        elif term.startswith("-") and not term.startswith("-("):
            out += " - " + term[1:]
        else:
            out += " + " + term
    return out
