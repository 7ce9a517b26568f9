"""Hands the fast core's accumulators to every SDK metric reader as ordinary SDK metric data.

The Python SDK has no metric-producer hook, so we wrap the one callback every reader collects
through (`MeterProvider` sets it on each reader). Whatever the reader is (Prometheus pull, OTLP
push, in-memory for tests), it then sees our instruments next to the SDK's, in one resource.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    Gauge,
    Histogram,
    HistogramDataPoint,
    Metric,
    MetricsData,
    NumberDataPoint,
    ResourceMetrics,
    ScopeMetrics,
    Sum,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.util.instrumentation import InstrumentationScope

from qf_otel import _recording
from qf_otel._version import __version__

_CUMULATIVE = AggregationTemporality.CUMULATIVE


def _to_metric(instrument: _recording.Instrument, now_ns: int) -> Metric | None:
    series = instrument.all_series()
    if instrument.kind == "gauge":
        series = [s for s in series if s.count]
    if not series:
        return None
    data: Sum | Gauge | Histogram
    if isinstance(instrument, _recording.Histogram):
        data = Histogram(
            data_points=[
                HistogramDataPoint(
                    attributes=s.attributes,
                    start_time_unix_nano=s.start_ns,
                    time_unix_nano=now_ns,
                    count=s.count,
                    sum=s.sum,
                    bucket_counts=list(s.bucket_counts),
                    explicit_bounds=list(instrument.boundaries),
                    min=s.min if s.count else 0.0,
                    max=s.max if s.count else 0.0,
                )
                for s in series
            ],
            aggregation_temporality=_CUMULATIVE,
        )
    else:
        points = [
            NumberDataPoint(
                attributes=s.attributes,
                start_time_unix_nano=s.start_ns,
                time_unix_nano=now_ns,
                value=s.value,
            )
            for s in series
        ]
        if instrument.kind == "gauge":
            data = Gauge(data_points=points)
        else:
            data = Sum(
                data_points=points,
                aggregation_temporality=_CUMULATIVE,
                is_monotonic=instrument.kind == "counter",
            )
    return Metric(
        name=instrument.name, description=instrument.description, unit=instrument.unit, data=data
    )


def fast_scope_metrics() -> list[ScopeMetrics]:
    """Snapshot of every fast-core instrument, grouped by instrumentation scope."""
    now_ns = time.time_ns()
    by_scope: dict[str, list[Metric]] = {}
    for instrument in _recording.instruments():
        metric = _to_metric(instrument, now_ns)
        if metric is not None:
            by_scope.setdefault(instrument.scope, []).append(metric)
    return [
        ScopeMetrics(
            scope=InstrumentationScope(scope, __version__), metrics=metrics, schema_url=""
        )
        for scope, metrics in by_scope.items()
    ]


def merge(data: MetricsData | None, resource: Resource) -> MetricsData | None:
    extra = fast_scope_metrics()
    if not extra:
        return data
    if data is None or not data.resource_metrics:
        return MetricsData(
            resource_metrics=[
                ResourceMetrics(resource=resource, scope_metrics=extra, schema_url="")
            ]
        )
    first = data.resource_metrics[0]
    merged_first = ResourceMetrics(
        resource=first.resource,
        scope_metrics=[*first.scope_metrics, *extra],
        schema_url=first.schema_url,
    )
    return MetricsData(resource_metrics=[merged_first, *data.resource_metrics[1:]])


def attach(provider: MeterProvider) -> None:
    """Make every reader of `provider` see the fast core too."""
    consumer = provider._measurement_consumer  # no public hook exists (see module docstring)
    collect: Callable[..., MetricsData | None] = consumer.collect
    config = provider._sdk_config  # its resource is renewed in a forked child, so read it late

    def collect_with_fast_core(reader: Any, timeout_millis: float = 10_000) -> MetricsData | None:
        return merge(collect(reader, timeout_millis=timeout_millis), config.resource)

    for reader in provider._metric_readers:
        reader._set_collect_callback(collect_with_fast_core)  # type: ignore[arg-type]
