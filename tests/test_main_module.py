"""``python -m wengert`` is the ``wengert`` command: the same output and exit status as `wengert.cli.main`."""

from __future__ import annotations

import subprocess
import sys

import wengert
from wengert.cli import main


def run_module(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "wengert", *argv], capture_output=True, text=True, timeout=120)


def test_version() -> None:
    result = run_module("--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"wengert {wengert.__version__}"


def test_trace_prints_what_the_console_command_prints(capsys) -> None:
    result = run_module("trace", "x*x", "--at", "x=3")
    assert result.returncode == 0, result.stderr
    assert "gradient: ∂f/∂x = 6" in result.stdout
    assert main(["trace", "x*x", "--at", "x=3"]) == 0
    assert result.stdout == capsys.readouterr().out


def test_errors_give_the_command_line_exit_status() -> None:
    result = run_module("no-such-command")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr and "usage: wengert" in result.stderr


def test_without_a_command_prints_help_and_fails() -> None:
    result = run_module()
    assert result.returncode == 2
    assert "usage: wengert" in result.stdout
