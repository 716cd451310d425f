"""The operating layer around a kind's routes: signals for the drift check, and feedback.

`install_operations` (called by `create_app`) gives the app a signal recorder, an exchange
memory and a feedback store, mounts `POST /feedback` behind the same auth and rate limit as the
kind's routes, and points the drift metrics at the latest drift report. A kind's route calls
`track` after answering; see docs/decisions/0016.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from fastapi import FastAPI, Request

from .config import Settings
from .drift_report import DRIFT_METRICS
from .feedback import ExchangeMemory, FeedbackStore
from .feedback import router as feedback_router
from .observability import get_logger, get_request_id
from .signals import RECORDER_ERRORS, SignalContract, SignalRecorder, Tracked

logger = get_logger(__name__)


def install_operations(
    app: FastAPI, settings: Settings, contract: SignalContract, dependencies: Sequence[Any] = ()
) -> None:
    """Add the recorder, the exchange memory, the feedback store and `POST /feedback` to `app`."""
    app.state.kind = contract.kind
    app.state.recorder = (
        SignalRecorder(
            settings.drift_db,
            kind=contract.kind,
            record_text=settings.drift_record_text,
            retention_days=settings.drift_retention_days,
        )
        if settings.drift_record
        else None
    )
    app.state.exchanges = ExchangeMemory(settings.feedback_memory)
    app.state.feedback_store = FeedbackStore(settings.feedback_db)
    app.include_router(feedback_router, dependencies=list(dependencies))
    DRIFT_METRICS.watch(settings.drift_report_dir / "drift.json", contract.signal_names())


def close_operations(app: FastAPI) -> None:
    """Write the signals still queued (the app's shutdown calls this)."""
    recorder: SignalRecorder | None = getattr(app.state, "recorder", None)
    if recorder is not None:
        recorder.close()


def track(request: Request, build: Callable[[], Tracked]) -> None:
    """Record a request's signals and remember its exchange for feedback; never raises.

    `build` runs here, inside the guard, so that a bug in a kind's signal code is logged and
    counted (`drift_recorder_errors_total{reason="build_failed"}`) instead of failing the
    request it observes.
    """
    state = request.app.state
    request_id = get_request_id()
    try:
        tracked = build()
    except Exception:
        RECORDER_ERRORS.labels(reason="build_failed").inc()
        logger.exception("could not build the request's drift signals")
        return
    recorder: SignalRecorder | None = getattr(state, "recorder", None)
    if recorder is not None:
        recorder.record(tracked.observation, request_id)
    memory: ExchangeMemory | None = getattr(state, "exchanges", None)
    if memory is not None and request_id:
        memory.remember(request_id, tracked.exchange)
