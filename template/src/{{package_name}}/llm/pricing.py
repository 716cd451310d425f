"""Token prices and cost estimates.

Prices are USD per one million tokens, as `(input, output)`. A model is matched exactly, else
by the longest known prefix, so that dated names such as `gpt-4o-mini-2024-07-18` find their
base model. `PRICES_FILE` may point at a JSON file that adds or overrides entries:

    {"my-local-model": {"input": 0.0, "output": 0.0}, "gpt-4o": {"input": 2.5, "output": 10}}

An unknown model costs 0 and logs one warning. With a budget set, `build_llm` refuses a model
with no price instead (its spend could not be counted, so the budget would never trigger).
"""

from __future__ import annotations

import json
import logging
import math
from pathlib import Path

from .types import Usage

logger = logging.getLogger(__name__)

DEFAULT_PRICES: dict[str, tuple[float, float]] = {
    "offline": (0.0, 0.0),
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1": (2.00, 8.00),
    "claude-3-haiku": (0.25, 1.25),
    "claude-3-5-haiku": (0.80, 4.00),
    "claude-haiku-4-5": (1.00, 5.00),
    "claude-3-5-sonnet": (3.00, 15.00),
    "claude-3-7-sonnet": (3.00, 15.00),
    "claude-sonnet-4": (3.00, 15.00),
    "claude-opus-4": (15.00, 75.00),
}

CHARS_PER_TOKEN = 4


def estimate_tokens(text: str) -> int:
    """Estimate the token count of `text` (about four characters per token)."""
    return math.ceil(len(text) / CHARS_PER_TOKEN) if text else 0


class PriceTable:
    """Look up prices by model name and turn token counts into USD."""

    def __init__(self, prices: dict[str, tuple[float, float]] | None = None) -> None:
        self.prices = dict(DEFAULT_PRICES if prices is None else prices)
        self._warned: set[str] = set()

    @classmethod
    def load(cls, prices_file: Path | None = None) -> PriceTable:
        """Return the default table, updated from `prices_file` when given.

        Raises:
            ValueError: The file is not a JSON object of `{"input": x, "output": y}` entries.

        """
        prices = dict(DEFAULT_PRICES)
        if prices_file is not None:
            raw = json.loads(prices_file.read_text(encoding="utf-8"))
            if not isinstance(raw, dict):
                raise ValueError(f"{prices_file}: expected a JSON object of model prices")
            for model, entry in raw.items():
                try:
                    prices[str(model)] = (float(entry["input"]), float(entry["output"]))
                except (KeyError, TypeError, ValueError) as exc:
                    raise ValueError(
                        f'{prices_file}: {model!r} needs {{"input": <usd>, "output": <usd>}}'
                    ) from exc
        return cls(prices)

    def lookup(self, model: str) -> tuple[float, float] | None:
        """Return `(input, output)` USD per 1M tokens for `model`, or None when unknown."""
        if model in self.prices:
            return self.prices[model]
        prefixes = [name for name in self.prices if model.startswith(name)]
        return self.prices[max(prefixes, key=len)] if prefixes else None

    def cost(self, model: str, usage: Usage) -> float:
        """Return the USD cost of `usage` on `model` (0 for an unknown model)."""
        return self.estimate(model, usage.input_tokens, usage.output_tokens)

    def estimate(self, model: str, input_tokens: int, output_tokens: int) -> float:
        """Return the USD cost of the given token counts on `model`."""
        price = self.lookup(model)
        if price is None:
            if model not in self._warned:
                self._warned.add(model)
                logger.warning("no price for model %r; counting its cost as 0", model)
            return 0.0
        return (input_tokens * price[0] + output_tokens * price[1]) / 1_000_000
