"""The same Collectors as OpenTelemetry Operator resources, plus Python auto-instrumentation.

The Operator names what it creates `<name>-collector`; its pods carry
app.kubernetes.io/component=opentelemetry-collector and
app.kubernetes.io/instance=<namespace>.<name>.
"""

from __future__ import annotations

from typing import Any

from qf_ops.k8s import collector_config as cfg
from qf_ops.k8s.common import (
    COLLECTOR_IMAGE,
    NAMESPACE,
    PORTS,
    PYTHON_AUTOINSTRUMENTATION_IMAGE,
    meta,
)

GATEWAY_CR = "qf-gateway"
AGENT_CR = "qf-agent"
AGENT_LOCAL_SERVICE = "qf-agent-local"


def operator_pod_labels(name: str) -> dict[str, str]:
    return {
        "app.kubernetes.io/component": "opentelemetry-collector",
        "app.kubernetes.io/instance": f"{NAMESPACE}.{name}",
    }


def _env(memory_limit_mib: int, spike_mib: int, **extra: str) -> list[dict[str, str]]:
    values = {
        "GOMEMLIMIT": f"{memory_limit_mib}MiB",
        "QF_OTELCOL_MEMORY_LIMIT_MIB": str(memory_limit_mib),
        "QF_OTELCOL_MEMORY_SPIKE_LIMIT_MIB": str(spike_mib),
        **extra,
    }
    return [{"name": k, "value": v} for k, v in values.items()]


def _collector(
    name: str,
    mode: str,
    config: dict[str, Any],
    env: list[dict[str, str]],
    resources: dict[str, Any],
    extra: dict[str, Any],
    operator_monitors_telemetry: bool,
) -> dict[str, Any]:
    return {
        "apiVersion": "opentelemetry.io/v1beta1",
        "kind": "OpenTelemetryCollector",
        "metadata": meta(name),
        "spec": {
            "mode": mode,
            "image": COLLECTOR_IMAGE,
            "config": cfg.with_default_endpoints(config),
            "env": env,
            "resources": resources,
            "securityContext": {
                "allowPrivilegeEscalation": False,
                "readOnlyRootFilesystem": True,
                "capabilities": {"drop": ["ALL"]},
                "runAsNonRoot": True,
                "runAsUser": 10001,
            },
            # The Operator's own ServiceMonitor for the self-telemetry (its `-monitoring`
            # Service) where wanted; agents are scraped by our PodMonitor instead, so
            # nothing is scraped twice.
            "observability": {"metrics": {"enableMetrics": operator_monitors_telemetry}},
            **extra,
        },
    }


def gateway() -> dict[str, Any]:
    return _collector(
        GATEWAY_CR,
        "deployment",
        cfg.data(cfg.BASE),
        _env(640, 128),
        {"requests": {"cpu": "200m", "memory": "512Mi"}, "limits": {"memory": "800Mi"}},
        {"replicas": 1},
        operator_monitors_telemetry=True,
    )


def agent() -> dict[str, Any]:
    storage = "/var/lib/qf-otelcol"
    return _collector(
        AGENT_CR,
        "daemonset",
        cfg.merge(cfg.data(cfg.BASE), cfg.data(cfg.AGENT)),
        _env(
            200,
            50,
            QF_OTELCOL_STORAGE_DIR=storage,
            QF_OTELCOL_GATEWAY_ENDPOINT=f"{GATEWAY_CR}-collector:{PORTS['otlp-grpc']}",
        ),
        {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
        {
            "volumes": [{"name": "queue", "emptyDir": {"sizeLimit": "1Gi"}}],
            "volumeMounts": [{"name": "queue", "mountPath": storage}],
            "tolerations": [{"operator": "Exists"}],
        },
        operator_monitors_telemetry=False,
    )


def agent_local_service() -> dict[str, Any]:
    """The Operator's Service spreads over all nodes; this one stays on the caller's node."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta(AGENT_LOCAL_SERVICE),
        "spec": {
            "selector": operator_pod_labels(AGENT_CR),
            "internalTrafficPolicy": "Local",
            "ports": [
                {
                    "name": "otlp-grpc",
                    "port": PORTS["otlp-grpc"],
                    "targetPort": 4317,
                    "appProtocol": "grpc",
                },
                {"name": "otlp-http", "port": PORTS["otlp-http"], "targetPort": 4318},
            ],
        },
    }


def python_instrumentation() -> dict[str, Any]:
    """Injected into pods annotated instrumentation.opentelemetry.io/inject-python.

    The image holds qf-otel and its dependencies under /autoinstrumentation (see
    docs/deploy.md); OTEL_PYTHON_DISTRO/CONFIGURATOR make the launcher load qf-otel's
    distro and configurator instead of the stock ones.
    """
    endpoint = f"http://{AGENT_LOCAL_SERVICE}.{NAMESPACE}.svc:{PORTS['otlp-http']}"
    return {
        "apiVersion": "opentelemetry.io/v1alpha1",
        "kind": "Instrumentation",
        "metadata": meta("qf-otel-python"),
        "spec": {
            "exporter": {"endpoint": endpoint},
            "propagators": ["tracecontext", "baggage"],
            "sampler": {"type": "parentbased_traceidratio", "argument": "1"},
            "python": {
                "image": PYTHON_AUTOINSTRUMENTATION_IMAGE,
                "env": [
                    {"name": "OTEL_PYTHON_DISTRO", "value": "qf_otel"},
                    {"name": "OTEL_PYTHON_CONFIGURATOR", "value": "qf_otel"},
                    {"name": "OTEL_EXPORTER_OTLP_ENDPOINT", "value": endpoint},
                    {"name": "OTEL_EXPORTER_OTLP_PROTOCOL", "value": "http/protobuf"},
                    {"name": "OTEL_METRICS_EXPORTER", "value": "otlp"},
                    # Cumulative: the Collector's prometheus exporter drops delta histograms.
                    {
                        "name": "OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE",
                        "value": "cumulative",
                    },
                ],
                "resourceRequirements": {
                    "requests": {"cpu": "50m", "memory": "64Mi"},
                    "limits": {"memory": "256Mi"},
                },
            },
        },
    }
