"""Kubernetes manifests, validated offline: built-in kinds with kubernetes-validate,
custom resources with jsonschema against the CRDs in collector/k8s/schemas."""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
K8S = REPO / "collector" / "k8s"
SCHEMAS = K8S / "schemas"
CONFIG = REPO / "collector" / "config"
COLLECTOR_BIN = REPO / "collector" / "bin" / "qf-otelcol"
# The oldest Kubernetes minor still commonly run, and the newest the validator knows.
K8S_VERSIONS = ("1.29.0", kubernetes_validate.utils.latest_version())
CUSTOM_KINDS = {
    ("monitoring.coreos.com/v1", "ServiceMonitor"): "monitoring.coreos.com_servicemonitors.yaml",
    ("monitoring.coreos.com/v1", "PodMonitor"): "monitoring.coreos.com_podmonitors.yaml",
    ("monitoring.coreos.com/v1", "PrometheusRule"): "monitoring.coreos.com_prometheusrules.yaml",
    (
        "opentelemetry.io/v1beta1",
        "OpenTelemetryCollector",
    ): "opentelemetry.io_opentelemetrycollectors.yaml",
    ("opentelemetry.io/v1alpha1", "Instrumentation"): "opentelemetry.io_instrumentations.yaml",
}


def _documents(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]


MANIFESTS = {
    str(p.relative_to(K8S)): _documents(p)
    for p in sorted(K8S.rglob("*.yaml"))
    if "schemas" not in p.parts and p.name != "kustomization.yaml"
}
OBJECTS = [(path, doc) for path, docs in MANIFESTS.items() for doc in docs]
BUILT_IN = [(p, d) for p, d in OBJECTS if (d["apiVersion"], d["kind"]) not in CUSTOM_KINDS]
CUSTOM = [(p, d) for p, d in OBJECTS if (d["apiVersion"], d["kind"]) in CUSTOM_KINDS]


def _id(item: tuple[str, dict[str, Any]]) -> str:
    path, doc = item
    return f"{path}:{doc['kind']}/{doc['metadata']['name']}"


def _strict(schema: Any) -> Any:
    """Reject unknown fields, as `kubectl apply --validate=strict` would.

    CRD schemas leave additionalProperties open (the API server prunes unknown
    fields silently); closing every object that lists its properties, except where
    the CRD preserves unknown fields, turns a typo into a test failure.
    """
    if isinstance(schema, list):
        return [_strict(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _strict(v) for k, v in schema.items()}
    pattern = out.get("pattern")
    if isinstance(pattern, str) and "(?i)" in pattern[1:]:
        # Go allows inline flags anywhere (`^(?i)warn$`); Python only at the start.
        out["pattern"] = "(?i)" + pattern.replace("(?i)", "")
    if (
        "properties" in out
        and "additionalProperties" not in out
        and not out.get("x-kubernetes-preserve-unknown-fields")
    ):
        out["additionalProperties"] = False
    return out


def _crd_schema(api_version: str, kind: str) -> dict[str, Any]:
    crd = yaml.safe_load((SCHEMAS / CUSTOM_KINDS[(api_version, kind)]).read_text("utf-8"))
    version = api_version.split("/")[1]
    (entry,) = [v for v in crd["spec"]["versions"] if v["name"] == version]
    assert entry["served"], f"{kind} {version} is not served by this CRD"
    schema = copy.deepcopy(entry["schema"]["openAPIV3Schema"])
    # metadata is `type: object` in CRDs; the API server checks it, so do we (loosely).
    schema["properties"]["metadata"] = {
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": {"type": "string", "pattern": "^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$"},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
        },
        "additionalProperties": False,
    }
    return _strict(schema)  # type: ignore[no-any-return]


def test_every_file_holds_objects_and_both_variants_are_complete() -> None:
    kinds = {d["kind"] for _, d in OBJECTS}
    assert {
        "Deployment",
        "DaemonSet",
        "ConfigMap",
        "Service",
        "ServiceAccount",
        "Namespace",
        "ServiceMonitor",
        "PodMonitor",
        "PrometheusRule",
        "OpenTelemetryCollector",
        "Instrumentation",
    } <= kinds
    assert all(docs for docs in MANIFESTS.values())


@pytest.mark.parametrize("item", BUILT_IN, ids=_id)
@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_built_in_kind_validates_strictly(item: tuple[str, dict[str, Any]], version: str) -> None:
    kubernetes_validate.validate(item[1], version, strict=True)


@pytest.mark.parametrize("item", CUSTOM, ids=_id)
def test_custom_resource_validates_against_its_crd(item: tuple[str, dict[str, Any]]) -> None:
    doc = item[1]
    jsonschema.validate(doc, _crd_schema(doc["apiVersion"], doc["kind"]))


def test_strict_crd_schema_rejects_a_misspelt_field() -> None:
    monitor = copy.deepcopy(MANIFESTS["plain/monitors.yaml"][0])
    monitor["spec"]["endpoints"][0]["honourLabels"] = True
    with pytest.raises(jsonschema.ValidationError, match="honourLabels"):
        jsonschema.validate(monitor, _crd_schema(monitor["apiVersion"], monitor["kind"]))


def _find(path: str, kind: str, name: str | None = None) -> dict[str, Any]:
    found = [
        d
        for d in MANIFESTS[path]
        if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)
    ]
    assert len(found) == 1, (path, kind, name)
    return found[0]


def test_collector_config_maps_carry_the_repository_configuration_verbatim() -> None:
    gateway = _find("plain/gateway.yaml", "ConfigMap")
    agent = _find("plain/agent.yaml", "ConfigMap")
    base = (CONFIG / "otelcol.yaml").read_text(encoding="utf-8")
    assert gateway["data"] == {"otelcol.yaml": base}
    assert agent["data"] == {
        "otelcol.yaml": base,
        "agent.yaml": (CONFIG / "agent.yaml").read_text(encoding="utf-8"),
    }


def test_containers_load_every_file_of_their_config_map() -> None:
    for path in ("plain/gateway.yaml", "plain/agent.yaml"):
        config_map = _find(path, "ConfigMap")
        workload = next(d for d in MANIFESTS[path] if d["kind"] in {"Deployment", "DaemonSet"})
        (container,) = workload["spec"]["template"]["spec"]["containers"]
        loaded = [a.rsplit("/", 1)[1] for a in container["args"] if a.startswith("--config=")]
        assert loaded == list(config_map["data"])


def test_prometheus_rule_holds_exactly_the_rule_files() -> None:
    rule = _find("common/prometheusrule.yaml", "PrometheusRule")
    groups = []
    for path in sorted((REPO / "collector" / "rules").glob("*.yml")):
        groups += yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]
    assert rule["spec"]["groups"] == groups


def test_dashboard_config_maps_are_labelled_and_hold_the_dashboards() -> None:
    maps = MANIFESTS["common/dashboards.yaml"]
    files = sorted((REPO / "collector" / "dashboards").glob("*.json"))
    assert len(maps) == len(files)
    for config_map in maps:
        assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
        ((name, text),) = config_map["data"].items()
        assert text == (REPO / "collector" / "dashboards" / name).read_text(encoding="utf-8")
        json.loads(text)


def _pod_labels(path: str) -> list[dict[str, str]]:
    return [
        d["spec"]["template"]["metadata"]["labels"]
        for d in MANIFESTS[path]
        if d["kind"] in {"Deployment", "DaemonSet"}
    ]


def _matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


def test_services_and_monitors_select_what_exists_by_port_name() -> None:
    workloads = [
        d
        for p in ("plain/gateway.yaml", "plain/agent.yaml")
        for d in MANIFESTS[p]
        if d["kind"] in {"Deployment", "DaemonSet"}
    ]
    services = [
        d
        for p in ("plain/gateway.yaml", "plain/agent.yaml")
        for d in MANIFESTS[p]
        if d["kind"] == "Service"
    ]

    def container_ports(labels: dict[str, str]) -> set[str]:
        return {
            port["name"]
            for w in workloads
            if _matches(labels, w["spec"]["template"]["metadata"]["labels"])
            for c in w["spec"]["template"]["spec"]["containers"]
            for port in c["ports"]
        }

    for service in services:
        ports = container_ports(service["spec"]["selector"])
        assert ports, service["metadata"]["name"]
        assert {p["targetPort"] for p in service["spec"]["ports"]} <= ports
    for monitor in MANIFESTS["plain/monitors.yaml"]:
        wanted = monitor["spec"]["selector"]["matchLabels"]
        if monitor["kind"] == "ServiceMonitor":
            (service,) = [s for s in services if _matches(wanted, s["metadata"]["labels"])]
            names = {p["name"] for p in service["spec"]["ports"]}
            assert {e["port"] for e in monitor["spec"]["endpoints"]} <= names
        else:
            assert {e["port"] for e in monitor["spec"]["podMetricsEndpoints"]} <= (
                container_ports(wanted)
            )


def test_instrumentation_loads_qf_otel_and_exports_to_the_node_local_agent() -> None:
    spec = _find("operator/instrumentation.yaml", "Instrumentation")["spec"]
    env = {e["name"]: e["value"] for e in spec["python"]["env"]}
    assert env["OTEL_PYTHON_DISTRO"] == "qf_otel"
    assert env["OTEL_PYTHON_CONFIGURATOR"] == "qf_otel"
    assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == spec["exporter"]["endpoint"]
    local = _find("operator/collectors.yaml", "Service")
    assert local["spec"]["internalTrafficPolicy"] == "Local"
    assert spec["exporter"]["endpoint"].startswith(f"http://{local['metadata']['name']}.")


def _operator_configs() -> list[tuple[str, dict[str, Any]]]:
    return [
        (d["metadata"]["name"], d["spec"]["config"])
        for d in MANIFESTS["operator/collectors.yaml"]
        if d["kind"] == "OpenTelemetryCollector"
    ]


@pytest.mark.parametrize(
    "name,config", _operator_configs(), ids=[n for n, _ in _operator_configs()]
)
def test_operator_collector_config_is_valid_for_the_real_collector(
    name: str, config: dict[str, Any], tmp_path: Path
) -> None:
    if not COLLECTOR_BIN.exists():
        if os.environ.get("CI"):
            pytest.fail("collector/bin/qf-otelcol missing in CI: run `make collector`")
        pytest.skip("collector/bin/qf-otelcol not built (make collector)")
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    result = subprocess.run(
        [str(COLLECTOR_BIN), "validate", f"--config={path}"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _kustomize() -> str | None:
    """$KUSTOMIZE, kustomize on PATH, or where `go install` puts it by default."""
    default = Path.home() / "go" / "bin" / "kustomize"
    return (
        os.environ.get("KUSTOMIZE")
        or shutil.which("kustomize")
        or (str(default) if default.exists() else None)
    )


@pytest.mark.parametrize("overlay", ["", "plain", "operator"])
def test_kustomize_builds_every_overlay_into_one_namespace(overlay: str) -> None:
    binary = _kustomize()
    if binary is None:
        pytest.skip("kustomize not installed (go install sigs.k8s.io/kustomize/kustomize/v5)")
    result = subprocess.run(
        [binary, "build", str(K8S / overlay)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    objects = [d for d in yaml.safe_load_all(result.stdout) if d]
    expected = sum(
        len(MANIFESTS[p])
        for p in MANIFESTS
        if p.startswith("common/") or p.startswith(f"{overlay or 'plain'}/")
    )
    assert len(objects) == expected
    namespaced = [d for d in objects if d["kind"] != "Namespace"]
    assert {d["metadata"].get("namespace") for d in namespaced} == {"qf-observability"}
