"""The reference service with `REDIS_URL` set: its item cache is a real Redis, observed by qf-otel.

A real redis-server (Debian) on a free port, the service in its own process; a known sequence of
requests, then exact values read back from the service's /metrics. Then Redis goes away: reads
fall back to the database, and the failures are counted as cache errors and component errors.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from examples.quantumflow.runner import ServiceProcess, free_port
from tests.support.ports import get_text, wait_for_http

pytestmark = pytest.mark.skipif(
    shutil.which("redis-server") is None,
    reason="redis-server is not installed (apt-get install redis-server)")


@dataclass
class RedisServer:
    process: subprocess.Popen[bytes]
    url: str

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    import redis

    port = free_port()
    process = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                                "--save", "", "--appendonly", "no"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    server = RedisServer(process, f"redis://127.0.0.1:{port}/0")
    try:
        client = redis.Redis(port=port)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        yield server
    finally:
        server.stop()


@dataclass
class Service:
    http: httpx.AsyncClient
    metrics_url: str

    def samples(self, name: str) -> dict[tuple[tuple[str, str], ...], float]:
        """Samples of one metric: label pairs (without the resource labels) -> value."""
        resource = {"service_name", "service_namespace", "deployment_environment_name",
                    "otel_scope_name", "otel_scope_version"}
        found = {}
        for family in text_string_to_metric_families(get_text(self.metrics_url)):
            for sample in family.samples:
                if sample.name == name:
                    key = tuple(sorted((k, v) for k, v in sample.labels.items()
                                       if k not in resource))
                    found[key] = sample.value
        return found


@pytest.fixture
async def service(redis_server: RedisServer) -> AsyncIterator[Service]:
    metrics_port = free_port()
    with tempfile.TemporaryDirectory() as work_dir:
        process = ServiceProcess(free_port(), {"REDIS_URL": redis_server.url,
                                               "OTEL_EXPORTER_PROMETHEUS_PORT": str(metrics_port)},
                                 Path(work_dir))
        process.start()
        try:
            await process.wait_ready()
            metrics_url = f"http://127.0.0.1:{metrics_port}/metrics"
            wait_for_http(metrics_url)
            async with httpx.AsyncClient(base_url=process.url) as client:
                yield Service(client, metrics_url)
        finally:
            process.stop()


async def test_item_reads_are_hits_and_misses_of_the_redis_cache(service: Service) -> None:
    first = await service.http.get("/items/7")
    second = await service.http.get("/items/7")
    unknown = await service.http.get("/items/987654")
    assert (first.status_code, second.status_code, unknown.status_code) == (200, 200, 404)
    assert first.json() == second.json()
    requests = service.samples("qf_cache_requests_total")
    name = ("qf_cache_name", "items")
    assert requests[(name, ("qf_cache_operation", "get"), ("qf_cache_result", "hit"))] == 1
    assert requests[(name, ("qf_cache_operation", "get"), ("qf_cache_result", "miss"))] == 2
    assert requests[(name, ("qf_cache_operation", "set"))] == 1


async def test_without_redis_reads_fall_back_to_the_database_and_errors_are_counted(
        service: Service, redis_server: RedisServer) -> None:
    redis_server.stop()
    response = await service.http.get("/items/8")
    assert response.status_code == 200
    assert response.json()["id"] == 8
    errors = service.samples("qf_cache_errors_total")
    name = ("qf_cache_name", "items")
    # The instrumentation names the exception by its fully qualified class (semconv error.type).
    error = ("error_type", "redis.exceptions.ConnectionError")
    assert errors == {(error, name, ("qf_cache_operation", "get")): 1,
                      (error, name, ("qf_cache_operation", "set")): 1}
    health_errors = service.samples("qf_health_errors_total")
    assert health_errors == {
            (("error_type", "redis.exceptions.ConnectionError"), ("qf_component", "cache")): 1}
