"""The chatbot's offline model: deterministic, input-dependent, streamed in word chunks.

It stands in the offline provider's place (`offline_model()` in `api.py`), so the tests, the
evals and the demo need no key. It reads the messages it is given (docs/decisions/0006):

- a grounded message (numbered `<source>`s and a `<question>`): an extractive answer from the
  passages, citing `[n]` (the rag-app's answerer, `llm/offline.py`);
- greetings, and facts the user stated earlier in the context it is given (`facts.py`: "my
  name is Dana", "I'm Lena", "I'm on the Business plan and we have 12 seats"), which it
  repeats back when asked, several at once;
- the requests the guardrails decline (`declines.py`: another customer's data, fake
  documents, fake authority, its own instructions) and subjects outside Northwind Cloud
  support: a polite refusal, so it declines them even when called without the engine;
- the format rules of the system message, or of the user's message, it can check: no
  Markdown headings, at most N sentences ("In at most two sentences: ...").
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from ..llm.grounded import parse_grounded
from ..llm.offline import REFUSAL, OfflineProvider, grounded_answer
from ..llm.types import Message
from .context import SUMMARY_HEADER
from .declines import declined
from .facts import Facts, facts_in
from .guardrails import OFF_TOPIC, OFF_TOPIC_REFUSAL, on_topic

MODEL = "offline-chat-v1"
NOT_IN_DOCUMENTS = (
    "I couldn't find that in Northwind Cloud's documents. A support agent can help: open a "
    "ticket from your dashboard."
)
DEFAULT_MAX_SENTENCES = 4

_QUESTION = re.compile(r"<question>\n?(.*?)\n?</question>", re.DOTALL)
_MAX_SENTENCES = re.compile(r"at most (\d+|one|two|three|four|five|six) sentences?", re.I)
_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=\S)")
_GREETING = re.compile(r"^\s*(hi|hello|hey|good (morning|afternoon|evening))\b", re.I)
_THANKS = re.compile(r"^\s*(thanks|thank you|cheers)\b", re.I)
_ASK_NAME = re.compile(
    r"\b(what'?s|what is|do you (know|remember)|remind me of|what did i say)\s+(is\s+)?my name\b"
    r"|\bwho am i\b|\bmy name\?",
    re.I,
)
_ASK_PLAN = re.compile(
    r"\b(which|what)\s+plan\s+(am i|are we|did (i|we)|do (i|we) have|is (mine|ours))\b"
    r"|\b(what'?s|what is|remind me of)\s+(my|our)\s+plan\b",
    re.I,
)
_ASK_SEATS = re.compile(r"\bhow many\s+(seats|users|licen[cs]es|people)\b", re.I)
_ASK_COMPANY = re.compile(r"\b(which|what)\s+company\b|\bwhere do (i|we) work\b", re.I)
_ABOUT_US = re.compile(r"\b(we|i|our|my)\b", re.I)


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
    summaries = [m.content for m in messages if m.role == "system" and SUMMARY_HEADER in m.content]
    facts = facts_in([*summaries, *earlier])
    text = _answer(question, last, facts)
    return _format(text, f"{system} {question}")


def _answer(question: str, raw: str, known: Facts) -> str:
    """Pick the reply: instructions, facts asked for, greetings, documents, or scope."""
    hit = declined(question)
    if hit is not None:
        return hit[1]
    now = facts_in([question])
    recalled = _recall(question, known)
    if recalled:
        return recalled
    if "?" not in question and (_GREETING.search(question) or now != Facts()):
        return _greet(now, known)
    # "Hi, I'm Lena. Which plans include SSO?": greet by name, then answer the question.
    hello = f"Nice to meet you, {now.name}. " if now.name and not known.name else ""
    return hello + _reply_to(question, raw, known)


def _reply_to(question: str, raw: str, known: Facts) -> str:
    """Reply to a question: thanks, scope, the documents, or a general in-scope reply."""
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
    """Answer every question about a fact the user stated earlier; empty when it asks none."""
    said = []
    if _ASK_NAME.search(question):
        said.append(
            f"Your name is {known.name}." if known.name else "You haven't told me your name yet."
        )
    if _ASK_PLAN.search(question) and known.plan:
        said.append(f"You're on the {known.plan} plan.")
    if _ASK_SEATS.search(question) and known.seats and _ABOUT_US.search(question):
        said.append(f"You have {known.seats} seats.")
    if _ASK_COMPANY.search(question) and known.company:
        said.append(f"You work at {known.company}.")
    return " ".join(said)


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


def _format(text: str, rules: str) -> str:
    """Apply the format rules in `rules`: no headings, and the fewest sentences asked for."""
    lines = [re.sub(r"^\s*#+\s*", "", line) for line in text.splitlines()]
    text = " ".join(line for line in lines if line.strip())
    limits = [DEFAULT_MAX_SENTENCES]
    for value in (match.lower() for match in _MAX_SENTENCES.findall(rules)):
        limits.append(_WORDS[value] if value in _WORDS else int(value))
    sentences = _SENTENCE.split(text)
    return " ".join(sentences[: min(limits)])


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
