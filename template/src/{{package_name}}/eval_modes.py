"""Which eval runs a command makes, with which settings, and where each one reports.

- `offline`: the deterministic offline model, whatever LLM_PROVIDER says; gates on
  `evals/baseline.json` and writes `reports/eval.json` / `.md`.
- `replay`: the replies recorded from a real provider (`evals/cassettes/<provider>/`), served
  with no network; gates on `evals/baseline-replay-<provider>.json` when it exists and writes
  `reports/eval-replay-<provider>.*`. Latency is not measured: nothing travels.
- `record`: calls LLM_PROVIDER for real and records every reply into its cassette; writes
  `reports/eval-record-<provider>.*` and gates on the replay baseline when it exists (the
  replay of this recording gives the same scores).
- `live`: calls LLM_PROVIDER for real, records nothing; gates on
  `evals/baseline-live-<provider>.json` when it exists and writes `reports/eval-live-<provider>.*`.

With no mode, `eval` runs offline, then replays every provider that has recordings.
Real-provider runs use no fallback (a fallback's replies would be credited to the wrong
provider) and no response cache (a cached reply is not the provider's reply).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from pydantic import SecretStr

from .config import Settings
from .evaluation import EvalResult, is_latency
from .llm.providers import DEFAULT_MODELS
from .replay import (
    cassette_path,
    how_to_record,
    missing_cassette,
    recorded_model,
    recorded_providers,
)

Mode = Literal["offline", "replay", "record", "live"]
MODES: tuple[Mode, ...] = ("offline", "replay", "record", "live")
REAL_PROVIDERS = ("openai", "anthropic")


class ModeError(ValueError):
    """The mode cannot run with these settings (for example `live` with the offline provider)."""


@dataclass(frozen=True)
class EvalRun:
    """One eval run: its mode, provider, settings, and where it reports and gates."""

    mode: Mode
    settings: Settings
    report_name: str
    baseline: Path
    cassette: Path | None = None

    @property
    def provider(self) -> str:
        """Return the provider this run calls (or replays)."""
        return self.settings.llm_provider

    @property
    def label(self) -> str:
        """Name the run in one or two words: `offline`, `replay openai`."""
        return self.mode if self.mode == "offline" else f"{self.mode} {self.provider}"

    def describe(self) -> str:
        """Say in a few words what this run judges."""
        model = f" / {self.settings.llm_model}" if self.settings.llm_model else ""
        where = f" ({self.cassette})" if self.cassette else ""
        return f"{self.mode}: {self.provider}{model}{where}"


def no_recordings_note(cassettes: Path) -> str:
    """Return the one line `eval` prints when there is nothing to replay."""
    return (
        f"No recorded replies in {cassettes}/: this gate judged the offline model only. "
        f"Record real replies once with `make eval-record` (needs LLM_PROVIDER=openai or "
        f"anthropic and its key); `make eval` then replays them offline."
    )


def derived_baseline(baseline: Path, mode: Mode, provider: str) -> Path:
    """Return the baseline of a real-provider mode beside the offline one."""
    if mode == "offline":
        return baseline
    kind = "replay" if mode == "record" else mode
    return baseline.with_name(f"{baseline.stem}-{kind}-{provider}{baseline.suffix}")


def plan_runs(
    mode: Mode | None,
    settings: Settings,
    *,
    baseline: Path,
    cassettes: Path,
    prompts: Callable[[], list[str]],
) -> tuple[list[EvalRun], list[str]]:
    """Return the runs `eval --mode MODE` makes, and notes to print (such as no recordings).

    Raises:
        ModeError: A real-provider mode was asked for with LLM_PROVIDER=offline.
        EvalError: `replay` was asked for and there is no recording to replay.

    """
    runs: list[EvalRun] = []
    notes: list[str] = []
    if mode in (None, "offline"):
        runs.append(EvalRun("offline", _offline(settings), "eval", baseline))
    if mode in (None, "replay"):
        recorded = [p for p in recorded_providers(cassettes) if p in REAL_PROVIDERS]
        if not recorded and mode is None:
            notes.append(no_recordings_note(cassettes))
        elif not recorded:
            wanted = settings.llm_provider if settings.llm_provider != "offline" else "openai"
            raise missing_cassette(cassette_path(cassettes, wanted, prompts()), wanted)
        runs += [
            _replay_run(settings, name, cassette_path(cassettes, name, prompts()), baseline)
            for name in recorded
        ]
    if mode in ("record", "live"):
        real = _real_provider(settings, mode)
        recording = cassette_path(cassettes, real, prompts()) if mode == "record" else None
        called = _real(settings, real, settings.llm_model or DEFAULT_MODELS[real])
        runs.append(
            EvalRun(
                mode,
                called,
                f"eval-{mode}-{real}",
                derived_baseline(baseline, mode, real),
                recording,
            )
        )
    return runs, notes


def _replay_run(settings: Settings, provider: str, path: Path, baseline: Path) -> EvalRun:
    """Plan the replay of one provider's cassette; `resolve` checks it before the run."""
    updates: dict[str, Any] = {
        "llm_max_retries": 0,
        "budget_per_request_usd": None,
        "budget_per_run_usd": None,
        f"{provider}_api_key": SecretStr("replay-sends-no-key"),
    }
    return EvalRun(
        "replay",
        _real(settings, provider, "").model_copy(update=updates),
        f"eval-replay-{provider}",
        derived_baseline(baseline, "replay", provider),
        path,
    )


def resolve(run: EvalRun) -> EvalRun:
    """Return a replay run with the model its cassette recorded; other runs unchanged.

    Raises:
        EvalError: The cassette does not exist (the message says how to record it).

    """
    if run.mode != "replay" or run.cassette is None:
        return run
    if not run.cassette.exists():
        raise missing_cassette(run.cassette, run.provider)
    model = recorded_model(run.cassette)
    return replace(run, settings=run.settings.model_copy(update={"llm_model": model}))


def _real_provider(settings: Settings, mode: Mode) -> str:
    """Return the configured real provider, or explain that one is needed."""
    if settings.llm_provider not in REAL_PROVIDERS:
        raise ModeError(
            f"--mode {mode} calls a real model: set LLM_PROVIDER=openai or anthropic (and its "
            f"key, or a local server's base URL); `make eval` runs the offline model"
        )
    return settings.llm_provider


def _offline(settings: Settings) -> Settings:
    """Return settings that use the offline model only."""
    return settings.model_copy(
        update={"llm_provider": "offline", "llm_model": "", "llm_fallbacks": []}
    )


def _real(settings: Settings, provider: str, model: str) -> Settings:
    """Return settings that call `provider` alone, uncached."""
    return settings.model_copy(
        update={
            "llm_provider": provider,
            "llm_model": model,
            "llm_fallbacks": [],
            "llm_cache_dir": None,
        }
    )


def finish(result: EvalResult, run: EvalRun) -> EvalResult:
    """Stamp the run's mode, provider, model and recording on its result.

    A replay measures no latency (nothing travels), so its latency metrics are dropped.
    """
    metrics, higher = result.metrics, result.higher_is_better
    if run.mode == "replay":
        metrics = {k: v for k, v in metrics.items() if not is_latency(k)}
        higher = {k: v for k, v in higher.items() if k in metrics}
    return replace(
        result,
        metrics=metrics,
        higher_is_better=higher,
        mode=run.mode,
        recording=str(run.cassette or ""),
        provider=result.provider or run.provider,
        model=result.model or run.settings.llm_model or DEFAULT_MODELS.get(run.provider, ""),
    )


def record_hint(run: EvalRun) -> str:
    """Say what to do after a recording run."""
    return (
        f"Recorded {run.cassette}. Replay it with `make eval` (or `--mode replay`), accept its "
        f"scores with `eval --mode replay --update-baseline`, and commit both files. To record "
        f"again later: {how_to_record(run.provider)}."
    )
