"""One pipeline of the end-to-end tests, all real processes: the built Collector and a real
Prometheus that either scrapes the Collector's exporter (honor_labels: true) or receives its
remote writes. Plus the PromQL reads the tests share."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.collector.collector_process import RunningCollector, start_collector
from tests.e2e.processes import RestartablePrometheus
from tests.support.prometheus import PrometheusServer

EXPORT_INTERVAL = 1.0  # seconds between the services' OTLP pushes
SCRAPE_INTERVAL = 1.0  # seconds between Prometheus scrapes of the Collector


@dataclass
class Pipeline:
    route: str  # "scrape" or "remote_write"
    collector: RunningCollector
    prometheus: RestartablePrometheus

    def shop_configure(self, instance: str, **extra: Any) -> dict[str, Any]:
        """configure() arguments of a shop service instance that pushes to this Collector."""
        return {
            "service_name": "e2e-shop", "service_namespace": "qf", "environment": "test",
            "metrics_exporters": ["otlp"], "otlp_endpoint": self.collector.otlp_http_url,
            "export_interval": EXPORT_INTERVAL,
            "resource_attributes": {"service.instance.id": instance}, **extra,
        }


@contextmanager
def pipeline(route: str, work_dir: Path, extra_env: dict[str, str] | None = None
             ) -> Iterator[Pipeline]:
    """Prometheus and the Collector wired for `route`; both stopped afterwards."""
    if route == "scrape":
        collector = start_collector(["otelcol.yaml"], work_dir=work_dir, extra_env=extra_env)
        try:
            prometheus = RestartablePrometheus(
                [f"127.0.0.1:{collector.ports.prometheus}"], honor_labels=True,
                scrape_interval=f"{SCRAPE_INTERVAL:g}s")
        except BaseException:
            collector.stop()
            raise
    else:
        prometheus = RestartablePrometheus(remote_write_receiver=True)
        try:
            collector = start_collector(
                ["otelcol.yaml", "remote-write.yaml"], work_dir=work_dir,
                extra_env={"QF_OTELCOL_REMOTE_WRITE_ENDPOINT": f"{prometheus.url}/api/v1/write",
                           **(extra_env or {})})
        except BaseException:
            prometheus.stop()
            raise
    running = Pipeline(route, collector, prometheus)
    try:
        yield running
    finally:
        # A fault test may have replaced the Collector with a restarted one: stop the current one.
        code = running.collector.stop()
        prometheus.stop()
        assert code == 0, running.collector.log()[-4000:]


def by_label(prometheus: PrometheusServer, promql: str, label: str = "instance"
             ) -> dict[str, float]:
    """The instant vector of `promql` as {value of `label`: sample value}."""
    return {r["metric"].get(label, ""): float(r["value"][1]) for r in prometheus.query(promql)}


def wait_by_label(prometheus: PrometheusServer, promql: str, expected: dict[str, float],
                  label: str = "instance", timeout: float = 30.0) -> None:
    """Poll until `by_label` equals `expected` exactly (the last push may still be on its way)."""
    deadline = time.monotonic() + timeout
    while True:
        found = by_label(prometheus, promql, label)
        if found == expected:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{promql} by {label} = {found}, expected {expected}")
        time.sleep(0.2)


def series_labels(prometheus: PrometheusServer, match: str) -> list[dict[str, str]]:
    """Label sets of every series matching `match` (Prometheus' /api/v1/series)."""
    return list(prometheus.api("series", **{"match[]": match}))


def time_to_queryable(prometheus: PrometheusServer, record: Callable[[], None],
                      promql: str, expected: float, timeout: float = 20.0) -> float:
    """Seconds from `record()` starting until `promql` returns `expected` (polled every 50 ms)."""
    start = time.monotonic()
    record()
    while True:
        value = prometheus.value(promql)
        if value is not None and abs(value - expected) < 1e-9:
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            raise AssertionError(f"{promql} = {value}, expected {expected} within {timeout} s")
        time.sleep(0.05)


def describe(seconds: list[float]) -> str:
    return (f"median {statistics.median(seconds):.2f} s, max {max(seconds):.2f} s "
            f"over {len(seconds)} records")
