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


def test_pytorchs_device_idiom_picks_the_cpu():
    device = wg.device("cuda" if wg.cuda.is_available() else "cpu")
    assert str(device) == "cpu" and wg.cuda.device_count() == 0
    assert wg.zeros(2, device=device).device == device


def test_normal_and_uniform_fill_in_place_from_the_default_generator():
    import numpy as np

    import wengert.nn as nn

    layer = nn.Linear(50, 40)
    layer.weight.data.normal_(0.0, 0.02)  # a PyTorch script's initialisation
    layer.bias.data.uniform_(-0.1, 0.1)
    weight, bias = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    assert abs(weight.std() - 0.02) < 0.002 and abs(weight.mean()) < 0.002
    assert (np.abs(bias) <= 0.1).all() and bias.std() > 0.03
    wg.manual_seed(1)
    first = wg.zeros(5).uniform_(2.0, 3.0).numpy()
    wg.manual_seed(1)
    np.testing.assert_array_equal(wg.zeros(5).uniform_(2.0, 3.0).numpy(), first)
    assert ((first >= 2.0) & (first < 3.0)).all()


def test_in_place_draws_refuse_a_leaf_that_requires_grad_as_pytorch_does():
    import pytest

    w = wg.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"in-place operation \('normal_'\)"):
        w.normal_()
    with pytest.raises(RuntimeError, match=r"in-place operation \('uniform_'\)"):
        w.uniform_()
    with wg.no_grad():
        w.uniform_(-1.0, 1.0)
    assert w.requires_grad and w.is_leaf and (w.detach().numpy() != 0).all()
