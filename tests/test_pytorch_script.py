"""A PyTorch PINN script runs on wengert with its import lines changed, and follows PyTorch's loss trajectory."""

from __future__ import annotations

import difflib
import types
from pathlib import Path

import numpy as np
import pytest

SCRIPT = Path(__file__).parent / "scripts" / "pytorch_sir.py"
IMPORTS = {"import torch\n": "import wengert as torch\n", "import torch.nn as nn\n": "import wengert.nn as nn\n"}


def _wengert_source() -> str:
    source = SCRIPT.read_text()
    for torch_line, wengert_line in IMPORTS.items():
        assert torch_line in source
        source = source.replace(torch_line, wengert_line)
    return source


def _load(source: str, name: str) -> types.ModuleType:
    module = types.ModuleType(name)
    exec(compile(source, str(SCRIPT), "exec"), module.__dict__)  # noqa: S102  (our own test script)
    return module


def test_only_the_import_lines_change():
    changed = [
        line
        for line in difflib.unified_diff(SCRIPT.read_text().splitlines(), _wengert_source().splitlines(), lineterm="")
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert sorted(changed) == sorted(
        [f"-{line.strip()}" for line in IMPORTS] + [f"+{line.strip()}" for line in IMPORTS.values()]
    )


def test_the_script_trains_on_wengert():
    losses, final, start = _load(_wengert_source(), "sir_on_wengert").run(adam_steps=10, lbfgs_steps=10)
    assert len(losses) > 20 and all(np.isfinite(losses))
    assert final < 0.1 * losses[0]
    assert {"log_beta", "log_gamma", "net.0.weight", "net.4.bias"} <= set(start)


def test_the_script_follows_pytorchs_loss_trajectory_from_the_same_state_dict():
    torch = pytest.importorskip("torch")
    torch_losses, torch_final, start = _load(SCRIPT.read_text(), "sir_on_torch").run(adam_steps=10, lbfgs_steps=10)
    initial = {name: value.numpy() for name, value in start.items()}
    assert initial["net.0.weight"].shape == (16, 1)  # PyTorch's (out_features, in_features)
    losses, final, _ = _load(_wengert_source(), "sir_on_wengert").run(
        adam_steps=10, lbfgs_steps=10, initial_state=initial
    )
    np.testing.assert_allclose(losses, torch_losses, rtol=1e-10)
    assert final == pytest.approx(torch_final, rel=1e-10)
    assert torch.get_default_dtype() == torch.float32  # the script set nothing global in torch
