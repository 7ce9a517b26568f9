"""The telemetry set-ups compared, each applied the way its documentation tells a user to.

A variant runs alone in its own process (qf-otel's `configure()` is once per process and both
qf-otel and contrib patch classes globally), so `prepare()` is called once, at process start.

Traced variants send spans through the SDK's `BatchSpanProcessor` into an exporter that drops
them: the span work on the request path is counted, the export (encoding, network) is not, and the
same way for contrib and qf-otel.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from benchmarks.app import build_app, database, price_cache


@dataclass(frozen=True)
class Variant:
    name: str
    label: str
    observes: str  # what the variant instruments, for the report


VARIANTS: tuple[Variant, ...] = (
    Variant("bare", "bare FastAPI", "nothing"),
    # The same as bare in another process: how far apart two identical processes measure, i.e.
    # the noise floor of every ratio in the table.
    Variant("bare-again", "bare FastAPI again (noise floor)", "nothing"),
    Variant("prometheus-fastapi-instrumentator", "prometheus-fastapi-instrumentator",
            "HTTP (prometheus_client)"),
    Variant("fastapi-native", "FastAPI native telemetry, metrics only", "HTTP (OTel SDK)"),
    Variant("contrib-metrics", "contrib FastAPIInstrumentor, metrics only", "HTTP (OTel SDK)"),
    Variant("contrib-traces", "contrib FastAPIInstrumentor, metrics + traces",
            "HTTP (OTel SDK), spans"),
    Variant("qf-metrics", "qf-otel, metrics only", "HTTP + DB + cache (fast core)"),
    Variant("qf-traces", "qf-otel, metrics + traces (100 %)", "HTTP + DB + cache, spans"),
)
NAMES: tuple[str, ...] = tuple(v.name for v in VARIANTS)

# qf-otel one layer at a time, for "where the time goes": installed with
# `qf_otel_instrumentation.install()` (no configure(), no exporter), each in its own process:
# SQLAlchemy keeps taking its slower event-dispatch path after a listener is removed, so layers
# cannot be switched on and off inside one process.
LAYERS: tuple[Variant, ...] = (
    Variant("layer-http", "HTTP", "asgi"),
    Variant("layer-http-db", "HTTP + DB", "asgi sqlalchemy"),
    Variant("layer-all", "HTTP + DB + cache", "asgi sqlalchemy cache"),
    Variant("layer-http-spans", "HTTP, with spans", "asgi"),
    Variant("layer-http-db-spans", "HTTP + DB, with spans", "asgi sqlalchemy"),
    Variant("layer-all-spans", "HTTP + DB + cache, with spans", "asgi sqlalchemy cache"),
)
LAYER_NAMES: tuple[str, ...] = tuple(v.name for v in LAYERS)
QF_LAYERS = frozenset({"asgi", "sqlalchemy", "cache"})  # what the qf-otel variants must have on
BY_NAME = {v.name: v for v in (*VARIANTS, *LAYERS)}


class DroppingSpanExporter(SpanExporter):
    """Accepts every batch and keeps nothing: export cost is not what we measure."""

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


def _sdk_meter_provider() -> Any:
    from opentelemetry import metrics
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader

    # A pull-style reader: like a Prometheus scrape, collection happens only when asked.
    provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
    metrics.set_meter_provider(provider)
    return provider


def _sdk_tracer_provider() -> Any:
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider()  # default sampler: parent-based always-on, 100 %
    provider.add_span_processor(BatchSpanProcessor(DroppingSpanExporter()))
    trace.set_tracer_provider(provider)
    return provider


def _drop_qf_spans(telemetry: Any) -> None:
    """Swap qf-otel's OTLP span processor for the dropping one (same BatchSpanProcessor class)."""
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    multi = telemetry.tracer_provider._active_span_processor
    replaced = multi._span_processors
    multi._span_processors = (BatchSpanProcessor(DroppingSpanExporter()),)
    for processor in replaced:
        processor.shutdown()


def prepare(name: str, directory: str | None = None) -> FastAPI:
    """Set up telemetry for variant `name` in this process and return the app to drive."""
    engine = database(directory)
    cache: Any = price_cache()
    if name in ("bare", "bare-again"):
        return build_app(engine, cache)
    if name == "prometheus-fastapi-instrumentator":
        from prometheus_fastapi_instrumentator import Instrumentator

        app = build_app(engine, cache)
        Instrumentator().instrument(app)
        return app
    if name == "fastapi-native":
        _sdk_meter_provider()
        return build_app(engine, cache, telemetry={"tracing": False, "logs": False})
    if name in ("contrib-metrics", "contrib-traces"):
        from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor

        meter_provider = _sdk_meter_provider()
        tracer_provider = _sdk_tracer_provider() if name == "contrib-traces" else None
        app = build_app(engine, cache)
        FastAPIInstrumentor.instrument_app(app, meter_provider=meter_provider,
                                           tracer_provider=tracer_provider)
        return app
    if name in ("qf-metrics", "qf-traces"):
        from qf_otel_instrumentation.cache import instrument_mapping

        import qf_otel

        traces = name == "qf-traces"
        telemetry = qf_otel.configure(
            service_name="bench", prometheus_port=0, traces_enabled=traces,
            traces_sampling_ratio=1.0, otlp_endpoint="http://127.0.0.1:9", otlp_timeout=0.2,
        )
        missing = QF_LAYERS - set(telemetry.instrumented)
        if missing:  # measuring an uninstrumented app would flatter qf-otel: refuse
            raise RuntimeError(f"qf-otel did not install {sorted(missing)}; see the log above")
        if traces:
            _drop_qf_spans(telemetry)
        return build_app(engine, instrument_mapping(cache, name="prices"))
    if name in LAYER_NAMES:
        return _layer(BY_NAME[name], engine, cache)
    raise ValueError(f"unknown variant {name!r}; known: {', '.join(NAMES + LAYER_NAMES)}")


def _layer(layer: Variant, engine: Any, cache: Any) -> FastAPI:
    import qf_otel_instrumentation
    from qf_otel_instrumentation.cache import instrument_mapping

    from qf_otel._settings import Settings

    enabled = frozenset(layer.observes.split())
    traces = layer.name.endswith("-spans")
    if traces:
        _sdk_tracer_provider()
    installed = qf_otel_instrumentation.install(Settings(instrumentations=enabled,
                                                         traces_enabled=traces))
    if set(installed) != enabled:
        raise RuntimeError(f"{layer.name}: installed {installed}, wanted {sorted(enabled)}")
    return build_app(engine, instrument_mapping(cache, name="prices") if "cache" in enabled
                     else cache)
