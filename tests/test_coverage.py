"""Coverage of the primitive library: every primitive has both rules, every public function is tested.

The first test reads `wengert.numpy.REGISTRY`; a differentiable primitive without a JVP
rule (forward mode) or a VJP rule (reverse mode) fails it by name, unless it is
``compile_only`` (written by a jit pass after differentiation, like ``matmul_add``).
The second checks, module by module, that each public function backed by a primitive
(it carries a ``.primitive`` attribute) appears in that module's tests: the table of
``tests/test_ops.py`` for the core families, the module's own test file for linalg,
einsum and rearrange (skipped, with the reason, while that file does not exist).
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import pkgutil
import re
import sys
from functools import cache
from pathlib import Path

import pytest

import wengert.numpy as wnp

TESTS = Path(__file__).parent

# Which test file exercises the public functions of each module of wengert.numpy.
TEST_FILE_OF_MODULE = {
    "elementwise": "test_ops.py",
    "reductions": "test_ops.py",
    "products": "test_ops.py",
    "special": "test_ops.py",
    "shape": "test_ops.py",
    "indexing": "test_ops.py",
    "logic": "test_ops.py",
    "creation": "test_ops.py",
    "linalg": "test_linalg.py",
    "einsum": "test_einsum.py",
    "rearrange": "test_rearrange.py",
    "calculus": "test_ops.py",
    "signal": "test_ops.py",
    "sorting": "test_numpy_functions.py",
    "index_tricks": "test_numpy_functions.py",
}


def test_every_differentiable_primitive_has_both_rules() -> None:
    missing = []
    for name, p in sorted(wnp.REGISTRY.items()):
        if not p.differentiable or getattr(p, "compile_only", False):
            continue
        if not p.has_jvp():
            missing.append(f"{name} has no JVP rule (forward mode)")
        if not p.has_vjp():
            missing.append(f"{name} has no VJP rule (reverse mode)")
    assert not missing, "primitives without a derivative rule:\n  " + "\n  ".join(missing)


def test_registry_names_match_primitives() -> None:
    """The registry is keyed by each primitive's own name (the coverage report relies on it)."""
    assert wnp.REGISTRY, "no primitive is registered"
    assert all(name == p.name for name, p in wnp.REGISTRY.items())


def test_every_module_of_operations_has_a_test_file() -> None:
    """A new module of wengert.numpy with public operations must say where they are tested (above)."""
    modules = [info.name for info in pkgutil.iter_modules(wnp.__path__) if not info.name.startswith("_")]
    unmapped = [name for name in modules if name not in TEST_FILE_OF_MODULE and _public_primitive_functions(name)]
    assert not unmapped, f"modules whose operations have no test file in TEST_FILE_OF_MODULE: {unmapped}"


def _public_primitive_functions(module_name: str) -> list[str]:
    """Names in the module's __all__ whose function is backed by a primitive."""
    module = importlib.import_module(f"wengert.numpy.{module_name}")
    return sorted(name for name in getattr(module, "__all__", []) if hasattr(getattr(module, name), "primitive"))


@cache
def _table_ops() -> frozenset[str]:
    """The op names of tests/test_ops.py's table (loaded from its file, whatever the import mode)."""
    spec = importlib.util.spec_from_file_location("_wengert_test_ops_table", TESTS / "test_ops.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return frozenset(param.values[0].op for param in module.TABLE)


@pytest.mark.parametrize("module_name", sorted(TEST_FILE_OF_MODULE))
def test_every_public_primitive_function_is_exercised(module_name: str) -> None:
    names = _public_primitive_functions(module_name)
    test_file = TESTS / TEST_FILE_OF_MODULE[module_name]
    if not test_file.exists():
        pytest.skip(f"{test_file.name} does not exist yet; {module_name}'s functions are not checked")
    if test_file.name == "test_ops.py":
        covered = _table_ops()
        untested = [name for name in names if name not in covered]
    else:
        text = test_file.read_text()
        untested = [name for name in names if not re.search(rf"\b{re.escape(name)}\b", text)]
    assert not untested, (
        f"public functions of wengert.numpy.{module_name} that {test_file.name} never calls: {untested}"
    )


@pytest.mark.parametrize("module_name", sorted(m for m, f in TEST_FILE_OF_MODULE.items() if f == "test_ops.py"))
def test_every_public_function_of_the_core_families_is_in_the_table(module_name: str) -> None:
    """Stricter for test_ops.py's modules: composites without a primitive (mean, dot...) count too."""
    module = importlib.import_module(f"wengert.numpy.{module_name}")
    # NumPy's own functions re-exported as they are (zeros, linspace...) need no test here.
    functions = [
        name
        for name in module.__all__
        if inspect.isfunction(getattr(module, name)) and getattr(module, name).__module__.startswith("wengert")
    ]
    untested = sorted(set(functions) - _table_ops())
    assert not untested, f"public functions of wengert.numpy.{module_name} missing from test_ops.py: {untested}"
