"""What the Collector tests send: one service's metrics and spans, exported once over OTLP/HTTP with
the real OpenTelemetry Python SDK, with known values and a few attributes that must not survive.
"""

from __future__ import annotations

from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import SpanKind
from opentelemetry.util.types import Attributes

SCOPE_NAME = "qf.collector.test"
SCOPE_VERSION = "1.0.0"

SERVICE_RESOURCE = {
    "service.name": "orders",
    "service.namespace": "qf",
    "service.instance.id": "orders-1",
    "deployment.environment.name": "test",
    "host.name": "node-a",
    # Secret-bearing: resource/scrub must delete it before target_info is built.
    "process.command_line": "python app.py --db=postgresql://app:hunter2@db/orders",
}

# Labels every series of that service carries after the Collector: the three promoted resource
# attributes, job/instance derived by the prometheus exporter, and the instrumentation scope.
SERVICE_LABELS = {
    "service_name": "orders",
    "service_namespace": "qf",
    "deployment_environment_name": "test",
    "job": "qf/orders",
    "instance": "orders-1",
    "otel_scope_name": SCOPE_NAME,
    "otel_scope_version": SCOPE_VERSION,
    "otel_scope_schema_url": "",
}

# The transactions counter's attributes: two legitimate ones, the rest must be dropped.
TRANSACTION_ATTRIBUTES: dict[str, str | int] = {
    "type": "purchase",
    "status": "ok",
    "url.full": "https://shop.example/checkout?token=s3cr3t",
    "url.query": "token=s3cr3t",
    "user.id": "42",
    "user.email": "jane@example.com",
    "http.request.header.authorization": "Bearer abc",
    "client.address": "203.0.113.9",
    "net.peer.ip": "203.0.113.9",
    "db.query.text": "SELECT * FROM users WHERE email = 'jane@example.com'",
}

TRANSACTIONS_TOTAL = 7.0  # 3 + 4, see send_metrics
COHERENCE = 0.75
DURATION_BUCKETS = [0.005, 0.1, 1.0]
GET_DURATIONS = (0.002, 0.05, 0.5)


def send_metrics(otlp_http_url: str) -> None:
    """One OTLP/HTTP export of a counter, a unit-"1" gauge and a histogram, as a service does."""
    exporter = OTLPMetricExporter(endpoint=f"{otlp_http_url}/v1/metrics", timeout=5)
    # A long interval: the only export is the explicit flush below, so values are exact.
    reader = PeriodicExportingMetricReader(exporter, export_interval_millis=3_600_000)
    provider = MeterProvider(resource=Resource.create(SERVICE_RESOURCE), metric_readers=[reader])
    try:
        meter = provider.get_meter(SCOPE_NAME, SCOPE_VERSION)
        transactions = meter.create_counter("qf.business.transactions", unit="{transaction}")
        transactions.add(3, TRANSACTION_ATTRIBUTES)
        transactions.add(4, TRANSACTION_ATTRIBUTES)
        coherence = meter.create_gauge("qf.quantum.coherence", unit="1")
        coherence.set(COHERENCE, {"qf.quantum.algorithm": "vqe"})
        duration = meter.create_histogram(
            "http.server.request.duration",
            unit="s",
            explicit_bucket_boundaries_advisory=DURATION_BUCKETS,
        )
        route: dict[str, str | int] = {
            "http.request.method": "GET",
            "http.route": "/items/{id}",
            "url.path": "/items/7",
        }
        for seconds in GET_DURATIONS:
            duration.record(seconds, {**route, "http.response.status_code": 200})
        brew = {**route, "http.request.method": "BREW", "http.response.status_code": 200}
        duration.record(0.05, brew)
        if not provider.force_flush(timeout_millis=10_000):
            raise RuntimeError(f"metric export to {otlp_http_url} did not complete")
    finally:
        provider.shutdown()


def send_spans(otlp_http_url: str) -> None:
    """A request trace (server span with a DB child) and a health-probe span, exported at once."""
    exporter = OTLPSpanExporter(endpoint=f"{otlp_http_url}/v1/traces", timeout=5)
    provider = TracerProvider(resource=Resource.create(SERVICE_RESOURCE))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    try:
        tracer = provider.get_tracer(SCOPE_NAME, SCOPE_VERSION)
        server_attributes: Attributes = {
            "http.request.method": "GET",
            "http.route": "/items/{id}",
            "url.path": "/items/7",
            "url.full": "https://shop.example/items/7?token=s3cr3t",
            "url.query": "token=s3cr3t",
            "http.request.header.authorization": "Bearer abc",
            "user.id": "42",
            "user.email": "jane@example.com",
            "http.response.status_code": 200,
        }
        with tracer.start_as_current_span(
            "GET /items/{id}", kind=SpanKind.SERVER, attributes=server_attributes
        ):
            query = "SELECT * FROM items WHERE id = 7 AND owner = 'jane@example.com'"
            with tracer.start_as_current_span(
                "SELECT items",
                kind=SpanKind.CLIENT,
                attributes={"db.system.name": "sqlite", "db.query.text": query},
            ):
                pass
        probe = {"http.request.method": "GET", "http.route": "/healthz", "url.path": "/healthz"}
        with tracer.start_as_current_span("GET /healthz", kind=SpanKind.SERVER, attributes=probe):
            pass
        if not provider.force_flush(timeout_millis=10_000):
            raise RuntimeError(f"span export to {otlp_http_url} did not complete")
    finally:
        provider.shutdown()
