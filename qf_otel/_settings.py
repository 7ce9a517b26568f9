"""One settings object, resolved once from `configure()` arguments, the environment and defaults.

Precedence, for every setting: an argument given to `configure()` wins; otherwise its environment
variable (the standard `OTEL_*` one where the OpenTelemetry spec defines it, `QF_OTEL_*` for ours);
otherwise the default. Every value is validated here, so a bad one fails at `configure()` with an
error that names the argument or variable and the value, never later inside the application.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

T = TypeVar("T")

EXPORTERS = frozenset({"prometheus", "otlp", "console", "none"})
PROTOCOLS = frozenset({"http/protobuf", "grpc"})
DEFAULT_EXCLUDED_URLS = ("/metrics$", "/health$", "/healthz$", "/livez$", "/readyz$")
DEFAULT_REDACT_QUERY_KEYS = frozenset({
    "token", "access_token", "refresh_token", "id_token", "api_key", "apikey", "key", "secret",
    "client_secret", "password", "passwd", "pwd", "auth", "authorization", "signature", "sig",
    "session", "sessionid", "code", "email", "x-amz-signature", "x-goog-signature",
})


class ConfigurationError(ValueError):
    """A setting has a value qf-otel cannot use; the message names the setting and the value."""

    def __init__(self, setting: str, value: object, reason: str) -> None:
        super().__init__(f"{setting}={value!r}: {reason}")
        self.setting = setting
        self.value = value


@dataclass(frozen=True)
class Settings:
    service_name: str = "unknown_service"
    service_version: str | None = None
    service_namespace: str | None = None
    environment: str | None = None
    resource_attributes: Mapping[str, str] = field(default_factory=dict)
    metrics_exporters: tuple[str, ...] = ("prometheus",)
    prometheus_host: str = "127.0.0.1"
    prometheus_port: int = 9464
    multiprocess_dir: str | None = None
    otlp_endpoint: str | None = None
    otlp_metrics_endpoint: str | None = None
    otlp_traces_endpoint: str | None = None
    otlp_protocol: str = "http/protobuf"
    otlp_headers: Mapping[str, str] = field(default_factory=dict)
    otlp_timeout: float = 5.0
    export_interval: float = 10.0
    traces_enabled: bool = False
    traces_sampling_ratio: float = 1.0
    instrumentations: frozenset[str] | None = None
    disabled_instrumentations: frozenset[str] = frozenset()
    excluded_urls: tuple[str, ...] = DEFAULT_EXCLUDED_URLS
    redact_query_keys: frozenset[str] = DEFAULT_REDACT_QUERY_KEYS
    capture_request_headers: tuple[str, ...] = ()
    capture_response_headers: tuple[str, ...] = ()
    cardinality_limit: int = 2000
    allowed_values: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    sdk_disabled: bool = False
    # which argument or variable each value came from, so later errors can name it
    sources: Mapping[str, str] = field(default_factory=dict, compare=False)

    def source(self, field_name: str) -> str:
        return self.sources.get(field_name, field_name)

    def otlp_metrics_url(self) -> str:
        return self._otlp_url("metrics", self.otlp_metrics_endpoint)

    def otlp_traces_url(self) -> str:
        return self._otlp_url("traces", self.otlp_traces_endpoint)

    def _otlp_url(self, signal: str, specific: str | None) -> str:
        """Where a signal is sent. The `otlp_endpoint` argument wins, then the signal's own
        variable (used as given when it has a path), then `OTEL_EXPORTER_OTLP_ENDPOINT`. A base
        URL gets `/v1/<signal>` appended for http/protobuf; gRPC takes host:port as given."""
        from_argument = self.sources.get("otlp_endpoint") == "otlp_endpoint"
        if specific is not None and not from_argument:
            if self.otlp_protocol == "grpc" or urlsplit(specific).path.strip("/"):
                return specific
            return _with_signal_path(specific, signal)
        base = self.otlp_endpoint or (
            "http://localhost:4317" if self.otlp_protocol == "grpc" else "http://localhost:4318"
        )
        if self.otlp_protocol == "grpc":
            return base
        return _with_signal_path(base, signal)


def _with_signal_path(base: str, signal: str) -> str:
    path = urlsplit(base).path
    if path.rstrip("/").endswith(f"/v1/{signal}"):
        return base
    return base.rstrip("/") + f"/v1/{signal}"


# --- parsers: (setting name, raw value) -> typed value, raising ConfigurationError ---


def _str(name: str, raw: Any) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise ConfigurationError(name, raw, "expected a non-empty string")
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError:  # how Python decodes non-UTF-8 bytes of the environment
        raise ConfigurationError(name, raw, "is not valid UTF-8") from None
    return raw.strip()


def _bool(name: str, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off", ""):
        return False
    raise ConfigurationError(name, raw, "expected true or false")


def _number(name: str, raw: Any, *, low: float, high: float, scale: float = 1.0) -> float:
    if isinstance(raw, bool):
        raise ConfigurationError(name, raw, "expected a number")
    try:
        value = float(raw) * scale
    except (TypeError, ValueError):
        raise ConfigurationError(name, raw, "expected a number") from None
    if not low <= value <= high or value != value:
        raise ConfigurationError(name, raw, f"must be between {low / scale:g} and {high / scale:g}")
    return value


def _positive_seconds(name: str, raw: Any, *, scale: float = 1.0) -> float:
    value = _number(name, raw, low=0.0, high=86_400.0, scale=scale)
    if value <= 0:
        raise ConfigurationError(name, raw, "must be greater than zero")
    return value


def _port(name: str, raw: Any) -> int:
    if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
        raise ConfigurationError(name, raw, "expected a port number 0-65535")
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise ConfigurationError(name, raw, "expected a port number 0-65535") from None
    if not 0 <= value <= 65535:
        raise ConfigurationError(name, raw, "expected a port number 0-65535")
    return value


def _names(name: str, raw: Any) -> tuple[str, ...]:
    if isinstance(raw, str):
        items = [part.strip() for part in raw.split(",")]
    elif isinstance(raw, list | tuple | set | frozenset):
        items = [str(part).strip() for part in raw]
    else:
        raise ConfigurationError(name, raw, "expected a comma-separated list or a list of strings")
    return tuple(item for item in items if item)


def _exporters(name: str, raw: Any) -> tuple[str, ...]:
    found = tuple(item.lower() for item in _names(name, raw))
    unknown = [item for item in found if item not in EXPORTERS]
    if unknown:
        raise ConfigurationError(
            name, raw, f"unknown exporter {unknown[0]!r}; expected some of {sorted(EXPORTERS)}"
        )
    if not found or found == ("none",):
        return ()
    return tuple(item for item in dict.fromkeys(found) if item != "none")


def _protocol(name: str, raw: Any) -> str:
    text = _str(name, raw).lower()
    if text not in PROTOCOLS:
        raise ConfigurationError(name, raw, f"expected one of {sorted(PROTOCOLS)}")
    return text


def _endpoint(name: str, raw: Any) -> str:
    text = _str(name, raw)
    try:
        parts = urlsplit(text)
    except ValueError as error:
        raise ConfigurationError(name, raw, f"malformed URL: {error}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(name, raw, "expected an http:// or https:// URL with a host")
    try:
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        raise ConfigurationError(name, raw, "the URL has an invalid port") from None
    return text


def _key_values(name: str, raw: Any) -> dict[str, str]:
    """W3C-baggage-style `k=v,k2=v2` (values percent-decoded), or a mapping."""
    if isinstance(raw, Mapping):
        return {_str(name, k): str(v) for k, v in raw.items()}
    if not isinstance(raw, str):
        raise ConfigurationError(name, raw, "expected 'key=value,key=value' or a mapping")
    result: dict[str, str] = {}
    for item in raw.split(","):
        if not item.strip():
            continue
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigurationError(
                name, raw, f"malformed item {item.strip()!r}; expected key=value"
            )
        result[unquote(key.strip())] = unquote(value.strip())
    return result


_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_HEADER_VALUE_FORBIDDEN = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


def _headers(name: str, raw: Any) -> dict[str, str]:
    """Key-values that HTTP can carry: token names, no control characters in values."""
    headers = _key_values(name, raw)
    for key, value in headers.items():
        if not _HEADER_NAME.fullmatch(key):
            raise ConfigurationError(name, raw, f"header name {key!r} is not an HTTP token")
        if _HEADER_VALUE_FORBIDDEN.search(value):
            raise ConfigurationError(name, raw, f"header {key!r} has a control character")
    return headers


def _allowed_values(name: str, raw: Any) -> dict[str, tuple[str, ...]]:
    """`attribute.key=a|b;other.key=c`, or a mapping of key to a list of values."""
    if isinstance(raw, Mapping):
        return {_str(name, k): tuple(_names(name, list(v))) for k, v in raw.items()}
    if not isinstance(raw, str):
        raise ConfigurationError(name, raw, "expected 'key=a|b;key2=c' or a mapping")
    result: dict[str, tuple[str, ...]] = {}
    for item in raw.split(";"):
        if not item.strip():
            continue
        key, sep, values = item.partition("=")
        if not sep or not key.strip():
            raise ConfigurationError(
                name, raw, f"malformed item {item.strip()!r}; expected key=a|b"
            )
        result[key.strip()] = tuple(v.strip() for v in values.split("|") if v.strip())
    return result


def _patterns(name: str, raw: Any) -> tuple[str, ...]:
    found = _names(name, raw)
    for pattern in found:
        try:
            re.compile(pattern)
        except re.error as error:
            raise ConfigurationError(
                name, raw, f"bad regular expression {pattern!r}: {error}"
            ) from None
    return found


def _ratio(name: str, raw: Any) -> float:
    return _number(name, raw, low=0.0, high=1.0)


def _limit(name: str, raw: Any) -> int:
    value = _number(name, raw, low=2, high=10_000_000)
    if not value.is_integer():
        raise ConfigurationError(name, raw, "expected a whole number")
    return int(value)


def _lower_set(name: str, raw: Any) -> frozenset[str]:
    return frozenset(item.lower() for item in _names(name, raw))


INSTRUMENTATION_NAMES = frozenset({
    "asgi", "fastapi", "starlette", "httpx", "requests", "sqlalchemy", "redis", "cache",
    "system_metrics", "none",
})


def _instrumentation_names(name: str, raw: Any) -> frozenset[str]:
    """The allow-list: a typo would silently switch everything off, so unknown names fail."""
    found = _lower_set(name, raw)
    unknown = sorted(found - INSTRUMENTATION_NAMES)
    if unknown:
        raise ConfigurationError(
            name, raw, f"unknown instrumentation {unknown[0]!r}; expected some of "
            f"{sorted(INSTRUMENTATION_NAMES)}"
        )
    return found


def _traces_exporter(name: str, raw: Any) -> bool:
    found = [item.lower() for item in _names(name, raw)]
    unknown = [item for item in found if item not in ("otlp", "none")]
    if unknown:
        raise ConfigurationError(name, raw, f"unknown traces exporter {unknown[0]!r}; "
                                 "qf-otel exports traces by otlp (or none)")
    return "otlp" in found


class _Resolver:
    """Takes each setting from the arguments, else the environment, else leaves the default."""

    def __init__(self, arguments: Mapping[str, Any], environ: Mapping[str, str]) -> None:
        self.arguments = arguments
        self.environ = environ
        self.values: dict[str, Any] = {}
        self.sources: dict[str, str] = {}

    def take(
        self, field_name: str, env: tuple[str, ...], parse: Callable[[str, Any], T]
    ) -> T | None:
        if self.arguments.get(field_name) is not None:
            value = parse(field_name, self.arguments[field_name])
            self.values[field_name] = value
            self.sources[field_name] = field_name
            return value
        for variable in env:
            raw = self.environ.get(variable)
            if raw is not None and raw.strip() != "":
                value = parse(variable, raw)
                self.values[field_name] = value
                self.sources[field_name] = variable
                return value
        return None


ARGUMENTS = frozenset(Settings.__dataclass_fields__) - {
    "sdk_disabled", "sources", "otlp_metrics_endpoint", "otlp_traces_endpoint"}


def resolve(arguments: Mapping[str, Any], environ: Mapping[str, str]) -> Settings:
    unknown = sorted(set(arguments) - ARGUMENTS - {"sdk_disabled"})
    if unknown:
        raise ConfigurationError(unknown[0], arguments[unknown[0]], "unknown argument")
    r = _Resolver(arguments, environ)
    if r.take("sdk_disabled", ("OTEL_SDK_DISABLED",), _bool):
        return Settings(sdk_disabled=True)  # a no-op: nothing else is read, nothing can fail
    attributes = r.take("resource_attributes", ("OTEL_RESOURCE_ATTRIBUTES",), _key_values) or {}
    # service.* given in OTEL_RESOURCE_ATTRIBUTES count, under the more specific variables
    for field_name, variable, key in (
        ("service_name", "OTEL_SERVICE_NAME", "service.name"),
        ("service_version", "QF_OTEL_SERVICE_VERSION", "service.version"),
        ("service_namespace", "QF_OTEL_SERVICE_NAMESPACE", "service.namespace"),
        ("environment", "QF_OTEL_ENVIRONMENT", "deployment.environment.name"),
    ):
        if r.take(field_name, (variable,), _str) is None and attributes.get(key):
            r.values[field_name] = attributes[key]
    r.take("metrics_exporters", ("OTEL_METRICS_EXPORTER",), _exporters)
    r.take("prometheus_host", ("OTEL_EXPORTER_PROMETHEUS_HOST",), _str)
    r.take("prometheus_port", ("OTEL_EXPORTER_PROMETHEUS_PORT",), _port)
    r.take("multiprocess_dir", ("QF_OTEL_MULTIPROCESS_DIR",), _str)
    r.take("otlp_endpoint", ("OTEL_EXPORTER_OTLP_ENDPOINT",), _endpoint)
    r.take("otlp_metrics_endpoint", ("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",), _endpoint)
    r.take("otlp_traces_endpoint", ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",), _endpoint)
    r.take("otlp_protocol", ("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"),
           _protocol)
    r.take("otlp_headers", ("OTEL_EXPORTER_OTLP_METRICS_HEADERS", "OTEL_EXPORTER_OTLP_HEADERS"),
           _headers)
    # The spec's variables are in milliseconds; the arguments are in seconds.
    if r.take("otlp_timeout", (), _positive_seconds) is None:
        r.take("otlp_timeout", ("OTEL_EXPORTER_OTLP_METRICS_TIMEOUT", "OTEL_EXPORTER_OTLP_TIMEOUT"),
               lambda n, v: _positive_seconds(n, v, scale=0.001))
    if r.take("export_interval", (), _positive_seconds) is None:
        r.take("export_interval", ("OTEL_METRIC_EXPORT_INTERVAL",),
               lambda n, v: _positive_seconds(n, v, scale=0.001))
    if r.take("traces_enabled", ("QF_OTEL_TRACES_ENABLED",), _bool) is None:
        r.take("traces_enabled", ("OTEL_TRACES_EXPORTER",), _traces_exporter)
    r.take("traces_sampling_ratio", ("OTEL_TRACES_SAMPLER_ARG",), _ratio)
    r.take("instrumentations", ("QF_OTEL_INSTRUMENTATIONS",), _instrumentation_names)
    r.take("disabled_instrumentations", ("OTEL_PYTHON_DISABLED_INSTRUMENTATIONS",), _lower_set)
    r.take("excluded_urls", ("OTEL_PYTHON_EXCLUDED_URLS",), _patterns)
    extra_keys = r.take("redact_query_keys", ("QF_OTEL_REDACT_QUERY_KEYS",), _lower_set)
    if extra_keys is not None:  # the user's keys come on top of the defaults, never instead
        r.values["redact_query_keys"] = DEFAULT_REDACT_QUERY_KEYS | extra_keys
    r.take("capture_request_headers",
           ("OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST",), _names)
    r.take("capture_response_headers",
           ("OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_RESPONSE",), _names)
    r.take("cardinality_limit", ("QF_OTEL_CARDINALITY_LIMIT",), _limit)
    r.take("allowed_values", ("QF_OTEL_ALLOWED_VALUES",), _allowed_values)
    return Settings(**r.values, sources=r.sources)
