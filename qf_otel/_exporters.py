"""The readers and exporters `configure()` wires: Prometheus pull, OTLP push, console."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from opentelemetry.sdk.metrics import (
    Counter,
    Histogram,
    ObservableCounter,
    ObservableGauge,
    ObservableUpDownCounter,
    UpDownCounter,
)
from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    ConsoleMetricExporter,
    MetricExporter,
    MetricExportResult,
    MetricReader,
    MetricsData,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

from qf_otel._limits import FAILURES, log_once
from qf_otel._prometheus_pull import PrometheusPullExport
from qf_otel._settings import Settings

_logger = logging.getLogger("qf_otel")
_INSTRUMENT_CLASSES: tuple[type, ...] = (
    Counter, UpDownCounter, Histogram, ObservableCounter, ObservableUpDownCounter, ObservableGauge,
)
_CUMULATIVE: dict[type, AggregationTemporality] = dict.fromkeys(
    _INSTRUMENT_CLASSES, AggregationTemporality.CUMULATIVE
)


def instrument_class_limits(settings: Settings) -> dict[Any, int]:
    return dict.fromkeys(_INSTRUMENT_CLASSES, settings.cardinality_limit)


class CountingExporter(MetricExporter):
    """Wraps an exporter: a failed or raising export is counted and logged once a minute."""

    def __init__(self, inner: MetricExporter, name: str) -> None:
        super().__init__(preferred_temporality=_CUMULATIVE)
        self._inner = inner
        self._name = name
        self._failures = FAILURES.series(name)

    def export(self, metrics_data: MetricsData, timeout_millis: float = 10_000,
               **kwargs: Any) -> MetricExportResult:
        try:
            result = self._inner.export(metrics_data, timeout_millis=timeout_millis)
        except Exception as error:
            result = MetricExportResult.FAILURE
            log_once(_logger, f"export-{self._name}", "qf-otel: %s export raised: %s",
                     self._name, error)
        if result is not MetricExportResult.SUCCESS:
            self._failures.add(1)
            log_once(_logger, f"export-{self._name}",
                     "qf-otel: %s export failed; the data stays cumulative and is re-sent "
                     "with the next export", self._name)
        return result

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return self._inner.force_flush(timeout_millis=timeout_millis)

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        self._inner.shutdown(timeout_millis=timeout_millis)


def _otlp_metric_exporter(settings: Settings) -> MetricExporter:
    headers = dict(settings.otlp_headers)
    if settings.otlp_protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import (
            OTLPMetricExporter as GrpcExporter,
        )

        return GrpcExporter(
            endpoint=settings.otlp_metrics_url(), headers=headers, timeout=settings.otlp_timeout,
            preferred_temporality=_CUMULATIVE, insecure=settings.otlp_metrics_url().startswith(
                "http://"),
        )
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

    return OTLPMetricExporter(
        endpoint=settings.otlp_metrics_url(), headers=headers, timeout=settings.otlp_timeout,
        preferred_temporality=_CUMULATIVE,
    )


def build_readers(settings: Settings) -> tuple[list[MetricReader], PrometheusPullExport | None]:
    limits = instrument_class_limits(settings)
    readers: list[MetricReader] = []
    pull = None
    interval_ms = settings.export_interval * 1000
    for name in settings.metrics_exporters:
        reader: MetricReader
        if name == "prometheus":
            pull = PrometheusPullExport(
                settings.prometheus_host, settings.prometheus_port, settings.multiprocess_dir
            )
            reader = pull
        elif name == "otlp":
            reader = PeriodicExportingMetricReader(
                CountingExporter(_otlp_metric_exporter(settings), "otlp"),
                export_interval_millis=interval_ms,
                export_timeout_millis=settings.otlp_timeout * 1000,
            )
        else:
            reader = PeriodicExportingMetricReader(
                CountingExporter(ConsoleMetricExporter(preferred_temporality=_CUMULATIVE),
                                 "console"),
                export_interval_millis=interval_ms,
            )
        reader._instrument_class_cardinality_limit.update(limits)
        readers.append(reader)
    return readers, pull


def build_tracer_provider(settings: Settings, resource: Resource) -> TracerProvider:
    provider = TracerProvider(
        resource=resource,
        sampler=ParentBased(TraceIdRatioBased(settings.traces_sampling_ratio)),
        shutdown_on_exit=False,
    )
    provider.add_span_processor(
        BatchSpanProcessor(_otlp_span_exporter(settings),
                           export_timeout_millis=int(settings.otlp_timeout * 1000))
    )
    return provider


def _otlp_span_exporter(settings: Settings) -> Any:
    headers = dict(settings.otlp_headers)
    if settings.otlp_protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
            OTLPSpanExporter as GrpcSpanExporter,
        )

        return GrpcSpanExporter(endpoint=settings.otlp_traces_url(), headers=headers,
                                timeout=settings.otlp_timeout,
                                insecure=settings.otlp_traces_url().startswith("http://"))
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter(endpoint=settings.otlp_traces_url(), headers=headers,
                            timeout=settings.otlp_timeout)


__all__: Sequence[str] = ("build_readers", "build_tracer_provider", "instrument_class_limits")
