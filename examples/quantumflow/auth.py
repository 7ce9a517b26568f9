"""Login sessions and brute-force protection, with the security and business meters they feed.

A session is opened by a successful login and closed by logout or by expiry; while it is open it
counts in `qf.business.sessions.active`. Every password check is an authentication attempt
(`qf.security.auth.attempts`); too many failures for one account within a window lock it and
record a `brute_force` security event, and attempts on a locked account are `account_locked`
events.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass

from qf_otel import business, security

SESSION_SECONDS = 120.0
FAILURE_WINDOW_SECONDS = 60.0
FAILURES_BEFORE_LOCK = 5
LOCK_SECONDS = 30.0


@dataclass(frozen=True)
class Session:
    username: str
    expires: float


class Sessions:
    """Open sessions by bearer token; expired ones are closed by `expire()` (a periodic task)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[str, Session] = {}
        self._active = business.sessions_active()

    def open(self, username: str) -> str:
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._open[token] = Session(username, time.monotonic() + SESSION_SECONDS)
        self._active.add(1)
        return token

    def user(self, token: str) -> str | None:
        """The session's user, or None for an unknown or expired token."""
        with self._lock:
            session = self._open.get(token)
        if session is None or session.expires < time.monotonic():
            return None
        return session.username

    def close(self, token: str) -> bool:
        with self._lock:
            session = self._open.pop(token, None)
        if session is None:
            return False
        self._active.add(-1)
        return True

    def expire(self) -> int:
        now = time.monotonic()
        with self._lock:
            stale = [token for token, s in self._open.items() if s.expires < now]
            for token in stale:
                del self._open[token]
        if stale:
            self._active.add(-len(stale))
        return len(stale)

    def close_all(self) -> None:
        with self._lock:
            count, self._open = len(self._open), {}
        self._active.add(-count)


class BruteForceGuard:
    """Counts failed logins per account and locks an account that fails too often."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failures: dict[str, deque[float]] = {}
        self._locked_until: dict[str, float] = {}

    def is_locked(self, username: str) -> bool:
        with self._lock:
            locked = self._locked_until.get(username, 0.0) > time.monotonic()
        if locked:
            security.record_event("account_locked", severity="medium")
        return locked

    def record(self, username: str, *, success: bool) -> None:
        security.record_auth_attempt(method="password", outcome="success" if success else "failure")
        if success:
            with self._lock:
                self._failures.pop(username, None)
            return
        now = time.monotonic()
        with self._lock:
            failures = self._failures.setdefault(username, deque())
            failures.append(now)
            while failures and failures[0] < now - FAILURE_WINDOW_SECONDS:
                failures.popleft()
            detected = len(failures) >= FAILURES_BEFORE_LOCK
            if detected:
                self._locked_until[username] = now + LOCK_SECONDS
                failures.clear()
        if detected:
            security.record_event("brute_force", severity="high")
