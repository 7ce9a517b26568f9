"""Health of the service's components, judged from what the code paths saw recently.

Each dependency call reports its outcome here (`ok()` / `failed(error)`); a failure is also counted
in `qf.health.errors`. `/healthz` turns the last minute of outcomes into a score per component
(`qf.health.score`: the share of successful calls, 1 when there were none) and answers 503 when a
critical component is below half.
"""

from __future__ import annotations

import threading
import time
from collections import deque

from qf_otel import health

WINDOW_SECONDS = 60.0
COMPONENTS = ("db", "cache", "quantum", "external", "storage")
# The service cannot serve without these; the others degrade single features.
CRITICAL = ("db", "cache")


class ComponentHealth:
    """Outcomes of one component's recent calls."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._lock = threading.Lock()
        self._outcomes: deque[tuple[float, bool]] = deque()

    def ok(self) -> None:
        self._add(True)

    def failed(self, error: BaseException | str) -> None:
        health.record_error(error, component=self.name)
        self._add(False)

    def score(self) -> float:
        now = time.monotonic()
        with self._lock:
            self._trim(now)
            total = len(self._outcomes)
            good = sum(1 for _, success in self._outcomes if success)
        return 1.0 if total == 0 else good / total

    def _add(self, success: bool) -> None:
        now = time.monotonic()
        with self._lock:
            self._outcomes.append((now, success))
            self._trim(now)

    def _trim(self, now: float) -> None:
        while self._outcomes and self._outcomes[0][0] < now - WINDOW_SECONDS:
            self._outcomes.popleft()


class Components:
    def __init__(self) -> None:
        self.by_name = {name: ComponentHealth(name) for name in COMPONENTS}

    def __getitem__(self, name: str) -> ComponentHealth:
        return self.by_name[name]

    def publish_scores(self) -> dict[str, float]:
        """Set `qf.health.score` of every component; returns the scores."""
        scores = {name: component.score() for name, component in self.by_name.items()}
        for name, value in scores.items():
            health.set_score(value, component=name)
        return scores
