"""Compare two `chat_system` versions: case by case, metric by metric, and by A/B votes.

`<project> evals compare chat_system@v1 chat_system@v2` runs the suite once per version (the
offline model unless --live), writes each version's report (`reports/eval-chat_system@vN.*`,
the second compared with the first), and prints which conversations each version wins (a
higher share of passing turns), the metric deltas, and, when the store has an `ab_votes`
table, how people voted between the two versions on the page's A/B mode.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config import Settings
from ..evaluation import EvalResult
from .evals import PROMPT_NAME, EngineFactory, chat_prompt, run_evals


@dataclass(frozen=True)
class CaseDelta:
    """One conversation's score under A and under B."""

    id: str
    category: str
    score_a: float
    score_b: float

    @property
    def outcome(self) -> str:
        """Say which version won the case: `B wins`, `B loses` or `tie`."""
        if self.score_b > self.score_a:
            return "B wins"
        return "B loses" if self.score_b < self.score_a else "tie"


@dataclass(frozen=True)
class Votes:
    """A/B votes between the two versions: B's wins, A's wins and ties."""

    b_wins: int
    a_wins: int
    ties: int

    @property
    def total(self) -> int:
        """Return the number of votes."""
        return self.b_wins + self.a_wins + self.ties

    @property
    def b_win_rate(self) -> float | None:
        """Return B's win rate, a tie counting half (None without votes)."""
        return (self.b_wins + 0.5 * self.ties) / self.total if self.total else None


@dataclass(frozen=True)
class Comparison:
    """Two eval results side by side."""

    a: EvalResult
    b: EvalResult
    cases: list[CaseDelta]
    votes: Votes | None

    def count(self, outcome: str) -> int:
        """Return how many cases ended with `outcome`."""
        return sum(c.outcome == outcome for c in self.cases)


def version_of(ref: str) -> str:
    """Return the `vN` of `chat_system@vN`, `vN` or `N`."""
    return chat_prompt(ref).version


def compare_versions(
    settings: Settings,
    cases_path: Path,
    a: str,
    b: str,
    *,
    db_url: str | None = None,
    engine: EngineFactory | None = None,
) -> Comparison:
    """Run the suite with versions `a` and `b` and compare them."""
    first = run_evals(settings, cases_path, prompt=a, engine=engine)
    second = run_evals(settings, cases_path, prompt=b, engine=engine)
    votes = read_votes(db_url, version_of(a), version_of(b)) if db_url else None
    return Comparison(first, second, case_deltas(first, second), votes)


def case_deltas(a: EvalResult, b: EvalResult) -> list[CaseDelta]:
    """Pair the two runs' conversations by id (cases only one run has are left out)."""
    scores = {d["id"]: float(d.get("score", 0.0)) for d in a.details}
    return [
        CaseDelta(d["id"], str(d.get("category", "")), scores[d["id"]], float(d.get("score", 0.0)))
        for d in b.details
        if d["id"] in scores
    ]


def read_votes(db_url: str, a: str, b: str) -> Votes | None:
    """Count the store's A/B votes between versions `a` and `b` (None: no `ab_votes` table).

    A vote stores the two prompts in the order they were shown and `winner` as `a`, `b` or
    `tie`; votes are counted whichever side each version was shown on.
    """
    import sqlalchemy as sa

    url = sa.engine.make_url(db_url)
    if url.get_backend_name() == "sqlite" and not Path(url.database or "").is_file():
        return None  # no store yet: nothing was voted (and opening would create the file)
    engine = sa.create_engine(url)
    try:
        if not sa.inspect(engine).has_table("ab_votes"):
            return None
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT prompt_a, prompt_b, winner FROM ab_votes")
            ).all()
    finally:
        engine.dispose()
    tally = {"a": 0, "b": 0, "tie": 0}
    for shown_a, shown_b, winner in rows:
        pair = (_version(shown_a), _version(shown_b))
        if pair not in ((a, b), (b, a)):
            continue
        if winner == "tie":
            tally["tie"] += 1
        elif winner in ("a", "b"):
            won = pair[0] if winner == "a" else pair[1]
            tally["b" if won == b else "a"] += 1
    return Votes(tally["b"], tally["a"], tally["tie"])


def _version(ref: Any) -> str:
    """Return the `vN` part of a stored prompt reference (`chat_system@v2` or `v2`)."""
    text = str(ref or "").rpartition("@")[2].strip().lower()
    return text if text.startswith("v") else f"v{text}"


def render(comparison: Comparison) -> list[str]:
    """Return the comparison as lines of text: cases, metric deltas, votes."""
    a, b = comparison.a.prompt, comparison.b.prompt
    lines = [f"A = {a}, B = {b}: {len(comparison.cases)} conversations"]
    lines += [
        f"  {c.id:<20} {c.category:<13} A {c.score_a:.2f}  B {c.score_b:.2f}  {c.outcome}"
        for c in comparison.cases
        if c.outcome != "tie"
    ]
    lines.append(
        f"B wins {comparison.count('B wins')}, loses {comparison.count('B loses')}, "
        f"ties {comparison.count('tie')}"
    )
    lines.append(f"{'metric':<28} {'A':>10} {'B':>10} {'delta':>10}")
    for name in sorted(set(comparison.a.metrics) | set(comparison.b.metrics)):
        va, vb = comparison.a.metrics.get(name), comparison.b.metrics.get(name)
        delta = "" if va is None or vb is None else f"{vb - va:+.4g}"
        lines.append(f"{name:<28} {_fmt(va):>10} {_fmt(vb):>10} {delta:>10}")
    votes = comparison.votes
    if votes is None:
        lines.append("A/B votes: no ab_votes table in the store.")
    elif not votes.total:
        lines.append(f"A/B votes: none between {PROMPT_NAME} {version_of(a)} and {version_of(b)}.")
    else:
        lines.append(
            f"A/B votes: {votes.total} (B {votes.b_wins}, A {votes.a_wins}, ties {votes.ties}); "
            f"B's win rate {votes.b_win_rate:.0%}"
        )
    return lines


def _fmt(value: float | None) -> str:
    """Format a metric value compactly."""
    return "-" if value is None else f"{value:.4g}"
