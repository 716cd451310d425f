"""The one entry point for model calls: fallback chain, retries, cache, budgets, telemetry.

    llm = build_llm(get_settings())
    completion = llm.complete([Message("user", "Hello")], prompt=prompt.ref)

`build_llm` (`llm/build.py`) makes one from settings. Every call opens an OpenTelemetry span
`chat {model}` with the GenAI attributes, logs one structured line, and calls the optional
`on_call` hook (metrics live there). Budgets reserve a call's worst-case cost before it starts
and settle the real cost after it (`llm/budget.py`), so they hold under any concurrency.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import partial
from itertools import chain

from opentelemetry import trace

from .budget import Budget
from .cache import ResponseCache, cache_key
from .pricing import PriceTable, estimate_tokens
from .retry import RetryPolicy
from .telemetry import log_call, span_error, span_request, span_response, tracer
from .types import (
    BudgetExceededError,
    Completion,
    LLMError,
    Message,
    PromptRef,
    Provider,
    ProviderError,
    ProviderResponse,
    ProviderUnavailableError,
    ToolSpec,
    Usage,
)

OnCall = Callable[[Completion, PromptRef | None], None]


class LLMClient:
    """Call a chain of providers with one retry policy, an optional cache and cost budgets."""

    def __init__(
        self,
        providers: Sequence[Provider],
        *,
        prices: PriceTable | None = None,
        retry: RetryPolicy | None = None,
        cache: ResponseCache | None = None,
        budget_per_request_usd: float | None = None,
        budget_per_run_usd: float | None = None,
        on_call: OnCall | None = None,
    ) -> None:
        if not providers:
            raise ValueError("LLMClient needs at least one provider")
        self.providers = list(providers)
        self.prices = prices or PriceTable()
        self.retry = retry or RetryPolicy()
        self.cache = cache
        self.budget = Budget(per_request_usd=budget_per_request_usd, per_run_usd=budget_per_run_usd)
        self.on_call = on_call
        self.last_completion: Completion | None = None
        self._lock = threading.Lock()

    @property
    def spent_usd(self) -> float:
        """Return the money this client's calls have cost so far (cached answers cost 0)."""
        return self.budget.spent_usd

    @property
    def provider(self) -> str:
        """Return the primary provider's name."""
        return self.providers[0].name

    @property
    def model(self) -> str:
        """Return the primary provider's model."""
        return self.providers[0].model

    def complete(
        self,
        messages: Sequence[Message],
        *,
        prompt: PromptRef | None = None,
        max_tokens: int = 512,
        temperature: float = 0.0,
        tools: Sequence[ToolSpec] = (),
    ) -> Completion:
        """Return the first successful answer along the provider chain.

        With `tools`, the answer may be (or include) `tool_calls` for the caller to run.

        Raises:
            BudgetExceededError: Every provider would exceed a budget.
            ProviderUnavailableError: Every provider failed (the message names each failure).

        """
        request = _Request(tuple(messages), max_tokens, temperature, tuple(tools))
        failures: list[tuple[Provider, LLMError]] = []
        for provider in self.providers:
            key = request.key(provider) if self.cache is not None else ""
            hit = self._cached(key)
            if hit is not None:
                return self._record(hit, prompt)
            try:
                reservation = self._reserve(provider, request)
            except BudgetExceededError as exc:
                failures.append((provider, exc))
                continue
            cost = 0.0  # failed calls are not billed
            try:
                completion = self._call(provider, request, prompt)
                cost = completion.cost_usd
            except ProviderError as exc:
                failures.append((provider, exc))
                continue
            finally:
                self.budget.settle(reservation, cost)
            self._store(key, completion)
            return self._record(completion, prompt)
        raise _all_failed(failures)

    def _call(self, provider: Provider, request: _Request, prompt: PromptRef | None) -> Completion:
        """Make one traced call to `provider`, retried by the retry policy."""
        with tracer.start_as_current_span(f"chat {provider.model}") as span:
            span_request(span, provider, prompt)
            start = time.perf_counter()
            response = self.retry.call(partial(request.send, provider))
            completion = self._completion(provider, response, start)
            span_response(span, completion)
        return completion

    def stream(
        self,
        messages: Sequence[Message],
        *,
        prompt: PromptRef | None = None,
        max_tokens: int = 512,
        temperature: float = 0.0,
        tools: Sequence[ToolSpec] = (),
    ) -> Generator[str]:
        """Yield the answer in pieces; fall back only before the first piece arrives.

        Usage, cost and any tool calls are recorded when the stream ends (see
        `last_completion`). The stream
        holds the same budget reservation as `complete`; a stream that breaks or that the
        consumer abandons is charged its whole reservation (the provider bills what it
        generated, which the client cannot see).

        Raises:
            BudgetExceededError: Every provider would exceed a budget.
            ProviderUnavailableError: Every provider failed before answering.
            LLMError: The stream broke after it had started.

        """
        request = _Request(tuple(messages), max_tokens, temperature, tuple(tools))
        failures: list[tuple[Provider, LLMError]] = []
        for provider in self.providers:
            key = request.key(provider) if self.cache is not None else ""
            hit = self._cached(key)
            if hit is not None:
                yield hit.text
                self._record(hit, prompt)
                return
            try:
                reservation = self._reserve(provider, request)
            except BudgetExceededError as exc:
                failures.append((provider, exc))
                continue
            try:
                opened = self._open_stream(provider, request, prompt)
            except BaseException as exc:
                self.budget.settle(reservation, 0.0)  # it never started: nothing billed
                if not isinstance(exc, ProviderError):
                    raise
                failures.append((provider, exc))
                continue
            yield from self._relay(provider, opened, key, prompt, reservation)
            return
        raise _all_failed(failures)

    def _open_stream(
        self, provider: Provider, request: _Request, prompt: PromptRef | None
    ) -> _OpenStream:
        """Start a traced stream, retrying until its first item arrives."""
        span = tracer.start_span(f"chat {provider.model}")
        span_request(span, provider, prompt)
        start = time.perf_counter()
        try:
            first, rest = self.retry.call(partial(request.open_stream, provider))
        except ProviderError as exc:
            span_error(span, exc)
            raise
        return _OpenStream(span, start, chain([first], rest))

    def _relay(
        self,
        provider: Provider,
        opened: _OpenStream,
        key: str,
        prompt: PromptRef | None,
        reservation: float,
    ) -> Iterator[str]:
        """Yield an open stream's text, then settle and record it; always end the span."""
        final: ProviderResponse | None = None
        try:
            for item in opened.items:
                if isinstance(item, str):
                    yield item
                else:
                    final = item
        except ProviderError as exc:
            span_error(opened.span, exc)
            raise LLMError(f"stream from {provider.name} broke: {exc}") from exc
        finally:
            if final is None:  # broken, or the consumer stopped early: charge the worst case
                self.budget.settle(reservation, reservation)
                if opened.span.is_recording():
                    opened.span.end()
        if final is None:  # pragma: no cover - every provider ends with a response
            final = ProviderResponse("", provider.model, Usage(0, 0, estimated=True))
        completion = self._completion(provider, final, opened.start)
        self.budget.settle(reservation, completion.cost_usd)
        span_response(opened.span, completion)
        opened.span.end()
        self._store(key, completion)
        self._record(completion, prompt)

    def _cached(self, key: str) -> Completion | None:
        """Return the cached completion for `key`, timed as this call, or None."""
        if self.cache is None:
            return None
        start = time.perf_counter()
        hit = self.cache.get(key)
        latency_ms = (time.perf_counter() - start) * 1000
        return None if hit is None else replace(hit, latency_ms=latency_ms)

    def estimate(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int = 512,
        tools: Sequence[ToolSpec] = (),
    ) -> tuple[int, float]:
        """Return the worst case of one call on the primary provider: tokens and USD.

        That is the prompt's estimated tokens plus `max_tokens`, priced for the primary model,
        the amount a call reserves against the budgets.
        """
        request = _Request(tuple(messages), max_tokens, 0.0, tuple(tools))
        tokens = request.input_tokens()
        usd = self.prices.estimate(self.model, tokens, max_tokens)
        return tokens + max_tokens, usd

    def _reserve(self, provider: Provider, request: _Request) -> float:
        """Reserve the worst-case cost of this request (prompt estimate + max_tokens).

        Raises:
            BudgetExceededError: The reservation would break a budget.

        """
        estimate = self.prices.estimate(provider.model, request.input_tokens(), request.max_tokens)
        return self.budget.reserve(f"{provider.name}:{provider.model}", estimate)

    def _completion(
        self, provider: Provider, response: ProviderResponse, start: float
    ) -> Completion:
        """Add cost and latency to a provider's response."""
        priced = provider.model if self.prices.lookup(provider.model) else response.model
        return Completion(
            text=response.text,
            provider=provider.name,
            model=response.model,
            usage=response.usage,
            cost_usd=self.prices.cost(priced, response.usage),
            latency_ms=(time.perf_counter() - start) * 1000,
            finish_reason=response.finish_reason,
            tool_calls=response.tool_calls,
        )

    def _store(self, key: str, completion: Completion) -> None:
        """Keep `completion` in the cache when there is one."""
        if self.cache is not None:
            self.cache.put(key, completion)

    def _record(self, completion: Completion, prompt: PromptRef | None) -> Completion:
        """Keep the completion, log one line, call the hook; return the completion."""
        with self._lock:
            self.last_completion = completion
        log_call(completion, prompt)
        if self.on_call is not None:
            self.on_call(completion, prompt)
        return completion


@dataclass(frozen=True)
class _OpenStream:
    """A stream whose first item has arrived: its span, start time and items."""

    span: trace.Span
    start: float
    items: Iterator[str | ProviderResponse]


@dataclass(frozen=True)
class _Request:
    """One request, as every provider in the chain receives it."""

    messages: tuple[Message, ...]
    max_tokens: int
    temperature: float
    tools: tuple[ToolSpec, ...]

    def send(self, provider: Provider) -> ProviderResponse:
        """Make the request to `provider` and return its whole answer."""
        return provider.complete(
            self.messages,
            max_tokens=self.max_tokens,
            temperature=self.temperature,
            tools=self.tools,
        )

    def open_stream(
        self, provider: Provider
    ) -> tuple[str | ProviderResponse, Iterator[str | ProviderResponse]]:
        """Start a stream and pull its first item, so that connection errors surface here."""
        items = provider.stream(
            self.messages,
            max_tokens=self.max_tokens,
            temperature=self.temperature,
            tools=self.tools,
        )
        return next(items), items

    def key(self, provider: Provider) -> str:
        """Return the cache key of this request on `provider`."""
        return cache_key(
            provider.name,
            provider.model,
            self.messages,
            max_tokens=self.max_tokens,
            temperature=self.temperature,
            tools=self.tools,
        )

    def input_tokens(self) -> int:
        """Estimate the prompt's tokens: messages, tool calls and results, tool schemas."""
        texts = [m.content for m in self.messages]
        texts += [c.name + c.arguments for m in self.messages for c in m.tool_calls]
        texts += [json.dumps([t.name, t.description, t.parameters]) for t in self.tools]
        return sum(estimate_tokens(text) for text in texts)


def _all_failed(failures: Sequence[tuple[Provider, LLMError]]) -> LLMError:
    """Return the error to raise when no provider answered."""
    detail = "; ".join(f"{p.name}:{p.model}: {exc}" for p, exc in failures)
    if failures and all(isinstance(exc, BudgetExceededError) for _, exc in failures):
        return BudgetExceededError(detail)
    return ProviderUnavailableError(f"all providers failed: {detail}")
