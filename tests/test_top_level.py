"""What `import wengert as wg` offers: both dialects' names, and a star import that shadows no builtin."""

from __future__ import annotations

import builtins
import subprocess
import sys

import wengert as wg


def test_both_dialects_are_reachable_from_the_top_level():
    # PyTorch's spelling
    assert wg.zeros(2, 3).dtype == wg.float64 and wg.ones((2,), dtype=wg.float32).dtype == wg.float32
    assert float(wg.exp(wg.tensor(0.0))) == 1.0 and float(wg.max(wg.tensor([1.0, 4.0]))) == 4.0
    assert callable(wg.save) and callable(wg.load) and callable(wg.manual_seed) and wg.Generator
    # JAX's spelling
    assert wg.tree_util.tree_leaves({"a": 1, "b": [2, 3]}) == [1, 2, 3]
    assert wg.random.PRNGKey(0).shape == (2,) and callable(wg.jnn.relu)
    # the subpackages
    assert wg.pinn.Trainer and wg.nn.Linear and wg.optim.LBFGS and wg.optim.lr_scheduler.StepLR


def test_a_star_import_shadows_no_builtin():
    namespace: dict = {}
    exec("from wengert import *", namespace)  # noqa: S102
    shadowed = sorted(name for name in namespace if not name.startswith("__") and hasattr(builtins, name))
    assert shadowed == [], shadowed
    assert {"zeros", "tensor", "grad", "jit", "float32", "save"} <= set(namespace)


def test_importing_wengert_loads_no_optional_dependency():
    code = (
        "import sys, wengert; "
        "print(sorted(m for m in ('scipy', 'matplotlib', 'tqdm', 'threadpoolctl', 'torch', 'jax', 'sympy') "
        "if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
