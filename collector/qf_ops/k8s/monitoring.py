"""Prometheus Operator objects and Grafana dashboard ConfigMaps.

The PrometheusRule holds the same groups as collector/rules/*.yml and the dashboard
ConfigMaps the same JSON as collector/dashboards/, rendered from the same objects in
the same run (tests compare them with the committed files), so each has one source.
"""

from __future__ import annotations

from typing import Any

from qf_ops.dashboards.build import render as render_dashboard
from qf_ops.dashboards.catalog import DASHBOARDS
from qf_ops.k8s.common import AGENT, GATEWAY, MONITORING_LABELS, SCRAPE_LABEL, meta, selector
from qf_ops.rules.catalog import GROUPS
from qf_ops.rules.render import rule_file

SCRAPE_INTERVAL = "30s"


def rule_groups() -> list[dict[str, Any]]:
    """Every group of every rule file, in file order (as collector/rules/*.yml sort)."""
    ordered = sorted(GROUPS, key=lambda g: g.file)
    return [group for g in ordered for group in rule_file(g)["groups"]]


def prometheus_rule() -> dict[str, Any]:
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": meta("qf-otel", MONITORING_LABELS),
        "spec": {"groups": rule_groups()},
    }


def gateway_service_monitor(
    service_labels: dict[str, str],
    name: str = GATEWAY,
    prometheus_port: str = "prometheus",
    telemetry_port: str | None = "telemetry",
) -> dict[str, Any]:
    """Scrapes the gateway's exporter and, when ``telemetry_port`` is set, its own health."""
    endpoints: list[dict[str, Any]] = [
        # The services' own job/instance (set by the Collector from their resource)
        # must win over the gateway's target labels.
        {"port": prometheus_port, "interval": SCRAPE_INTERVAL, "honorLabels": True},
    ]
    if telemetry_port is not None:
        endpoints.append({"port": telemetry_port, "interval": SCRAPE_INTERVAL})
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": meta(name, MONITORING_LABELS),
        "spec": {
            "selector": {"matchLabels": service_labels},
            "endpoints": endpoints,
        },
    }


def agent_pod_monitor(
    pod_labels: dict[str, str], name: str = AGENT, port: str = "telemetry"
) -> dict[str, Any]:
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PodMonitor",
        "metadata": meta(name, MONITORING_LABELS),
        "spec": {
            "selector": {"matchLabels": pod_labels},
            "podMetricsEndpoints": [{"port": port, "interval": SCRAPE_INTERVAL}],
        },
    }


def apps_pod_monitor() -> dict[str, Any]:
    """The pull path: every pod labelled qf-otel.io/scrape=true, in any namespace."""
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PodMonitor",
        "metadata": meta("qf-otel-services", MONITORING_LABELS),
        "spec": {
            "jobLabel": "app.kubernetes.io/name",
            "namespaceSelector": {"any": True},
            "selector": {"matchLabels": {SCRAPE_LABEL: "true"}},
            "podMetricsEndpoints": [
                {"port": "metrics", "path": "/metrics", "interval": SCRAPE_INTERVAL}
            ],
        },
    }


def dashboard_config_maps() -> list[dict[str, Any]]:
    """One ConfigMap per dashboard, picked up by Grafana's dashboard sidecar."""
    return [
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": meta(
                f"qf-otel-dashboard-{d.file.removeprefix('qf-')}",
                {"grafana_dashboard": "1"},
                annotations={"grafana_folder": "QuantumFlow"},
            ),
            "data": {f"{d.file}.json": render_dashboard(d)},
        }
        for d in DASHBOARDS
    ]


def plain_monitors() -> list[dict[str, Any]]:
    return [gateway_service_monitor(selector("gateway")), agent_pod_monitor(selector("agent"))]
