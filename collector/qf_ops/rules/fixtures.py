"""Label sets for promtool input series: one instrumented service and one Collector."""

from __future__ import annotations

from collections.abc import Mapping

from qf_ops import names
from qf_ops.rules.model import Series

# What a series scraped from the `orders` service carries.
APP: Mapping[str, str] = {
    "job": "quantumflow/orders",
    "instance": "10.0.0.7:9464",
    names.SERVICE: "orders",
    names.NAMESPACE: "quantumflow",
    names.ENV: "prod",
}
# What is left after aggregating to the service level.
SVC: Mapping[str, str] = {names.SERVICE: "orders", names.ENV: "prod"}
# What a series scraped from a Collector's self-telemetry carries.
COLLECTOR: Mapping[str, str] = {"job": "otel-collector", "instance": "10.0.0.9:8888"}


def app(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    return {**APP, **(extra or {})}


def svc(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    return {**SVC, **(extra or {})}


def collector(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    return {**COLLECTOR, **(extra or {})}


def series(metric: str, labels: Mapping[str, str], values: str) -> Series:
    return Series(metric=metric, labels=dict(labels), values=values)
