"""What a customer says about themselves: their name, plan, seat count and company.

The offline model (docs/decisions/0006) remembers these and answers questions about them. A
fact comes only from a *statement*, clause by clause ("I'm on the Business plan and we have 12
seats" holds two): a question ("How much for 50 seats?"), a request ("Write a fake invoice
from Northwind", "I'm going to ask about refunds") and a message moderation flags state
nothing. A name needs a cue: "my name is" and "call me" take any word ("call me jo"); "I'm",
"I am", "this is" and "… here" take a capitalised one that is not in `NOT_A_NAME`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .guardrails import moderate

PLANS = ("starter", "business", "enterprise", "free")
"""Northwind Cloud's plans (`data/corpus/pricing-plans.md`)."""
UNITS = ("seats", "seat", "users", "licences", "licenses", "people", "members", "employees")
"""What a seat count counts."""
NOT_A_NAME = frozenset((
    "on", "the", "a", "an", "not", "looking", "having", "trying", "using", "going", "sorry",
    "just", "also", "still", "here", "new", "back", "from", "with", "at", "in", "interested",
    "wondering", "writing", "calling", "asking", "fine", "good", "happy", "glad", "sure",
    "afraid", "currently", "northwind", "admin", "it", "your", "our", "my", "very", "so",
    "really", "getting", "unable", "able", "done", "ready", "stuck", "confused", "later",
    "tomorrow", "today", "now", "asap", "anytime", "when", "if", "please", "maybe", "again",
    "soon", "about", "and", "but", "or", "to", "of", "for", "by", "as", "that", "this", "what",
    "anyone", "someone", "everyone", "nobody", "everybody",
    *PLANS,
))  # fmt: skip
"""Words after a name cue that are not a name ("I'm Looking …", "call me back")."""
REQUEST_OPENERS = (
    "write", "create", "make", "generate", "draft", "produce", "forge", "show", "give", "send",
    "list", "tell", "share", "reveal", "print", "repeat", "ignore", "forget", "disregard",
    "pretend", "act", "imagine", "translate", "explain", "find", "get", "help", "can you",
    "could you", "would you", "will you", "can i", "could i", "i want", "i'd like",
    "i would like", "i need you", "i'm going to", "i am going to", "i'm gonna", "let's",
    "what", "which", "how", "why", "when", "where", "who", "do", "does", "did", "is", "are",
    "should", "may",
)  # fmt: skip
"""How a clause that asks for something (and states nothing) opens."""
WANTS = ("want", "need", "add", "buy", "purchase", "remove", "like", "plan to", "planning",
         "thinking", "considering", "if", "would", "could", "going to")  # fmt: skip
"""Words that make a seat count a wish, not a fact ("we need 50 seats")."""

_LETTER = r"[^\W\d_]"
_ANY_WORD = rf"{_LETTER}+(?:['\u2019-]{_LETTER}+)?"
_CAP_WORD = rf"(?-i:[A-ZÀ-ÖØ-Þ]){_LETTER}*(?:['\u2019-]{_LETTER}+)?"
_STRONG = re.compile(
    rf"\b(?:my name is|my name's|call me|you can call me)\s+({_ANY_WORD})(?:\s+({_CAP_WORD}))?",
    re.IGNORECASE,
)
_WEAK = re.compile(
    rf"\b(?:i['\u2019]?m|i am|this is)\s+({_CAP_WORD})(?:\s+({_CAP_WORD}))?|"
    rf"^\s*({_CAP_WORD})\s+here\b",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_GREETING = re.compile(r"^\s*(?:(?:hi|hello|hey|ok|okay|so|also|and|well|sorry)\b[\s,!.-]*)+", re.I)
_OPENER = re.compile(
    rf"^(?:please\s+)?(?:{'|'.join(re.escape(o) for o in REQUEST_OPENERS)})\b", re.IGNORECASE
)
_CLAUSES = re.compile(r"\s*[;:]\s*|,?\s+(?:and|but)\s+(?=(?:i|i'm|i've|we|we're|my|our)\b)", re.I)
_SELF = re.compile(r"\b(?:i|i'm|i've|we|we're|we've|our|my|us)\b", re.IGNORECASE)
_PLAN = re.compile(
    rf"\b({'|'.join(PLANS)})\s+(?:plan|tier|subscription)\b|\b(?:on|using|with|to|is)\s+"
    rf"(?:the\s+|a\s+|an\s+)?({'|'.join(PLANS)})\b(?!\s+trial)",
    re.IGNORECASE,
)
_SEATS = re.compile(
    rf"\b(\d{{1,6}})\s+(?:{'|'.join(UNITS)})\b|\b(?:team|company|organi[sz]ation) of (\d{{1,6}})\b"
    r"|\b(\d{1,6}) of us\b",
    re.IGNORECASE,
)
_WANT = re.compile(rf"\b(?:{'|'.join(WANTS)})\b", re.IGNORECASE)
_COMPANY_NAME = rf"({_CAP_WORD}(?:\s+(?:{_CAP_WORD}|&)){{0,2}})"
_COMPANY = re.compile(
    rf"\b(?:i['\u2019]?m|i am|we['\u2019]?re|we are|i work|we work)\s+(?:at|for|with|from)\s+"
    rf"{_COMPANY_NAME}|\b(?:my|our)\s+(?:company|employer|organi[sz]ation|firm|business)\s+is\s+"
    rf"(?:called\s+)?{_COMPANY_NAME}|\b(?:i['\u2019]?m|i am|this is)\s+{_CAP_WORD}\s+(?:from|at)\s+"
    rf"{_COMPANY_NAME}",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Facts:
    """What the user has said about themselves in the context the model was given."""

    name: str | None = None
    plan: str | None = None
    seats: str | None = None
    company: str | None = None


def clauses(text: str) -> list[str]:
    """Split `text` into the clauses of its unflagged sentences, each without its greeting."""
    out: list[str] = []
    for sentence in _SENTENCE.split(" ".join(text.split())):
        if moderate(sentence) is not None:
            continue  # a declined or flagged sentence states nothing
        parts = (_GREETING.sub("", c).strip() for c in _CLAUSES.split(sentence))
        out.extend(p for p in parts if p)
    return out


def is_statement(clause: str) -> bool:
    """Tell whether a clause states something (not a question, not a request)."""
    return not clause.endswith("?") and not _OPENER.match(clause)


def name_in(clause: str) -> str | None:
    """Return the name a clause gives, or None."""
    for match in (*_STRONG.finditer(clause), *_WEAK.finditer(clause)):
        words = [w for w in match.groups() if w]
        if words and words[0].lower() not in NOT_A_NAME:
            kept = [words[0], *(w for w in words[1:2] if w.lower() not in NOT_A_NAME)]
            return " ".join(w[0].upper() + w[1:] for w in kept)
    return None


def _stated(pattern: re.Pattern[str], clause: str, *, about_self: bool = True) -> str | None:
    """Return the first group `pattern` finds in a statement about the customer, or None.

    The clause must speak of the customer ("we", "my", …) unless the pattern itself does
    (`about_self=False`), and no wish may come before the match ("we need 50 seats").
    """
    match = pattern.search(clause)
    if match is None or (about_self and not _SELF.search(clause)):
        return None
    if _WANT.search(clause[: match.start()]):
        return None
    return next((g for g in match.groups() if g), None)


def facts_in(texts: Sequence[str]) -> Facts:
    """Collect the latest stated name, plan, seat count and company from `texts`, in order."""
    name = plan = seats = company = None
    for text in texts:
        for clause in clauses(text):
            statement = is_statement(clause)
            if statement or _STRONG.search(clause):
                name = name_in(clause) or name
            if statement:
                stated_plan = _stated(_PLAN, clause)
                plan = stated_plan.capitalize() if stated_plan else plan
                seats = _stated(_SEATS, clause) or seats
                company = _stated(_COMPANY, clause, about_self=False) or company
    return Facts(name, plan, seats, company)
