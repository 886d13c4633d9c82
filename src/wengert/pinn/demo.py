"""``wengert demo sir | burgers | wave``: train a physics-informed network, write a figure and a JSON report.

- ``sir``: the inverse SIR problem — β and γ from 30 noisy counts of the
  infected (N = 1000, β = 0.3, γ = 0.1, 60 days, σ = 20); reports the
  recovered β, γ and R0 against the truth.
- ``burgers``: viscous Burgers (ν = 0.01/π), inference of u from initial and
  boundary data (Raissi et al., 2019), or with ``--identify`` identification
  of λ1 and λ2 from 2,000 points of the solution; reports the relative L2
  error against the Cole–Hopf reference.
- ``wave``: u_tt = u_xx on [0, 1]² from its initial and boundary data; reports
  the relative L2 error against the closed-form solution.

Every demo takes ``--epochs`` (Adam steps), ``--lbfgs`` (L-BFGS iterations
after Adam), ``--seed`` and ``--out DIR`` (default ``./wengert-demo-<name>``),
writes ``<name>.png`` (if Matplotlib is installed) and ``<name>.json``, and
prints a summary. This module is imported whenever the ``wengert`` command
builds its parser, so NumPy, SciPy, Matplotlib and tqdm are imported only
when a demo runs.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from pathlib import Path
from typing import Any

DEMOS = {
    "sir": "inverse SIR: recover beta and gamma from 30 noisy counts of the infected",
    "burgers": "viscous Burgers: infer u from initial/boundary data, or identify lambda1, lambda2 (--identify)",
    "wave": "1-D wave equation u_tt = u_xx from initial and boundary data",
}

# Adam steps and L-BFGS iterations of each demo when the command line does not say.
DEFAULTS = {
    "sir": {"epochs": 6000, "lbfgs": 0},
    "burgers": {"epochs": 0, "lbfgs": 4000},
    "wave": {"epochs": 1000, "lbfgs": 1500},
}

# --quick: smaller runs (under about 30 s on a 2-core machine) that still show the method working.
# Options given on the command line win over these.
QUICK = {
    "sir": {},  # the full run takes about 12 s; fewer steps leave gamma far off (measured: +91% after 3000)
    # Burgers's L-BFGS depends on the starting network. Measured at 2000 iterations on 2000 points: seeds 1, 2,
    # 3, 5 reach 0.008-0.064 in 25 s; seeds 0 and 6 sit on a smooth, shock-less solution (0.42, 0.33), which seed
    # 0's full run leaves after about 2000 iterations. 1500 iterations of seed 1: 28 s, error 3.6e-2.
    "burgers": {"lbfgs": 1500, "collocation": 2000, "seed": 1},
    "wave": {"epochs": 1000, "lbfgs": 1000, "collocation": 500},  # 24 s, error 6.1e-3 (full run: 49 s, 5.2e-3)
}


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the demos and their options to the ``wengert demo`` parser."""
    demos = parser.add_subparsers(dest="demo", metavar="NAME")
    for name, help_text in DEMOS.items():
        sub = demos.add_parser(name, help=help_text, description=help_text)
        defaults = DEFAULTS[name]
        sub.add_argument(
            "--epochs",
            type=int,
            default=defaults["epochs"],
            help=f"Adam steps (default {defaults['epochs']}"
            + (": L-BFGS only, as in the paper)" if name == "burgers" else ")"),
        )
        sub.add_argument(
            "--lbfgs",
            type=int,
            default=defaults["lbfgs"],
            help=f"L-BFGS iterations after Adam (default {defaults['lbfgs']})",
        )
        sub.add_argument("--seed", type=int, default=0, help="seed of the data, the network and the points")
        sub.add_argument("--out", default=None, help=f"output directory (default ./wengert-demo-{name})")
        sub.add_argument("--no-progress", action="store_true", help="no progress bar")
        sub.add_argument("--no-plot", action="store_true", help="write the JSON report only")
        sub.add_argument("--eager", action="store_true", help="train without compiling the loss (wg.jit)")
        quick = ", ".join(f"--{option} {value}" for option, value in QUICK[name].items()) or "the defaults"
        caveat = "; seed 0 needs the full run to leave a shock-less solution" if name == "burgers" else ""
        sub.add_argument(
            "--quick", action="store_true", help=f"a run of under ~30 s: {quick} (options given win){caveat}"
        )
        sub.add_argument(
            "--threads",
            type=int,
            default=1,
            help="threads NumPy's BLAS may use (default 1: faster for PINN-sized arrays, and on a busy machine)",
        )
        if name == "sir":
            sub.add_argument("--lr", type=float, default=1e-3, help="Adam's learning rate (default 1e-3)")
            sub.add_argument("--collocation", type=int, default=256, help="collocation points (default 256)")
        elif name == "burgers":
            sub.add_argument("--identify", action="store_true", help="identify lambda1 and lambda2")
            sub.add_argument("--lr", type=float, default=1e-3, help="Adam's learning rate (default 1e-3)")
            sub.add_argument(
                "--collocation", type=int, default=5000, help="N_f residual points (default 5000; paper 10000)"
            )
            sub.add_argument("--boundary", type=int, default=100, help="N_u initial/boundary points (default 100)")
            sub.add_argument(
                "--observations", type=int, default=2000, help="points of the solution for --identify (default 2000)"
            )
            sub.add_argument("--noise", type=float, default=0.0, help="relative noise on --identify data (default 0)")
        else:
            sub.add_argument("--lr", type=float, default=1e-3, help="Adam's learning rate (default 1e-3)")
            sub.add_argument("--collocation", type=int, default=1000, help="residual points (default 1000)")
    parser.set_defaults(_demo_parser=parser)


def run(args: argparse.Namespace) -> int:
    """Run the chosen demo; returns the exit status."""
    name = getattr(args, "demo", None)
    if name is None:
        args._demo_parser.print_help()
        return 2
    if args.epochs < 0 or args.lbfgs < 0:
        print("wengert demo: --epochs and --lbfgs must be non-negative", file=sys.stderr)
        return 2
    if args.epochs + args.lbfgs == 0:
        print("wengert demo: nothing to train (--epochs 0 and --lbfgs 0)", file=sys.stderr)
        return 2
    if args.threads < 1:
        print("wengert demo: --threads must be at least 1", file=sys.stderr)
        return 2
    if args.quick:
        given = set(getattr(args, "_given", ()))
        for option, value in QUICK[name].items():
            if option not in given:
                setattr(args, option, value)
    out = Path(args.out if args.out is not None else f"wengert-demo-{name}")
    out.mkdir(parents=True, exist_ok=True)
    runner = {"sir": _run_sir, "burgers": _run_burgers, "wave": _run_wave}[name]
    from ..threads import limit_blas_threads

    args.interrupted = False
    with limit_blas_threads(args.threads, "wengert demo"):
        return runner(args, out)


# -- shared pieces -------------------------------------------------------------------------------------


def _environment() -> dict[str, Any]:
    import numpy as np

    from .. import __version__

    return {
        "wengert": __version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
    }


def _write_json(path: Path, report: dict[str, Any]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        json.dump(report, handle, indent=2, allow_nan=False, default=_jsonable)
        handle.write("\n")


def _jsonable(value: Any) -> Any:
    import numpy as np

    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot write a {type(value).__name__} to JSON")


def _pyplot() -> Any:
    """matplotlib.pyplot on the file-only Agg backend, or None when Matplotlib is not installed."""
    try:
        import matplotlib
    except ImportError:
        return None
    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def _plot(args: argparse.Namespace, path: Path, draw: Any) -> str | None:
    """Call ``draw(plt)`` and save the figure to ``path``; returns the path, or None when skipped."""
    if args.no_plot:
        return None
    plt = _pyplot()
    if plt is None:
        print("Matplotlib is not installed: the plot was skipped (pip install 'wengert[plot]')", file=sys.stderr)
        return None
    figure = draw(plt)
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return str(path)


def _history_every(history: Any) -> int:
    """Keep at most about 1000 history entries in a report."""
    return max(1, len(history) // 1000)


def _fit(trainer: Any, args: argparse.Namespace, **options: Any) -> Any:
    """Train; Ctrl-C ends training early, and the demo goes on to report what it reached."""
    try:
        return trainer.fit(
            adam_steps=args.epochs,
            lbfgs_steps=args.lbfgs,
            lr=args.lr,
            progress=not args.no_progress,
            jit=False if args.eager else None,
            threads=args.threads,
            **options,
        )
    except KeyboardInterrupt:
        history = trainer.history
        history.stopped_early = True
        args.interrupted = True
        if not len(history):
            print("\ninterrupted before the first step: nothing to report", file=sys.stderr)
            raise SystemExit(130) from None
        print(
            f"\ninterrupted after {len(history)} steps: writing the report and figure of what was reached "
            "(Ctrl-C again to stop at once)",
            file=sys.stderr,
        )
        return history


def _timing(history: Any) -> str:
    mode = "compiled loss (wg.jit)" if history.compiled else "eager"
    return f"wall {history.wall_time:.1f} s, CPU {history.cpu_time:.1f} s, {mode}"


# -- SIR -----------------------------------------------------------------------------------------------


def _run_sir(args: argparse.Namespace, out: Path) -> int:
    from .problems import SIR
    from .trainer import step_schedule

    warmup = max(args.epochs // 2, 1)
    problem = SIR(seed=args.seed, collocation=args.collocation, physics_warmup=warmup)
    trainer = problem.trainer()
    step_size = max(args.epochs // 3, 1)
    history = _fit(trainer, args, schedule=step_schedule(step_size, 0.5))
    result = problem.evaluate()
    curves = problem.curves()
    parameters = result["parameters"]
    figure = _plot(args, out / "sir.png", lambda plt: _draw_sir(plt, problem, curves, history))
    report = {
        "demo": "sir",
        "interrupted": args.interrupted,
        "problem": {
            "population": problem.population,
            "beta": problem.beta,
            "gamma": problem.gamma,
            "initial": problem.initial,
            "days": problem.days,
            "observations": len(problem.data.t),
            "observed": list(problem.observed),
            "sigma": problem.sigma,
        },
        "settings": {
            "network": "1 -> 4 x 64 tanh -> 3 sigmoid, PyTorch default initialisation",
            "loss": f"data + 0.1 physics + 5 ic (physics weight raised from 0.001 over the first {warmup} steps)",
            "collocation": args.collocation,
            "adam_steps": args.epochs,
            "lr": args.lr,
            "schedule": f"StepLR(step_size={step_size}, gamma=0.5)",
            "lbfgs_iterations": args.lbfgs,
            "seed": args.seed,
        },
        "recovered": parameters,
        "relative_l2_error": result["relative_l2_error"],
        "wall_time": history.wall_time,
        "cpu_time": history.cpu_time,
        "history": history.to_dict(every=_history_every(history)),
        "figure": figure,
        "environment": _environment(),
    }
    _write_json(out / "sir.json", report)
    print(f"SIR inverse problem: {len(problem.data.t)} noisy observations of I, seed {args.seed}")
    for name in ("beta", "gamma", "R0"):
        entry = parameters[name]
        print(
            f"  {name:>5} = {entry['found']:.4f}   truth {entry['truth']:.4f}   "
            f"error {100 * entry['relative_error']:+.1f}%"
        )
    print(f"  final loss {history.loss[-1]:.3e} after {len(history)} steps ({_timing(history)})")
    print(f"  wrote {out / 'sir.json'}" + (f" and {figure}" if figure else ""))
    return 0


def _draw_sir(plt: Any, problem: Any, curves: dict[str, Any], history: Any) -> Any:
    figure, axes = plt.subplots(2, 2, figsize=(11, 7.5))
    names = ("Susceptible S", "Infected I", "Recovered R")
    for k, axis in enumerate(axes.flat[:3]):
        axis.plot(curves["t"], curves["truth"][:, k], color="black", lw=1.5, label="truth")
        axis.plot(curves["t"], curves["fit"][:, k], color="tab:red", lw=1.5, ls="--", label="PINN fit")
        if "SIR"[k] in problem.observed:
            column = problem.observed.index("SIR"[k])
            axis.scatter(problem.data.t, problem.data.values[:, column], s=14, color="tab:blue", label="data")
        axis.set_title(names[k])
        axis.set_xlabel("day")
        axis.set_ylabel("people")
        axis.legend(loc="best", fontsize=8)
    axis = axes.flat[3]
    steps = history.step
    for name, color, truth in (("beta", "tab:red", problem.beta), ("gamma", "tab:green", problem.gamma)):
        axis.plot(steps, history.params[name], color=color, label=f"{name} (truth {truth})")
        axis.axhline(truth, color=color, ls=":", lw=1)
    axis.set_xlabel("step")
    axis.set_title("learned rates")
    axis.legend(loc="best", fontsize=8)
    final = {name: history.params[name][-1] for name in ("beta", "gamma")}
    figure.suptitle(
        f"wengert: SIR inverse problem — β = {final['beta']:.3f} (truth {problem.beta:g}), "
        f"γ = {final['gamma']:.3f} (truth {problem.gamma:g}), after {len(history)} steps",
        fontsize=12,
    )
    figure.tight_layout()
    return figure


# -- Burgers -------------------------------------------------------------------------------------------


def _run_burgers(args: argparse.Namespace, out: Path) -> int:
    from .problems import Burgers

    problem = Burgers(
        identify=args.identify,
        boundary=args.boundary,
        collocation=args.collocation,
        observations=args.observations,
        noise=args.noise,
        seed=args.seed,
    )
    history = _fit(problem.trainer(), args)
    result = problem.evaluate()
    prediction = problem.predict(problem.reference.points).reshape(problem.reference.u.shape)
    title = "Burgers inference"
    if args.identify:
        found = {name: entry["found"] for name, entry in result["parameters"].items()}
        title = (
            f"Burgers identification: λ1 = {found['lambda1']:.5f} (1), λ2 = {found['lambda2']:.6f} ({problem.nu:.6f})"
        )
    figure = _plot(args, out / "burgers.png", lambda plt: _draw_field(plt, problem, prediction, title))
    settings = {
        "network": "2 -> 8 x 20 tanh -> 1 (9 layers), Glorot normal",
        "adam_steps": args.epochs,
        "lr": args.lr,
        "lbfgs_iterations": args.lbfgs,
        "seed": args.seed,
    }
    if args.identify:
        settings.update(observations=args.observations, noise=args.noise)
    else:
        settings.update(boundary_points=args.boundary, collocation_points=args.collocation)
    report = {
        "demo": "burgers",
        "interrupted": args.interrupted,
        "task": "identification" if args.identify else "inference",
        "nu": problem.nu,
        "settings": settings,
        "relative_l2_error": result["relative_l2_error"],
        "paper": (
            {"lambda1": 0.99915, "lambda2": 0.0031794, "note": "Raissi et al. 2019, clean data"}
            if args.identify
            else {"relative_l2_error": 6.7e-4, "note": "Raissi et al. 2019, N_u = 100, N_f = 10000"}
        ),
        "wall_time": history.wall_time,
        "cpu_time": history.cpu_time,
        "lbfgs_message": history.lbfgs_message,
        "history": history.to_dict(every=_history_every(history)),
        "figure": figure,
        "environment": _environment(),
    }
    if args.identify:
        report["recovered"] = result["parameters"]
    _write_json(out / "burgers.json", report)
    task = "identification of lambda1, lambda2" if args.identify else "inference"
    print(f"Burgers {task}, seed {args.seed}")
    print(f"  relative L2 error {result['relative_l2_error']:.3e} on the 256 x 100 grid")
    if args.identify:
        for name, entry in result["parameters"].items():
            print(
                f"  {name} = {entry['found']:.6g}   truth {entry['truth']:.6g}   "
                f"error {100 * entry['relative_error']:+.3f}%"
            )
    print(f"  final loss {history.loss[-1]:.3e} after {len(history)} steps ({_timing(history)})")
    print(f"  wrote {out / 'burgers.json'}" + (f" and {figure}" if figure else ""))
    return 0


def _draw_field(plt: Any, problem: Any, prediction: Any, title: str) -> Any:
    """Reference, prediction and error on the (x, t) grid, and three time slices."""
    import numpy as np

    reference = problem.reference
    x, t, exact = reference.x, reference.t, reference.u
    figure = plt.figure(figsize=(12, 7))
    extent = (t.min(), t.max(), x.min(), x.max())
    # The reference and the prediction share one symmetric colour scale, so equal colours mean equal u.
    limit = float(max(np.abs(exact).max(), np.abs(prediction).max()))
    panels = (
        ("reference", exact, "RdBu_r", (-limit, limit), "u"),
        ("PINN", prediction, "RdBu_r", (-limit, limit), "u"),
        ("|error|", np.abs(prediction - exact), "magma", (None, None), "|u − reference|"),
    )
    for k, (name, values, colormap, (low, high), label) in enumerate(panels):
        axis = figure.add_subplot(2, 3, k + 1)
        image = axis.imshow(values, extent=extent, origin="lower", aspect="auto", cmap=colormap, vmin=low, vmax=high)
        figure.colorbar(image, ax=axis, label=label)
        axis.set_title(name)
        axis.set_xlabel("t")
        axis.set_ylabel("x")
    for k, column in enumerate(slice_columns(exact)):
        axis = figure.add_subplot(2, 3, 4 + k)
        axis.plot(x, exact[:, column], color="black", lw=2, label="reference")
        axis.plot(x, prediction[:, column], color="tab:red", ls="--", lw=2, label="PINN")
        # one scale for the three slices, so that a slice where u is nearly zero shows its error at true size
        spread = float(exact.max() - exact.min())
        axis.set_ylim(exact.min() - 0.08 * spread, exact.max() + 0.08 * spread)
        axis.set_title(f"t = {t[column]:.2f}")
        axis.set_xlabel("x")
        axis.set_ylabel("u")
        axis.legend(fontsize=8)
    error = float(np.linalg.norm(prediction - exact) / np.linalg.norm(exact))
    figure.suptitle(f"wengert: {title}; relative L2 error {error:.2e}", fontsize=12)
    figure.tight_layout()
    return figure


def slice_columns(values: Any, count: int = 3) -> list[int]:
    """Columns (times) to draw as slices: in each of ``count`` equal parts of the time axis, the one where
    the solution is largest (a slice where u is zero everywhere shows nothing).

    Example:
        >>> import numpy as np
        >>> t = np.linspace(0.0, 1.0, 101)
        >>> slice_columns(np.sin(np.pi * np.linspace(0, 1, 11))[:, None] * np.cos(np.pi * t)[None, :])
        [0, 67, 100]
    """
    import numpy as np

    size = np.linalg.norm(values, axis=0)
    parts = np.array_split(np.arange(values.shape[1]), count)
    return [int(part[np.argmax(size[part])]) for part in parts if len(part)]


# -- wave ----------------------------------------------------------------------------------------------


class _WaveGrid:
    """The wave reference on a 101 × 101 grid, laid out like `BurgersGrid` for `_draw_field`."""

    def __init__(self, problem: Any) -> None:
        import numpy as np

        self.x = np.linspace(0.0, 1.0, 101)
        self.t = np.linspace(0.0, problem.t_max, 101)
        self.points = np.stack(np.meshgrid(self.x, self.t, indexing="ij"), axis=-1).reshape(-1, 2)
        self.u = np.asarray(problem.solution(self.x[:, None], self.t[None, :]))


def _run_wave(args: argparse.Namespace, out: Path) -> int:
    from types import SimpleNamespace

    from .problems import Wave1D
    from .trainer import step_schedule

    problem = Wave1D(collocation=args.collocation, seed=args.seed)
    history = _fit(problem.trainer(), args, schedule=step_schedule(max(args.epochs // 3, 1), 0.5))
    result = problem.evaluate()
    reference = _WaveGrid(problem)
    prediction = problem.predict(reference.points).reshape(reference.u.shape)
    view = SimpleNamespace(reference=reference)
    figure = _plot(args, out / "wave.png", lambda plt: _draw_field(plt, view, prediction, "wave equation"))
    report = {
        "demo": "wave",
        "interrupted": args.interrupted,
        "problem": {
            "c": problem.c,
            "t_max": problem.t_max,
            "solution": "sin(pi x) cos(pi t) + 0.5 sin(3 pi x) cos(3 pi t)",
        },
        "settings": {
            "network": "2 -> 4 x 64 tanh -> 1, Glorot normal",
            "collocation": args.collocation,
            "adam_steps": args.epochs,
            "lr": args.lr,
            "lbfgs_iterations": args.lbfgs,
            "seed": args.seed,
        },
        "relative_l2_error": result["relative_l2_error"],
        "wall_time": history.wall_time,
        "cpu_time": history.cpu_time,
        "lbfgs_message": history.lbfgs_message,
        "history": history.to_dict(every=_history_every(history)),
        "figure": figure,
        "environment": _environment(),
    }
    _write_json(out / "wave.json", report)
    print(f"Wave equation u_tt = u_xx, seed {args.seed}")
    print(f"  relative L2 error {result['relative_l2_error']:.3e} on a 101 x 101 grid")
    print(f"  final loss {history.loss[-1]:.3e} after {len(history)} steps ({_timing(history)})")
    print(f"  wrote {out / 'wave.json'}" + (f" and {figure}" if figure else ""))
    return 0
