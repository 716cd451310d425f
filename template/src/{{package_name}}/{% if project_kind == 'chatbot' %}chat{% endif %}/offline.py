"""The chatbot's offline model: deterministic, input-dependent, streamed in word chunks.

It stands in the offline provider's place (`offline_model()` in `api.py`), so the tests, the
evals and the demo need no key. It reads the messages it is given (docs/decisions/0006):

- a grounded message (numbered `<source>`s and a `<question>`): an extractive answer from the
  passages, citing `[n]` (the rag-app's answerer, `llm/offline.py`);
- greetings, and facts the user stated earlier in the context it is given ("my name is Dana",
  "I'm on the Business plan", "we have 12 seats"), which it repeats back when asked;
- requests to reveal or override its instructions, and subjects outside Northwind Cloud
  support: a polite refusal;
- the format rules of the system message it can check: no Markdown headings, at most N
  sentences.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..llm.grounded import parse_grounded
from ..llm.offline import REFUSAL, OfflineProvider, grounded_answer
from ..llm.types import Message
from .guardrails import OFF_TOPIC, OFF_TOPIC_REFUSAL, on_topic

MODEL = "offline-chat-v1"
NOT_IN_DOCUMENTS = (
    "I couldn't find that in Northwind Cloud's documents. A support agent can help: open a "
    "ticket from your dashboard."
)
INSTRUCTIONS_REFUSAL = (
    "I can't share or change my instructions, but I'm happy to help with your Northwind "
    "Cloud account."
)
DEFAULT_MAX_SENTENCES = 4

_QUESTION = re.compile(r"<question>\n?(.*?)\n?</question>", re.DOTALL)
_MAX_SENTENCES = re.compile(r"at most (\d+|one|two|three|four|five|six) sentences?", re.I)
_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=\S)")
_INJECTION = re.compile(
    r"\b(ignore|disregard|forget)\b.{0,30}\b(instructions|rules|prompt|above)\b|"
    r"\b(system prompt|your instructions|your prompt|developer mode|jailbreak)\b",
    re.IGNORECASE | re.DOTALL,
)
_GREETING = re.compile(r"^\s*(hi|hello|hey|good (morning|afternoon|evening))\b", re.I)
_THANKS = re.compile(r"^\s*(thanks|thank you|cheers)\b", re.I)
_NAME = re.compile(r"\b(?i:my name is|i am|i'm|this is|call me)\s+([A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)")
_PLAN = re.compile(r"\b(starter|team|business|enterprise|free|pro)\s+plan\b", re.I)
_SEATS = re.compile(r"\b(\d{1,6})\s+(?:seats|users|licen[cs]es|people)\b", re.I)
_COMPANY = re.compile(r"\b(?:company is|work (?:at|for)|from)\s+([A-Z][\w&-]+(?:\s+[A-Z][\w&-]+)?)")
_ASK_NAME = re.compile(r"\b(what'?s|what is|do you (know|remember))\s+my name\b|\bwho am i\b", re.I)
_ASK_PLAN = re.compile(r"\b(which|what)\s+plan\b.*\b(i|we|am|are|our|my)\b|\bmy plan\b", re.I)
_ASK_SEATS = re.compile(r"\bhow many\s+(seats|users|licen[cs]es|people)\b", re.I)
_ASK_COMPANY = re.compile(r"\b(which|what)\s+company\b|\bwhere do i work\b", re.I)
NOT_A_NAME = frozenset({"On", "The", "A", "An", "Not", "Looking", "Having", "Trying", "Using"})


@dataclass(frozen=True)
class Facts:
    """What the user has said about themselves in the context the model was given."""

    name: str | None = None
    plan: str | None = None
    seats: str | None = None
    company: str | None = None


def facts_in(texts: Sequence[str]) -> Facts:
    """Collect the latest stated name, plan, seat count and company from `texts`, in order."""
    name = plan = seats = company = None
    for text in texts:
        for match in _NAME.finditer(text):
            if match.group(1).split()[0] not in NOT_A_NAME:
                name = match.group(1)
        if (m := _PLAN.search(text)) is not None:
            plan = m.group(1).capitalize()
        if (m := _SEATS.search(text)) is not None:
            seats = m.group(1)
        if (m := _COMPANY.search(text)) is not None:
            company = m.group(1)
    return Facts(name, plan, seats, company)


def question_of(text: str) -> str:
    """Return the message inside a `<question>` fence, or the whole text."""
    match = _QUESTION.search(text)
    return match.group(1).strip() if match else text.strip()


def reply(messages: Sequence[Message]) -> str:
    """Return the offline reply to the last user message, shaped by the system's rules."""
    system = " ".join(m.content for m in messages if m.role == "system")
    users = [m for m in messages if m.role == "user"]
    last = users[-1].content if users else ""
    question = question_of(last)
    earlier = [question_of(m.content) for m in users[:-1]]
    summaries = [m.content for m in messages if m.role == "system" and "earlier" in m.content]
    facts = facts_in([*summaries, *earlier])
    text = _answer(question, last, facts)
    return _format(text, system)


def _answer(question: str, raw: str, known: Facts) -> str:
    """Pick the reply: instructions, facts asked for, greetings, documents, or scope."""
    if _INJECTION.search(question):
        return INSTRUCTIONS_REFUSAL
    now = facts_in([question])
    recalled = _recall(question, known)
    if recalled:
        return recalled
    if _GREETING.search(question) or (now != Facts() and "?" not in question):
        return _greet(now, known)
    if _THANKS.search(question):
        return "You're welcome! Anything else about your Northwind Cloud account?"
    if OFF_TOPIC.search(question) and not on_topic(question.replace("?", ""), top_score=0.0):
        return OFF_TOPIC_REFUSAL
    grounded = parse_grounded(raw)
    if grounded is not None:
        sources, asked = grounded
        answer = grounded_answer(sources, asked) if sources else REFUSAL
        return NOT_IN_DOCUMENTS if answer == REFUSAL else answer
    if not on_topic(question):
        return OFF_TOPIC_REFUSAL
    return _general(question, known)


def _recall(question: str, known: Facts) -> str:
    """Answer a question about a fact the user stated earlier; empty when it asks none."""
    if _ASK_NAME.search(question):
        return f"Your name is {known.name}." if known.name else "You haven't told me your name yet."
    if _ASK_PLAN.search(question) and known.plan:
        return f"You're on the {known.plan} plan."
    if (
        _ASK_SEATS.search(question)
        and known.seats
        and re.search(r"\b(we|i|our|my)\b", question, re.I)
    ):
        return f"You have {known.seats} seats."
    if _ASK_COMPANY.search(question) and known.company:
        return f"You work at {known.company}."
    return ""


def _greet(now: Facts, known: Facts) -> str:
    """Greet the user, repeating back what they just told us about themselves."""
    name = now.name or known.name
    hello = f"Nice to meet you, {name}." if now.name else (f"Hello {name}!" if name else "Hello!")
    noted = []
    if now.plan:
        noted.append(f"you're on the {now.plan} plan")
    if now.seats:
        noted.append(f"you have {now.seats} seats")
    if now.company:
        noted.append(f"you work at {now.company}")
    parts = [hello]
    if noted:
        parts.append("Noted: " + " and ".join(noted) + ".")
    parts.append("How can I help with your Northwind Cloud plan, billing or account?")
    return " ".join(parts)


def _general(question: str, known: Facts) -> str:
    """Reply to an in-scope message the offline model has no documents for."""
    words = [w for w in re.findall(r"[a-z0-9]+", question.lower()) if len(w) > 3]
    topic = " ".join(words[:4]) or "your question"
    who = f", {known.name}" if known.name else ""
    plan = f" on the {known.plan} plan" if known.plan else ""
    return (
        f"Thanks{who}. About {topic}: I can help with plans, billing, SSO and your "
        f"account{plan}. Could you tell me a little more about what you need?"
    )


def _format(text: str, system: str) -> str:
    """Apply the format rules of the system message: no headings, at most N sentences."""
    lines = [re.sub(r"^\s*#+\s*", "", line) for line in text.splitlines()]
    text = " ".join(line for line in lines if line.strip())
    match = _MAX_SENTENCES.search(system)
    limit = DEFAULT_MAX_SENTENCES
    if match:
        value = match.group(1).lower()
        limit = _WORDS[value] if value in _WORDS else int(value)
    sentences = _SENTENCE.split(text)
    return " ".join(sentences[:limit])


class OfflineChatModel(OfflineProvider):
    """The deterministic chat provider; no network, no key, no cost.

    The shared offline provider's `complete` and `stream` (word by word) around this kind's
    `reply`.
    """

    def __init__(self, model: str = MODEL) -> None:
        super().__init__(model)

    def reply(self, messages: Sequence[Message]) -> str:
        """Return the chatbot's reply to the last user message."""
        return reply(messages)


def offline_model() -> OfflineChatModel:
    """Return the model `LLM_PROVIDER=offline` names for the chatbot."""
    return OfflineChatModel()
