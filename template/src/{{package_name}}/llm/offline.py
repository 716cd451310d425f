"""A deterministic, network-free provider for tests, evals and demos.

Given a grounded prompt (fenced `<source id="n">` blocks and a `<question>`, or the older
`Sources:` / `[n] title` / `Question:` format; see `grounded.py`), it answers with the one to
three source sentences that best match the question (IDF-weighted word overlap, preferring
better-ranked sources), each cited as `[n]`, and answers exactly `REFUSAL` when the sources
cover too little of the question, or when the question tries to override the instructions or
asks for secrets. Source text is data: it never quotes a source sentence that gives the
assistant orders or imitates the prompt (`Ignore previous instructions`, `reply only with`,
`Answer:`). It does not read the system message, so it cannot show whether a real model
follows a prompt's wording: recorded replies and live evals judge that. It knows nothing about
any corpus: it is a stand-in that makes the pipeline and its evals meaningful without a model.
Any other input gets a short extractive summary of itself. Token usage is estimated (about
four characters per token).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from .grounded import Source as Source
from .grounded import parse_grounded as parse_grounded
from .pricing import estimate_tokens
from .types import Message, ProviderResponse, ToolSpec, Usage

REFUSAL = "I can't answer that from the provided documents."
DEFAULT_MODEL = "offline-extractive-v1"

MIN_COVERAGE = 0.22
"""Least share of the question the sources must cover, or the provider refuses (see
`score_sentences`)."""
UNSEEN_WEIGHT = 2.0
"""Extra weight of question words no source contains: they are what the sources lack."""
COMMON_WEIGHT = 0.5
"""Coverage weight of question words every given document holds: they tell documents apart
poorly (see `coverage_weights`)."""
NEIGHBOUR_WEIGHT = 0.5
"""How much a question word counts when only the sentence before or after holds it."""
TITLE_WEIGHT = 0.3
"""How much a question word counts when only the source's title holds it."""
LENGTH_PENALTY = 0.2
"""Score lost per eight content words beyond the first eight, so that a long overview
sentence that names every topic does not outrank the one that states the fact."""
RANK_DECAY = 0.2
"""Score lost per source rank: the better-ranked source wins a near-tie."""
NUMBER_BONUS = 0.2
"""Added to sentences that hold a number when the question asks for an amount, time or version,
and again to sentences that state a sum of money when it asks what something costs."""
RELATIVE_TO_BEST = 0.4
"""Further sentences of the best sentence's source need this share of its score ..."""
RELATIVE_TO_BEST_OTHER = 0.9
"""... and sentences of other sources need this share."""
SIGNPOST_WEIGHT = 0.5
"""Share of its score a sentence keeps when it only says what its page is about ("This page
explains how ..."): it names the question's words without answering it."""
MAX_SENTENCES = 3
SUMMARY_SENTENCES = 2

_WORD = re.compile(r"[a-z0-9]+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[^a-z])")
_PARAGRAPH = re.compile(r"\n\s*\n|\n(?=\s*(?:[-*•]|\d+[.)])\s)")
_BULLET = re.compile(r"^(?:[-*•]|\d+[.)])\s+")
_PRICE = re.compile(
    r"\b(?:cost|costs|price|prices|priced|fee|fees|charge|charged|how much (?:is|are))\b", re.I
)
_MONEY = re.compile(r"[$€£]\s?\d|\d\s?(?:USD|EUR|GBP|dollars?|euros?)\b")
_SIGNPOST = re.compile(
    r"^(?:this|the following) (?:page|document|guide|section|article|policy|chapter|runbook)\b"
    r"[^.?!]{0,30}\b(?:explains|describes|covers|lists|says|gives|summari[sz]es|sets out"
    r"|is about)\b",
    re.IGNORECASE,
)
_PRONOUN = re.compile(r"(?:it|its|this|that|these|those|they|their|there)\b", re.IGNORECASE)
_QUANTITY = re.compile(
    r"\b(?:how (?:much|many|long|big|large|soon|quickly|fast|often|old)|when|maximum|minimum"
    r"|what (?:date|time|year|day|share|percentage|size|version)|which (?:version|release|year))\b",
    re.IGNORECASE,
)
_UNSAFE = re.compile(
    r"\b(?:ignore|disregard|forget)\b[^.?!]{0,40}\b(?:instructions?|rules|documents|sources)\b"
    r"|\b(?:developer|god) mode\b|\bsystem prompt\b|\brepeat after me\b"
    r"|(?:^|[.!?]\s+)(?:please\s+)?(?:give|print|reveal|list|dump|show|tell)\b(?![^.?!]*\bhow\b)"
    r"[^.?!]{0,60}\b(?:passwords?|secrets?|credentials?|tokens?|api[ _-]?keys?)\b",
    re.IGNORECASE,
)
"""Instruction overrides and demands for secrets, which a grounded assistant declines."""
_INSTRUCTION = re.compile(
    r"(?i:\b(?:ignore|disregard|forget|override)\b[^.?!]{0,40}"  # any case: sentences start
    r"\b(?:instructions?|rules|prompts?|guidelines|documents|sources)\b"  # with a capital
    r"|\b(?:reply|respond|answer|say)\b[^.?!]{0,20}\bonly\b|\bonly (?:reply|respond|answer|say)\b"
    r"|\byou are now\b|\bact as\b|\bpretend (?:to be|you)\b|\b(?:developer|god) mode\b"
    r"|\bsystem prompt\b|\b(?:do not|don't|never) cite\b)"
    r"|(?:^|\s)(?:System|Assistant|User|Human|Question|Answer|Instructions?):\s",
)
"""Source sentences that give the assistant orders or imitate the prompt's own lines (role or
Question/Answer labels): source text is data, so the provider never quotes them."""
_SUFFIXES = ("ing", "ies", "ed", "es", "ly", "s", "e", "y")
_STOPWORDS = frozenset(
    """a about after again all allow also am an and any anyone are as ask at be been before
    being big both but by can could did do does doing done down each else even ever every
    exactly for from get gets getting give go goes going got had has have how i if in into is
    it its just keep kept know last latest let like long lot made make many may me mean might
    more most much must my need no not now of off often on one only or other our out over
    please pick put quick quickly real really right said same say see should since so some
    soon still such sure take taking tell than that the their them then there these they
    thing this those through to too try under until up upon us use used using very want was
    way we well went were what when where whether which while who whom why will with within
    without would yes yet you your""".split()  # noqa: SIM905 - compact word list
)
_NUMBER_WORDS = "one two three four five six seven eight nine ten eleven twelve".split()  # noqa: SIM905
_NUMBERS = {word: str(n) for n, word in enumerate(_NUMBER_WORDS, start=1)}


@dataclass(frozen=True)
class Scored:
    """One source sentence, how well it answers the question, and where it comes from."""

    score: float
    rank: int
    position: int
    sentence: str
    number: int
    previous: str = ""
    """The sentence before, when this one starts with a pronoun and needs it to make sense."""


def stem(word: str) -> str:
    """Strip one common English suffix, leaving a stem of three letters or more."""
    for suffix in _SUFFIXES:
        if len(word) - len(suffix) >= 3 and word.endswith(suffix) and not word.endswith("ss"):
            return word[: -len(suffix)]
    return word


def content_words(text: str) -> set[str]:
    """Return the stemmed, lower-cased content words of `text`; number words become digits."""
    words = (stem(_NUMBERS.get(w, w)) for w in _WORD.findall(text.lower()) if w not in _STOPWORDS)
    return {w for w in words if len(w) > 1}


def sentences(text: str) -> list[str]:
    """Split source text into sentences; a blank line or a list item always ends one."""
    out: list[str] = []
    for paragraph in _PARAGRAPH.split(text):
        flat = _BULLET.sub("", " ".join(paragraph.split()))
        out.extend(s for s in _SENTENCE_END.split(flat) if s)
    return out


def quotable(text: str) -> list[str]:
    """Return the sentences of a source that may be quoted: all but orders to the assistant."""
    return [s for s in sentences(text) if not _INSTRUCTION.search(s)]


def idf_weights(wanted: set[str], bags: Sequence[set[str]]) -> dict[str, float]:
    """Weigh each question word by its inverse frequency among the source sentences."""
    weights = {}
    for word in wanted:
        df = sum(word in bag for bag in bags)
        weights[word] = math.log(1 + (len(bags) + 1) / (1 + df)) * (1 if df else UNSEEN_WEIGHT)
    return weights


def coverage_weights(
    wanted: set[str], bags: Sequence[set[str]], documents: Sequence[set[str]]
) -> dict[str, float]:
    """Weigh each question word for coverage: 1, `COMMON_WEIGHT` or `UNSEEN_WEIGHT`.

    A word every one of several documents holds (the company's name, say) tells little and
    weighs `COMMON_WEIGHT`; a word no source sentence holds weighs `UNSEEN_WEIGHT`. Unlike
    `idf_weights`, these do not fall when several passages of one document repeat a word, so
    passages that all come from the right document do not seem to cover less of the question.
    """
    seen = set().union(*bags)
    common = set.intersection(*documents) if len(documents) > 1 else set()
    return {
        word: UNSEEN_WEIGHT if word not in seen else COMMON_WEIGHT if word in common else 1.0
        for word in wanted
    }


def documents_of(sources: Sequence[Source]) -> list[set[str]]:
    """Return the content words of each document the sources come from.

    Passages of one document share the start of their title (`Document > Section`).
    """
    documents: dict[str, set[str]] = {}
    for source in sources:
        words = documents.setdefault(source.title.split(" > ")[0], set())
        words |= content_words(source.title) | content_words(source.text)
    return list(documents.values())


def score_sentences(sources: Sequence[Source], question: str) -> tuple[list[Scored], float]:
    """Score every source sentence against the question, best first, and return the coverage.

    Every sentence that shares a question word, itself or through its neighbours or its
    source's title, is scored: an answer can sit under a heading that names what was asked
    (`NW-509: clock skew`). It scores the IDF-weighted share of the question's words it holds
    (less for long sentences), plus a part of those only its neighbours or its title hold; numbers
    earn a bonus when the question asks for an amount (sums of money when it asks for a price),
    and each source rank costs a little.
    The coverage, which decides refusal, is the mean of the best sentence's fit and the best
    share a whole source (title included) holds, both counted with `coverage_weights`.
    """
    wanted = content_words(question)
    split = [(source, quotable(source.text)) for source in sources]
    groups = [[content_words(text) for text in texts] for _, texts in split]
    bags = [bag for group in groups for bag in group]
    if not wanted:
        return [], 0.0
    rarity = _share_of(wanted, idf_weights(wanted, bags))
    cover = _share_of(wanted, coverage_weights(wanted, bags, documents_of(sources)))
    bonus = NUMBER_BONUS if _QUANTITY.search(question) else 0.0
    price = NUMBER_BONUS if _PRICE.search(question) else 0.0
    scored, best_source, best_sentence = [], 0.0, 0.0
    for rank, ((source, texts), group) in enumerate(zip(split, groups, strict=True)):
        title = content_words(source.title)
        best_source = max(best_source, cover(title.union(*group)))
        for position, (text, bag) in enumerate(zip(texts, group, strict=True)):
            near = set().union(*group[max(0, position - 1) : position + 2]) - bag
            if not wanted & (bag | title):  # under a heading that names it, say
                continue
            best_sentence = max(best_sentence, _fit(cover, bag, near, title))
            score = _fit(rarity, bag, near, title)
            score *= SIGNPOST_WEIGHT if _SIGNPOST.match(text) else 1.0
            score += (bonus if _has_number(text) else 0.0) - RANK_DECAY * rank
            score += price if _MONEY.search(text) else 0.0
            previous = texts[position - 1] if position and _PRONOUN.match(text) else ""
            scored.append(Scored(score, rank, position, text, source.number, previous))
    scored.sort(key=lambda s: (-s.score, s.rank, s.position))
    return scored, (best_sentence + best_source) / 2


def _share_of(wanted: set[str], weights: dict[str, float]) -> Callable[[set[str]], float]:
    """Return a function giving the weighted share of the question's words a word set holds."""
    total = sum(weights.values())
    return lambda words: sum(weights[w] for w in wanted & words) / total


def _fit(
    share: Callable[[set[str]], float], bag: set[str], near: set[str], title: set[str]
) -> float:
    """Return a sentence's share of the question (less if long), plus part of its context's.

    The context is what only the sentences beside it and its source's title hold.
    """
    own = share(bag) / (1 + LENGTH_PENALTY * max(0.0, len(bag) / 8 - 1))
    return own + NEIGHBOUR_WEIGHT * share(near) + TITLE_WEIGHT * share(title - bag - near)


def grounded_answer(sources: Sequence[Source], question: str) -> str:
    """Answer `question` from `sources` in one to three cited sentences, or return `REFUSAL`.

    When the question asks for a number and none of the chosen sentences holds one, but the
    best source's title does (a version in a release-notes heading, say), the answer names it.
    """
    if _UNSAFE.search(question):
        return REFUSAL
    scored, coverage = score_sentences(sources, question)
    if not scored or coverage < MIN_COVERAGE:
        return REFUSAL
    best = scored[0]
    chosen: list[tuple[str, int]] = []
    for s in scored:
        needed = RELATIVE_TO_BEST if s.number == best.number else RELATIVE_TO_BEST_OTHER
        if s is not best and s.score < needed * best.score:  # scores can be negative
            continue
        chosen += [
            (t, s.number) for t in (s.previous, s.sentence) if t and (t, s.number) not in chosen
        ]
        if len(chosen) >= MAX_SENTENCES:
            break
    chosen = chosen[:MAX_SENTENCES]
    parts = [f"{text} [{number}]" for text, number in chosen]
    title = next(s.title for s in sources if s.number == best.number)
    if _QUANTITY.search(question) and not _has_number(" ".join(t for t, _ in chosen)):
        parts[0] = f"{title}: {parts[0]}" if _has_number(title) else parts[0]
    return " ".join(parts)


def _has_number(text: str) -> bool:
    """Tell whether `text` holds a number, in digits or as a word."""
    return any(word.isdigit() or word in _NUMBERS for word in _WORD.findall(text.lower()))


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
    return " ".join(sentences[i] for i in sorted(ranked[:SUMMARY_SENTENCES]))


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
    """The deterministic extractive provider; no network, no key, no cost.

    A kind's offline model subclasses it: it overrides `reply` (the text, as the chatbot's
    does) or, to call tools, `complete` (as the agent's scripted models do), and inherits the
    rest.
    """

    name = "offline"

    def __init__(self, model: str = DEFAULT_MODEL) -> None:
        self.model = model

    def reply(self, messages: Sequence[Message]) -> str:
        """Return the reply's text: the extractive answer (a kind's offline model overrides it)."""
        return answer(messages)

    def complete(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int,
        temperature: float,
        tools: Sequence[ToolSpec] = (),
    ) -> ProviderResponse:
        """Return the reply cut to `max_tokens`, with an estimated usage (it calls no tool)."""
        text, finish = _truncate(self.reply(messages), max_tokens)
        usage = Usage(
            input_tokens=sum(estimate_tokens(m.content) for m in messages),
            output_tokens=estimate_tokens(text),
            estimated=True,
        )
        return ProviderResponse(text=text, model=self.model, usage=usage, finish_reason=finish)

    def stream(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int,
        temperature: float,
        tools: Sequence[ToolSpec] = (),
    ) -> Iterator[str | ProviderResponse]:
        """Yield the text of `complete`'s response word by word, then the response itself.

        A subclass that overrides `complete` (a model that calls tools) streams through here too.
        """
        response = self.complete(
            messages, max_tokens=max_tokens, temperature=temperature, tools=tools
        )
        yield from re.findall(r"\S+\s*", response.text)
        yield response
