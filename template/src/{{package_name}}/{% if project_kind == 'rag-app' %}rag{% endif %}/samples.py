"""Sample questions for the web page: answered well from the sample corpus, and one refused.

Each is a case of the golden set (`evals/cases.jsonl`, by id), so the eval suite keeps
checking them. After you index your own documents, replace them with questions about those.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Sample:
    """A question the page offers as a one-click example, and what it should get."""

    case_id: str
    question: str
    expect: Literal["answer", "refusal"]


SAMPLES: tuple[Sample, ...] = (
    Sample("q007", "How long does an OAuth access token stay valid?", "answer"),
    Sample(
        "q006",
        "Which HTTP status code does the API return when I exceed the rate limit?",
        "answer",
    ),
    Sample(
        "q030", "How many days of paid holiday does a full-time employee get each year?", "answer"
    ),
    Sample(
        "q012",
        "We paid for a year and changed our mind after two weeks. Do we get our money back?",
        "answer",
    ),
    Sample("q052", "What is the capital of Australia?", "refusal"),
)
