"""Time the aieng CLI: `aieng --help`, and `aieng new` against a plain `copier copy`.

Usage: .venv/bin/python benchmarks/bench_cli.py  (from the repository root)

Children run without PYTHONDONTWRITEBYTECODE (as on a user's machine, where Python caches
bytecode after the first run); pass --no-bytecode to keep the current environment.
Prints median wall times and whether the targets hold: --help <= 100 ms, and for each kind
(rag-app, agent, chatbot) `aieng new KIND --defaults --no-git` <= 1.5 s and <= 1.25x `copier copy
--defaults --vcs-ref HEAD` of the same template and kind. Exits 1 when a target is missed.
"""

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HELP_RUNS = 15
NEW_RUNS = 7
ENV = dict(os.environ)
if "--no-bytecode" not in sys.argv:
    ENV.pop("PYTHONDONTWRITEBYTECODE", None)


CPU: dict[str, list[float]] = {}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def wall(command: list[str], label: str = "") -> float:
    """Run ``command``; return its wall time and record its CPU time (user + sys)."""
    cpu, start = _children_cpu(), time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env=ENV)
    elapsed = time.perf_counter() - start
    key = label or Path(command[0]).name + " " + command[1]
    CPU.setdefault(key, []).append(_children_cpu() - cpu)
    return elapsed


def bench_help() -> float:
    wall([str(BIN / "aieng"), "--help"])  # warm the file cache
    return statistics.median(wall([str(BIN / "aieng"), "--help"]) for _ in range(HELP_RUNS))


KINDS = {"rag-app": "my-rag", "agent": "my-agent", "chatbot": "my-bot"}


def bench_new(scratch: Path, kind: str) -> tuple[float, float]:
    """Return the median wall times of `aieng new KIND` and of the same `copier copy`."""
    name = KINDS[kind]
    aieng_times: list[float] = []
    copier_times: list[float] = []
    for run in range(NEW_RUNS):
        aieng_dest = scratch / f"aieng-{kind}-{run}" / name
        copier_dest = scratch / f"copier-{kind}-{run}" / name
        aieng = [str(BIN / "aieng"), "new", kind, str(aieng_dest), "--defaults", "--no-git"]
        copier = [str(BIN / "copier"), "copy", "--defaults", "--vcs-ref", "HEAD", "--quiet"]
        copier += ["-d", f"project_name={name}", "-d", f"project_kind={kind}"]
        copier += [str(REPO), str(copier_dest)]
        pair = [(aieng, aieng_times, f"aieng new {kind}"), (copier, copier_times, f"copier {kind}")]
        for command, times, label in pair if run % 2 == 0 else reversed(pair):
            times.append(wall(command, label))
    return statistics.median(aieng_times), statistics.median(copier_times)


def main() -> int:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    cache = "no" if "PYTHONDONTWRITEBYTECODE" in ENV else "yes"
    print(f"load average {load:.2f} on {os.cpu_count()} CPUs; bytecode cache: {cache}")
    help_s = bench_help()
    checks = [
        (f"aieng --help        median {help_s * 1000:7.1f} ms  (target <= 100 ms)", help_s <= 0.1),
    ]
    with tempfile.TemporaryDirectory(prefix="aieng-bench-") as scratch:
        for kind in KINDS:
            new_s, copier_s = bench_new(Path(scratch), kind)
            ratio = new_s / copier_s
            checks += [
                (
                    f"aieng new {kind:<9} median {new_s * 1000:7.1f} ms  (target <= 1500 ms)",
                    new_s <= 1.5,
                ),
                (f"copier copy {kind:<7} median {copier_s * 1000:7.1f} ms", True),
                (f"ratio new / copier ({kind}) {ratio:5.2f}     (target <= 1.25)", ratio <= 1.25),
            ]
    for text, ok in checks:
        print(f"{'ok  ' if ok else 'MISS'} {text}")
    for name, times in CPU.items():
        print(f"     CPU (user+sys) median {statistics.median(times) * 1000:7.1f} ms  {name}")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
