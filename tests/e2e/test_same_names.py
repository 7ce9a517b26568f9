"""One service, two routes to Prometheus at once: its own /metrics (pull) and OTLP through the built
Collector. A real Prometheus scrapes both; every metric family must have the same Prometheus name
and the same label names on both routes (dashboards and alerts work whichever route a deployment
uses). Label values, job/instance and the otel_scope_* labels may differ and are ignored."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.collector import collector_process
from tests.collector.collector_process import start_collector
from tests.e2e.figures import report
from tests.e2e.processes import StartShop
from tests.e2e.stack import series_labels
from tests.support.ports import free_port
from tests.support.prometheus import PrometheusServer

pytestmark = [
    pytest.mark.collector,
    pytest.mark.slow,
    pytest.mark.skipif(not collector_process.collector_available(),
                       reason=collector_process.MISSING_BINARY_REASON),
]

# Series Prometheus makes up per target, not the service's.
SCRAPE_SERIES = {"up", "scrape_duration_seconds", "scrape_samples_scraped",
                 "scrape_samples_post_metric_relabeling", "scrape_series_added"}
PURCHASES = 3

Families = dict[str, frozenset[str]]


def _families(prometheus: PrometheusServer, match: str) -> Families:
    """{metric name: the label names its series carry}, minus where-from labels."""
    found: dict[str, set[str]] = {}
    for labels in series_labels(prometheus, match):
        name = labels["__name__"]
        if name in SCRAPE_SERIES:
            continue
        found.setdefault(name, set()).update(
            k for k in labels
            if k not in {"__name__", "job", "instance"} and not k.startswith("otel_scope_"))
    return {name: frozenset(keys) for name, keys in found.items()}


def _difference(direct: Families, collector: Families) -> list[str]:
    lines = [f"only scraped from the process: {n} {sorted(direct[n])}"
             for n in sorted(direct.keys() - collector.keys())]
    lines += [f"only through the Collector: {n} {sorted(collector[n])}"
              for n in sorted(collector.keys() - direct.keys())]
    lines += [f"{n}: process {sorted(direct[n])} vs Collector {sorted(collector[n])}"
              for n in sorted(direct.keys() & collector.keys()) if direct[n] != collector[n]]
    return lines


@pytest.fixture(scope="module")
def both_routes(tmp_path_factory: pytest.TempPathFactory, start_module_shop: StartShop
                ) -> Iterator[tuple[Families, Families]]:
    """The families of one service as Prometheus holds them: (pulled, through the Collector)."""
    collector = start_collector(["otelcol.yaml"], work_dir=tmp_path_factory.mktemp("collector"))
    metrics_port = free_port()
    prometheus = PrometheusServer(
        [f"127.0.0.1:{metrics_port}", f"127.0.0.1:{collector.ports.prometheus}"],
        honor_labels=True)
    try:
        shop = start_module_shop({
            "service_name": "e2e-shop", "service_namespace": "qf", "environment": "test",
            "metrics_exporters": ["prometheus", "otlp"], "prometheus_port": metrics_port,
            "otlp_endpoint": collector.otlp_http_url, "export_interval": 1.0,
            "resource_attributes": {"service.instance.id": "shop-1"},
        })
        shop.buy(item_id=1, times=PURCHASES)
        prometheus.targets_up()
        # The process' own series keep the scrape job ("qf"); the Collector's carry the service's
        # job ("qf/e2e-shop", honor_labels). Wait until both routes hold the last purchase.
        for job in ("qf", "qf/e2e-shop"):
            prometheus.wait_value(f'qf_business_transactions_total{{job="{job}"}}', PURCHASES)
        # A series born late on one route (a gauge observed on the next cycle) gets a few more
        # scrapes before the sets are compared.
        deadline = time.monotonic() + 10
        while True:
            direct = _families(prometheus, '{job="qf"}')
            through = _families(prometheus, '{job="qf/e2e-shop"}')
            if direct == through or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        yield direct, through
    finally:
        prometheus.stop()
        assert collector.stop() == 0, collector.log()[-4000:]


def test_same_metric_names_and_label_names(both_routes: tuple[Families, Families]) -> None:
    direct, through = ({k: v for k, v in families.items() if k != "target_info"}
                       for families in both_routes)
    assert not _difference(direct, through), "\n".join(_difference(direct, through))
    assert {"http_server_request_duration_seconds_bucket", "http_server_active_requests",
            "qf_business_transactions_total", "qf_business_revenue_total",
            "db_client_operation_duration_seconds_count", "qf_cache_requests_total",
            "qf_cache_operation_duration_seconds_sum"} <= direct.keys()
    report("families compared, pull vs Collector", f"{len(direct)} metric names, "
           f"{sum(len(v) for v in direct.values())} label names: all equal")


def test_target_info_has_the_same_label_names(both_routes: tuple[Families, Families]) -> None:
    direct, through = both_routes
    # On the pull route `instance` is the scrape address, so the service's instance id stays a
    # label there; through the Collector it *is* `instance`. Every other key must match.
    assert direct["target_info"] - {"service_instance_id"} == through["target_info"]
