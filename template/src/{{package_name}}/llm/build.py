"""Build the model client from settings: the provider chain, prices, retries, cache, budgets."""

from __future__ import annotations

from collections.abc import Sequence

from ..config import Settings
from .cache import ResponseCache
from .client import LLMClient, OnCall
from .pricing import PriceTable
from .providers import build_provider
from .retry import RetryPolicy
from .types import LLMConfigError, Provider


def build_llm(
    settings: Settings, *, on_call: OnCall | None = None, offline: Provider | None = None
) -> LLMClient:
    """Build the client from settings: the primary provider, then LLM_FALLBACKS in order.

    Args:
        settings: The app's settings.
        on_call: Called after every model call (metrics live there).
        offline: The provider that `offline` names, when a kind brings its own deterministic
            model (for example a scripted agent model); default: the extractive one.

    Raises:
        LLMConfigError: PRICES_FILE is invalid, or a budget is set and a model in the chain
            has no price (its spend could not be counted, so the budget would never hold).

    """
    chain_spec: list[tuple[str, str, str]] = [
        (settings.llm_provider, settings.llm_model, f"LLM_PROVIDER={settings.llm_provider}")
    ]
    for item in settings.llm_fallbacks:
        name, model = _split(item)
        chain_spec.append((name, model, f"LLM_FALLBACKS includes {name}"))
    try:
        prices = PriceTable.load(settings.prices_file)
    except ValueError as exc:
        raise LLMConfigError(f"PRICES_FILE: {exc}") from None
    providers = [
        offline
        if name == "offline" and offline is not None
        else build_provider(name, model, settings, role=role)
        for name, model, role in chain_spec
    ]
    _check_prices(providers, prices, settings)
    return LLMClient(
        providers,
        prices=prices,
        retry=RetryPolicy(
            max_retries=settings.llm_max_retries,
            min_wait_s=settings.llm_retry_min_wait_s,
            max_wait_s=settings.llm_retry_max_wait_s,
        ),
        cache=ResponseCache(settings.llm_cache_dir) if settings.llm_cache_dir else None,
        budget_per_request_usd=settings.budget_per_request_usd,
        budget_per_run_usd=settings.budget_per_run_usd,
        on_call=on_call,
    )


def _check_prices(providers: Sequence[Provider], prices: PriceTable, settings: Settings) -> None:
    """Refuse a budget on a chain whose models are not all in the price table."""
    budgets = [
        name
        for name, value in (
            ("BUDGET_PER_REQUEST_USD", settings.budget_per_request_usd),
            ("BUDGET_PER_RUN_USD", settings.budget_per_run_usd),
        )
        if value is not None
    ]
    unpriced = [p for p in providers if prices.lookup(p.model) is None]
    if not budgets or not unpriced:
        return
    first = unpriced[0].model
    models = ", ".join(f"{p.model!r} ({p.name})" for p in unpriced)
    raise LLMConfigError(
        f"{' and '.join(budgets)} is set, but {models} has no price, so its spend cannot be "
        f'counted; add it to a PRICES_FILE (for example {{"{first}": {{"input": 0.15, '
        f'"output": 0.6}}}}, USD per 1M tokens) or unset {" and ".join(budgets)}'
    )


def _split(item: str) -> tuple[str, str]:
    """Split `provider:model` (the model part may be empty or contain colons)."""
    name, _, model = item.partition(":")
    return name.strip(), model.strip()
