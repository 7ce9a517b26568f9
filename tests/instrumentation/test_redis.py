"""Redis (real redis-server): hits and misses per read, pipelines, asyncio, errors, no arguments."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
import redis
import redis.asyncio

from qf_otel.testing import MetricsCapture
from tests.instrumentation.conftest import Installed

REQUESTS = "qf.cache.requests"


def requests_of(qf_metrics: MetricsCapture, operation: str, result: str | None = None,
                name: str = "redis") -> float:
    wanted = {"qf.cache.name": name, "qf.cache.operation": operation}
    if result is not None:
        wanted["qf.cache.result"] = result
    return qf_metrics.value(REQUESTS, wanted)


@pytest.fixture
def client(
    instrument: Callable[..., Installed], redis_port: int
) -> redis.Redis:
    made_before_install = redis.Redis(port=redis_port, db=1)
    made_before_install.flushdb()
    instrument(instrumentations=frozenset({"redis"}))
    return made_before_install


def test_hits_and_misses(client: redis.Redis, qf_metrics: MetricsCapture) -> None:
    client.set("present", "1")
    for _ in range(7):
        assert client.get("present") == b"1"
    for index in range(4):
        assert client.get(f"absent-{index}") is None
    client.hset("h", "f", "v")
    assert client.hget("h", "f") == b"v"
    assert client.hget("h", "nope") is None
    assert client.mget(["present", "absent", "present"]) == [b"1", None, b"1"]
    assert requests_of(qf_metrics, "get", "hit") == 7
    assert requests_of(qf_metrics, "get", "miss") == 4
    assert requests_of(qf_metrics, "hget", "hit") == 1
    assert requests_of(qf_metrics, "hget", "miss") == 1
    assert requests_of(qf_metrics, "mget", "hit") == 2
    assert requests_of(qf_metrics, "mget", "miss") == 1
    assert requests_of(qf_metrics, "set") == 1
    duration = qf_metrics.histogram("qf.cache.operation.duration",
                                    {"qf.cache.name": "redis", "qf.cache.operation": "get"})
    assert duration.count == 11


def test_pipelines_and_transactions(client: redis.Redis, qf_metrics: MetricsCapture) -> None:
    client.set("a", "1")
    with client.pipeline(transaction=False) as pipe:
        pipe.get("a")
        pipe.get("b")
        pipe.set("c", "3")
        pipe.get("c")
        assert pipe.execute() == [b"1", None, True, b"3"]
    with client.pipeline() as pipe:  # MULTI/EXEC
        pipe.get("a")
        pipe.incr("n")
        assert pipe.execute() == [b"1", 1]
    assert requests_of(qf_metrics, "get", "hit") == 3
    assert requests_of(qf_metrics, "get", "miss") == 1
    assert requests_of(qf_metrics, "incrby") == 1  # INCR is sent as INCRBY
    assert qf_metrics.histogram("qf.cache.operation.duration",
                                {"qf.cache.operation": "pipeline"}).count == 2


def test_asyncio_client_and_its_name(
    instrument: Callable[..., Installed], redis_port: int, qf_metrics: MetricsCapture
) -> None:
    instrument(instrumentations=frozenset({"redis"}))

    async def work() -> None:
        client = redis.asyncio.Redis(port=redis_port, db=2, client_name="sessions")
        await client.set("s", "x")
        for _ in range(3):
            await client.get("s")
        await client.get("gone")
        async with client.pipeline() as pipe:
            pipe.get("s")
            pipe.get("gone")
            await pipe.execute()
        await client.aclose()

    asyncio.run(work())
    assert requests_of(qf_metrics, "get", "hit", name="sessions") == 4
    assert requests_of(qf_metrics, "get", "miss", name="sessions") == 2


def test_errors_are_counted(client: redis.Redis, qf_metrics: MetricsCapture) -> None:
    client.set("text", "not a number")
    with pytest.raises(redis.ResponseError):
        client.incr("text")
    assert qf_metrics.value("qf.cache.errors", {
        "qf.cache.operation": "incrby", "error.type": "redis.exceptions.ResponseError"}) == 1


def test_arguments_never_exported(
    instrument: Callable[..., Installed], redis_port: int, qf_metrics: MetricsCapture
) -> None:
    installed = instrument(instrumentations=frozenset({"redis"}), traces_enabled=True)
    client = redis.Redis(port=redis_port, db=3)
    client.set("user:a@b.c", "s3cr3t")
    client.get("user:a@b.c")
    client.execute_command("OBJECT", "ENCODING", "user:a@b.c")  # type: ignore[no-untyped-call]
    exported = repr([dict(s.attributes or {}) for s in installed.spans()])
    exported += repr(qf_metrics.series(REQUESTS))
    assert "a@b.c" not in exported and "s3cr3t" not in exported
    assert [s.name for s in installed.spans()] == ["SET", "GET", "OTHER"]
    assert requests_of(qf_metrics, "other") == 1
