"""OpenTelemetry spans with the GenAI semantic-convention attributes, for model calls."""

from __future__ import annotations

import logging

from opentelemetry import trace

from .types import Completion, PromptRef, Provider

logger = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)


def log_call(completion: Completion, prompt: PromptRef | None) -> None:
    """Log one structured line for a model call (the JSON formatter keeps the extras)."""
    logger.info(
        "llm call",
        extra={
            "provider": completion.provider,
            "model": completion.model,
            "input_tokens": completion.usage.input_tokens,
            "output_tokens": completion.usage.output_tokens,
            "tokens_estimated": completion.usage.estimated,
            "cost_usd": completion.cost_usd,
            "latency_ms": round(completion.latency_ms, 2),
            "cached": completion.cached,
            "prompt": f"{prompt.name}@{prompt.version}" if prompt else None,
        },
    )


def span_request(span: trace.Span, provider: Provider, prompt: PromptRef | None) -> None:
    """Set the request-side GenAI attributes."""
    span.set_attribute("gen_ai.system", provider.name)
    span.set_attribute("gen_ai.operation.name", "chat")
    span.set_attribute("gen_ai.request.model", provider.model)
    if prompt is not None:
        span.set_attribute("gen_ai.prompt.name", prompt.name)
        span.set_attribute("gen_ai.prompt.version", prompt.version)


def span_response(span: trace.Span, completion: Completion) -> None:
    """Set the response-side GenAI attributes."""
    span.set_attribute("gen_ai.response.model", completion.model)
    span.set_attribute("gen_ai.usage.input_tokens", completion.usage.input_tokens)
    span.set_attribute("gen_ai.usage.output_tokens", completion.usage.output_tokens)
    if completion.finish_reason:
        span.set_attribute("gen_ai.response.finish_reasons", [completion.finish_reason])


def span_error(span: trace.Span, exc: Exception) -> None:
    """Mark the span failed and end it."""
    span.record_exception(exc)
    span.set_status(trace.Status(trace.StatusCode.ERROR, str(exc)))
    span.set_attribute("error.type", type(exc).__name__)
    span.end()
