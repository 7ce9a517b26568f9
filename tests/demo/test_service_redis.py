"""The reference service with `REDIS_URL` set: its item cache is a real Redis, observed by qf-otel.

A real redis-server (Debian) on a free port, the service in its own process; a known sequence of
requests, then exact values read back from the service's /metrics.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from examples.quantumflow.runner import ServiceProcess, free_port
from tests.support.ports import get_text, wait_for_http

pytestmark = pytest.mark.skipif(
    shutil.which("redis-server") is None,
    reason="redis-server is not installed (apt-get install redis-server)")


@pytest.fixture
def redis_url() -> Iterator[str]:
    port = free_port()
    server = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                               "--save", "", "--appendonly", "no"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        import redis

        client = redis.Redis(port=port)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(10)


def _cache_samples(exposition: str) -> dict[tuple[str, str, str], float]:
    samples = {}
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            if sample.name == "qf_cache_requests_total":
                labels = sample.labels
                samples[(labels["qf_cache_name"], labels["qf_cache_operation"],
                         labels.get("qf_cache_result", ""))] = sample.value
    return samples


async def test_item_reads_go_through_redis_and_are_counted_as_hits_and_misses(
        redis_url: str) -> None:
    metrics_port = free_port()
    with tempfile.TemporaryDirectory() as work_dir:
        service = ServiceProcess(free_port(), {"REDIS_URL": redis_url,
                                               "OTEL_EXPORTER_PROMETHEUS_PORT": str(metrics_port)},
                                 Path(work_dir))
        service.start()
        try:
            await service.wait_ready()
            wait_for_http(f"http://127.0.0.1:{metrics_port}/metrics")
            async with httpx.AsyncClient(base_url=service.url) as client:
                first = await client.get("/items/7")
                second = await client.get("/items/7")
                unknown = await client.get("/items/987654")
            assert (first.status_code, second.status_code, unknown.status_code) == (200, 200, 404)
            assert first.json() == second.json()
            samples = _cache_samples(get_text(f"http://127.0.0.1:{metrics_port}/metrics"))
        finally:
            service.stop()
    assert samples[("items", "get", "hit")] == 1
    assert samples[("items", "get", "miss")] == 2
    assert samples[("items", "set", "")] == 1
