"""install(): names, idempotence, enable/disable by setting, never raising; uninstall() restores."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import pytest
import qf_otel_instrumentation
from fastapi import FastAPI
from starlette.applications import Starlette

from qf_otel._settings import Settings
from qf_otel.testing import MetricsCapture
from tests.instrumentation import apps
from tests.instrumentation.conftest import Installed

ALL = ["asgi", "httpx", "requests", "sqlalchemy", "redis", "cache"]


def test_installs_everything_importable_once(instrument: Callable[..., Installed]) -> None:
    original_call = FastAPI.__call__
    assert instrument().names == ALL
    patched = FastAPI.__call__
    assert patched is not original_call
    assert qf_otel_instrumentation.install(Settings()) == ALL  # idempotent
    assert FastAPI.__call__ is patched
    qf_otel_instrumentation.uninstall()
    assert FastAPI.__call__ is original_call
    assert qf_otel_instrumentation.installed() == []


def test_selection_and_disabling(instrument: Callable[..., Installed]) -> None:
    names = instrument(instrumentations=frozenset({"fastapi", "redis", "requests"}),
                       disabled_instrumentations=frozenset({"requests"})).names
    assert names == ["asgi", "redis"]


def test_a_failing_instrumentation_is_skipped(
    instrument: Callable[..., Installed], monkeypatch: pytest.MonkeyPatch,
) -> None:
    from qf_otel_instrumentation import _redis

    def broken() -> bool:
        raise RuntimeError("simulated")

    monkeypatch.setattr(_redis, "install", broken)
    assert instrument().names == [n for n in ALL if n != "redis"]


def test_replaced_contrib_names() -> None:
    assert {"asgi", "fastapi", "starlette", "httpx", "requests", "sqlalchemy", "redis"} == set(
        qf_otel_instrumentation.REPLACED_CONTRIB)


def test_uninstalled_means_nothing_recorded(
    instrument: Callable[..., Installed], qf_metrics: MetricsCapture
) -> None:
    instrument()
    qf_otel_instrumentation.uninstall()
    app = apps.fastapi_app()

    async def call() -> None:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://test") as client:
            assert (await client.get("/v1/items/1")).status_code == 200

    asyncio.run(call())
    series = qf_metrics.series("http.server.request.duration")
    assert all(qf_metrics.histogram("http.server.request.duration", a).count == 0
               for a, _ in series)
    assert Starlette.__call__.__name__ == "__call__"
