"""qf-otel's own instrumentation of HTTP servers and clients, SQLAlchemy, Redis and caches.

Every metric goes through the fast recording core (`qf_otel._recording`) with bounded attribute
values; spans are made only when traces are on. `install(settings)` is what `qf_otel.configure()`
and the launcher call; each instrumentation is also importable on its own.
"""

from __future__ import annotations

import importlib
import logging
import sys
import threading

from qf_otel._settings import Settings
from qf_otel_instrumentation import _config
from qf_otel_instrumentation._bounded import reset_all

__all__ = ["INSTRUMENTATIONS", "REPLACED_CONTRIB", "install", "installed", "uninstall"]

_log = logging.getLogger("qf_otel.instrumentation")

# name -> (names a user may enable/disable it by, module with install()/uninstall())
INSTRUMENTATIONS: dict[str, tuple[frozenset[str], str]] = {
    "asgi": (frozenset({"asgi", "fastapi", "starlette"}), "qf_otel_instrumentation._http_server"),
    "httpx": (frozenset({"httpx"}), "qf_otel_instrumentation._httpx"),
    "requests": (frozenset({"requests"}), "qf_otel_instrumentation._requests"),
    "sqlalchemy": (frozenset({"sqlalchemy"}), "qf_otel_instrumentation._sqlalchemy"),
    "redis": (frozenset({"redis"}), "qf_otel_instrumentation._redis"),
    "cache": (frozenset({"cache"}), "qf_otel_instrumentation.cache"),
}

# Contrib `opentelemetry_instrumentor` entry points the launcher must not load: ours cover them,
# and loading both would record every request twice (and contrib's SQLAlchemy one is wrong on 2.1).
REPLACED_CONTRIB: frozenset[str] = frozenset(
    {"asgi", "fastapi", "starlette", "httpx", "requests", "sqlalchemy", "redis"}
)

_lock = threading.Lock()
_installed: list[str] = []


def _enabled(aliases: frozenset[str], settings: Settings) -> bool:
    if aliases & settings.disabled_instrumentations:
        return False
    return settings.instrumentations is None or bool(aliases & settings.instrumentations)


def install(settings: Settings) -> list[str]:
    """Installs every enabled instrumentation whose library is importable; returns their names.

    Idempotent: a second call applies the new settings and installs nothing twice. Never raises:
    an instrumentation that fails is logged and skipped.
    """
    with _lock:
        try:
            _config.CONFIG = _config.from_settings(settings)
        except Exception:  # a bad value must not break the application's start-up
            _log.exception("qf-otel instrumentation settings could not be applied")
        for name, (aliases, module_name) in INSTRUMENTATIONS.items():
            if not _enabled(aliases, settings):
                _switch_off(name, module_name)
                continue
            if name in _installed:
                continue
            try:
                module = importlib.import_module(module_name)
                if module.install():
                    _installed.append(name)
            except Exception:
                _log.exception("qf-otel could not install the %s instrumentation", name)
        return list(_installed)


def _switch_off(name: str, module_name: str) -> None:
    """Disabled means off, also for what records from import on (the in-process cache wrappers)."""
    module = sys.modules.get(module_name)
    if module is None:
        return
    try:
        module.uninstall()
    except Exception:
        _log.exception("qf-otel could not switch off the %s instrumentation", name)
    if name in _installed:
        _installed.remove(name)


def installed() -> list[str]:
    return list(_installed)


def uninstall() -> None:
    """Removes every patch and listener (for tests); recording stops."""
    with _lock:
        while _installed:
            name = _installed.pop()
            try:
                importlib.import_module(INSTRUMENTATIONS[name][1]).uninstall()
            except Exception:
                _log.exception("qf-otel could not uninstall the %s instrumentation", name)
        _config.CONFIG = _config.RuntimeConfig(enabled=False)
        reset_all()  # first-come admissions and memos start afresh
