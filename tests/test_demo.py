"""``wengert demo sir | burgers | wave``: tiny runs that write their JSON report, figure and summary."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from wengert.cli import main
from wengert.pinn import demo

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(["demo", *argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_sir_demo_writes_its_report_figure_and_summary(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    status, out, err = run(capsys, "sir", "--epochs", "12", "--seed", "3", "--out", str(tmp_path), "--no-progress")
    assert status == 0 and err == ""
    report = json.loads((tmp_path / "sir.json").read_text())
    assert report["demo"] == "sir" and report["settings"]["adam_steps"] == 12 and report["settings"]["seed"] == 3
    assert report["problem"]["population"] == 1000 and report["problem"]["initial"] == [990, 10, 0]
    assert report["problem"]["observations"] == 30 and report["problem"]["sigma"] == 20
    recovered = report["recovered"]
    assert recovered["beta"]["truth"] == 0.3 and recovered["gamma"]["truth"] == 0.1
    assert recovered["R0"]["truth"] == pytest.approx(3.0)
    assert recovered["R0"]["found"] == pytest.approx(recovered["beta"]["found"] / recovered["gamma"]["found"])
    history = report["history"]
    assert history["step"] == list(range(12)) and len(history["params"]["beta"]) == 12
    assert set(history["terms"]) == {"data", "physics", "ic"}
    assert report["wall_time"] > 0 and report["cpu_time"] > 0
    assert history["params"]["beta"][-1] == recovered["beta"]["found"]
    assert (tmp_path / "sir.png").read_bytes()[:8] == PNG_SIGNATURE
    assert "beta =" in out and "truth 0.3000" in out and "gamma =" in out and "R0 =" in out
    assert "wall" in out and "CPU" in out and str(tmp_path / "sir.json") in out


def test_demo_without_matplotlib_writes_the_json_and_says_the_plot_was_skipped(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(demo, "_pyplot", lambda: None)
    status, out, err = run(capsys, "sir", "--epochs", "2", "--out", str(tmp_path), "--no-progress")
    assert status == 0 and "plot was skipped" in err
    assert (tmp_path / "sir.json").exists() and not (tmp_path / "sir.png").exists()
    assert json.loads((tmp_path / "sir.json").read_text())["figure"] is None


def test_no_plot_option(capsys, tmp_path):
    status, _, err = run(
        capsys,
        "wave",
        "--epochs",
        "2",
        "--lbfgs",
        "0",
        "--collocation",
        "20",
        "--out",
        str(tmp_path),
        "--no-progress",
        "--no-plot",
    )
    assert status == 0 and err == ""
    assert (tmp_path / "wave.json").exists() and not (tmp_path / "wave.png").exists()


def test_burgers_inference_demo_reports_the_relative_error(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    status, out, _ = run(
        capsys,
        "burgers",
        "--epochs",
        "3",
        "--lbfgs",
        "3",
        "--collocation",
        "50",
        "--out",
        str(tmp_path),
        "--no-progress",
    )
    assert status == 0
    report = json.loads((tmp_path / "burgers.json").read_text())
    assert report["task"] == "inference" and report["nu"] == pytest.approx(0.01 / 3.141592653589793)
    assert 0 < report["relative_l2_error"] < 10 and report["paper"]["relative_l2_error"] == 6.7e-4
    assert report["settings"]["collocation_points"] == 50 and report["settings"]["boundary_points"] == 100
    assert report["history"]["phase"][0] == "adam" and report["history"]["phase"][-1] == "lbfgs"
    assert (tmp_path / "burgers.png").read_bytes()[:8] == PNG_SIGNATURE
    assert "relative L2 error" in out


def test_burgers_identification_demo_reports_lambdas(capsys, tmp_path):
    status, out, _ = run(
        capsys,
        "burgers",
        "--identify",
        "--epochs",
        "3",
        "--lbfgs",
        "0",
        "--observations",
        "100",
        "--out",
        str(tmp_path),
        "--no-progress",
        "--no-plot",
    )
    assert status == 0
    report = json.loads((tmp_path / "burgers.json").read_text())
    assert report["task"] == "identification" and report["settings"]["observations"] == 100
    assert report["recovered"]["lambda1"]["truth"] == 1.0
    assert report["recovered"]["lambda2"]["truth"] == pytest.approx(0.01 / 3.141592653589793)
    assert set(report["history"]["params"]) == {"lambda1", "lambda2"}
    assert report["history"]["params"]["lambda2"][0] == pytest.approx(2.4788e-3, rel=2e-2)  # from e⁻⁶
    assert "lambda1 =" in out and "lambda2 =" in out


def test_wave_demo_reports_the_relative_error(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    status, out, _ = run(
        capsys, "wave", "--epochs", "3", "--lbfgs", "2", "--collocation", "30", "--out", str(tmp_path), "--no-progress"
    )
    assert status == 0
    report = json.loads((tmp_path / "wave.json").read_text())
    assert report["demo"] == "wave" and report["relative_l2_error"] > 0
    assert report["settings"]["adam_steps"] == 3 and report["settings"]["lbfgs_iterations"] == 2
    assert (tmp_path / "wave.png").read_bytes()[:8] == PNG_SIGNATURE
    assert "relative L2 error" in out


def test_default_output_directory_is_named_after_the_demo(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, _, _ = run(capsys, "sir", "--epochs", "1", "--no-progress", "--no-plot")
    assert status == 0 and (tmp_path / "wengert-demo-sir" / "sir.json").exists()


def test_demo_defaults_and_refusals(capsys):
    parser_status = main(["demo"])
    captured = capsys.readouterr()
    assert parser_status == 2 and "sir" in captured.out and "burgers" in captured.out
    assert run(capsys, "sir", "--epochs", "0", "--lbfgs", "0")[0] == 2
    assert run(capsys, "sir", "--epochs", "-3")[0] == 2
    with pytest.raises(SystemExit):
        main(["demo", "heat"])
    capsys.readouterr()
    assert demo.DEFAULTS["sir"]["epochs"] > 1000


def test_building_the_command_line_imports_no_optional_dependency():
    code = (
        "import sys; from wengert.cli import build_parser; build_parser(); "
        "print(sorted(m for m in ('scipy', 'matplotlib', 'tqdm') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_quick_presets_leave_options_given_on_the_command_line_alone(capsys, tmp_path, monkeypatch):
    seen = {}

    def fake_run(args, out):
        seen.update(epochs=args.epochs, lbfgs=args.lbfgs, collocation=args.collocation)
        return 0

    monkeypatch.setattr(demo, "_run_wave", fake_run)
    assert main(["demo", "wave", "--quick", "--out", str(tmp_path)]) == 0
    assert seen == demo.QUICK["wave"] | {"epochs": demo.QUICK["wave"]["epochs"]}
    assert main(["demo", "wave", "--quick", "--lbfgs=7", "--out", str(tmp_path)]) == 0
    assert seen["lbfgs"] == 7 and seen["epochs"] == demo.QUICK["wave"]["epochs"]
    assert main(["demo", "wave", "--out", str(tmp_path)]) == 0
    assert seen["epochs"] == demo.DEFAULTS["wave"]["epochs"] and seen["lbfgs"] == demo.DEFAULTS["wave"]["lbfgs"]


def test_the_demo_trains_under_the_blas_thread_limit_it_is_given(capsys, tmp_path):
    pytest.importorskip("threadpoolctl")
    for threads in ("1", "2"):
        status, _, _ = run(capsys, "sir", "--epochs", "2", "--threads", threads, "--out", str(tmp_path), "--no-plot")
        assert status == 0
        assert json.loads((tmp_path / "sir.json").read_text())["history"]["threads"] == int(threads)
    status, _, err = run(capsys, "sir", "--threads", "0", "--out", str(tmp_path))
    assert status == 2 and "--threads must be at least 1" in err


def test_ctrl_c_stops_training_and_still_writes_the_report_and_figure(capsys, tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    from wengert.pinn.trainer import Trainer

    real_adam = Trainer._adam

    def interrupted_adam(self, steps, *args, **kwargs):
        real_adam(self, 3, *args, **kwargs)  # three steps, then the user presses Ctrl-C
        raise KeyboardInterrupt

    monkeypatch.setattr(Trainer, "_adam", interrupted_adam)
    status, out, err = run(capsys, "sir", "--epochs", "50", "--out", str(tmp_path), "--no-progress")
    assert status == 0 and "interrupted after 3 steps" in err
    report = json.loads((tmp_path / "sir.json").read_text())
    assert report["interrupted"] is True and report["history"]["stopped_early"] is True
    assert len(report["history"]["loss"]) == 3 and (tmp_path / "sir.png").exists()
    assert "after 3 steps" in out


def test_slices_are_drawn_where_the_solution_is_not_zero():
    import numpy as np

    t = np.linspace(0.0, 1.0, 101)
    x = np.linspace(0.0, 1.0, 11)[:, None]
    wave = np.sin(np.pi * x) * np.cos(np.pi * t) + 0.5 * np.sin(3 * np.pi * x) * np.cos(3 * np.pi * t)
    columns = demo.slice_columns(wave)
    assert len(columns) == 3 and 50 not in columns  # u(x, 0.5) = 0 for every x
    assert all(np.linalg.norm(wave[:, column]) > 0.5 * np.linalg.norm(wave, axis=0).max() for column in columns)
