"""Which object goes into which file of collector/k8s, and the kustomizations."""

from __future__ import annotations

from typing import Any

from qf_ops.k8s import monitoring, operator, plain
from qf_ops.k8s.common import COLLECTOR_IMAGE, NAMESPACE, meta

Documents = list[dict[str, Any]]


def _kustomization(
    resources: list[str], namespace: bool = True, images: bool = False
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
    }
    if namespace:
        out["namespace"] = NAMESPACE
    out["resources"] = resources
    if images:
        # Swap in a qf-otelcol image: `kustomize edit set image <name>=<your image>`.
        name, tag = COLLECTOR_IMAGE.rsplit(":", 1)
        out["images"] = [{"name": name, "newTag": tag}]
    return out


def files() -> dict[str, Documents]:
    """Relative path under collector/k8s → the YAML documents it holds."""
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": meta(NAMESPACE)}
    return {
        "kustomization.yaml": [_kustomization(["plain"], namespace=False)],
        "common/kustomization.yaml": [
            _kustomization(
                [
                    "namespace.yaml",
                    "podmonitor-services.yaml",
                    "prometheusrule.yaml",
                    "dashboards.yaml",
                ]
            )
        ],
        "common/namespace.yaml": [namespace],
        "common/podmonitor-services.yaml": [monitoring.apps_pod_monitor()],
        "common/prometheusrule.yaml": [monitoring.prometheus_rule()],
        "common/dashboards.yaml": monitoring.dashboard_config_maps(),
        "plain/kustomization.yaml": [
            _kustomization(
                ["../common", "gateway.yaml", "agent.yaml", "monitors.yaml"], images=True
            )
        ],
        "plain/gateway.yaml": plain.gateway(),
        "plain/agent.yaml": plain.agent(),
        "plain/monitors.yaml": monitoring.plain_monitors(),
        "operator/kustomization.yaml": [
            _kustomization(
                ["../common", "collectors.yaml", "instrumentation.yaml", "monitors.yaml"],
                images=True,
            )
        ],
        "operator/collectors.yaml": [
            operator.gateway(),
            operator.agent(),
            operator.agent_local_service(),
        ],
        "operator/instrumentation.yaml": [operator.python_instrumentation()],
        "operator/monitors.yaml": [
            monitoring.gateway_service_monitor(
                {
                    "app.kubernetes.io/name": f"{operator.GATEWAY_CR}-collector",
                    "operator.opentelemetry.io/collector-service-type": "base",
                },
                name=operator.GATEWAY_CR,
                # The Operator's ServiceMonitor scrapes the gateway's self-telemetry.
                telemetry_port=None,
            ),
            monitoring.agent_pod_monitor(
                operator.operator_pod_labels(operator.AGENT_CR),
                name=operator.AGENT_CR,
                port="metrics",
            ),
        ],
    }
