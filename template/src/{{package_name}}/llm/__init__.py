"""Model calls: providers, the client with retries, fallbacks, cache and budgets."""

from .build import build_llm
from .client import LLMClient
from .types import (
    BudgetExceededError,
    Completion,
    LLMConfigError,
    LLMError,
    Message,
    PromptRef,
    ProviderUnavailableError,
    ToolCall,
    ToolSpec,
    Usage,
)

__all__ = [
    "BudgetExceededError",
    "Completion",
    "LLMClient",
    "LLMConfigError",
    "LLMError",
    "Message",
    "PromptRef",
    "ProviderUnavailableError",
    "ToolCall",
    "ToolSpec",
    "Usage",
    "build_llm",
]
