"""Cost budgets that hold under concurrency: reserve the worst case, then settle the real cost.

A call first reserves its estimated cost (the prompt's estimated tokens plus `max_tokens`, at
the model's price) under a lock; the per-run check counts money already spent *and* money
reserved by calls still in flight, so thirty concurrent requests cannot all pass a check that
each would pass alone. When the call ends, its reservation is replaced by what it really cost
(0 for a failure: providers do not bill failed requests). See docs/decisions/0003.
"""

from __future__ import annotations

import threading

from .types import BudgetExceededError


class Budget:
    """A per-request and a per-run limit in US dollars; either may be None (no limit)."""

    def __init__(
        self, *, per_request_usd: float | None = None, per_run_usd: float | None = None
    ) -> None:
        self.per_request_usd = per_request_usd
        self.per_run_usd = per_run_usd
        self.spent_usd = 0.0
        self.reserved_usd = 0.0
        self._smallest_refused: float | None = None
        self._lock = threading.Lock()

    @property
    def limited(self) -> bool:
        """Tell whether any limit is set."""
        return self.per_request_usd is not None or self.per_run_usd is not None

    def reserve(self, label: str, estimate: float) -> float:
        """Reserve `estimate` dollars for one call and return the reservation.

        Raises:
            BudgetExceededError: The call alone is over the per-request limit, or it would
                push spent plus reserved money over the per-run limit.

        """
        limit = self.per_request_usd
        if limit is not None and estimate > limit:
            raise BudgetExceededError(
                f"{label}: request may cost ${estimate:.6f}, over BUDGET_PER_REQUEST_USD=${limit}"
            )
        with self._lock:
            limit = self.per_run_usd
            if limit is not None and self.spent_usd + self.reserved_usd + estimate > limit:
                if self.spent_usd + estimate > limit:  # refused on spend alone: for good
                    smallest = self._smallest_refused
                    self._smallest_refused = (
                        estimate if smallest is None else min(smallest, estimate)
                    )
                raise BudgetExceededError(
                    f"{label}: ${self.spent_usd:.6f} spent + ${self.reserved_usd:.6f} reserved "
                    f"by calls in flight + ${estimate:.6f} for this request is over "
                    f"BUDGET_PER_RUN_USD=${limit}"
                )
            self.reserved_usd += estimate
        return estimate

    def settle(self, reservation: float, cost: float) -> None:
        """Replace a reservation by the call's real cost."""
        with self._lock:
            self.reserved_usd = max(self.reserved_usd - reservation, 0.0)
            self.spent_usd += cost

    def spent_message(self) -> str | None:
        """Say why the run budget is spent, or return None while calls can still be afforded.

        The run budget counts as spent once the money spent reaches it, or once a call was
        refused on spent money alone (spend only grows, so such a call can never pass again).
        """
        limit = self.per_run_usd
        if limit is None:
            return None
        with self._lock:
            spent, smallest = self.spent_usd, self._smallest_refused
        if spent < limit and (smallest is None or spent + smallest <= limit):
            return None
        return (
            f"the run budget is spent: ${spent:.6f} of BUDGET_PER_RUN_USD=${limit} "
            "(raise the budget or restart the process to start a new run)"
        )
