"""Security meters: security events by type and severity, authentication attempts.

    from qf_otel import security
    security.record_event("brute_force", severity="high")
    security.record_auth_attempt(method="password", outcome="failure")

Works before ``configure()`` and never raises.
"""

from __future__ import annotations

from qf_otel import _vocabulary as v
from qf_otel._bound import BoundCounter, Family
from qf_otel._recording import Counter
from qf_otel._vocabulary import guarded

__all__ = ["auth_attempts", "events", "record_auth_attempt", "record_event"]

SCOPE = "qf_otel.security"

EVENTS = Counter(
    "qf.security.events",
    unit="{event}",
    description="Security events detected, by type and severity.",
    attributes=(v.SECURITY_EVENT_TYPE, v.SECURITY_SEVERITY),
    scope=SCOPE,
)
AUTH_ATTEMPTS = Counter(
    "qf.security.auth.attempts",
    unit="{attempt}",
    description="Authentication attempts, by method and outcome.",
    attributes=(v.AUTH_METHOD, v.AUTH_OUTCOME),
    scope=SCOPE,
)

_events = Family(EVENTS, BoundCounter)
_auth_attempts = Family(AUTH_ATTEMPTS, BoundCounter)


def events(kind: str, *, severity: str) -> BoundCounter:
    """The event counter of one (type, severity), bound: ``.add()`` per event."""
    return _events.keep(kind, severity)


@guarded(EVENTS.name)
def record_event(kind: str, *, severity: str) -> None:
    """Count one security event of type `kind` (e.g. "brute_force") and `severity`."""
    _events.bind(kind, severity).add(1)


def auth_attempts(*, method: str, outcome: str) -> BoundCounter:
    """The attempt counter of one (method, outcome), bound: ``.add()`` per attempt."""
    return _auth_attempts.keep(method, outcome)


@guarded(AUTH_ATTEMPTS.name)
def record_auth_attempt(*, method: str, outcome: str) -> None:
    """Count one authentication attempt (outcome "success" or "failure")."""
    _auth_attempts.bind(method, outcome).add(1)
