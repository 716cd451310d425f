"""Model calls: providers, the client with retries, fallbacks, cache and budgets."""

from .client import LLMClient, build_llm
from .types import (
    BudgetExceededError,
    Completion,
    LLMError,
    Message,
    PromptRef,
    ProviderUnavailableError,
    Usage,
)

__all__ = [
    "BudgetExceededError",
    "Completion",
    "LLMClient",
    "LLMError",
    "Message",
    "PromptRef",
    "ProviderUnavailableError",
    "Usage",
    "build_llm",
]
