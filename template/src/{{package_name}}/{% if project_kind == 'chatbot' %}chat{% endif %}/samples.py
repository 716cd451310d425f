"""Sample first messages for the web page (`GET /samples`) and the load test."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Sample:
    """A first message, and whether the bot answers it or refuses it."""

    message: str
    expect: Literal["answer", "refusal"]


SAMPLES: tuple[Sample, ...] = (
    Sample("Hi, I'm Dana and we're on the Business plan with 12 seats.", "answer"),
    Sample("Which plans include SSO?", "answer"),
    Sample("How do refunds work for annual plans?", "answer"),
    Sample("What is the uptime SLA?", "answer"),
    Sample("Can you write me a poem about the weather?", "refusal"),
)
