"""shop service → OTLP → the built Collector → a real Prometheus, both ways the Collector hands
metrics over: scraped from its prometheus exporter (honor_labels: true), and pushed with remote
write to Prometheus' receiver (remote-write.yaml). Same assertions on both: counters equal what
was recorded, the request histogram's _count equals the requests, labels are the catalog's, and
two instances of one service stay two series. Then the record → queryable latency is measured."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from qf_otel import catalog
from tests.collector import collector_process
from tests.e2e.figures import report
from tests.e2e.processes import ShopProcess, StartShop
from tests.e2e.shop_service import PRICE
from tests.e2e.stack import (
    EXPORT_INTERVAL,
    SCRAPE_INTERVAL,
    Pipeline,
    by_label,
    describe,
    pipeline,
    series_labels,
    time_to_queryable,
    wait_by_label,
)

pytestmark = [
    pytest.mark.collector,
    pytest.mark.slow,
    pytest.mark.skipif(not collector_process.collector_available(),
                       reason=collector_process.MISSING_BINARY_REASON),
]

ITEMS_ROUTE = 'http_route="/items/{item_id}"'
# Labels every series of the service carries besides its own attributes.
CONTEXT = {"__name__", "job", "instance", "service_name", "service_namespace",
           "deployment_environment_name"}
LATENCY_SAMPLES = 5


@pytest.fixture(params=["scrape", "remote_write"])
def stack(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Pipeline]:
    with pipeline(request.param, tmp_path / "collector") as running:
        yield running


def _catalog_labels(prometheus_name: str) -> set[str]:
    """Label names the catalog allows on a metric: its attribute keys with `.` → `_`."""
    for row in catalog.rows():
        if row.prometheus_name == prometheus_name:
            return {key.replace(".", "_") for key, _ in row.attributes}
    raise AssertionError(f"{prometheus_name} is not in the catalog")


def test_values_labels_and_instances(stack: Pipeline, start_shop: StartShop) -> None:
    first = start_shop(stack.shop_configure("shop-1"))
    second = start_shop(stack.shop_configure("shop-2"))
    first.buy(item_id=1, times=3)
    first.buy(item_id=2)
    second.buy(item_id=1, times=2)
    prom = stack.prometheus

    # Counters equal what was recorded, per instance: two instances, two series.
    wait_by_label(prom, "qf_business_transactions_total", {"shop-1": 4, "shop-2": 2})
    assert by_label(prom, 'qf_business_revenue_total{currency="EUR"}') == {
        "shop-1": 4 * PRICE, "shop-2": 2 * PRICE}
    # The request histogram's _count is the number of requests; one series per instance.
    wait_by_label(prom, f"http_server_request_duration_seconds_count{{{ITEMS_ROUTE}}}",
                  {"shop-1": 4, "shop-2": 2})
    wait_by_label(prom, 'db_client_operation_duration_seconds_count{db_operation_name="SELECT"}',
                  {"shop-1": 4, "shop-2": 2})
    # One miss per item the first time, hits after.
    cache = 'qf_cache_requests_total{qf_cache_operation="get",qf_cache_result="%s"}'
    wait_by_label(prom, cache % "miss", {"shop-1": 2, "shop-2": 1})
    assert by_label(prom, cache % "hit") == {"shop-1": 2, "shop-2": 1}

    # Labels as the catalog says, with the service's identity promoted by the Collector.
    [purchase] = series_labels(prom, 'qf_business_transactions_total{instance="shop-1"}')
    assert {k: v for k, v in purchase.items() if not k.startswith("otel_scope_")} == {
        "__name__": "qf_business_transactions_total", "job": "qf/e2e-shop",
        "instance": "shop-1", "service_name": "e2e-shop", "service_namespace": "qf",
        "deployment_environment_name": "test",
        "qf_transaction_type": "purchase", "qf_transaction_status": "success",
    }
    assert purchase["otel_scope_name"] == "qf_otel.business"
    [request] = series_labels(
        prom, f'http_server_request_duration_seconds_count{{instance="shop-1",{ITEMS_ROUTE}}}')
    assert {k: request[k] for k in ("http_request_method", "http_response_status_code",
                                    "url_scheme", "job")} == {
        "http_request_method": "GET", "http_response_status_code": "200", "url_scheme": "http",
        "job": "qf/e2e-shop"}
    for family in ("http_server_request_duration_seconds", "db_client_operation_duration_seconds",
                   "qf_cache_requests_total", "qf_business_transactions_total",
                   "qf_business_revenue_total"):
        suffix = "_count" if family.endswith("_seconds") else ""
        names = {k for s in series_labels(prom, family + suffix) for k in s
                 if not k.startswith("otel_scope_")}
        unexpected = names - CONTEXT - _catalog_labels(family)
        assert not unexpected, f"{family}: labels not in the catalog: {unexpected}"

    _measure_latency(stack, first)


def _measure_latency(stack: Pipeline, shop: ShopProcess) -> None:
    """Record one purchase, time until Prometheus answers the new total; a few times."""
    promql = 'qf_business_transactions_total{instance="shop-1"}'
    total = stack.prometheus.value(promql)
    assert total is not None
    seconds = []
    for _ in range(LATENCY_SAMPLES):
        # A random phase against the export and scrape timers: back-to-back records would lock
        # onto them and always measure the same point of the cycle.
        time.sleep(random.uniform(0, EXPORT_INTERVAL))
        total += 1
        seconds.append(time_to_queryable(stack.prometheus, shop.buy, promql, total))
    pull = stack.route == "scrape"
    report(f"record → queryable, {'scrape' if pull else 'remote write'} "
           f"(export {EXPORT_INTERVAL:g} s{f', scrape {SCRAPE_INTERVAL:g} s' if pull else ''}, "
           "batch 200 ms)", describe(seconds))
    # Worst case: just missed an export, then (pull) just missed a scrape; plus the batch
    # timeout and a second of slack for this loaded 2-core machine.
    bound = EXPORT_INTERVAL + (SCRAPE_INTERVAL if pull else 0) + 0.2 + 1.0
    assert max(seconds) <= bound, seconds
