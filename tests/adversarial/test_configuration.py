"""Bad configuration of every kind, each in a fresh process: configure() must raise
`ConfigurationError` naming the setting and the value (never a raw exception, never a later
failure), and a failed configure() must leave nothing running behind it."""

from __future__ import annotations

import socket

import pytest

from tests.adversarial._support import configure_outcome_snippet, run_python
from tests.support.ports import free_port

# (variable, bad value): every one of these is rejected today, naming the variable and the value.
REJECTED_VARIABLES = [
    ("OTEL_EXPORTER_PROMETHEUS_PORT", "nine"),
    ("OTEL_EXPORTER_PROMETHEUS_PORT", "-1"),
    ("OTEL_EXPORTER_PROMETHEUS_PORT", "65536"),
    ("OTEL_EXPORTER_PROMETHEUS_PORT", "1e3"),
    ("OTEL_EXPORTER_PROMETHEUS_PORT", "NaN"),
    ("OTEL_METRIC_EXPORT_INTERVAL", "0"),
    ("OTEL_METRIC_EXPORT_INTERVAL", "-5"),
    ("OTEL_METRIC_EXPORT_INTERVAL", "nan"),
    ("OTEL_METRIC_EXPORT_INTERVAL", "inf"),
    ("OTEL_METRIC_EXPORT_INTERVAL", "1e400"),
    ("OTEL_EXPORTER_OTLP_TIMEOUT", "-inf"),
    ("OTEL_TRACES_SAMPLER_ARG", "1.5"),
    ("OTEL_TRACES_SAMPLER_ARG", "nan"),
    ("OTEL_METRICS_EXPORTER", "prometheus,zipkin"),
    ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"),
    ("OTEL_EXPORTER_OTLP_ENDPOINT", "localhost:4318"),
    ("OTEL_EXPORTER_OTLP_ENDPOINT", "ftp://collector:4318"),
    ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:99999"),
    ("OTEL_EXPORTER_OTLP_HEADERS", "no-equals-sign"),
    ("QF_OTEL_CARDINALITY_LIMIT", "1"),
    ("QF_OTEL_CARDINALITY_LIMIT", "inf"),
    ("OTEL_PYTHON_EXCLUDED_URLS", "(["),
    ("OTEL_SDK_DISABLED", "maybe"),
]


def _outcome(arguments: str = "", env: dict[str, str] | None = None) -> dict[str, str]:
    run = run_python(configure_outcome_snippet(arguments), env)
    outcome: dict[str, str] = run.result()
    return outcome


@pytest.mark.parametrize(("variable", "value"), REJECTED_VARIABLES)
def test_bad_variable_is_a_configuration_error_naming_it(variable: str, value: str) -> None:
    outcome = _outcome(env={variable: value})
    assert outcome["kind"] == "ConfigurationError", outcome
    assert outcome["message"].startswith(f"{variable}={value!r}"), outcome


@pytest.mark.parametrize("where", ["argument", "variable"])
def test_malformed_ipv6_endpoint_is_a_configuration_error(where: str) -> None:
    bad = "http://[::1:4318"
    if where == "argument":
        outcome = _outcome(f"metrics_exporters='otlp', otlp_endpoint={bad!r}")
        name = "otlp_endpoint"
    else:
        outcome = _outcome("metrics_exporters='otlp'", {"OTEL_EXPORTER_OTLP_ENDPOINT": bad})
        name = "OTEL_EXPORTER_OTLP_ENDPOINT"
    assert outcome["kind"] == "ConfigurationError", outcome
    assert outcome["message"].startswith(f"{name}={bad!r}"), outcome


@pytest.mark.parametrize("host", ["192.0.2.1", "no-such-host.invalid", "http://[::1]:4318"])
def test_host_that_cannot_be_bound_is_a_configuration_error(host: str) -> None:
    outcome = _outcome("", {"OTEL_EXPORTER_PROMETHEUS_HOST": host,
                            "OTEL_EXPORTER_PROMETHEUS_PORT": "0"})
    assert outcome["kind"] == "ConfigurationError", outcome
    assert outcome["message"].startswith(f"OTEL_EXPORTER_PROMETHEUS_HOST={host!r}"), outcome


def test_ipv6_loopback_host_serves_metrics() -> None:
    port = free_port()
    run = run_python(f"""
        import urllib.request, qf_otel
        t = qf_otel.configure(prometheus_host="::1", prometheus_port={port})
        body = urllib.request.urlopen(f"http://[::1]:{port}/metrics", timeout=5).read().decode()
        report({{"url": t.metrics_url, "served": "target_info" in body}})
    """)
    assert run.result() == {"url": f"http://[::1]:{port}/metrics", "served": True}


@pytest.mark.parametrize("headers", ["x api key=secret", "x-token=a%0D%0AInjected: yes",
                                     "x-token=a%00b"])
def test_header_list_unusable_by_http_is_a_configuration_error(headers: str) -> None:
    outcome = _outcome("metrics_exporters='otlp'", {"OTEL_EXPORTER_OTLP_HEADERS": headers})
    assert outcome["kind"] == "ConfigurationError", outcome
    assert outcome["message"].startswith("OTEL_EXPORTER_OTLP_HEADERS="), outcome


@pytest.mark.parametrize(("arguments", "env"), [
    ("cardinality_limit=2.7", {}),
    ("", {"QF_OTEL_CARDINALITY_LIMIT": "2000.5"}),
])
def test_fractional_cardinality_limit_is_rejected(arguments: str, env: dict[str, str]) -> None:
    outcome = _outcome(arguments, {"OTEL_EXPORTER_PROMETHEUS_PORT": "0", **env})
    assert outcome["kind"] == "ConfigurationError", outcome


def test_port_held_by_a_foreign_process_is_a_configuration_error() -> None:
    with socket.socket() as foreign:
        foreign.bind(("127.0.0.1", 0))
        foreign.listen(16)
        port = foreign.getsockname()[1]
        outcome = _outcome(f"prometheus_port={port}")
    assert outcome["kind"] == "ConfigurationError", outcome
    assert outcome["message"].startswith(f"prometheus_port={port}"), outcome


def test_failed_configure_leaves_nothing_behind() -> None:
    dead = free_port()
    good_port = free_port()
    run = run_python(f"""
        import threading, urllib.request, qf_otel
        from opentelemetry import metrics
        try:
            qf_otel.configure(metrics_exporters="prometheus,otlp", prometheus_host="192.0.2.1",
                              otlp_endpoint="http://127.0.0.1:{dead}", export_interval=0.2)
            first = "no error"
        except Exception as error:
            first = type(error).__name__
        t = qf_otel.configure(prometheus_port={good_port})
        # an app's own instrument must reach the provider configure() returned
        metrics.get_meter("app").create_counter("adv.after.retry").add(3)
        body = urllib.request.urlopen(t.metrics_url, timeout=5).read().decode()
        readers = [th.name for th in threading.enumerate() if "Periodic" in th.name]
        report({{"first": first, "served": "adv_after_retry_total" in body,
                 "orphan_readers": readers}})
    """)
    result = run.result()
    assert result["first"] != "no error"
    assert result == {"first": result["first"], "served": True, "orphan_readers": []}


def test_empty_and_whitespace_variables_mean_unset() -> None:
    """Held: an empty or blank variable falls back to the default instead of failing."""
    port = free_port()
    run = run_python(f"""
        import qf_otel
        t = qf_otel.configure(prometheus_port={port})
        s = t.settings
        report([s.service_name, list(s.metrics_exporters), s.otlp_timeout, s.cardinality_limit])
    """, {"OTEL_SERVICE_NAME": "   ", "OTEL_METRICS_EXPORTER": "",
          "OTEL_EXPORTER_OTLP_TIMEOUT": " ", "QF_OTEL_CARDINALITY_LIMIT": "\t"})
    assert run.result() == ["unknown_service", ["prometheus"], 5.0, 2000]


def test_unicode_service_name_reaches_the_exposition() -> None:
    """Held: a non-ASCII service name is a valid label value."""
    port = free_port()
    run = run_python(f"""
        import urllib.request, qf_otel
        qf_otel.configure(service_name="caf\\u00e9-\\u670d\\u52a1", prometheus_port={port})
        body = urllib.request.urlopen("http://127.0.0.1:{port}/metrics", timeout=5).read()
        report('service_name="caf\\u00e9-\\u670d\\u52a1"' in body.decode())
    """)
    assert run.result() is True


def test_non_utf8_service_name_from_the_environment_is_caught_at_configure() -> None:
    port = free_port()
    run = run_python(f"""
        import urllib.request, qf_otel
        try:
            qf_otel.configure(prometheus_port={port})
        except qf_otel.ConfigurationError as error:
            report({{"kind": "ConfigurationError", "message": str(error)}})
            raise SystemExit(0)
        try:
            urllib.request.urlopen("http://127.0.0.1:{port}/metrics", timeout=5).read()
            report({{"kind": "served"}})
        except OSError as error:
            report({{"kind": "scrape failed", "message": str(error)}})
    """, {"OTEL_SERVICE_NAME": "caf\udce9"})   # the byte 0xE9: 'café' in a Latin-1 locale
    outcome = run.result()
    assert outcome["kind"] in ("ConfigurationError", "served"), outcome
    if outcome["kind"] == "ConfigurationError":
        assert outcome["message"].startswith("OTEL_SERVICE_NAME="), outcome


def test_grpc_without_the_grpc_extra_is_a_configuration_error() -> None:
    run = run_python("""
        import sys
        sys.modules["grpc"] = None          # exactly what an install without the extra looks like
    """ + configure_outcome_snippet("metrics_exporters='otlp', otlp_protocol='grpc'"))
    outcome = run.result()
    assert outcome["kind"] == "ConfigurationError", outcome
    assert outcome["message"].startswith("otlp_protocol='grpc'"), outcome
    assert "qf-otel[grpc]" in outcome["message"], outcome


def test_unknown_name_in_the_instrumentation_allow_list_is_a_configuration_error() -> None:
    outcome = _outcome("prometheus_port=0", {"QF_OTEL_INSTRUMENTATIONS": "sqlachemy,redis"})
    assert outcome["kind"] == "ConfigurationError", outcome
    assert outcome["message"].startswith("QF_OTEL_INSTRUMENTATIONS='sqlachemy,redis'"), outcome
    assert "sqlachemy" in outcome["message"].split(":", 1)[1], outcome
