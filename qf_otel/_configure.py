"""`configure()`: settings → resource → readers → MeterProvider (→ TracerProvider) →
instrumentation."""

from __future__ import annotations

import atexit

# The SDK's MeterProvider renews its resource in a forked child on a ThreadPoolExecutor; the
# executor module re-initialises its global lock in the child by an at-fork hook of its own,
# which must be registered (module imported) before the provider's, or the child deadlocks.
import concurrent.futures.thread  # noqa: F401
import logging
import math
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import Histogram, MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader
from opentelemetry.sdk.metrics.view import ExplicitBucketHistogramAggregation, View
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider

from qf_otel import _bridge, _recording, _resource
from qf_otel._exporters import build_readers, build_tracer_provider
from qf_otel._limits import OncePerMinute
from qf_otel._prometheus_pull import PrometheusPullExport, url_host
from qf_otel._settings import ConfigurationError, Settings, resolve

_logger = logging.getLogger("qf_otel")
_lock = threading.Lock()
_current: Telemetry | None = None


@dataclass
class Telemetry:
    """The handle `configure()` returns: what was built, and how to flush and stop it."""

    settings: Settings
    resource: Resource
    meter_provider: MeterProvider | None
    tracer_provider: TracerProvider | None = None
    instrumented: list[str] = field(default_factory=list)
    prometheus: PrometheusPullExport | None = None
    extra_readers: tuple[MetricReader, ...] = ()
    _stopped: bool = False

    @property
    def metrics_url(self) -> str | None:
        """Where `/metrics` is served by this process group, if the pull exporter is on."""
        if self.prometheus is None:
            return None
        host = url_host(self.settings.prometheus_host)
        return f"http://{host}:{self.prometheus.port}/metrics"

    def force_flush(self, timeout: float = 5.0) -> bool:
        """Export what is recorded now; never raises, never waits longer than `timeout` seconds
        (the SDK would wait its export timeout per provider). False if it did not finish."""
        outcome: list[bool] = []

        def flush() -> None:
            done = True
            for provider in (self.meter_provider, self.tracer_provider):
                if provider is None:
                    continue
                try:
                    done = bool(provider.force_flush(timeout_millis=int(budget * 1000))) and done
                except Exception:
                    _logger.exception("qf-otel: flush failed")
                    done = False
            outcome.append(done)

        budget = _seconds(timeout, 5.0)
        _bounded(flush, budget, "flush")
        return bool(outcome and outcome[0])

    def shutdown(self, timeout: float | None = None) -> None:
        """Flush and stop, bounded by `timeout` seconds (default: the OTLP timeout + 1 s)."""
        if self._stopped:
            return
        self._stopped = True
        if self.prometheus is not None:
            self.prometheus.shutdown()  # first: a fork from now on must not re-open the port
        _bounded(self._shutdown_providers, _seconds(timeout, self.settings.otlp_timeout + 1.0),
                 "shutdown")

    def _shutdown_providers(self) -> None:
        for provider in (self.tracer_provider, self.meter_provider):
            if provider is None:
                continue
            try:
                provider.shutdown()
            except Exception:
                _logger.exception("qf-otel: shutdown failed")


def _seconds(value: float | None, default: float) -> float:
    """A usable timeout: the default for None, NaN, infinite or negative values."""
    if value is None or not math.isfinite(value) or value < 0:
        return default
    return float(value)


def _bounded(work: Any, seconds: float, what: str) -> None:
    """Run `work` on a daemon thread and stop waiting after `seconds`: exit must never hang."""
    worker = threading.Thread(target=work, name=f"qf-otel-{what}", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        _logger.warning("qf-otel: %s did not finish within %.1f s; abandoning it", what, seconds)


def configure(
    *,
    service_name: str | None = None,
    service_version: str | None = None,
    service_namespace: str | None = None,
    environment: str | None = None,
    resource_attributes: Mapping[str, str] | None = None,
    metrics_exporters: Sequence[str] | str | None = None,
    prometheus_host: str | None = None,
    prometheus_port: int | None = None,
    multiprocess_dir: str | None = None,
    otlp_endpoint: str | None = None,
    otlp_protocol: str | None = None,
    otlp_headers: Mapping[str, str] | str | None = None,
    otlp_timeout: float | None = None,
    export_interval: float | None = None,
    traces_enabled: bool | None = None,
    traces_sampling_ratio: float | None = None,
    instrumentations: Sequence[str] | str | None = None,
    disabled_instrumentations: Sequence[str] | str | None = None,
    excluded_urls: Sequence[str] | str | None = None,
    redact_query_keys: Sequence[str] | str | None = None,
    capture_request_headers: Sequence[str] | str | None = None,
    capture_response_headers: Sequence[str] | str | None = None,
    cardinality_limit: int | None = None,
    allowed_values: Mapping[str, Sequence[str]] | str | None = None,
    additional_metric_readers: Sequence[MetricReader] = (),
) -> Telemetry:
    """Set up metrics (and, if asked, traces) for this process, once. Returns the handle.

    Every argument left out is read from its environment variable, else its default
    (docs/configuration.md lists them all):

    - service_name / service_version / service_namespace / environment: the resource's
      service.name, service.version, service.namespace and deployment.environment.name
      (`OTEL_SERVICE_NAME`, `QF_OTEL_SERVICE_VERSION`, `QF_OTEL_SERVICE_NAMESPACE`,
      `QF_OTEL_ENVIRONMENT`, or the same keys in `OTEL_RESOURCE_ATTRIBUTES`).
    - resource_attributes: extra resource attributes (`OTEL_RESOURCE_ATTRIBUTES`).
    - metrics_exporters: any of "prometheus" (default), "otlp", "console", "none"
      (`OTEL_METRICS_EXPORTER`).
    - prometheus_host / prometheus_port: where `/metrics` is served, 127.0.0.1:9464
      (`OTEL_EXPORTER_PROMETHEUS_HOST` / `_PORT`). Port 0 picks a free one.
    - multiprocess_dir: where worker processes of one server find each other to share the port
      (`QF_OTEL_MULTIPROCESS_DIR`; default a per-user, per-port directory in the temp dir).
    - otlp_endpoint / otlp_protocol / otlp_headers / otlp_timeout: the OTLP destination
      (`OTEL_EXPORTER_OTLP_[METRICS_]ENDPOINT`, `_PROTOCOL` http/protobuf (default) or grpc,
      `_HEADERS` as k=v,k2=v2, `_TIMEOUT`; the argument is in seconds, the variable in ms;
      default 5 s). A base endpoint gets `/v1/metrics` appended for http/protobuf.
    - export_interval: seconds between OTLP pushes (`OTEL_METRIC_EXPORT_INTERVAL` in ms; 10 s).
    - traces_enabled / traces_sampling_ratio: opt-in traces over OTLP with a parent-based ratio
      sampler (`QF_OTEL_TRACES_ENABLED`, or `OTEL_TRACES_EXPORTER=otlp`; `OTEL_TRACES_SAMPLER_ARG`).
    - instrumentations / disabled_instrumentations: which integrations to turn on (default: all
      whose library is installed; `QF_OTEL_INSTRUMENTATIONS`,
      `OTEL_PYTHON_DISABLED_INSTRUMENTATIONS`).
    - excluded_urls: regular expressions of URL paths that record nothing
      (`OTEL_PYTHON_EXCLUDED_URLS`; default /metrics and health checks).
    - redact_query_keys: query-string keys whose values are replaced, on top of the built-in
      credential-like list (`QF_OTEL_REDACT_QUERY_KEYS`).
    - capture_request_headers / capture_response_headers: header names recorded on spans (off;
      `OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST` / `_RESPONSE`).
    - cardinality_limit: series per metric before the rest fold into `otel.metric.overflow=true`
      (`QF_OTEL_CARDINALITY_LIMIT`; 2000).
    - allowed_values: extra allowed values of our closed attribute sets, e.g.
      {"qf.quantum.system": ["qpu-b"]} (`QF_OTEL_ALLOWED_VALUES="qf.quantum.system=qpu-b|qpu-c"`).
    - additional_metric_readers: SDK readers to attach too (tests use an in-memory one).

    Raises `ConfigurationError` naming the argument or variable and its bad value. A second call
    with the same settings returns the same handle; with different ones it raises.
    """
    arguments = {k: v for k, v in locals().items()
                 if v is not None and k != "additional_metric_readers"}
    settings = resolve(arguments, os.environ)
    extra = tuple(additional_metric_readers)
    global _current
    with _lock:
        if _current is not None:
            # readers have no equality of their own: the tuples compare them by identity
            if _current.settings != settings or _current.extra_readers != extra:
                raise ConfigurationError(
                    "configure", "second call",
                    "qf-otel is already configured with different settings in this process; "
                    "call qf_otel.shutdown() first or pass the same settings",
                )
            return _current
        _current = _build(settings, extra)
        return _current


def _build(settings: Settings, extra_readers: tuple[MetricReader, ...]) -> Telemetry:
    resource = _resource.build(settings)
    if settings.sdk_disabled:
        return Telemetry(settings=settings, resource=resource, meter_provider=None,
                         extra_readers=extra_readers)
    _apply_vocabulary(settings)
    # Everything that can fail on the user's settings runs first (the port is bound here), so a
    # failed configure() leaves no global provider and no exporting thread behind.
    readers, pull = build_readers(settings)
    try:
        tracer_provider = (build_tracer_provider(settings, resource)
                           if settings.traces_enabled else None)
    except BaseException:
        for reader in readers:
            reader.shutdown()
        raise
    _recording.set_cardinality_limit(settings.cardinality_limit)
    meter_provider = MeterProvider(
        metric_readers=[*readers, *extra_readers], resource=resource, shutdown_on_exit=False,
        views=_VIEWS,
    )
    _bridge.attach(meter_provider)
    metrics.set_meter_provider(meter_provider)
    if tracer_provider is not None:
        trace.set_tracer_provider(tracer_provider)
    _quiet_sdk_loggers()  # after every exporter module is imported
    telemetry = Telemetry(settings=settings, resource=resource, meter_provider=meter_provider,
                          tracer_provider=tracer_provider, prometheus=pull,
                          extra_readers=extra_readers)
    telemetry.instrumented = _instrument(settings)
    atexit.register(telemetry.shutdown)
    return telemetry


# The application's own histograms in seconds get the semantic conventions' buckets, as ours do
# (the SDK's default buckets are for milliseconds).
_VIEWS = (
    View(instrument_type=Histogram, instrument_unit="s",
         aggregation=ExplicitBucketHistogramAggregation(list(_recording.HTTP_BUCKETS))),
)


def _quiet_sdk_loggers() -> None:
    """A dead endpoint makes the SDK log every retry; let each message through once a minute.

    Filters do not propagate to child loggers, so attach to each exporter/SDK logger that exists
    once the exporters are imported.
    """
    once = OncePerMinute()
    for name, logger in list(logging.Logger.manager.loggerDict.items()):
        if name.startswith(("opentelemetry.exporter", "opentelemetry.sdk")) and isinstance(
            logger, logging.Logger
        ) and not any(isinstance(f, OncePerMinute) for f in logger.filters):
            logger.addFilter(once)


def _after_fork() -> None:
    """A forked worker is a new instance: new id, counts from zero, own /metrics registration.
    (The fast core zeroes itself; the SDK keeps the parent's aggregations, so drop them.)"""
    telemetry = _current
    if telemetry is None or telemetry._stopped or telemetry.meter_provider is None:
        return
    try:
        fresh = Resource(_resource.process_attributes())
        telemetry.resource = telemetry.resource.merge(fresh)
        for provider in (telemetry.meter_provider, telemetry.tracer_provider):
            if provider is not None:
                provider._update_resource(fresh)
        consumer = telemetry.meter_provider._measurement_consumer
        for storage in consumer._reader_storages.values():
            storage._instrument_view_instrument_matches = {}
        if telemetry.prometheus is not None:
            telemetry.prometheus.after_fork_in_child()
    except Exception:
        _logger.exception("qf-otel: re-initialising after fork failed")


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork)


def _apply_vocabulary(settings: Settings) -> None:
    if not settings.allowed_values:
        return
    try:
        from qf_otel import _vocabulary
    except ImportError:  # the meters are optional in a stripped-down install
        return
    for key, values in settings.allowed_values.items():
        try:
            _vocabulary.extend(key, values)
        except ValueError as error:
            raise ConfigurationError("allowed_values", key, str(error)) from None


def _instrument(settings: Settings) -> list[str]:
    installed: list[str] = []
    try:
        from qf_otel import infrastructure

        if _wanted("system_metrics", settings):
            infrastructure.start(settings)
            installed.append("system_metrics")
    except ImportError:
        pass
    except Exception:
        _logger.exception("qf-otel: infrastructure metrics failed to start")
    try:
        import qf_otel_instrumentation
    except ImportError:
        return installed
    try:
        installed.extend(qf_otel_instrumentation.install(settings))
    except Exception:
        _logger.exception("qf-otel: instrumentation failed")
    return installed


def _wanted(name: str, settings: Settings) -> bool:
    if name in settings.disabled_instrumentations:
        return False
    return settings.instrumentations is None or name in settings.instrumentations


def current() -> Telemetry | None:
    """The handle of the running configuration, if `configure()` was called."""
    return _current


def shutdown(timeout: float | None = None) -> None:
    """Flush and stop telemetry; `configure()` may be called again afterwards."""
    global _current
    with _lock:
        telemetry, _current = _current, None
    if telemetry is not None:
        telemetry.shutdown(timeout)
        _release_globals()


def _release_globals() -> None:
    """Let a later configure() install new providers (the API allows setting them only once)."""
    from opentelemetry.metrics import _internal as metrics_internal
    from opentelemetry.trace import _TRACER_PROVIDER_SET_ONCE  # type: ignore[attr-defined]

    metrics_internal._METER_PROVIDER_SET_ONCE._done = False
    _TRACER_PROVIDER_SET_ONCE._done = False
