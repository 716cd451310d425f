"""Guardrails in code, around every turn: moderation, PII redaction, the topic boundary.

All offline and rule-based (docs/decisions/0008): word lists and patterns catch the obvious
and miss paraphrases; a moderation model can replace `moderate()` behind the same interface.
Moderation covers harmful content (`CATEGORIES`) and the requests the assistant declines
although they are about Northwind Cloud (`declines.RULES`: another customer's data, fake
documents, fake authority, its own instructions).
Quotas live in the message store (`ChatStore.take_quota`); `quota_day` and `reset_at` say
which day a message counts against and when it ends.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .declines import declined

# --- moderation ----------------------------------------------------------------------------

CATEGORIES: dict[str, tuple[re.Pattern[str], str]] = {
    "self_harm": (
        re.compile(
            r"\b(kill|hurt|harm)\s+myself\b|\bsuicid\w*|\bend\s+my\s+life\b|\bself[- ]harm\b",
            re.IGNORECASE,
        ),
        "I'm really sorry you're going through this. I can't help with that here, but you "
        "don't have to face it alone: please contact a local emergency number or a crisis "
        "line such as 988 (US) or 116 123 (UK and Ireland) right away.",
    ),
    "minors": (
        re.compile(
            r"\b(child|children|minor|minors|underage|kid|kids)\b.{0,40}\b(sex\w*|nude\w*|"
            r"porn\w*|explicit)\b|\b(sex\w*|nude\w*|porn\w*|explicit)\b.{0,40}\b(child|"
            r"children|minor|minors|underage|kid|kids)\b",
            re.IGNORECASE | re.DOTALL,
        ),
        "I can't help with that.",
    ),
    "weapons": (
        re.compile(
            r"\b(make|build|assemble|buy)\b.{0,30}\b(bomb|explosive|pipe bomb|gun|firearm|"
            r"weapon|nerve agent)s?\b",
            re.IGNORECASE | re.DOTALL,
        ),
        "I can't help with weapons or explosives. I'm here for questions about Northwind Cloud.",
    ),
    "abuse": (
        re.compile(
            r"\b(fuck\w*|shit\w*|bitch\w*|bastard\w*|asshole\w*|cunt\w*|idiot|moron|"
            r"retard\w*|stupid bot)\b",
            re.IGNORECASE,
        ),
        "I'd like to help, and I'll do that best if we keep it civil. What can I do for you "
        "with your Northwind Cloud account?",
    ),
}


@dataclass(frozen=True)
class Moderation:
    """A flagged text: its category and the reply the bot gives instead."""

    category: str
    refusal: str


def moderate(text: str) -> Moderation | None:
    """Return the first category or declined request `text` falls into, or None."""
    for category, (pattern, refusal) in CATEGORIES.items():
        if pattern.search(text):
            return Moderation(category, refusal)
    hit = declined(text)
    return Moderation(*hit) if hit is not None else None


# --- PII redaction -------------------------------------------------------------------------

_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){2,7}(?:\s?[A-Z0-9]{1,4})?\b")
_CARD = re.compile(r"\b(?:\d[ -]?){12,18}\d\b")
_PHONE = re.compile(r"(?<![\w+])\+?\d[\d ().-]{7,}\d\b")


def luhn_ok(digits: str) -> bool:
    """Tell whether a string of digits passes the Luhn check (card numbers do)."""
    total = 0
    for i, char in enumerate(reversed(digits)):
        n = int(char)
        if i % 2 == 1:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return "[card]" if 13 <= len(digits) <= 19 and luhn_ok(digits) else match.group(0)


def _phone(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    international = match.group(0).startswith("+")
    return (
        "[phone]"
        if 10 <= len(digits) <= 15 or (international and len(digits) >= 8)
        else match.group(0)
    )


def redact(text: str) -> str:
    """Replace e-mail addresses, IBANs, card numbers (Luhn-checked) and phone numbers."""
    text = _EMAIL.sub("[email]", text)
    text = _IBAN.sub("[iban]", text)
    text = _CARD.sub(_card, text)
    return _PHONE.sub(_phone, text)


# --- topic boundary ------------------------------------------------------------------------

TOPIC_WORDS = frozenset((
    "northwind", "cloud", "plan", "plans", "pricing", "price", "prices", "cost", "costs",
    "billing", "bill", "bills", "invoice", "invoices", "refund", "refunds", "charge", "charged",
    "payment", "pay", "card", "subscription", "subscribe", "upgrade", "downgrade", "cancel",
    "cancellation", "trial", "seat", "seats", "user", "users", "account", "accounts", "admin",
    "login", "password", "sso", "saml", "scim", "okta", "azure", "2fa", "mfa", "security", "sla",
    "uptime", "outage", "status", "support", "ticket", "api", "key", "keys", "token",
    "integration", "integrations", "export", "import", "data", "backup", "storage", "region",
    "gdpr", "privacy", "starter", "business", "enterprise", "team", "teams", "workspace",
    "project", "projects", "feature", "features", "limit", "limits", "quota", "help", "contact",
    "discount", "annual", "monthly", "vat", "tax", "receipt", "dashboard", "settings", "email",
    "notification",
))  # fmt: skip
GREETING = re.compile(
    r"^\s*(hi|hello|hey|good (morning|afternoon|evening)|thanks|thank you|bye|goodbye)\b",
    re.IGNORECASE,
)
PERSONAL = re.compile(
    r"\b(my|i'm|i am|we're|we are|we have|i have|our|me|am i|do i|did i)\b", re.IGNORECASE
)
OFF_TOPIC = re.compile(
    r"\b(weather|recipe|cook|poem|poetry|song|lyrics|joke|football|soccer|basketball|"
    r"election|president|stock|stocks|crypto|bitcoin|horoscope|movie|film|novel|homework|"
    r"essay|capital of|translate|diet|medical|diagnos\w*|lawyer|legal advice|dating|"
    r"write (me )?(a |some )?(code|python|javascript|story))\b",
    re.IGNORECASE,
)
OFF_TOPIC_REFUSAL = (
    "I can only help with Northwind Cloud: plans, billing, SSO, your account and the product. "
    "Is there something about those I can do for you?"
)
_WORD = re.compile(r"[a-z0-9]+")


def on_topic(text: str, *, top_score: float | None = None, min_score: float = 0.0) -> bool:
    """Tell whether `text` is Northwind Cloud support (or small talk around it).

    Greetings, statements and questions about the customer themselves, and anything naming
    a support topic are in scope. Otherwise: grounded, a message whose best passage reaches
    `min_score` is in scope; ungrounded, one that names no off-topic subject is.
    """
    words = set(_WORD.findall(text.lower()))
    if words & TOPIC_WORDS or GREETING.search(text):
        return True
    if OFF_TOPIC.search(text):
        return False
    if PERSONAL.search(text):
        return True
    if top_score is not None:
        return top_score > min_score
    return True


# --- quotas --------------------------------------------------------------------------------


def quota_day(at: datetime | None = None) -> str:
    """Return the UTC day a message sent `at` (default: now) counts against."""
    return (at or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%d")


def reset_at(at: datetime | None = None) -> datetime:
    """Return when the quota day of `at` (default: now) ends: the next UTC midnight."""
    moment = (at or datetime.now(UTC)).astimezone(UTC)
    return moment.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
