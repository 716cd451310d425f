"""Locust users for `make loadtest`: each one asks the golden-set questions on /ask in turn.

Every user sends its next question as soon as the previous answer arrives (no think time), so
the throughput measured is what the app serves at that many concurrent requests. A response
other than 200 with an `answer` counts as an error. When API_KEY is set in the environment,
it is sent as `X-API-Key`.
"""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path

from locust import HttpUser, constant, task

CASES = Path(__file__).resolve().parent.parent / "evals" / "cases.jsonl"
QUESTIONS = [
    json.loads(line)["question"]
    for line in CASES.read_text(encoding="utf-8").splitlines()
    if line.strip()
]
_starts = itertools.count()


class Asker(HttpUser):
    """A user asking the golden-set questions, starting at a different one each."""

    wait_time = constant(0)

    def on_start(self) -> None:
        """Pick the first question and send the API key, if there is one."""
        self.next = next(_starts) * 7
        key = os.environ.get("API_KEY", "")
        if key:
            self.client.headers["X-API-Key"] = key

    @task
    def ask(self) -> None:
        """Ask the next question; anything but a 200 with an answer is a failure."""
        question = QUESTIONS[self.next % len(QUESTIONS)]
        self.next += 1
        with self.client.post(
            "/ask", json={"question": question}, name="/ask", catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}: {response.text[:200]}")
            elif "answer" not in response.json():
                response.failure("the response has no answer")
