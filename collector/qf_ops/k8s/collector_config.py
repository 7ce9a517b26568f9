"""The Collector configuration files of collector/config, as text and as data."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import yaml

CONFIG_DIR = Path(__file__).resolve().parents[2] / "config"
BASE = "otelcol.yaml"
AGENT = "agent.yaml"
_PLACEHOLDER = re.compile(r"\$\{env:(\w+):-([^}]*)\}")


def text(name: str) -> str:
    return (CONFIG_DIR / name).read_text(encoding="utf-8")


def data(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(text(name))
    return loaded


def merge(base: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    """What the Collector does with several --config files: maps merge, the rest replaces."""
    out = copy.deepcopy(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def with_default_endpoints(config: dict[str, Any]) -> dict[str, Any]:
    """Listen addresses with their `${env:X:-default}` placeholders resolved to the default.

    The OpenTelemetry Operator reads receiver, extension and prometheus-exporter
    endpoints to create Service ports, and cannot read a placeholder. Outgoing
    endpoints (the agent's gateway address) keep theirs: the CR sets that variable.
    """
    out = copy.deepcopy(config)
    for section in ("receivers", "extensions"):
        if section in out:
            out[section] = _resolve(out[section])
    if "prometheus" in out.get("exporters", {}):
        out["exporters"]["prometheus"] = _resolve(out["exporters"]["prometheus"])
    telemetry = out.get("service", {}).get("telemetry")
    if telemetry is not None:
        out["service"]["telemetry"] = _resolve(telemetry)
    return out


def _resolve(node: Any, key: str = "") -> Any:
    if isinstance(node, dict):
        return {k: _resolve(v, k) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve(v) for v in node]
    if isinstance(node, str) and key in {"endpoint", "host", "port"}:
        resolved = _PLACEHOLDER.sub(lambda m: m.group(2), node)
        return int(resolved) if key == "port" and resolved.isdigit() else resolved
    return node
