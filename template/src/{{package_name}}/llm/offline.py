"""A deterministic, network-free provider for tests, evals and demos.

Given a grounded prompt (`Sources:` with `[n] title` blocks, then `Question:`), it answers with
the source sentences that best match the question, each cited as `[n]`, and answers exactly
`REFUSAL` when no sentence matches well. Any other input gets a short extractive summary of
itself. Token usage is estimated (about four characters per token).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from .pricing import estimate_tokens
from .types import Message, ProviderResponse, Usage

REFUSAL = "I can't answer that from the provided documents."
DEFAULT_MODEL = "offline-extractive-v1"

MIN_MATCH = 0.5
"""Share of the question's content words a sentence must contain to count as an answer."""
MAX_SENTENCES = 2

_WORD = re.compile(r"[a-z0-9]+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_SOURCE_HEADER = re.compile(r"^\[(\d+)\]\s*(.*)$")
_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "for",
        "from",
        "had",
        "has",
        "have",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "me",
        "my",
        "of",
        "on",
        "or",
        "our",
        "should",
        "so",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "about",
        "please",
        "tell",
    ]
)


@dataclass(frozen=True)
class Source:
    """One numbered source from a grounded prompt."""

    number: int
    title: str
    text: str


def content_words(text: str) -> set[str]:
    """Return the lower-cased content words of `text`, with a plural `s` stripped."""
    words = (w[:-1] if len(w) > 3 and w.endswith("s") else w for w in _WORD.findall(text.lower()))
    return {w for w in words if w not in _STOPWORDS and len(w) > 1}


def parse_grounded(text: str) -> tuple[list[Source], str] | None:
    """Split a grounded prompt into its sources and question, or None for other input."""
    if "Sources:" not in text or "Question:" not in text:
        return None
    body, _, question = text.partition("Sources:")[2].rpartition("Question:")
    sources: list[Source] = []
    lines: list[str] = []
    header: tuple[int, str] | None = None
    for line in [*body.splitlines(), "[0] end"]:
        match = _SOURCE_HEADER.match(line.strip())
        if match is None:
            lines.append(line)
            continue
        if header is not None:
            sources.append(Source(header[0], header[1], " ".join(" ".join(lines).split())))
        header, lines = (int(match.group(1)), match.group(2).strip()), []
    return sources, question.strip()


def grounded_answer(sources: Sequence[Source], question: str) -> str:
    """Answer `question` from `sources` with cited sentences, or return `REFUSAL`."""
    wanted = content_words(question)
    if not wanted:
        return REFUSAL
    scored: list[tuple[float, int, int, str, int]] = []
    for s_index, source in enumerate(sources):
        for t_index, sentence in enumerate(_SENTENCE_END.split(source.text)):
            score = len(wanted & content_words(sentence)) / len(wanted)
            if score >= MIN_MATCH and sentence.strip():
                scored.append((-score, s_index, t_index, sentence.strip(), source.number))
    if not scored:
        return REFUSAL
    best = sorted(scored)[:MAX_SENTENCES]
    return " ".join(f"{sentence} [{number}]" for *_, sentence, number in best)


def summarize(text: str) -> str:
    """Return the one or two sentences of `text` that carry its most frequent content words."""
    sentences = [s.strip() for s in _SENTENCE_END.split(" ".join(text.split())) if s.strip()]
    if not sentences:
        return "(empty input)"
    if len(sentences) == 1:
        return f"You said: {sentences[0]}"
    freq = Counter(w for s in sentences for w in content_words(s))
    ranked = sorted(
        range(len(sentences)),
        key=lambda i: (-sum(freq[w] for w in content_words(sentences[i])), i),
    )
    return " ".join(sentences[i] for i in sorted(ranked[:MAX_SENTENCES]))


def answer(messages: Sequence[Message]) -> str:
    """Return the offline answer to the last user message (or the last message)."""
    users = [m for m in messages if m.role == "user"] or list(messages)
    text = users[-1].content if users else ""
    grounded = parse_grounded(text)
    return grounded_answer(*grounded) if grounded is not None else summarize(text)


def _truncate(text: str, max_tokens: int) -> tuple[str, str]:
    """Cut `text` to about `max_tokens` tokens; return it with the finish reason."""
    limit = max_tokens * 4
    if len(text) <= limit:
        return text, "stop"
    return text[:limit].rsplit(" ", 1)[0], "length"


class OfflineProvider:
    """The deterministic extractive provider; no network, no key, no cost."""

    name = "offline"

    def __init__(self, model: str = DEFAULT_MODEL) -> None:
        self.model = model

    def complete(
        self, messages: Sequence[Message], *, max_tokens: int, temperature: float
    ) -> ProviderResponse:
        """Return the extractive answer with an estimated usage."""
        text, finish = _truncate(answer(messages), max_tokens)
        usage = Usage(
            input_tokens=sum(estimate_tokens(m.content) for m in messages),
            output_tokens=estimate_tokens(text),
            estimated=True,
        )
        return ProviderResponse(text=text, model=self.model, usage=usage, finish_reason=finish)

    def stream(
        self, messages: Sequence[Message], *, max_tokens: int, temperature: float
    ) -> Iterator[str | ProviderResponse]:
        """Yield the answer word by word, then the final response."""
        response = self.complete(messages, max_tokens=max_tokens, temperature=temperature)
        yield from re.findall(r"\S+\s*", response.text)
        yield response
