"""The readers and exporters `configure()` wires: Prometheus pull, OTLP push, console."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from opentelemetry.sdk.metrics import (
    Counter,
    Histogram,
    ObservableCounter,
    ObservableGauge,
    ObservableUpDownCounter,
    UpDownCounter,
)
from opentelemetry.sdk.metrics import _Gauge as SdkGauge
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
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

from qf_otel._limits import FAILURES, log_once
from qf_otel._prometheus_group import GroupDirectoryError
from qf_otel._prometheus_pull import PortHeldElsewhere, PrometheusPullExport
from qf_otel._settings import ConfigurationError, Settings

_logger = logging.getLogger("qf_otel")
_INSTRUMENT_CLASSES: tuple[type, ...] = (
    Counter, UpDownCounter, Histogram, SdkGauge, ObservableCounter, ObservableUpDownCounter,
    ObservableGauge,
)
_CUMULATIVE: dict[type, AggregationTemporality] = dict.fromkeys(
    _INSTRUMENT_CLASSES, AggregationTemporality.CUMULATIVE
)


def instrument_class_limits(settings: Settings) -> dict[type, int]:
    """Per-stream series limits for the readers' constructors (the SDK maps the classes).

    The SDK keeps `limit` attribute sets and then adds the overflow one; our limit counts the
    overflow series in, as the fast core does, so the SDK gets one less.
    """
    return dict.fromkeys(_INSTRUMENT_CLASSES, settings.cardinality_limit - 1)


R = TypeVar("R")


def _counted(name: str, export: Callable[[], R], success: R, failure: R, consequence: str) -> R:
    """One export; a failed or raising one is counted and logged once a minute, never raised."""
    try:
        result = export()
    except Exception as error:
        result = failure
        log_once(_logger, f"export-{name}", "qf-otel: %s export raised: %s", name, error)
    if result is not success:
        FAILURES.series(name).add(1)
        log_once(_logger, f"export-{name}", "qf-otel: %s export failed; %s", name, consequence)
    return result


class CountingExporter(MetricExporter):
    """Wraps an exporter: a failed or raising export is counted and logged once a minute."""

    def __init__(self, inner: MetricExporter, name: str) -> None:
        super().__init__(preferred_temporality=_CUMULATIVE)
        self._inner = inner
        self._name = name

    def export(self, metrics_data: MetricsData, timeout_millis: float = 10_000,
               **kwargs: Any) -> MetricExportResult:
        return _counted(
            self._name, lambda: self._inner.export(metrics_data, timeout_millis=timeout_millis),
            MetricExportResult.SUCCESS, MetricExportResult.FAILURE,
            "the data stays cumulative and is re-sent with the next export",
        )

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return self._inner.force_flush(timeout_millis=timeout_millis)

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        self._inner.shutdown(timeout_millis=timeout_millis)


def _headers(settings: Settings) -> dict[str, str]:
    if settings.otlp_protocol == "grpc":  # gRPC metadata keys must be lower case
        return {key.lower(): value for key, value in settings.otlp_headers.items()}
    return dict(settings.otlp_headers)


def _grpc_missing(settings: Settings) -> ConfigurationError:
    return ConfigurationError(settings.source("otlp_protocol"), "grpc",
                              "needs the gRPC exporter: pip install 'qf-otel[grpc]'")


def _otlp_metric_exporter(settings: Settings) -> MetricExporter:
    headers = _headers(settings)
    if settings.otlp_protocol == "grpc":
        try:
            from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import (
                OTLPMetricExporter as GrpcExporter,
            )
        except ImportError:
            raise _grpc_missing(settings) from None

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
    """The readers, the pull one first and already listening: if its port cannot be had,
    configure() fails before anything else (a pushing thread, a global provider) exists."""
    limits = instrument_class_limits(settings)
    readers: list[MetricReader] = []
    pull = None
    if "prometheus" in settings.metrics_exporters:
        pull = PrometheusPullExport(settings.prometheus_host, settings.prometheus_port,
                                    settings.multiprocess_dir, cardinality_limits=limits)
        _start(pull, settings)
    interval_ms = settings.export_interval * 1000
    try:
        for name in settings.metrics_exporters:
            reader: MetricReader
            if name == "prometheus":
                assert pull is not None
                reader = pull
            elif name == "otlp":
                reader = PeriodicExportingMetricReader(
                    CountingExporter(_otlp_metric_exporter(settings), "otlp"),
                    export_interval_millis=interval_ms,
                    export_timeout_millis=settings.otlp_timeout * 1000,
                    cardinality_limits=limits,
                )
            else:
                reader = PeriodicExportingMetricReader(
                    CountingExporter(ConsoleMetricExporter(preferred_temporality=_CUMULATIVE),
                                     "console"),
                    export_interval_millis=interval_ms,
                    cardinality_limits=limits,
                )
            readers.append(reader)
    except BaseException:
        for built in readers:
            built.shutdown()
        if pull is not None and pull not in readers:
            pull.shutdown()
        raise
    return readers, pull


def _start(pull: PrometheusPullExport, settings: Settings) -> None:
    try:
        pull.start()
    except PortHeldElsewhere as error:
        raise ConfigurationError(settings.source("prometheus_port"), settings.prometheus_port,
                                 str(error)) from None
    except GroupDirectoryError as error:
        raise ConfigurationError(settings.source("multiprocess_dir"),
                                 settings.multiprocess_dir or str(error.args[0]), str(error)
                                 ) from None
    except (OSError, UnicodeError) as error:
        raise ConfigurationError(settings.source("prometheus_host"), settings.prometheus_host,
                                 f"cannot listen there: {error}") from None


class CountingSpanExporter(SpanExporter):
    """The span exporter's failures counted and logged once a minute, as for metrics."""

    def __init__(self, inner: SpanExporter) -> None:
        self._inner = inner

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return _counted("otlp_traces", lambda: self._inner.export(spans),
                        SpanExportResult.SUCCESS, SpanExportResult.FAILURE,
                        "the spans of this batch are dropped")

    def shutdown(self) -> None:
        self._inner.shutdown()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return bool(self._inner.force_flush(timeout_millis))


def build_tracer_provider(settings: Settings, resource: Resource) -> TracerProvider:
    provider = TracerProvider(
        resource=resource,
        sampler=ParentBased(TraceIdRatioBased(settings.traces_sampling_ratio)),
        shutdown_on_exit=False,
    )
    provider.add_span_processor(
        BatchSpanProcessor(CountingSpanExporter(_otlp_span_exporter(settings)),
                           export_timeout_millis=int(settings.otlp_timeout * 1000))
    )
    return provider


def _otlp_span_exporter(settings: Settings) -> SpanExporter:
    headers = _headers(settings)
    if settings.otlp_protocol == "grpc":
        try:
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
                OTLPSpanExporter as GrpcSpanExporter,
            )
        except ImportError:
            raise _grpc_missing(settings) from None

        return GrpcSpanExporter(endpoint=settings.otlp_traces_url(), headers=headers,
                                timeout=settings.otlp_timeout,
                                insecure=settings.otlp_traces_url().startswith("http://"))
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter(endpoint=settings.otlp_traces_url(), headers=headers,
                            timeout=settings.otlp_timeout)


__all__: Sequence[str] = ("build_readers", "build_tracer_provider", "instrument_class_limits")
