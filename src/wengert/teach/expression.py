"""A safe arithmetic expression language for ``wengert trace``: parsed with `ast`, never `eval`.

Accepted: numbers, the named variables, ``+ - * / **`` (and unary ``-``/``+``),
the constants ``pi`` and ``e``, and calls of a whitelist of ``wengert.numpy``
functions (``sin``, ``log``, ``exp``, ``sqrt``, ``maximum``...; ``ln`` is
``log``). Anything else is refused with an `ExpressionError` that names the
construct (attribute access, lambda, comprehension, subscript, unknown
name...). Expressions are bounded: at most `MAX_LENGTH` characters and
`MAX_DEPTH` levels of nested parentheses or operations, so that parsing,
checking and evaluating never reach Python's recursion limit.

The evaluator chooses the order of evaluation, so the tape it records can be
numbered as textbooks do: ``order="levels"`` evaluates every operation whose
operands are ready, level by level, left to right (``ln x1``, ``x1·x2``,
``sin x2``, then ``+``, then ``−``); ``order="evaluation"`` (the default, as
``wg.trace`` records a Python function) follows Python's left-to-right,
innermost-first order.
"""

from __future__ import annotations

import ast
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

# name in the expression -> (wengert.numpy function, number of arguments)
FUNCTIONS: dict[str, tuple[str, int]] = {
    **{
        name: (name, 1)
        for name in (
            "sin",
            "cos",
            "tan",
            "arcsin",
            "arccos",
            "arctan",
            "sinh",
            "cosh",
            "tanh",
            "arcsinh",
            "arccosh",
            "arctanh",
            "exp",
            "exp2",
            "expm1",
            "log",
            "log2",
            "log10",
            "log1p",
            "sqrt",
            "cbrt",
            "square",
            "abs",
            "reciprocal",
            "sigmoid",
            "softplus",
            "relu",
        )
    },
    "ln": ("log", 1),
    **{name: (name, 2) for name in ("maximum", "minimum", "hypot", "arctan2", "logaddexp", "power")},
}
CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}

# Bounds that keep parsing, checking and evaluation fast and within Python's recursion limit.
MAX_LENGTH = 10_000  # characters
MAX_DEPTH = 200  # nested operations and parentheses

_OPERATORS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_UNARY = {ast.USub: "-", ast.UAdd: "+"}

_REFUSED: dict[type, str] = {
    ast.Attribute: "attribute access",
    ast.Lambda: "lambda expressions",
    ast.ListComp: "list comprehensions",
    ast.SetComp: "set comprehensions",
    ast.DictComp: "dict comprehensions",
    ast.GeneratorExp: "generator expressions",
    ast.Subscript: "subscripts",
    ast.Compare: "comparisons",
    ast.BoolOp: "boolean operators (and/or)",
    ast.IfExp: "conditional expressions (x if c else y)",
    ast.NamedExpr: "assignment expressions (:=)",
    ast.List: "lists",
    ast.Tuple: "tuples",
    ast.Set: "sets",
    ast.Dict: "dicts",
    ast.JoinedStr: "f-strings",
    ast.Starred: "starred arguments",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.Slice: "slices",
}


class ExpressionError(ValueError):
    """An expression that ``wengert trace`` refuses, with the reason."""


def _refuse(node: ast.AST, source: str, what: str) -> ExpressionError:
    snippet = ast.get_source_segment(source, node) or ""
    column = getattr(node, "col_offset", None)
    where = f" at column {column + 1}" if column is not None else ""
    shown = f" '{snippet}'" if snippet and len(snippet) <= 60 else ""
    return ExpressionError(f"{what}{shown}{where} is not allowed: {allowed_summary()}")


def allowed_summary() -> str:
    """What an expression may contain (for error messages and ``--help``)."""
    return (
        "an expression may use numbers, its variables, + - * / ** and the functions "
        + ", ".join(sorted(FUNCTIONS))
        + " (constants pi and e)"
    )


@dataclass(frozen=True)
class Expression:
    """A checked expression over ``variables``, ready to be evaluated on numbers or tracers."""

    source: str
    tree: ast.Expression
    variables: tuple[str, ...]

    def function(self, order: str = "evaluation") -> Callable[..., Any]:
        """A function of the variables (positionally, in ``variables`` order) that evaluates the expression.

        Example:
            >>> f = parse_expression("ln(x1) + x1*x2 - sin(x2)", ["x1", "x2"]).function()
            >>> round(f(2.0, 5.0), 4)
            11.6521
        """
        if order not in ("levels", "evaluation"):
            raise ValueError(f"order={order!r}: choose 'levels' or 'evaluation'")
        schedule = _schedule(self.tree.body, order)
        variables = self.variables

        def evaluate(*values: Any) -> Any:
            if len(values) != len(variables):
                raise TypeError(f"the expression takes {len(variables)} values ({', '.join(variables)})")
            return _run(self.tree.body, schedule, dict(zip(variables, values)))

        evaluate.__name__ = "f"
        evaluate.__qualname__ = "f"
        return evaluate


def parse_expression(source: str, variables: Sequence[str]) -> Expression:
    """Parse and check ``source``; raises `ExpressionError` naming the first refused construct.

    Example:
        >>> parse_expression("x.real", ["x"])
        Traceback (most recent call last):
        ...
        wengert.teach.expression.ExpressionError: attribute access 'x.real' at column 1 is not allowed: ...
    """
    variables = tuple(variables)
    for name in variables:
        if not name.isidentifier():
            raise ExpressionError(f"variable name {name!r} is not an identifier")
        if name in FUNCTIONS or name in CONSTANTS:
            raise ExpressionError(f"variable name {name!r} is also a function or constant name; choose another")
    if not isinstance(source, str) or not source.strip():
        raise ExpressionError("the expression is empty")
    source = source.strip()
    if len(source) > MAX_LENGTH:
        raise ExpressionError(f"the expression is {len(source)} characters long; at most {MAX_LENGTH} are allowed")
    parentheses = _parenthesis_depth(source)
    if parentheses > MAX_DEPTH:
        raise ExpressionError(
            f"the expression nests parentheses {parentheses} levels deep; at most {MAX_DEPTH} levels are allowed"
        )
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as error:
        message = " ".join(str(error.msg).split())
        if "integer string conversion" in message:
            raise ExpressionError(
                "a number in the expression has too many digits (Python reads at most "
                f"{sys.get_int_max_str_digits()}); write large numbers with an exponent, as in 1e300"
            ) from None
        raise ExpressionError(f"not a valid expression: {message} (column {error.offset})") from None
    except (RecursionError, MemoryError):
        raise ExpressionError(
            f"the expression nests operations too deeply to parse; at most {MAX_DEPTH} levels are allowed"
        ) from None
    depth = _depth(tree.body)
    if depth > MAX_DEPTH:
        raise ExpressionError(f"the expression nests operations {depth} levels deep; at most {MAX_DEPTH} are allowed")
    _check(tree.body, source, set(variables))
    return Expression(source, tree, variables)


def _parenthesis_depth(source: str) -> int:
    """The deepest nesting of parentheses (checked before parsing: Python's parser stops at 200)."""
    depth = deepest = 0
    for character in source:
        if character == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif character == ")":
            depth -= 1
    return deepest


def _depth(root: ast.AST) -> int:
    """The height of the syntax tree, counted without recursion (the checker and evaluator recurse)."""
    deepest = 0
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node) if not isinstance(child, _LEAF_NODES))
    return deepest


# Operator and context nodes hang below every operation; they do not add a level.
_LEAF_NODES = (ast.operator, ast.unaryop, ast.expr_context, ast.boolop, ast.cmpop)


def _check(node: ast.AST, source: str, variables: set[str]) -> None:
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, (int, float)):
            raise _refuse(node, source, f"the {type(node.value).__name__} constant")
        try:
            float(node.value)
        except OverflowError:
            digits = len(str(node.value))
            raise ExpressionError(
                f"the number at column {node.col_offset + 1} ({digits} digits) is too large for a floating-point "
                "number (at most about 1.8e308)"
            ) from None
        return
    if isinstance(node, ast.Name):
        if node.id in variables or node.id in CONSTANTS:
            return
        if node.id in FUNCTIONS:
            raise _refuse(node, source, f"using the function '{node.id}' without calling it")
        known = ", ".join(sorted(variables)) or "none"
        raise ExpressionError(
            f"unknown name '{node.id}' at column {node.col_offset + 1}: the variables are {known} "
            f"(give values with --at), the constants pi and e"
        )
    if isinstance(node, ast.BinOp):
        if type(node.op) not in _OPERATORS:
            symbol = _operator_symbol(node.op)
            raise _refuse(node, source, f"the operator '{symbol}'")
        _check(node.left, source, variables)
        _check(node.right, source, variables)
        return
    if isinstance(node, ast.UnaryOp):
        if type(node.op) not in _UNARY:
            raise _refuse(node, source, f"the operator '{_operator_symbol(node.op)}'")
        _check(node.operand, source, variables)
        return
    if isinstance(node, ast.Call):
        function = node.func
        if not isinstance(function, ast.Name):
            if isinstance(function, ast.Attribute):
                raise _refuse(function, source, "attribute access")
            raise _refuse(function, source, "calling the result of an expression")
        if function.id not in FUNCTIONS:
            raise _refuse(node, source, f"calling '{function.id}' (not one of the allowed functions)")
        if node.keywords:
            raise _refuse(node, source, f"keyword arguments to '{function.id}'")
        arity = FUNCTIONS[function.id][1]
        if len(node.args) != arity:
            plural = "s" if arity != 1 else ""
            raise ExpressionError(
                f"'{function.id}' takes {arity} argument{plural}, got {len(node.args)} (column {node.col_offset + 1})"
            )
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise _refuse(arg, source, "starred arguments")
            _check(arg, source, variables)
        return
    what = _REFUSED.get(type(node), f"the construct {type(node).__name__}")
    raise _refuse(node, source, what)


def _operator_symbol(op: ast.AST) -> str:
    symbols = {
        ast.FloorDiv: "//",
        ast.Mod: "%",
        ast.MatMult: "@",
        ast.BitAnd: "&",
        ast.BitOr: "|",
        ast.BitXor: "^",
        ast.LShift: "<<",
        ast.RShift: ">>",
        ast.Invert: "~",
        ast.Not: "not",
    }
    return symbols.get(type(op), type(op).__name__)


# -- evaluation -------------------------------------------------------------------------------


def _operations(node: ast.AST, out: list[ast.AST]) -> int:
    """Append the operations under ``node`` in Python's order (operands first); returns its height."""
    if isinstance(node, (ast.Constant, ast.Name)):
        return 0
    if isinstance(node, ast.BinOp):
        height = 1 + max(_operations(node.left, out), _operations(node.right, out))
    elif isinstance(node, ast.UnaryOp):
        height = 1 + _operations(node.operand, out)
    else:  # a call (the checker allows nothing else)
        height = 1 + max((_operations(arg, out) for arg in node.args), default=0)
    node._height = height  # type: ignore[attr-defined]
    out.append(node)
    return height


def _schedule(body: ast.AST, order: str) -> list[ast.AST]:
    operations: list[ast.AST] = []
    _operations(body, operations)
    if order == "levels":
        # A stable sort by height: level by level, left to right within a level.
        operations.sort(key=lambda node: node._height)  # type: ignore[attr-defined]
    return operations


def _run(body: ast.AST, schedule: list[ast.AST], variables: dict[str, Any]) -> Any:
    import wengert.numpy as wnp

    results: dict[int, Any] = {}

    def value(node: ast.AST) -> Any:
        if isinstance(node, ast.Constant):
            return float(node.value)  # floats, so that 10**400 overflows instead of building a huge integer
        if isinstance(node, ast.Name):
            return variables[node.id] if node.id in variables else CONSTANTS[node.id]
        return results[id(node)]

    for node in schedule:
        if isinstance(node, ast.BinOp):
            left, right = value(node.left), value(node.right)
            op = type(node.op)
            if op is ast.Add:
                result = left + right
            elif op is ast.Sub:
                result = left - right
            elif op is ast.Mult:
                result = left * right
            elif op is ast.Div:
                result = wnp.divide(left, right)
            else:
                result = wnp.power(left, right)
        elif isinstance(node, ast.UnaryOp):
            operand = value(node.operand)
            result = -operand if isinstance(node.op, ast.USub) else operand
        else:
            name, _ = FUNCTIONS[node.func.id]  # type: ignore[attr-defined]
            result = getattr(wnp, name)(*(value(arg) for arg in node.args))
        results[id(node)] = result
    return value(body)


def parse_assignments(text: str) -> dict[str, float]:
    """``"x1=2,x2=5"`` → ``{"x1": 2.0, "x2": 5.0}``.

    Example:
        >>> parse_assignments("x1=2, x2=-0.5")
        {'x1': 2.0, 'x2': -0.5}
    """
    point: dict[str, float] = {}
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        name, sign, number = part.partition("=")
        name = name.strip()
        if not sign or not name:
            raise ExpressionError(f"--at: {part!r} is not of the form name=number (as in x1=2,x2=5)")
        if not name.isidentifier():
            raise ExpressionError(f"--at: {name!r} is not a variable name")
        if name in point:
            raise ExpressionError(f"--at: {name} is given twice")
        try:
            point[name] = float(number)
        except ValueError:
            raise ExpressionError(f"--at: the value of {name}, {number.strip()!r}, is not a number") from None
    if not point:
        raise ExpressionError("--at gives no values (write for example --at x1=2,x2=5)")
    return point
