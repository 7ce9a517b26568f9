"""Failure reporting that cannot flood: log a kind of failure once a minute, and count every one."""

from __future__ import annotations

import logging
import threading
import time

from qf_otel._recording import Counter

_WINDOW_SECONDS = 60.0
_last_logged: dict[str, float] = {}
_lock = threading.Lock()

FAILURES = Counter(
    "qf.otel.export.failures",
    unit="{failure}",
    description="Exports qf-otel could not complete (the application was not affected).",
    attributes=("qf.otel.exporter",),
)


def _due(kind: str) -> bool:
    """True if `kind` was not logged within the last minute (and notes that it is now)."""
    now = time.monotonic()
    with _lock:
        last = _last_logged.get(kind)
        if last is not None and now - last < _WINDOW_SECONDS:
            return False
        _last_logged[kind] = now
        return True


def log_once(logger: logging.Logger, kind: str, message: str, *args: object,
             exc_info: bool = False) -> None:
    """Log `message` at warning level unless the same `kind` was logged within the last minute."""
    if _due(kind):
        logger.warning(message, *args, exc_info=exc_info)


class OncePerMinute(logging.Filter):
    """Attached to the SDK exporters' loggers: a dead endpoint must not write a line per retry."""

    def filter(self, record: logging.LogRecord) -> bool:
        return _due(f"{record.name}:{record.msg}")
