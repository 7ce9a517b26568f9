"""Attribute floods keep the number of exported series bounded (and memory with it).

50 000 requests to distinct unknown paths, 50 000 distinct values of a user's attribute on one of
their own fast-core instruments, 50 000 distinct cache names and 50 000 distinct table names:
series are counted before and after, RSS too (printed; docs/instrumentation.md has the figures).
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest
from qf_otel_instrumentation._instruments import CACHE_REQUESTS, DB_DURATION, SERVER_DURATION
from qf_otel_instrumentation.cache import instrument_mapping
from sqlalchemy import create_engine, text

from qf_otel import _recording
from tests.instrumentation.conftest import Installed
from tests.instrumentation.overhead import SCOPE, _receive, _send, build_app

FLOOD = 50_000


def rss_mib() -> float:
    gc.collect()
    return float(psutil.Process().memory_info().rss) / 2**20


def series_count(instrument: _recording.Instrument) -> int:
    return len(instrument.all_series())


@pytest.mark.slow
def test_floods_keep_series_bounded(
    instrument: Callable[..., Installed], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    instrument()
    app = build_app()

    async def requests(paths: list[str]) -> None:
        for path in paths:
            await app({**SCOPE, "path": path, "raw_path": path.encode()}, _receive, _send)

    asyncio.run(requests(["/items/1", "/warm-up/unknown"]))
    user_metric = _recording.Counter(
        "test.flood.requests", unit="{request}", description="A user's own counter.",
        attributes=("customer.id",), scope="tests")
    engine = create_engine(f"sqlite:///{tmp_path}/flood.db")
    before = {
        "http": series_count(SERVER_DURATION), "db": series_count(DB_DURATION),
        "cache": series_count(CACHE_REQUESTS), "user": series_count(user_metric),
    }
    rss_before = rss_mib()

    asyncio.run(requests([f"/unknown/{index}" for index in range(FLOOD)]))
    for index in range(FLOOD):
        user_metric.series(f"customer-{index}").add(1)
        empty: dict[str, int] = {}
        instrument_mapping(empty, name=f"cache-{index}").get("k")
    with engine.connect() as conn:
        for index in range(FLOOD // 10):  # SQL is slower; 5 000 distinct tables is plenty
            conn.execute(text(f"SELECT * FROM pragma_table_info('t{index}') AS t{index}"))
            conn.execute(text(f"CREATE TABLE IF NOT EXISTS t{index} (a INT)"))

    after = {
        "http": series_count(SERVER_DURATION), "db": series_count(DB_DURATION),
        "cache": series_count(CACHE_REQUESTS), "user": series_count(user_metric),
    }
    rss_after = rss_mib()
    with capsys.disabled():
        print(f"\nseries before {before} after {after}; "
              f"RSS {rss_before:.1f} MiB -> {rss_after:.1f} MiB")
    assert after["http"] == before["http"], "unknown paths made new series"
    limit = _recording.DEFAULT_CARDINALITY_LIMIT
    assert after["user"] <= limit  # the overflow series takes the rest
    assert after["cache"] <= before["cache"] + 101  # 100 names admitted, then "other"
    assert after["db"] <= before["db"] + 501  # 500 tables admitted, then "other"
    assert rss_after - rss_before < 40
