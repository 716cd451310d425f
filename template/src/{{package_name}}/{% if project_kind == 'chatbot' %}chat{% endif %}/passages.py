"""What grounding hands the engine: passages found for a message, and who finds them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Passage:
    """One passage found for a message: where it comes from, its text, and its score."""

    source: str
    title: str
    text: str
    score: float


class Retriever(Protocol):
    """Finds the passages a reply may cite (the documents' index, or a test double)."""

    def search(self, query: str, k: int) -> Sequence[Passage]:
        """Return up to `k` passages relevant to `query`, best first; none when none is."""
        ...
