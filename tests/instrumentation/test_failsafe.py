"""A failure inside the instrumentation never reaches the application: counted, logged once."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from qf_otel_instrumentation import _instruments, _sqlalchemy
from sqlalchemy import create_engine, text

from qf_otel.testing import MetricsCapture
from tests.instrumentation import apps
from tests.instrumentation.conftest import Installed


def broken(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("simulated bug in the instrumentation")


def test_http_server_recording_failure_is_contained(
    instrument: Callable[..., Installed], qf_metrics: MetricsCapture,
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    instrument(instrumentations=frozenset({"asgi"}))
    monkeypatch.setattr(_instruments.SERVER_DURATION, "series", broken)
    app = apps.fastapi_app()

    async def call() -> list[int]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://test") as client:
            return [(await client.get("/v1/items/1")).status_code for _ in range(3)]

    assert asyncio.run(call()) == [200, 200, 200]
    assert qf_metrics.rejected("http.server.request.duration", "internal_error") == 3
    # Logged once per process and metric, never per request.
    assert sum(r.exc_info is not None for r in caplog.records) <= 1


def test_sqlalchemy_recording_failure_is_contained(
    instrument: Callable[..., Installed], qf_metrics: MetricsCapture,
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    instrument(instrumentations=frozenset({"sqlalchemy"}))
    monkeypatch.setattr(_sqlalchemy, "describe", broken)
    engine = create_engine(f"sqlite:///{tmp_path}/f.db")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 41 + 1")).scalar() == 42
    assert qf_metrics.rejected("db.client.operation.duration", "internal_error") == 1
