"""The drift check's statistics: does a recent window of request signals differ from a reference?

Each signal gets a two-sample test suited to its type and an effect size, and is flagged only
when both agree: the p-value is below alpha / m (Bonferroni over the m tests run, so that when
nothing moved the chance of any false alarm in one check stays below alpha), and the effect
reaches its floor (with 100,000 requests a test detects differences far too small to matter;
the floor keeps those quiet).

- continuous: two-sample Kolmogorov-Smirnov (`scipy.stats.ks_2samp`); effect: the
  Wasserstein-1 distance in standard deviations of the reference (floor 0.1);
- boolean: chi-square on the 2x2 table (`scipy.stats.chi2_contingency`); effect: the change
  of the rate, absolute (floor 0.02, two points);
- categorical: chi-square on the window x category table; effect: the total variation
  distance (floor 0.1);
- embedding: a classifier two-sample test. A logistic regression learns to tell the windows
  apart on one half of a balanced sample and scores the other half; the p-value is a
  Mann-Whitney U test of those held-out scores, the effect their ROC AUC (floor 0.55).

Why these, and not others: docs/decisions/0016.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from .signals import Signal

Vectors = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Thresholds:
    """When a signal counts as drifted, and how much data the check needs."""

    alpha: float = 0.01
    min_samples: int = 200
    continuous_effect: float = 0.1
    rate_effect: float = 0.02
    categorical_effect: float = 0.1
    embedding_auc: float = 0.55
    embedding_samples: int = 2000


@dataclass(frozen=True)
class SignalResult:
    """The verdict on one signal."""

    name: str
    type: str
    test: str
    effect_name: str
    effect_floor: float
    statistic: float | None = None
    p_value: float | None = None
    effect: float | None = None
    reference: dict[str, Any] = field(default_factory=dict)
    current: dict[str, Any] = field(default_factory=dict)
    summary: str = ""
    skipped: str = ""
    drift: bool = False


def compare(
    signals: Sequence[Signal],
    reference: dict[str, list[Any]],
    current: dict[str, list[Any]],
    thresholds: Thresholds,
) -> list[SignalResult]:
    """Test every signal of `signals` in the two windows (the embedding is tested apart)."""
    results = []
    for signal in signals:
        ref, cur = reference.get(signal.name, []), current.get(signal.name, [])
        if signal.type == "continuous":
            results.append(continuous_test(signal.name, ref, cur, thresholds))
        elif signal.type == "boolean":
            results.append(boolean_test(signal.name, ref, cur, thresholds))
        else:
            results.append(categorical_test(signal.name, ref, cur, thresholds))
    return results


def decide(results: list[SignalResult], thresholds: Thresholds) -> list[SignalResult]:
    """Flag the results whose p-value beats alpha / m and whose effect reaches its floor."""
    tested = [r for r in results if not r.skipped]
    per_test = thresholds.alpha / max(len(tested), 1)
    return [
        replace(
            r,
            drift=not r.skipped
            and r.p_value is not None
            and r.p_value < per_test
            and r.effect is not None
            and r.effect >= r.effect_floor,
        )
        for r in results
    ]


def _numbers(values: list[Any]) -> npt.NDArray[np.float64]:
    """Return the present, finite numbers of a column (booleans count as 0/1)."""
    array = np.array([float(v) for v in values if v is not None], dtype=np.float64)
    return array[np.isfinite(array)]


def _describe(values: npt.NDArray[np.float64]) -> dict[str, Any]:
    """Summarise a numeric column: count, mean, median and 95th percentile."""
    if not len(values):
        return {"n": 0}
    p50, p95 = np.percentile(values, [50, 95])
    return {"n": len(values), "mean": float(values.mean()), "p50": float(p50), "p95": float(p95)}


def _num(value: float) -> str:
    """Format a number for a person: `1,520`, `61.2`, `0.000145`."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"


def continuous_test(
    name: str, reference: list[Any], current: list[Any], thresholds: Thresholds
) -> SignalResult:
    """Compare a continuous signal: KS test, effect = Wasserstein distance / reference std."""
    from scipy.stats import ks_2samp, wasserstein_distance

    ref, cur = _numbers(reference), _numbers(current)
    result = SignalResult(
        name,
        "continuous",
        "ks",
        "wasserstein / reference std",
        thresholds.continuous_effect,
        reference=_describe(ref),
        current=_describe(cur),
    )
    if min(len(ref), len(cur)) < thresholds.min_samples:
        return replace(result, skipped=_too_few(len(ref), len(cur), thresholds))
    ks = ks_2samp(ref, cur)
    distance = float(wasserstein_distance(ref, cur))
    spread = float(ref.std())
    effect = distance / spread if spread > 0 else (0.0 if distance == 0 else math.inf)
    change = ""
    if ref.mean() != 0:
        change = f" ({(cur.mean() - ref.mean()) / abs(ref.mean()):+.0%})"
    summary = (
        f"mean {_num(ref.mean())} -> {_num(cur.mean())}{change}, "
        f"p95 {_num(result.reference['p95'])} -> {_num(result.current['p95'])}"
    )
    return replace(
        result,
        statistic=float(ks.statistic),
        p_value=float(ks.pvalue),
        effect=effect,
        summary=summary,
    )


def boolean_test(
    name: str, reference: list[Any], current: list[Any], thresholds: Thresholds
) -> SignalResult:
    """Compare a rate: chi-square on the 2x2 table, effect = absolute change of the rate."""
    ref, cur = _numbers(reference), _numbers(current)
    result = SignalResult(name, "boolean", "chi2", "rate change", thresholds.rate_effect)
    rates = [float(v.mean()) if len(v) else 0.0 for v in (ref, cur)]
    result = replace(
        result,
        reference={"n": len(ref), "rate": rates[0]},
        current={"n": len(cur), "rate": rates[1]},
        summary=f"rate {rates[0]:.1%} -> {rates[1]:.1%} ({(rates[1] - rates[0]) * 100:+.1f} pts)",
    )
    if min(len(ref), len(cur)) < thresholds.min_samples:
        return replace(result, skipped=_too_few(len(ref), len(cur), thresholds))
    table = [[len(v) - v.sum(), v.sum()] for v in (ref, cur)]
    statistic, p_value = _chi2(table)
    return replace(result, statistic=statistic, p_value=p_value, effect=abs(rates[1] - rates[0]))


def categorical_test(
    name: str, reference: list[Any], current: list[Any], thresholds: Thresholds
) -> SignalResult:
    """Compare a categorical mix: chi-square, effect = total variation distance."""
    ref = Counter(str(v) for v in reference if v is not None)
    cur = Counter(str(v) for v in current if v is not None)
    n_ref, n_cur = sum(ref.values()), sum(cur.values())
    categories = sorted(set(ref) | set(cur))
    shares = {
        c: (ref[c] / n_ref if n_ref else 0.0, cur[c] / n_cur if n_cur else 0.0) for c in categories
    }
    moved = sorted(categories, key=lambda c: -abs(shares[c][1] - shares[c][0]))[:2]
    result = SignalResult(
        name,
        "categorical",
        "chi2",
        "total variation distance",
        thresholds.categorical_effect,
        reference={"n": n_ref, "shares": {c: s[0] for c, s in shares.items()}},
        current={"n": n_cur, "shares": {c: s[1] for c, s in shares.items()}},
        summary=", ".join(f"{c} {shares[c][0]:.0%} -> {shares[c][1]:.0%}" for c in moved),
    )
    if min(n_ref, n_cur) < thresholds.min_samples:
        return replace(result, skipped=_too_few(n_ref, n_cur, thresholds))
    statistic, p_value = _chi2([[ref[c] for c in categories], [cur[c] for c in categories]])
    distance = 0.5 * sum(abs(s[1] - s[0]) for s in shares.values())
    return replace(result, statistic=statistic, p_value=p_value, effect=distance)


def _chi2(table: list[list[Any]]) -> tuple[float, float]:
    """Return the chi-square statistic and p-value of a 2 x k table (columns never empty)."""
    from scipy.stats import chi2_contingency

    array = np.array(table, dtype=np.float64)
    array = array[:, array.sum(axis=0) > 0]
    if array.shape[1] < 2:  # one value in both windows: nothing can have moved
        return 0.0, 1.0
    test = chi2_contingency(array)
    return float(test.statistic), float(test.pvalue)


def embedding_test(
    name: str, reference: Vectors, current: Vectors, thresholds: Thresholds, seed: int
) -> SignalResult:
    """Compare two equal-size samples of embeddings with a classifier two-sample test.

    Identical vectors (the same question asked again) are kept on the same side of the split,
    so that the classifier cannot score a held-out question by having memorised it.
    """
    from scipy.stats import mannwhitneyu
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedGroupKFold

    result = SignalResult(
        name,
        "embedding",
        "classifier",
        "held-out ROC AUC",
        thresholds.embedding_auc,
        reference={"n": len(reference)},
        current={"n": len(current)},
    )
    if min(len(reference), len(current)) < thresholds.min_samples:
        return replace(result, skipped=_too_few(len(reference), len(current), thresholds))
    features = np.vstack([reference, current])
    labels = np.r_[np.zeros(len(reference)), np.ones(len(current))]
    groups = np.unique(features, axis=0, return_inverse=True)[1].ravel()
    if len(np.unique(groups)) < 4:
        return replace(result, skipped="fewer than 4 distinct texts")
    split = StratifiedGroupKFold(n_splits=2, shuffle=True, random_state=seed)
    train, test = next(split.split(features, labels, groups))
    if len(np.unique(labels[train])) < 2 or len(np.unique(labels[test])) < 2:
        return replace(result, skipped="one window's texts all fell in one half")
    model = LogisticRegression(max_iter=1000).fit(features[train], labels[train])
    scores = model.decision_function(features[test])
    held_out = labels[test]
    auc = float(roc_auc_score(held_out, scores))
    test_result = mannwhitneyu(scores[held_out == 1], scores[held_out == 0], alternative="greater")
    return replace(
        result,
        statistic=auc,
        p_value=float(test_result.pvalue),
        effect=auc,
        summary=f"a classifier tells the windows apart with ROC AUC {auc:.2f} "
        f"(0.50 = indistinguishable; {len(reference)} vs {len(current)} requests)",
    )


def _too_few(n_ref: int, n_cur: int, thresholds: Thresholds) -> str:
    """Say why a signal was not tested."""
    return f"too few values ({n_ref} reference, {n_cur} current; needs {thresholds.min_samples})"
