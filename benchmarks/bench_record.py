"""Cost of one metric record, in µs, for the ways a service can record a domain counter.

One run, side by side (the machine is noisy; compare rows, not absolute numbers):
  qf bound      business.transactions(kind=..., status=...) once, then .add(1) per record
                (the same for a bound gauge: quantum.coherence(system=...).set(x))
  qf unbound    business.record_transaction(kind=..., status=...) per record (folds every call)
  otel sdk      opentelemetry-sdk Counter.add(1, {3 attributes})
  prom client   prometheus_client Counter.labels(3 labels).inc() per record
  prom bound    prometheus_client child = labels(...) once, then child.inc()

Usage: python benchmarks/bench_record.py [--records N]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import prometheus_client
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

from qf_otel import business, quantum, security

ATTRIBUTES = {"qf.transaction.type": "purchase", "qf.transaction.status": "success",
              "currency": "EUR"}


def per_record_us(record: Callable[[], None], records: int, repeats: int = 5) -> float:
    """Best of `repeats` CPU-time timings (CPU time and the minimum are the least disturbed by
    other processes on a shared machine)."""
    best = float("inf")
    for _ in range(repeats):
        started = time.process_time()
        for _ in range(records):
            record()
        best = min(best, time.process_time() - started)
    return best / records * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000)
    records = parser.parse_args().records

    bound = business.transactions(kind="purchase", status="success")
    bound3 = security.auth_attempts(method="password", outcome="failure")
    gauge = quantum.coherence(system="qpu-a")

    provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
    sdk_counter = provider.get_meter("bench").create_counter("bench.transactions")

    registry = prometheus_client.CollectorRegistry()
    prom_counter = prometheus_client.Counter(
        "bench_transactions", "bench", ["type", "status", "currency"], registry=registry
    )
    prom_child = prom_counter.labels("purchase", "success", "EUR")

    cases: list[tuple[str, Callable[[], None]]] = [
        ("qf bound .add(1)", lambda: bound.add(1)),
        ("qf bound .add() (security)", bound3.add),
        ("qf bound gauge .set(0.93)", lambda: gauge.set(0.93)),
        ("qf unbound set_coherence", lambda: quantum.set_coherence(0.93, system="qpu-a")),
        ("qf unbound record_transaction", lambda: business.record_transaction(
            kind="purchase", status="success")),
        ("qf unbound record_transaction+amount", lambda: business.record_transaction(
            kind="purchase", status="success", amount=12.5, currency="EUR")),
        ("otel sdk Counter.add, 3 attributes", lambda: sdk_counter.add(1, ATTRIBUTES)),
        ("prometheus_client labels(3).inc()", lambda: prom_counter.labels(
            "purchase", "success", "EUR").inc()),
        ("prometheus_client bound child.inc()", prom_child.inc),
    ]
    print(f"{'way of recording':<40} {'µs/record':>10}   ({records} records, best of 5)")
    for label, record in cases:
        print(f"{label:<40} {per_record_us(record, records):>10.3f}")
    provider.shutdown()


if __name__ == "__main__":
    main()
