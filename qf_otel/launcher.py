"""The `opentelemetry-instrument` hooks: with `OTEL_PYTHON_DISTRO=qf_otel` and
`OTEL_PYTHON_CONFIGURATOR=qf_otel` the launcher builds exactly what `configure()` builds."""

from __future__ import annotations

import logging
import os
from typing import Any

from opentelemetry.instrumentation.distro import BaseDistro  # type: ignore[attr-defined]
from opentelemetry.sdk._configuration import _BaseConfigurator

_logger = logging.getLogger("qf_otel")


# qf_otel.infrastructure records the small documented process/system set instead
_OWN_REPLACEMENTS = frozenset({"system_metrics"})


def _replaced_contrib() -> frozenset[str]:
    try:
        from qf_otel_instrumentation import REPLACED_CONTRIB
    except ImportError:
        return _OWN_REPLACEMENTS
    return _OWN_REPLACEMENTS | frozenset(REPLACED_CONTRIB)


class QfOtelDistro(BaseDistro):  # type: ignore[misc]
    """Loads contrib instrumentors except those qf-otel replaces (no double recording)."""

    def _configure(self, **kwargs: Any) -> None:
        # configuration is the configurator's job; with only OTEL_PYTHON_DISTRO set, make sure
        # it is ours and not whichever other configurator's entry point comes first
        os.environ.setdefault("OTEL_PYTHON_CONFIGURATOR", "qf_otel")

    def load_instrumentor(self, entry_point: Any, **kwargs: Any) -> None:
        if entry_point.name in _replaced_contrib():
            _logger.debug("qf-otel: contrib %s skipped, qf-otel instruments it", entry_point.name)
            return
        super().load_instrumentor(entry_point, **kwargs)


class QfOtelConfigurator(_BaseConfigurator):  # type: ignore[misc]
    def _configure(self, **kwargs: Any) -> None:
        from qf_otel._configure import configure

        configure()
