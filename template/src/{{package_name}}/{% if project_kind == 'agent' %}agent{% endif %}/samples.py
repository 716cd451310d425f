"""Sample tasks for the web page: one click each, on the seeded world.

Two pause for a person's approval (a refund, a plan change), two end on their own with the
policy's answer, and one is not a support task at all. The tests run each one offline and
check that it ends as `expect` says.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Sample:
    """A task the page offers as a one-click example, and how it should end."""

    task: str
    expect: Literal["approval", "answer"]


SAMPLES: tuple[Sample, ...] = (
    Sample(
        "Customer ana@acme.test was charged twice in March; refund the duplicate (T-101).",
        "approval",
    ),
    Sample("T-108: Lee & Co want to add a 26th user.", "approval"),
    Sample(
        "Refund the February invoice of dev@patel-design.test; they did not use the service "
        "(T-107).",
        "answer",
    ),
    Sample("emma@novak-logistics.test had an outage on 12 March; credit them (T-102).", "answer"),
    Sample("What is the capital of France?", "answer"),
)
