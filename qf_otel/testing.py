"""pytest plugin (entry point ``pytest11: qf_otel``): make telemetry assertable in your tests.

    def test_checkout(qf_metrics):
        checkout(cart)
        purchases = {"qf.transaction.type": "purchase"}
        assert qf_metrics.value("qf.business.transactions", purchases) == 1

Fixtures:

- ``qf_metrics`` (a :class:`MetricsCapture`): values recorded since the test started, by metric
  name and a subset of attributes. Works whether or not ``qf_otel.configure()`` was called:
  qf-otel's own instruments are read straight from its recording core. Other OpenTelemetry
  instruments (the infrastructure gauges, contrib instrumentations, your own meters) are read
  through an in-memory reader from :func:`metric_reader`, passed to
  ``configure(additional_metric_readers=[...])``.
- ``qf_spans`` (a :class:`SpanCapture`): spans finished during the test, when traces are on.
- ``qf_metric_reader``: a new in-memory reader, for your ``configure()`` call.

docs/testing.md has the full guide.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.metrics.export import (
    Gauge,
    Histogram,
    HistogramDataPoint,
    InMemoryMetricReader,
    MetricsData,
    NumberDataPoint,
    Sum,
)
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from qf_otel import _recording

Attributes = Mapping[str, Any]


@dataclass(frozen=True)
class HistogramValue:
    """Count, sum and per-bucket counts of a histogram (a delta when it comes from qf_metrics)."""

    count: int
    sum: float
    bucket_counts: tuple[int, ...] = ()
    boundaries: tuple[float, ...] = ()


@dataclass
class _Point:
    attributes: dict[str, Any]
    value: float | HistogramValue


@dataclass
class _Metric:
    kind: str  # counter | updowncounter | gauge | histogram
    points: list[_Point] = field(default_factory=list)


Snapshot = dict[str, _Metric]


# --- reading the two sources ----------------------------------------------------------------

_readers: weakref.WeakSet[InMemoryMetricReader] = weakref.WeakSet()


def metric_reader() -> InMemoryMetricReader:
    """A new in-memory reader for ``configure(additional_metric_readers=[...])``: it makes SDK
    instruments (infrastructure, contrib, your own) visible to ``qf_metrics``.

    A new one per ``configure()`` call: the SDK lets a reader serve only one MeterProvider ever.
    """
    reader = InMemoryMetricReader()
    _readers.add(reader)
    return reader


def _reader_attached() -> InMemoryMetricReader | None:
    """One of our readers, if the running configuration collects through it."""
    from qf_otel import current

    telemetry = current()
    provider = telemetry.meter_provider if telemetry is not None else None
    for reader in getattr(provider, "_metric_readers", None) or ():
        if reader in _readers:
            return reader  # type: ignore[no-any-return]
    return None


def _fast_core() -> Snapshot:
    snapshot: Snapshot = {}
    for instrument in _recording.instruments():
        metric = _Metric(instrument.kind)
        for series in instrument.all_series():
            value: float | HistogramValue
            if isinstance(instrument, _recording.Histogram):
                value = HistogramValue(
                    series.count, series.sum, tuple(series.bucket_counts), instrument.boundaries
                )
            else:
                value = series.value
            metric.points.append(_Point(dict(series.attributes), value))
        snapshot[instrument.name] = metric
    return snapshot


def _sdk(data: MetricsData | None, skip: set[str]) -> Snapshot:
    snapshot: Snapshot = {}
    for resource_metrics in data.resource_metrics if data is not None else ():
        for scope_metrics in resource_metrics.scope_metrics:
            for sdk_metric in scope_metrics.metrics:
                if sdk_metric.name in skip:  # the bridge merges the fast core in: read it once
                    continue
                points = sdk_metric.data
                metric = snapshot.setdefault(sdk_metric.name, _Metric(_kind(points)))
                for point in points.data_points:
                    value: float | HistogramValue
                    if isinstance(point, HistogramDataPoint):
                        value = HistogramValue(
                            point.count, point.sum, tuple(point.bucket_counts),
                            tuple(point.explicit_bounds),
                        )
                    elif isinstance(point, NumberDataPoint):
                        value = point.value
                    else:  # exponential histograms: not produced by qf-otel's pipeline
                        continue
                    metric.points.append(_Point(dict(point.attributes or {}), value))
    return snapshot


def _kind(data: Any) -> str:
    if isinstance(data, Histogram):
        return "histogram"
    if isinstance(data, Sum):
        return "counter" if data.is_monotonic else "updowncounter"
    if isinstance(data, Gauge):
        return "gauge"
    return "other"


def snapshot() -> Snapshot:
    """Every metric visible now: the fast core, plus SDK instruments if our reader is attached."""
    result = _fast_core()
    reader = _reader_attached()
    if reader is not None:
        result.update(_sdk(reader.get_metrics_data(), set(result)))
    return result


# --- the capture --------------------------------------------------------------------------

def _matches(point: _Point, attributes: Attributes | None) -> bool:
    return all(point.attributes.get(k, _MISSING) == v for k, v in (attributes or {}).items())


_MISSING = object()


class MetricsCapture:
    """Metric values since the capture started (counters, up-down counters, histograms) or now
    (gauges), looked up by metric name and a subset of attributes."""

    def __init__(self) -> None:
        self._baseline = snapshot()

    def restart(self) -> None:
        """Forget what was recorded so far: later deltas count from here."""
        self._baseline = snapshot()

    def value(self, name: str, attributes: Attributes | None = None) -> float:
        """Sum over the matching series of what was added since the start (counters), or the
        current value of the one matching series (gauges)."""
        current = self._metric(name)
        if current.kind == "histogram":
            raise TypeError(f"{name} is a histogram: use .histogram(name, attributes)")
        matching = [p for p in current.points if _matches(p, attributes)]
        if current.kind == "gauge":
            if len(matching) != 1:
                raise LookupError(
                    f"{name}: {len(matching)} gauge series match {dict(attributes or {})}; "
                    f"series: {self._describe(current)}"
                )
            return float(matching[0].value)  # type: ignore[arg-type]
        before = self._baseline.get(name)
        earlier = [p for p in before.points if _matches(p, attributes)] if before else []
        return float(sum(p.value for p in matching)  # type: ignore[misc]
                     - sum(p.value for p in earlier))  # type: ignore[misc]

    def current(self, name: str, attributes: Attributes | None = None) -> float:
        """The absolute value now, summed over the matching series, ignoring the start: for
        up-down counters that measure a level (``process.memory.usage``)."""
        metric = self._metric(name)
        if metric.kind == "histogram":
            raise TypeError(f"{name} is a histogram: use .histogram(name, attributes)")
        return float(sum(p.value for p in metric.points  # type: ignore[misc]
                         if _matches(p, attributes)))

    def histogram(self, name: str, attributes: Attributes | None = None) -> HistogramValue:
        """Count, sum and bucket counts recorded since the start, over the matching series."""
        current = self._metric(name)
        if current.kind != "histogram":
            raise TypeError(f"{name} is a {current.kind}: use .value(name, attributes)")
        now = self._histogram_total(current, attributes)
        before = self._baseline.get(name)
        if before is None:
            return now
        then = self._histogram_total(before, attributes)
        earlier = then.bucket_counts + (0,) * (len(now.bucket_counts) - len(then.bucket_counts))
        buckets = tuple(a - b for a, b in zip(now.bucket_counts, earlier, strict=False))
        return HistogramValue(now.count - then.count, now.sum - then.sum, buckets, now.boundaries)

    def series(self, name: str) -> list[tuple[dict[str, Any], float | HistogramValue]]:
        """Every series of `name` as (attributes, current cumulative value): for debugging."""
        return [(p.attributes, p.value) for p in self._metric(name).points]

    def rejected(self, metric: str | None = None, reason: str | None = None) -> float:
        """How many recordings were dropped as invalid since the start (optionally filtered)."""
        attributes = {"qf.otel.metric.name": metric, "reason": reason}
        return self.value(
            "qf.otel.record.rejected", {k: v for k, v in attributes.items() if v is not None}
        )

    def folded(self, key: str | None = None) -> float:
        """How many attribute values were folded to "other" since the start."""
        return self.value(
            "qf.otel.attribute.folded", {"qf.otel.attribute.key": key} if key else None
        )

    def _metric(self, name: str) -> _Metric:
        found = snapshot().get(name)
        if found is None:
            raise LookupError(
                f"no metric named {name!r} (is the module that defines it imported? SDK "
                f"instruments need configure(additional_metric_readers=[qf_otel.testing."
                f"metric_reader()]))"
            )
        return found

    @staticmethod
    def _histogram_total(metric: _Metric, attributes: Attributes | None) -> HistogramValue:
        count, total, buckets = 0, 0.0, [0]
        boundaries: tuple[float, ...] = ()
        for point in metric.points:
            if not _matches(point, attributes) or not isinstance(point.value, HistogramValue):
                continue
            value = point.value
            count += value.count
            total += value.sum
            boundaries = value.boundaries
            if len(buckets) < len(value.bucket_counts):
                buckets += [0] * (len(value.bucket_counts) - len(buckets))
            for index, bucket in enumerate(value.bucket_counts):
                buckets[index] += bucket
        return HistogramValue(count, total, tuple(buckets), boundaries)

    @staticmethod
    def _describe(metric: _Metric) -> str:
        return "; ".join(f"{p.attributes} = {p.value}" for p in metric.points) or "none"


# --- spans --------------------------------------------------------------------------------

_span_exporter = InMemorySpanExporter()
_providers_with_exporter: weakref.WeakSet[TracerProvider] = weakref.WeakSet()


class SpanCapture:
    """Spans finished since the capture started; none (``enabled`` False) when traces are off."""

    def __init__(self) -> None:
        provider = trace.get_tracer_provider()
        self.enabled = isinstance(provider, TracerProvider)
        if isinstance(provider, TracerProvider) and provider not in _providers_with_exporter:
            provider.add_span_processor(SimpleSpanProcessor(_span_exporter))
            _providers_with_exporter.add(provider)
        self._skip = len(_span_exporter.get_finished_spans())

    @property
    def spans(self) -> list[ReadableSpan]:
        return list(_span_exporter.get_finished_spans()[self._skip:])

    def named(self, name: str) -> list[ReadableSpan]:
        return [span for span in self.spans if span.name == name]


# --- fixtures -----------------------------------------------------------------------------

@pytest.fixture
def qf_metrics() -> Iterator[MetricsCapture]:
    """Metric values recorded during this test (see MetricsCapture)."""
    yield MetricsCapture()


@pytest.fixture
def qf_spans() -> Iterator[SpanCapture]:
    """Spans finished during this test, when qf-otel traces are on (see SpanCapture)."""
    yield SpanCapture()


@pytest.fixture
def qf_metric_reader() -> InMemoryMetricReader:
    """A new in-memory reader to hand to ``configure(additional_metric_readers=[...])``."""
    return metric_reader()
