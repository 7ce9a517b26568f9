"""Faults on the Collector path, with real processes, measured: the Collector starts after the
service, the Collector is SIGKILLed and restarted, Prometheus is down for a while. In every case
the service keeps answering (nothing raises: the start_shop fixture checks its output) and, since
it sends cumulative values, the totals in Prometheus continue where they were, never reset.
The attribute flood is in test_collector_flood.py."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.collector import collector_process
from tests.collector.collector_process import CollectorPorts, start_collector
from tests.e2e.figures import report
from tests.e2e.processes import RestartablePrometheus, ShopProcess, StartShop
from tests.e2e.stack import SCRAPE_INTERVAL, Pipeline, pipeline

pytestmark = [
    pytest.mark.collector,
    pytest.mark.slow,
    pytest.mark.skipif(not collector_process.collector_available(),
                       reason=collector_process.MISSING_BINARY_REASON),
]

TOTAL = 'qf_business_transactions_total{instance="shop-1"}'
REQUESTS = 'http_server_request_duration_seconds_count{instance="shop-1"}'
OUTAGE_SECONDS = 4.0


def _buy_timed(shop: ShopProcess, times: int) -> float:
    """`times` purchases spread over about a second; the slowest request, in seconds."""
    slowest = 0.0
    for _ in range(times):
        start = time.monotonic()
        shop.buy()
        slowest = max(slowest, time.monotonic() - start)
        time.sleep(1.0 / times)
    return slowest


def _wait_total(prometheus: RestartablePrometheus, expected: float, timeout: float = 30.0
                ) -> float:
    """Seconds until TOTAL reads `expected`."""
    start = time.monotonic()
    prometheus.wait_value(TOTAL, expected, timeout=timeout)
    return time.monotonic() - start


def _raw_samples(prometheus: RestartablePrometheus, promql: str, at: float
                 ) -> list[tuple[float, float]]:
    """Raw (timestamp, value) samples of one series over the last minute before `at`."""
    [series] = prometheus.api("query", query=f"{promql}[1m]", time=f"{at:.3f}")["result"]
    return [(float(t), float(v)) for t, v in series["values"]]


def _largest_gap(samples: list[tuple[float, float]]) -> float:
    return max(b[0] - a[0] for a, b in itertools.pairwise(samples))


@pytest.fixture(params=["scrape", "remote_write"])
def stack(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Pipeline]:
    with pipeline(request.param, tmp_path / "collector") as running:
        yield running


def test_collector_started_after_the_service(tmp_path: Path, start_shop: StartShop) -> None:
    ports = CollectorPorts.pick_free()
    prometheus = RestartablePrometheus([f"127.0.0.1:{ports.prometheus}"], honor_labels=True,
                                       scrape_interval=f"{SCRAPE_INTERVAL:g}s")
    collector = None
    try:
        shop = start_shop({
            "service_name": "e2e-shop", "metrics_exporters": ["otlp"], "export_interval": 1.0,
            "otlp_endpoint": f"http://127.0.0.1:{ports.otlp_http}", "otlp_timeout": 1.0,
            "resource_attributes": {"service.instance.id": "shop-1"},
        })
        # Nothing listens yet: requests are served as usual while exports fail in the background.
        slowest = _buy_timed(shop, 3)
        time.sleep(2.5)  # at least two failed exports
        collector = start_collector(["otelcol.yaml"], work_dir=tmp_path / "collector",
                                    ports=ports)
        # Cumulative: the purchases made before the Collector existed are in the first export.
        appeared = _wait_total(prometheus, 3)
        prometheus.wait_value(REQUESTS, 3)
        failures = prometheus.wait_value('qf_otel_export_failures_total{qf_otel_exporter="otlp"}')
        assert failures >= 1
        report("Collector started after the service",
               f"slowest request while no Collector {slowest * 1000:.0f} ms; totals queryable "
               f"{appeared:.1f} s after the Collector was healthy; {failures:g} failed exports "
               "counted (qf_otel_export_failures_total)")
    finally:
        prometheus.stop()
        if collector is not None:
            assert collector.stop() == 0, collector.log()[-4000:]


def test_collector_killed_and_restarted(tmp_path: Path, start_shop: StartShop) -> None:
    with pipeline("scrape", tmp_path / "collector") as stack:
        shop = start_shop(stack.shop_configure("shop-1", otlp_timeout=1.0))
        shop.buy(times=5)
        _wait_total(stack.prometheus, 5)
        killed_at = time.time()
        stack.collector.kill()
        slowest = _buy_timed(shop, 4)  # recorded while the Collector is gone
        time.sleep(OUTAGE_SECONDS - 1)
        stack.collector = start_collector(["otelcol.yaml"], work_dir=stack.collector.work_dir,
                                          ports=stack.collector.ports)
        back = _wait_total(stack.prometheus, 9)
        stack.prometheus.wait_value(REQUESTS, 9)
        time.sleep(2 * SCRAPE_INTERVAL)  # a few samples after the gap
        now = time.time()
        # No reset to zero: the raw samples only ever go up, and resets() sees none.
        for promql in (TOTAL, REQUESTS):
            samples = _raw_samples(stack.prometheus, promql, now)
            values = [v for _, v in samples]
            assert values == sorted(values) and values[0] > 0, samples
            assert stack.prometheus.value(f"resets({promql}[1m])") == 0
        samples = _raw_samples(stack.prometheus, TOTAL, now)
        # increase() over a window around the outage is what was sold in it, not a jump back.
        window = int(now - killed_at) + 2
        increase = stack.prometheus.value(f"increase({TOTAL}[{window}s])")
        assert increase is not None and 3.5 <= increase <= 6, increase
        report("Collector SIGKILLed and restarted (scrape)",
               f"outage {OUTAGE_SECONDS:g} s, largest gap between samples "
               f"{_largest_gap(samples):.1f} s, totals continued ({samples[0][1]:g} → "
               f"{samples[-1][1]:g}, resets() = 0) {back:.1f} s after the restart; "
               f"slowest request during the outage {slowest * 1000:.0f} ms")


def test_prometheus_down_for_a_while(stack: Pipeline, start_shop: StartShop) -> None:
    shop = start_shop(stack.shop_configure("shop-1"))
    shop.buy(times=2)
    _wait_total(stack.prometheus, 2)
    down_at = time.time()
    stack.prometheus.go_down()
    _buy_timed(shop, 3)  # sold while Prometheus is down
    time.sleep(OUTAGE_SECONDS - 1)
    up_at = time.time()
    stack.prometheus.come_back()
    shop.buy()  # the new period
    recovered = _wait_total(stack.prometheus, 6, timeout=60)
    # What Prometheus holds for the outage itself: nothing when it scrapes (nobody asked), the
    # queued batches when the Collector pushes (retried until the receiver is back).
    outage_ms = int((up_at - down_at) * 1000) - 500
    result = stack.prometheus.api(
        "query", query=f"count_over_time({TOTAL}[{outage_ms}ms])", time=f"{up_at:.3f}")["result"]
    outage = float(result[0]["value"][1]) if result else 0.0
    if stack.route == "remote_write":
        assert outage > 0, "the Collector's queue did not deliver the outage's samples"
    report(f"Prometheus down {OUTAGE_SECONDS:g} s ({stack.route.replace('_', ' ')})",
           f"new totals queryable {recovered:.1f} s after Prometheus was back; "
           f"{outage:g} samples kept for the outage window")
