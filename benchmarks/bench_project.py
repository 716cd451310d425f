"""Time a newcomer's first run: `aieng new rag-app`, then the project's install and its tests.

Usage: .venv/bin/python benchmarks/bench_project.py [--runs N]  (from the repository root)

Each run generates a fresh project, installs it with the command its README gives
(`uv sync --all-extras`, from the shared uv cache, warmed by a first untimed run) and runs its
test suite (`uv run pytest`). Prints the median of each step and of the whole path against
the targets: new -> tests passing <= 60 s, the project's test suite alone <= 20 s.
Exits 1 when a target is missed.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
TARGET_TOTAL_S = 60.0
TARGET_TESTS_S = 20.0


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    """Run ``command`` in ``cwd``; return its wall time in seconds, failing loudly."""
    start = time.perf_counter()
    proc = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.exit(f"`{' '.join(command)}` failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return time.perf_counter() - start


def one_run(scratch: Path, env: dict[str, str]) -> dict[str, float]:
    """Generate, install and test one project; return each step's seconds."""
    project = scratch / "my-rag"
    steps = {
        "aieng new": timed(
            [str(BIN / "aieng"), "new", "rag-app", str(project), "--defaults"], scratch, env
        ),
        "uv sync --all-extras": timed(["uv", "sync", "--all-extras"], project, env),
        "uv run pytest": timed(["uv", "run", "pytest", "-q"], project, env),
    }
    steps["total"] = sum(steps.values())
    return steps


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    env["PATH"] = os.pathsep.join([str(BIN), env.get("PATH", "")])
    env.setdefault("UV_PYTHON_DOWNLOADS", "never")
    with tempfile.TemporaryDirectory() as tmp:
        env["TMPDIR"] = tmp
        warm = Path(tmp) / "warm"
        warm.mkdir()
        one_run(warm, env)  # fills the uv cache, as on any machine that has installed once
        runs = []
        for i in range(args.runs):
            scratch = Path(tmp) / f"run-{i}"
            scratch.mkdir()
            runs.append(one_run(scratch, env))
    load = os.getloadavg()[0]
    print(f"load average {load:.2f} on {os.cpu_count()} CPUs; {args.runs} runs, warm uv cache")
    ok = True
    for step in runs[0]:
        median = statistics.median(run[step] for run in runs)
        target = {"total": TARGET_TOTAL_S, "uv run pytest": TARGET_TESTS_S}.get(step)
        verdict = "" if target is None else ("ok  " if median <= target else "MISS")
        ok &= verdict != "MISS"
        goal = f"(target <= {target:.0f} s)" if target else ""
        print(f"{verdict:4} {step:22} median {median:6.1f} s  {goal}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
