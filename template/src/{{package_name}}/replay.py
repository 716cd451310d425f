"""Recorded real-provider replies: record HTTP exchanges once, replay them offline (vcrpy).

A cassette holds the exchanges of one eval run against one provider for one prompt version:
`evals/cassettes/<provider>/<name>@<version>.yaml`. Recording (`make eval-record`) calls the
real provider through its SDK and vcrpy writes every request and reply; replay (`make eval`,
`make eval-replay`) serves the replies from the file and never opens a connection: a request
with no recording fails. Requests match on method, path and JSON body (model, messages,
parameters), not on the host, so a recording made against api.openai.com replays wherever the
base URL points. Only `content-type` survives in the recorded headers: API keys, organisation
ids and cookies never reach the file.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from .evaluation import EvalError
from .llm.types import LLMError

CASSETTE_DIR = Path("evals/cassettes")
RECORD_COMMAND = "make eval-record"
MATCH_ON = ("method", "path", "query", "json_body")
KEEP_HEADERS = frozenset({"content-type"})
KEY_VARIABLES = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}


def cassette_path(directory: Path, provider: str, prompts: list[str]) -> Path:
    """Return the cassette of `provider` for these prompt versions (`name@vN`, joined by +)."""
    return directory / provider / f"{'+'.join(prompts)}.yaml"


def recorded_providers(directory: Path) -> list[str]:
    """Return the providers that have at least one cassette under `directory`."""
    if not directory.is_dir():
        return []
    return sorted(p.name for p in directory.iterdir() if p.is_dir() and any(p.glob("*.yaml")))


def how_to_record(provider: str) -> str:
    """Say what recording replies of `provider` takes."""
    key = KEY_VARIABLES.get(provider, "its API key")
    return f"`{RECORD_COMMAND}` with LLM_PROVIDER={provider} and {key} set"


def missing_cassette(path: Path, provider: str) -> EvalError:
    """Return the error for a replay whose cassette does not exist."""
    others = sorted(p.name for p in path.parent.glob("*.yaml")) if path.parent.is_dir() else []
    found = f" ({path.parent} has {', '.join(others)})" if others else ""
    return EvalError(
        f"No recorded replies of {provider} for {path.stem} at {path}{found}. Record them "
        f"with {how_to_record(provider)}, then commit the cassette."
    )


def replay_failed(path: Path, provider: str, error: Exception) -> EvalError:
    """Return the error for a replayed request that has no recording in `path`.

    `error` is vcrpy's `CannotOverwriteExistingCassetteException` (it names the request and
    how the closest recordings differ), or the provider error it became inside the SDK.
    """
    request = getattr(error, "failed_request", None)
    similar = getattr(error, "similar_requests", None) or []
    differ = sorted({name for _, _, failed in similar for name, _ in failed})
    what = f"{request.method} {request.path}" if request is not None else "a request"
    detail = f" (closest recordings differ in: {', '.join(differ)})" if differ else ""
    cause = "" if request is not None else f" ({error})"
    return EvalError(
        f"Replay of {path}: no recorded reply for {what}{detail}{cause}. The prompt, the "
        f"model, a golden case or the retrieved sources differ from the recording, and replay "
        f"never calls the network. Record again with {how_to_record(provider)}, or restore "
        f"what changed."
    )


def replay_misses() -> tuple[type[Exception], ...]:
    """Return the exceptions a replayed request with no recording can surface as."""
    from vcr.errors import CannotOverwriteExistingCassetteException

    return (CannotOverwriteExistingCassetteException, LLMError)


def recorded_model(path: Path) -> str:
    """Return the model the cassette's first request asked for."""
    from vcr.serialize import deserialize
    from vcr.serializers import yamlserializer

    requests, _ = deserialize(path.read_text(encoding="utf-8"), yamlserializer)
    for request in requests:
        try:
            return str(json.loads(request.body)["model"])
        except (TypeError, ValueError, KeyError):
            continue
    raise EvalError(f"{path} records no model request; record it again with `{RECORD_COMMAND}`")


def _scrub_request(request: Any) -> Any:
    """Keep only the headers needed to match a request; drop keys and client fingerprints."""
    request.headers = {k: v for k, v in request.headers.items() if k.lower() in KEEP_HEADERS}
    return request


def _scrub_response(response: dict[str, Any]) -> dict[str, Any] | None:
    """Keep only successful replies, with their content type; drop cookies, ids, limits.

    An error reply (a 429 the retry policy then got past, say) is not recorded: replay would
    serve it again instead of the success that followed.
    """
    if not 200 <= int(response.get("status", {}).get("code", 0)) < 300:
        return None
    headers = response.get("headers", {})
    response["headers"] = {k: v for k, v in headers.items() if k.lower() in KEEP_HEADERS}
    return response


@lru_cache(maxsize=4096)
def _parsed_body(body: bytes | str | None) -> Any:
    """Return a request body parsed as JSON (itself when it is not JSON), parsed once per body."""
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return body


def same_json_body(new: Any, recorded: Any) -> None:
    """Match two requests whose bodies are the same JSON value (key order aside).

    vcrpy's own `body` matcher explains every mismatch with a diff of both bodies; replay
    compares each request with every recorded one, so with an agent's long conversations the
    diffs alone made replay quadratic in seconds. This one only compares.

    Raises:
        AssertionError: The bodies differ (how vcrpy matchers say no).

    """
    bodies = [bytes(b) if isinstance(b, bytearray) else b for b in (new.body, recorded.body)]
    if _parsed_body(bodies[0]) != _parsed_body(bodies[1]):
        raise AssertionError("the JSON bodies differ")


@contextmanager
def cassette(path: Path, mode: Literal["record", "replay"]) -> Iterator[None]:
    """Record every HTTP exchange into `path`, or replay them from it with no network.

    A recording is written to a temporary file and moved into place only when the run ends
    without an error, so a failed run never leaves half a cassette behind.

    Raises:
        EvalError: Replay was asked for, but `path` does not exist.

    """
    import vcr

    if mode == "replay" and not path.exists():
        raise missing_cassette(path, path.parent.name)
    target = path if mode == "replay" else path.with_name(path.name + ".partial")
    if mode == "record":
        target.unlink(missing_ok=True)
    recorder = vcr.VCR(
        record_mode="none" if mode == "replay" else "all",
        match_on=MATCH_ON,
        decode_compressed_response=True,
        before_record_request=_scrub_request,
        before_record_response=_scrub_response,
    )
    recorder.register_matcher("json_body", same_json_body)
    with recorder.use_cassette(str(target), allow_playback_repeats=True, record_on_exception=False):
        yield
    if mode == "record":
        if not target.exists():
            raise EvalError(f"The run made no model request: nothing to record in {path}")
        os.replace(target, path)
