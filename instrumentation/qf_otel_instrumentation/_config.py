"""The settings the hot paths read, resolved once per `install()` into plain attributes."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from opentelemetry import trace

from qf_otel._settings import DEFAULT_REDACT_QUERY_KEYS, Settings
from qf_otel_instrumentation._semconv import SemconvMode, mode_from


def _never(path: str) -> object:
    return None


@dataclass
class RuntimeConfig:
    traces: bool = False
    # `excluded(path)` is truthy for a path that must not be observed.
    excluded: Callable[[str], object] = _never
    redact_query_keys: frozenset[str] = DEFAULT_REDACT_QUERY_KEYS
    capture_request_headers: tuple[str, ...] = ()
    capture_response_headers: tuple[str, ...] = ()
    semconv: SemconvMode = field(default_factory=SemconvMode)
    # Whether recording is on at all: off after `uninstall()`, so a patched call that is already
    # on a stack when we uninstall stays harmless.
    enabled: bool = True

    # None = the global provider (what configure() sets); tests hand in their own.
    tracer_provider: trace.TracerProvider | None = None
    _tracers: dict[str, trace.Tracer] = field(default_factory=dict)

    def tracer(self, name: str) -> trace.Tracer:
        # The API's proxy tracer follows a provider set later, so one per name is enough.
        found = self._tracers.get(name)
        if found is None:
            found = self._tracers[name] = trace.get_tracer(
                name, tracer_provider=self.tracer_provider
            )
        return found


def excluded_matcher(patterns: tuple[str, ...]) -> Callable[[str], object]:
    """One compiled alternation of the user's patterns (`re.search` semantics: a match object or
    None), or a constant; no wrapper around it, it runs once per request."""
    if not patterns:
        return _never
    return re.compile("|".join(f"(?:{p})" for p in patterns)).search


# Replaced wholesale by `install()`; the hot paths read `CONFIG` through this module each time so
# they always see the current one.
CONFIG = RuntimeConfig()


def from_settings(settings: Settings) -> RuntimeConfig:
    return RuntimeConfig(
        traces=settings.traces_enabled,
        excluded=excluded_matcher(settings.excluded_urls),
        redact_query_keys=frozenset(k.lower() for k in settings.redact_query_keys),
        capture_request_headers=settings.capture_request_headers,
        capture_response_headers=settings.capture_response_headers,
        semconv=mode_from(),
    )
