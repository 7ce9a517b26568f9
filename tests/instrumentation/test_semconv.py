"""Stable conventions by default; OTEL_SEMCONV_STABILITY_OPT_IN=http/dup,database/dup adds the
old instruments next to them (for dashboards being migrated)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from qf_otel_instrumentation._semconv import SemconvMode, mode_from
from sqlalchemy import create_engine, text

from qf_otel.testing import MetricsCapture
from tests.instrumentation import apps
from tests.instrumentation.conftest import Installed


def call_app(path: str) -> None:
    app = apps.fastapi_app()

    async def call() -> None:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://test") as client:
            await client.get(path)

    asyncio.run(call())


def old_count(qf_metrics: MetricsCapture) -> int:
    try:
        return qf_metrics.histogram("http.server.duration", {"http.route": "/v1/items/{item_id}",
                                                             "http.status_code": 200}).count
    except LookupError:
        return 0


@pytest.mark.parametrize(("raw", "expected"), [
    ("", SemconvMode()),
    ("http", SemconvMode()),
    ("http/dup", SemconvMode(http_old=True)),
    ("database/dup, http/dup", SemconvMode(http_old=True, database_old=True)),
    ("gen_ai_latest_experimental", SemconvMode()),
])
def test_mode_parsing(raw: str, expected: SemconvMode) -> None:
    assert mode_from({"OTEL_SEMCONV_STABILITY_OPT_IN": raw}) == expected


def test_stable_only_by_default(
    instrument: Callable[..., Installed], qf_metrics: MetricsCapture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OTEL_SEMCONV_STABILITY_OPT_IN", raising=False)
    instrument(instrumentations=frozenset({"asgi"}))
    call_app("/v1/items/1")
    assert qf_metrics.histogram("http.server.request.duration",
                                {"http.route": "/v1/items/{item_id}"}).count == 1
    assert old_count(qf_metrics) == 0


def test_dup_adds_the_old_instruments(
    instrument: Callable[..., Installed], qf_metrics: MetricsCapture,
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    monkeypatch.setenv("OTEL_SEMCONV_STABILITY_OPT_IN", "http/dup,database/dup")
    instrument(instrumentations=frozenset({"asgi", "sqlalchemy"}))
    call_app("/v1/items/1")
    assert qf_metrics.histogram("http.server.request.duration",
                                {"http.route": "/v1/items/{item_id}"}).count == 1
    assert old_count(qf_metrics) == 1
    old = qf_metrics.histogram("http.server.duration", {"http.route": "/v1/items/{item_id}"})
    assert 0 < old.sum < 5000  # milliseconds
    engine = create_engine(f"sqlite:///{tmp_path}/old.db", pool_logging_name="legacy")
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
        assert qf_metrics.value("db.client.connections.usage",
                                {"pool.name": "legacy", "state": "used"}) == 1
