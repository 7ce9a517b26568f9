"""The Collector without the Operator: a gateway Deployment and an agent DaemonSet.

Services send OTLP to the agent on their own node (a Service with
internalTrafficPolicy: Local); agents redact, batch and queue, then forward to the
gateway, which promotes labels and exposes the Prometheus endpoint.
"""

from __future__ import annotations

import hashlib
from typing import Any

from qf_ops.k8s import collector_config as cfg
from qf_ops.k8s.common import (
    AGENT,
    COLLECTOR_BINARY,
    COLLECTOR_IMAGE,
    CONFIG_DIR,
    GATEWAY,
    PORTS,
    SERVICE_ACCOUNT,
    labels,
    meta,
    selector,
)

STORAGE_DIR = "/var/lib/qf-otelcol"


def _env(memory_limit_mib: int, spike_mib: int, extra: dict[str, str]) -> list[dict[str, Any]]:
    # memory_limiter refuses data before the container limit; GOMEMLIMIT makes the Go
    # runtime collect harder at the same point instead of growing into the OOM killer.
    values = {
        "GOMEMLIMIT": f"{memory_limit_mib}MiB",
        "QF_OTELCOL_MEMORY_LIMIT_MIB": str(memory_limit_mib),
        "QF_OTELCOL_MEMORY_SPIKE_LIMIT_MIB": str(spike_mib),
        **extra,
    }
    return [{"name": k, "value": v} for k, v in values.items()]


def _container(
    config_files: list[str],
    ports: list[str],
    env: list[dict[str, Any]],
    resources: dict[str, Any],
    mounts: list[dict[str, Any]],
) -> dict[str, Any]:
    return {
        "name": "otelcol",
        "image": COLLECTOR_IMAGE,
        "command": [COLLECTOR_BINARY],
        "args": [f"--config={CONFIG_DIR}/{name}" for name in config_files],
        "env": env,
        "ports": [{"name": p, "containerPort": PORTS[p], "protocol": "TCP"} for p in ports],
        "readinessProbe": {"httpGet": {"path": "/", "port": "health"}, "periodSeconds": 5},
        "livenessProbe": {
            "httpGet": {"path": "/", "port": "health"},
            "initialDelaySeconds": 10,
            "periodSeconds": 10,
        },
        "resources": resources,
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "volumeMounts": [{"name": "config", "mountPath": CONFIG_DIR, "readOnly": True}, *mounts],
    }


def _pod(
    component: str,
    config_map: str,
    config_data: dict[str, str],
    container: dict[str, Any],
    volumes: list[dict[str, Any]],
    extra_spec: dict[str, Any] | None = None,
) -> dict[str, Any]:
    digest = hashlib.sha256("".join(config_data.values()).encode()).hexdigest()[:16]
    return {
        # A changed configuration changes this annotation, which rolls the pods.
        "metadata": {
            "labels": labels(component),
            "annotations": {"qf-otel.io/config-sha256": digest},
        },
        "spec": {
            "serviceAccountName": SERVICE_ACCOUNT,
            "securityContext": {
                "runAsNonRoot": True,
                "runAsUser": 10001,
                "fsGroup": 10001,
                "seccompProfile": {"type": "RuntimeDefault"},
            },
            "terminationGracePeriodSeconds": 30,
            "containers": [container],
            "volumes": [{"name": "config", "configMap": {"name": config_map}}, *volumes],
            **(extra_spec or {}),
        },
    }


def _service(
    name: str,
    component: str,
    ports: list[str],
    extra_spec: dict[str, Any] | None = None,
    monitored: bool = True,
) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        # Only `monitored` Services carry the labels the ServiceMonitor selects.
        "metadata": meta(name, labels(component) if monitored else None),
        "spec": {
            "selector": selector(component),
            "ports": [
                {
                    "name": p,
                    "port": PORTS[p],
                    "targetPort": p,
                    "protocol": "TCP",
                    **({"appProtocol": "grpc"} if p == "otlp-grpc" else {}),
                }
                for p in ports
            ],
            **(extra_spec or {}),
        },
    }


def gateway() -> list[dict[str, Any]]:
    data = {cfg.BASE: cfg.text(cfg.BASE)}
    container = _container(
        [cfg.BASE],
        ["otlp-grpc", "otlp-http", "prometheus", "telemetry", "health"],
        _env(640, 128, {}),
        {"requests": {"cpu": "200m", "memory": "512Mi"}, "limits": {"memory": "800Mi"}},
        [],
    )
    return [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta(SERVICE_ACCOUNT)},
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": meta(GATEWAY, labels("gateway")),
            "data": data,
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": meta(GATEWAY, labels("gateway")),
            "spec": {
                # One replica: the prometheus exporter holds each series' latest value,
                # so two gateways would expose the same series twice. docs/deploy.md
                # explains scaling out (routing by service) before raising this.
                "replicas": 1,
                "selector": {"matchLabels": selector("gateway")},
                "template": _pod("gateway", GATEWAY, data, container, []),
            },
        },
        _service(GATEWAY, "gateway", ["otlp-grpc", "otlp-http", "prometheus", "telemetry"]),
        # One DNS record per pod: agents given `dns:///<this>:4317` balance per connection
        # over gateway replicas (see docs/deploy.md before running more than one).
        _service(
            f"{GATEWAY}-headless", "gateway", ["otlp-grpc"], {"clusterIP": "None"}, monitored=False
        ),
    ]


def agent() -> list[dict[str, Any]]:
    data = {cfg.BASE: cfg.text(cfg.BASE), cfg.AGENT: cfg.text(cfg.AGENT)}
    container = _container(
        [cfg.BASE, cfg.AGENT],
        ["otlp-grpc", "otlp-http", "telemetry", "health"],
        _env(
            200,
            50,
            {
                "QF_OTELCOL_STORAGE_DIR": STORAGE_DIR,
                "QF_OTELCOL_GATEWAY_ENDPOINT": f"{GATEWAY}:{PORTS['otlp-grpc']}",
            },
        ),
        {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
        [{"name": "queue", "mountPath": STORAGE_DIR}],
    )
    # The on-disk queue survives container restarts (emptyDir lives as long as the
    # pod); a hostPath would also survive pod replacement, at the price of root access.
    volumes = [{"name": "queue", "emptyDir": {"sizeLimit": "1Gi"}}]
    spec = {"tolerations": [{"operator": "Exists"}]}
    return [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": meta(AGENT, labels("agent")),
            "data": data,
        },
        {
            "apiVersion": "apps/v1",
            "kind": "DaemonSet",
            "metadata": meta(AGENT, labels("agent")),
            "spec": {
                "selector": {"matchLabels": selector("agent")},
                "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}},
                "template": _pod("agent", AGENT, data, container, volumes, spec),
            },
        },
        # Local: a pod's OTLP goes to the agent on its own node, never across nodes.
        _service(AGENT, "agent", ["otlp-grpc", "otlp-http"], {"internalTrafficPolicy": "Local"}),
    ]
