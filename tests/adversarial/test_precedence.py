"""Environment combinations and precedence, against docs/configuration.md and the OpenTelemetry
specification's variables. URL/flag resolution is pure logic, so most of these read the resolved
`Settings`; where the outcome is only visible in a running process, a child process is used."""

from __future__ import annotations

import pytest

from qf_otel._settings import ConfigurationError, resolve
from tests.adversarial._support import configure_outcome_snippet, run_python
from tests.support.ports import free_port


def test_signal_specific_variables_beat_the_generic_ones() -> None:
    """Held: *_METRICS_* wins over the generic variable, the argument over both."""
    env = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://generic:4318",
        "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": "http://metrics:4318",
        "OTEL_EXPORTER_OTLP_TIMEOUT": "9000",
        "OTEL_EXPORTER_OTLP_METRICS_TIMEOUT": "1500",
        "OTEL_EXPORTER_OTLP_HEADERS": "a=generic",
        "OTEL_EXPORTER_OTLP_METRICS_HEADERS": "a=metrics",
    }
    settings = resolve({}, env)
    assert settings.otlp_metrics_url() == "http://metrics:4318/v1/metrics"
    assert settings.otlp_timeout == 1.5
    assert dict(settings.otlp_headers) == {"a": "metrics"}
    argued = resolve({"otlp_endpoint": "https://arg:443/base/", "otlp_timeout": 0.25}, env)
    assert argued.otlp_metrics_url() == "https://arg:443/base/v1/metrics"
    assert argued.otlp_timeout == 0.25


def test_percent_encoded_resource_attributes_and_service_fields() -> None:
    """Held: values are percent-decoded; the specific variable beats the resource attribute."""
    settings = resolve({}, {
        "OTEL_RESOURCE_ATTRIBUTES": "service.name=from-attrs,team=a%2Cb%3Dc, region = eu ",
        "OTEL_SERVICE_NAME": "from-variable",
    })
    assert settings.service_name == "from-variable"
    assert dict(settings.resource_attributes)["team"] == "a,b=c"
    assert dict(settings.resource_attributes)["region"] == "eu"


def test_metrics_endpoint_variable_does_not_steer_traces() -> None:
    settings = resolve({}, {
        "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": "http://metrics-gw:4318/v1/metrics",
        "QF_OTEL_TRACES_ENABLED": "true",
    })
    assert settings.otlp_metrics_url() == "http://metrics-gw:4318/v1/metrics"
    # The spec: a signal-specific endpoint applies to its own signal only.
    assert settings.otlp_traces_url() == "http://localhost:4318/v1/traces"


def test_traces_endpoint_variable_is_honoured() -> None:
    settings = resolve({}, {
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://generic:4318",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://traces-gw:4318/v1/traces",
        "OTEL_TRACES_EXPORTER": "otlp",
    })
    assert settings.otlp_traces_url() == "http://traces-gw:4318/v1/traces"


@pytest.mark.parametrize("value", ["jaeger", "zipkin", "otlp,bogus"])
def test_unknown_traces_exporter_is_a_configuration_error(value: str) -> None:
    with pytest.raises(ConfigurationError, match=r"^OTEL_TRACES_EXPORTER="):
        resolve({}, {"OTEL_TRACES_EXPORTER": value})


def test_sdk_disabled_is_a_no_op_even_with_bad_other_values() -> None:
    outcome = run_python(configure_outcome_snippet(""), {
        "OTEL_SDK_DISABLED": "true", "OTEL_EXPORTER_PROMETHEUS_PORT": "nine",
        "OTEL_METRICS_EXPORTER": "bogus",
    }).result()
    assert outcome == {"kind": "ok"}


def test_sdk_disabled_accepts_any_case_and_whitespace() -> None:
    """Held: ' TRUE ' disables, and nothing binds the port."""
    port = free_port()
    run = run_python(f"""
        import socket, qf_otel
        t = qf_otel.configure(prometheus_port={port})
        s = socket.socket(); s.bind(("127.0.0.1", {port}))
        report([t.meter_provider is None, t.metrics_url])
    """, {"OTEL_SDK_DISABLED": " TRUE "})
    assert run.result() == [True, None]


def test_resource_attributes_argument_replaces_the_variable() -> None:
    port = free_port()
    run_python_env = {"OTEL_RESOURCE_ATTRIBUTES": "team=from-env,region=eu-west"}
    run = run_python(f"""
        import qf_otel
        t = qf_otel.configure(prometheus_port={port}, resource_attributes={{"team": "from-arg"}})
        attrs = dict(t.resource.attributes)
        report([attrs.get("team"), attrs.get("region")])
    """, run_python_env)
    assert run.result() == ["from-arg", None]


def test_environment_reaches_the_exposition_labels() -> None:
    """Held: service name/namespace/environment from OTEL_RESOURCE_ATTRIBUTES become labels."""
    port = free_port()
    run = run_python(f"""
        import urllib.request, qf_otel
        qf_otel.configure()
        body = urllib.request.urlopen("http://127.0.0.1:{port}/metrics", timeout=5).read()
        report(body.decode())
    """, {"OTEL_EXPORTER_PROMETHEUS_PORT": str(port),
          "OTEL_RESOURCE_ATTRIBUTES": "service.name=shop,service.namespace=qf,"
                                      "deployment.environment.name=stag%20ing"})
    body = run.result()
    assert 'service_name="shop",service_namespace="qf",deployment_environment_name="stag ing"' \
        in body
