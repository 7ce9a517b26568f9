"""Settings resolution: precedence, defaults, and a clear error for every bad value."""

from __future__ import annotations

import pytest

from qf_otel import ConfigurationError
from qf_otel._settings import DEFAULT_REDACT_QUERY_KEYS, resolve


def test_defaults() -> None:
    settings = resolve({}, {})
    assert settings.metrics_exporters == ("prometheus",)
    assert (settings.prometheus_host, settings.prometheus_port) == ("127.0.0.1", 9464)
    assert settings.otlp_protocol == "http/protobuf"
    assert settings.otlp_timeout == 5.0
    assert settings.traces_enabled is False
    assert settings.otlp_metrics_url() == "http://localhost:4318/v1/metrics"


def test_argument_beats_environment_beats_default() -> None:
    env = {"OTEL_SERVICE_NAME": "from-env", "OTEL_EXPORTER_PROMETHEUS_PORT": "9999"}
    assert resolve({"service_name": "from-arg"}, env).service_name == "from-arg"
    assert resolve({}, env).service_name == "from-env"
    assert resolve({}, env).prometheus_port == 9999


def test_resource_attributes_supply_service_fields_under_specific_variables() -> None:
    env = {"OTEL_RESOURCE_ATTRIBUTES": "service.name=a,service.namespace=qf,"
                                       "deployment.environment.name=prod,team=x%20y"}
    settings = resolve({}, env)
    assert (settings.service_name, settings.service_namespace, settings.environment) == (
        "a", "qf", "prod")
    assert settings.resource_attributes["team"] == "x y"
    assert resolve({}, {**env, "OTEL_SERVICE_NAME": "b"}).service_name == "b"


def test_milliseconds_in_variables_seconds_in_arguments() -> None:
    env = {"OTEL_METRIC_EXPORT_INTERVAL": "2500", "OTEL_EXPORTER_OTLP_TIMEOUT": "1500"}
    settings = resolve({}, env)
    assert (settings.export_interval, settings.otlp_timeout) == (2.5, 1.5)
    assert resolve({"export_interval": 3}, env).export_interval == 3


@pytest.mark.parametrize(
    ("endpoint", "protocol", "expected"),
    [
        ("http://collector:4318", "http/protobuf", "http://collector:4318/v1/metrics"),
        ("http://collector:4318/", "http/protobuf", "http://collector:4318/v1/metrics"),
        ("http://collector:4318/v1/metrics", "http/protobuf", "http://collector:4318/v1/metrics"),
        ("http://collector:4317", "grpc", "http://collector:4317"),
    ],
)
def test_endpoint_without_path_gets_the_signal_path(endpoint: str, protocol: str,
                                                    expected: str) -> None:
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_EXPORTER_OTLP_PROTOCOL": protocol}
    assert resolve({}, env).otlp_metrics_url() == expected
    assert resolve({"otlp_endpoint": endpoint, "otlp_protocol": protocol},
                   {}).otlp_metrics_url() == expected


def test_exporter_lists() -> None:
    assert resolve({}, {"OTEL_METRICS_EXPORTER": "otlp, prometheus"}).metrics_exporters == (
        "otlp", "prometheus")
    assert resolve({}, {"OTEL_METRICS_EXPORTER": "none"}).metrics_exporters == ()


def test_user_redaction_keys_add_to_defaults() -> None:
    keys = resolve({}, {"QF_OTEL_REDACT_QUERY_KEYS": "Customer_ID"}).redact_query_keys
    assert "customer_id" in keys and keys >= DEFAULT_REDACT_QUERY_KEYS


def test_allowed_values_parse() -> None:
    env = {"QF_OTEL_ALLOWED_VALUES": "qf.quantum.system=qpu-b|qpu-c;qf.component=search"}
    assert resolve({}, env).allowed_values == {
        "qf.quantum.system": ("qpu-b", "qpu-c"), "qf.component": ("search",)}


def test_traces_follow_the_standard_exporter_variable() -> None:
    assert resolve({}, {"OTEL_TRACES_EXPORTER": "otlp"}).traces_enabled is True
    assert resolve({}, {"OTEL_TRACES_EXPORTER": "none"}).traces_enabled is False
    assert resolve({"traces_enabled": True}, {}).traces_enabled is True


@pytest.mark.parametrize(
    ("arguments", "env", "named", "value"),
    [
        ({}, {"OTEL_EXPORTER_PROMETHEUS_PORT": "abc"}, "OTEL_EXPORTER_PROMETHEUS_PORT", "abc"),
        ({}, {"OTEL_EXPORTER_PROMETHEUS_PORT": "70000"}, "OTEL_EXPORTER_PROMETHEUS_PORT", "70000"),
        ({"prometheus_port": -1}, {}, "prometheus_port", "-1"),
        ({}, {"OTEL_METRICS_EXPORTER": "prometheus,zipkin"}, "OTEL_METRICS_EXPORTER", "zipkin"),
        ({"metrics_exporters": ["otel"]}, {}, "metrics_exporters", "otel"),
        ({}, {"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318"}, "OTEL_EXPORTER_OTLP_ENDPOINT",
         "collector:4318"),
        ({}, {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://h:port"}, "OTEL_EXPORTER_OTLP_ENDPOINT",
         "http://h:port"),
        ({}, {"OTEL_EXPORTER_OTLP_HEADERS": "a=1,broken"}, "OTEL_EXPORTER_OTLP_HEADERS", "broken"),
        ({}, {"OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"}, "OTEL_EXPORTER_OTLP_PROTOCOL",
         "http/json"),
        ({}, {"OTEL_METRIC_EXPORT_INTERVAL": "0"}, "OTEL_METRIC_EXPORT_INTERVAL", "0"),
        ({"export_interval": -5}, {}, "export_interval", "-5"),
        ({}, {"OTEL_EXPORTER_OTLP_TIMEOUT": "soon"}, "OTEL_EXPORTER_OTLP_TIMEOUT", "soon"),
        ({}, {"OTEL_TRACES_SAMPLER_ARG": "1.5"}, "OTEL_TRACES_SAMPLER_ARG", "1.5"),
        ({"traces_sampling_ratio": -0.1}, {}, "traces_sampling_ratio", "-0.1"),
        ({}, {"OTEL_SDK_DISABLED": "maybe"}, "OTEL_SDK_DISABLED", "maybe"),
        ({}, {"OTEL_PYTHON_EXCLUDED_URLS": "/ok,(["}, "OTEL_PYTHON_EXCLUDED_URLS", "(["),
        ({}, {"QF_OTEL_CARDINALITY_LIMIT": "1"}, "QF_OTEL_CARDINALITY_LIMIT", "1"),
        ({"service_name": ""}, {}, "service_name", "''"),
        ({"no_such_option": 1}, {}, "no_such_option", "1"),
    ],
)
def test_bad_values_name_the_setting_and_the_value(
    arguments: dict[str, object], env: dict[str, str], named: str, value: str
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        resolve(arguments, env)
    message = str(caught.value)
    assert message.startswith(named + "="), message
    assert value in message, message
