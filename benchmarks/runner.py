"""The benchmark runner: time jdl against the reference scripts of ../shared/baselines on this machine, in one run.

    python -m experiments.benchmark double_descent            # baseline sizes, prints JSON
    python -m experiments.benchmark double_descent --quick    # small sizes (seconds)
    python -m experiments.benchmark double_descent --skip-baselines

The baselines are PyTorch/numpy scripts run in a subprocess with their own interpreter (PyTorch's
CPU build may not exist for jdl's Python): ``JDL_BASELINE_PYTHON`` names it (default: this
interpreter), ``JDL_BASELINES`` the folder (default: ``../shared/baselines`` beside the checkout,
else ``.bench/baselines`` in it, where a GPU machine gets a copy). Baselines run on the device jax
uses (``--device cpu`` or ``cuda``). jdl times exclude compilation, which is reported separately;
the baselines' own ``wall_s`` excludes their warm-up in the same way.

Writes ``results/benchmark/<name>.json`` (atomically) and prints it.
"""
from __future__ import annotations

import datetime
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jax

from experiments._cli import environment
from jdl.io import save_json

BENCHMARKS = ("double_descent", "boolean_complexity", "spline_regimes", "low_rank_bias", "signal_propagation",
              "linear_regions", "deep_linear")
ROOT = Path(__file__).resolve().parent.parent


def baselines_dir() -> Path | None:
    """Where the reference scripts are, or None."""
    candidates = [os.environ.get("JDL_BASELINES"), ROOT.parent / "shared" / "baselines", ROOT / ".bench" / "baselines"]
    for c in candidates:
        if c and (Path(c) / "README.md").exists():
            return Path(c)
    return None


def baseline_device() -> str:
    return "cuda" if jax.default_backend() == "gpu" else "cpu"


def run_baseline(script: str, *args: str, timeout: float = 1800) -> dict[str, Any]:
    """Run one baseline script and return its JSON line (or ``{"error": ...}``)."""
    folder = baselines_dir()
    if folder is None:
        return {"error": "baselines not found (set JDL_BASELINES)"}
    python = os.environ.get("JDL_BASELINE_PYTHON", sys.executable)
    cmd = [python, str(folder / script), *args]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired) as e:
        return {"error": f"{type(e).__name__}: {e}", "cmd": cmd}
    # only lines starting with "{" are results (CUDA MAGMA prints a banner to stdout)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode or not lines:
        return {"error": f"exit {proc.returncode}: {proc.stderr.strip()[-500:]}", "cmd": cmd}
    return json.loads(lines[-1])


def ratio(baseline_s, jdl_s) -> float | None:
    return round(baseline_s / jdl_s, 2) if baseline_s and jdl_s else None


def main(argv: list[str] | None = None) -> dict | None:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in BENCHMARKS:
        print(__doc__)
        print("benchmarks:", ", ".join(BENCHMARKS))
        if argv and argv[0] not in ("-h", "--help"):
            raise SystemExit(f"error: unknown benchmark {argv[0]!r}")
        return None
    name, flags = argv[0], set(argv[1:])
    unknown = flags - {"--quick", "--skip-baselines", "--no-progress"}
    if unknown:
        raise SystemExit(f"error: unknown flag(s) {sorted(unknown)}")
    module = importlib.import_module(f"benchmarks.{name}")
    result = {"name": name, "date": datetime.date.today().isoformat(), **environment(),
              "quick": "--quick" in flags, "baseline_python": os.environ.get("JDL_BASELINE_PYTHON", sys.executable)}
    result["cases"] = module.run(quick="--quick" in flags, baselines="--skip-baselines" not in flags,
                                 progress="--no-progress" not in flags)
    path = save_json(Path("results") / "benchmark" / f"{name}.json", result)
    print(json.dumps(result, indent=1))
    print(f"wrote {path}", file=sys.stderr)
    return result

