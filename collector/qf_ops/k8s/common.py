"""Names, labels and images shared by every manifest."""

from __future__ import annotations

from typing import Any

NAMESPACE = "qf-observability"
PART_OF = "qf-otel"
# The upstream contrib image carries every component collector/config/*.yaml uses; the
# kustomization's `images:` entry swaps in the qf-otelcol image where one is published.
COLLECTOR_IMAGE = "otel/opentelemetry-collector-contrib:0.161.0"
COLLECTOR_BINARY = "/otelcol-contrib"
PYTHON_AUTOINSTRUMENTATION_IMAGE = "ghcr.io/quantumflow/qf-otel-autoinstrumentation-python:0.1.0"
CONFIG_DIR = "/etc/qf-otelcol"

GATEWAY = "qf-otelcol-gateway"
AGENT = "qf-otelcol-agent"
SERVICE_ACCOUNT = "qf-otelcol"

# Label every ServiceMonitor/PodMonitor/PrometheusRule carries; the Prometheus resource's
# *Selector fields must match it (kube-prometheus-stack: set them to match this label).
MONITORING_LABELS = {"qf-otel.io/monitoring": "true"}
# Pods of instrumented services that expose /metrics themselves (the pull path).
SCRAPE_LABEL = "qf-otel.io/scrape"

PORTS = {
    "otlp-grpc": 4317,
    "otlp-http": 4318,
    "prometheus": 8889,
    "telemetry": 8888,
    "health": 13133,
}


def labels(component: str) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": "qf-otelcol",
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/part-of": PART_OF,
    }


def selector(component: str) -> dict[str, str]:
    return {k: v for k, v in labels(component).items() if k != "app.kubernetes.io/part-of"}


def meta(name: str, extra_labels: dict[str, str] | None = None, **fields: Any) -> dict[str, Any]:
    return {
        "name": name,
        "labels": {"app.kubernetes.io/part-of": PART_OF, **(extra_labels or {})},
        **fields,
    }
