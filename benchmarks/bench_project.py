"""Time a newcomer's first run: `aieng new KIND`, then the project's install and its tests.

Usage: .venv/bin/python benchmarks/bench_project.py [--runs N] [--kind KIND ...]
(from the repository root; the kinds default to rag-app)

Each run generates a fresh project, installs it with the command its README gives
(`uv sync --all-extras --compile-bytecode`, from the shared uv cache, warmed by a first
untimed run) and runs its test suite (`uv run pytest`). Prints the median of each step and
of the whole path against the targets: new -> tests passing <= 60 s, the project's test
suite alone <= 30 s (issue 10).
Exits 1 when a target is missed. The suite's time depends on whether Python may write
bytecode (PYTHONDONTWRITEBYTECODE=1 makes pytest rewrite every test module at every run);
the script says which way it ran.
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
TARGET_TESTS_S = 30.0
KINDS = ("rag-app", "chatbot", "agent")


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    """Run ``command`` in ``cwd``; return its wall time in seconds, failing loudly."""
    start = time.perf_counter()
    proc = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        sys.exit(f"`{' '.join(command)}` failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return time.perf_counter() - start


def one_run(kind: str, scratch: Path, env: dict[str, str]) -> dict[str, float]:
    """Generate, install and test one project; return each step's seconds."""
    project = scratch / f"my-{kind}"
    steps = {
        "aieng new": timed(
            [str(BIN / "aieng"), "new", kind, str(project), "--defaults"], scratch, env
        ),
        "uv sync": timed(["uv", "sync", "--all-extras", "--compile-bytecode"], project, env),
        "uv run pytest": timed(["uv", "run", "pytest", "-q"], project, env),
    }
    steps["total"] = sum(steps.values())
    return steps


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--kind", action="append", choices=KINDS, help="repeat for several")
    args = parser.parse_args()
    kinds = args.kind or ["rag-app"]
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    env["PATH"] = os.pathsep.join([str(BIN), env.get("PATH", "")])
    env.setdefault("UV_PYTHON_DOWNLOADS", "never")
    with tempfile.TemporaryDirectory() as tmp:
        env["TMPDIR"] = tmp
        runs: dict[str, list[dict[str, float]]] = {kind: [] for kind in kinds}
        for kind in kinds:
            warm = Path(tmp) / f"warm-{kind}"
            warm.mkdir()
            one_run(kind, warm, env)  # fills the uv cache, as on any machine that installed once
            for i in range(args.runs):
                scratch = Path(tmp) / f"{kind}-{i}"
                scratch.mkdir()
                runs[kind].append(one_run(kind, scratch, env))
    load = os.getloadavg()[0]
    bytecode = "off" if env.get("PYTHONDONTWRITEBYTECODE") else "on"
    print(f"load average {load:.2f} on {os.cpu_count()} CPUs; {args.runs} runs, warm uv cache, ")
    print(f"bytecode writing {bytecode} (PYTHONDONTWRITEBYTECODE)")
    ok = True
    for kind, kind_runs in runs.items():
        print(kind)
        for step in kind_runs[0]:
            times = sorted(run[step] for run in kind_runs)
            median = statistics.median(times)
            target = {"total": TARGET_TOTAL_S, "uv run pytest": TARGET_TESTS_S}.get(step)
            verdict = "" if target is None else ("ok  " if median <= target else "MISS")
            ok &= verdict != "MISS"
            goal = f"(target <= {target:.0f} s)" if target else ""
            spread = ", ".join(f"{t:.1f}" for t in times)
            print(f"  {verdict:4} {step:22} median {median:6.1f} s  {goal:18} runs: {spread}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
