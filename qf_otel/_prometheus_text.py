"""OpenTelemetry metric data → Prometheus text exposition, named the way the Collector names it.

Both export paths must give a metric the same Prometheus name and label names (the Collector's
`prometheus` exporter is the reference): unit suffixes (`s` → `_seconds`, a gauge in `1` →
`_ratio`), `_total` on monotonic sums, `{annotation}` units dropped, attribute keys with `.` → `_`,
the resource's service/environment attributes as labels, and the instrumentation scope as
`otel_scope_name`/`otel_scope_version`. The Python SDK's own Prometheus exporter differs (no
`_ratio`), hence this module.

Rendering is split in two: data → `Family` records (also what worker processes hand to the one that
serves the port, see `_prometheus_pull`), and families → text.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from opentelemetry.sdk.metrics.export import Gauge, Histogram, MetricsData, Sum

PROMOTED_RESOURCE_ATTRIBUTES = ("service.name", "service.namespace", "deployment.environment.name")
_JOB_ATTRIBUTES = frozenset({"service.name", "service.namespace"})

_UNIT_WORDS = {
    "d": "days", "h": "hours", "min": "minutes", "s": "seconds", "ms": "milliseconds",
    "us": "microseconds", "ns": "nanoseconds", "By": "bytes", "KiBy": "kibibytes",
    "MiBy": "mebibytes", "GiBy": "gibibytes", "KBy": "kilobytes", "MBy": "megabytes",
    "GBy": "gigabytes", "m": "meters", "V": "volts", "A": "amperes", "J": "joules",
    "W": "watts", "g": "grams", "Cel": "celsius", "Hz": "hertz", "%": "percent",
}
_PER_WORDS = {"s": "second", "m": "minute", "h": "hour", "d": "day", "w": "week",
              "mo": "month", "y": "year"}
_INVALID = re.compile(r"[^a-zA-Z0-9_:]")
_INVALID_LABEL = re.compile(r"[^a-zA-Z0-9_]")
_REPEATED_UNDERSCORES = re.compile(r"__+")


@dataclass
class Family:
    name: str
    type: str  # counter | gauge | histogram
    help: str
    # (metric name with suffix, rendered label block without braces, value)
    samples: list[tuple[str, str, float]] = field(default_factory=list)


@lru_cache(maxsize=4096)
def metric_name(name: str, unit: str, kind: str) -> str:
    """The Prometheus name of an OTel metric; `kind` is counter, gauge, updown or histogram."""
    base = _REPEATED_UNDERSCORES.sub("_", _INVALID.sub("_", name)).strip("_")
    if base and base[0].isdigit():
        base = "_" + base
    words: list[str] = []
    unit = re.sub(r"\{[^}]*\}", "", unit or "").strip()
    if unit == "1":
        if kind == "gauge":
            words.append("ratio")
    elif unit:
        main, _, per = unit.partition("/")
        if main:
            words.append(_UNIT_WORDS.get(main, _INVALID_LABEL.sub("_", main)))
        if per:
            words.append("per_" + _PER_WORDS.get(per, _INVALID_LABEL.sub("_", per)))
    for word in words:
        if word and not base.endswith("_" + word) and word not in base.split("_"):
            base += "_" + word
    if kind == "counter" and not base.endswith("_total"):
        base += "_total"
    return base


@lru_cache(maxsize=4096)
def label_name(key: str) -> str:
    name = _INVALID_LABEL.sub("_", key)
    if name[:1].isdigit():
        name = "key_" + name
    elif name.startswith("_") and not name.startswith("__"):
        name = "key" + name
    return name


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _label_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "[" + ",".join(_label_value(v) for v in value) + "]"
    return _escape(str(value))


def render_labels(attributes: Iterable[tuple[str, Any]]) -> str:
    merged: dict[str, str] = {}
    for key, value in attributes:
        name = label_name(key)
        rendered = _label_value(value)
        # keys that collide after sanitising are joined, as the Collector does
        merged[name] = merged[name] + ";" + rendered if name in merged else rendered
    return ",".join(f'{k}="{v}"' for k, v in merged.items())


def _number(value: float) -> str:
    if value.__class__ is int:  # bucket counts: the common case, and the cheapest
        return str(value)
    if value.is_integer() and -1e15 < value < 1e15:  # False for inf and NaN
        return str(int(value))
    if value != value:
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value))


def to_families(data: MetricsData | None, *, with_instance: bool = False) -> dict[str, Family]:
    """Group the data into families; `with_instance` labels each series with its process's
    service.instance.id (needed when several worker processes share one endpoint)."""
    families: dict[str, Family] = {}
    if data is None:
        return families
    fresh: dict[int, tuple[Any, tuple[tuple[str, Any], ...], str]] = {}
    promoted = PROMOTED_RESOURCE_ATTRIBUTES + (("service.instance.id",) if with_instance else ())
    for resource_metrics in data.resource_metrics:
        resource = resource_metrics.resource.attributes
        base = [(key, resource[key]) for key in promoted if key in resource]
        for scope_metrics in resource_metrics.scope_metrics:
            scope = scope_metrics.scope
            scoped = [*base, ("otel_scope_name", scope.name)]
            if scope.version:
                scoped.append(("otel_scope_version", scope.version))
            scoped_key = tuple(scoped)
            for metric in scope_metrics.metrics:
                _add_metric(families, metric, scoped, scoped_key, fresh)
    global _label_cache
    _label_cache = fresh  # keeps only what this render used, so it never outgrows the series
    return families


# Rendered label blocks by the identity of a point's attributes mapping. The fast core hands the
# same (never mutated) mapping for a series on every collection, so a steady series' labels are
# escaped and joined once, not on every scrape (most of a 10k-series render otherwise).
_label_cache: dict[int, tuple[Any, tuple[tuple[str, Any], ...], str]] = {}


def _point_labels(
    attributes: Any,
    scoped: list[tuple[str, Any]],
    scoped_key: tuple[tuple[str, Any], ...],
    fresh: dict[int, tuple[Any, tuple[tuple[str, Any], ...], str]],
) -> str:
    key = id(attributes)
    hit = _label_cache.get(key)
    if hit is not None and hit[0] is attributes and hit[1] == scoped_key:
        fresh[key] = hit
        return hit[2]
    rendered = render_labels([*attributes.items(), *scoped])
    fresh[key] = (attributes, scoped_key, rendered)
    return rendered


def _add_metric(
    families: dict[str, Family],
    metric: Any,
    scoped: list[tuple[str, Any]],
    scoped_key: tuple[tuple[str, Any], ...],
    fresh: dict[int, tuple[Any, tuple[tuple[str, Any], ...], str]],
) -> None:
    data = metric.data
    if isinstance(data, Histogram):
        kind, prom_type = "histogram", "histogram"
    elif isinstance(data, Sum):
        kind = "counter" if data.is_monotonic else "updown"
        prom_type = "counter" if data.is_monotonic else "gauge"
    elif isinstance(data, Gauge):
        kind, prom_type = "gauge", "gauge"
    else:  # exponential histograms have no classic Prometheus form
        return
    name = metric_name(metric.name, metric.unit or "", kind)
    family = families.get(name)
    if family is None:
        family = families[name] = Family(name, prom_type, metric.description or "")
    samples = family.samples
    for point in data.data_points:
        labels = _point_labels(point.attributes, scoped, scoped_key, fresh)
        if prom_type != "histogram":
            samples.append((name, labels, point.value))
            continue
        prefix = labels + "," if labels else ""
        cumulative = 0
        for bound, count in zip(point.explicit_bounds, point.bucket_counts, strict=False):
            cumulative += count
            samples.append((name + "_bucket", f'{prefix}le="{_number(bound)}"', cumulative))
        samples.append((name + "_bucket", prefix + 'le="+Inf"', point.count))
        samples.append((name + "_sum", labels, point.sum))
        samples.append((name + "_count", labels, point.count))


def target_info(data: MetricsData | None) -> Family | None:
    """The resource as the `target_info` family, as the Collector's exporter exposes it."""
    if data is None or not data.resource_metrics:
        return None
    attributes = data.resource_metrics[0].resource.attributes
    # as the Collector's exporter: service name and namespace are the job, everything else stays
    rest = [(k, v) for k, v in attributes.items() if k not in _JOB_ATTRIBUTES]
    family = Family("target_info", "gauge", "Target metadata")
    family.samples.append(("target_info", render_labels(rest), 1))
    return family


def render(families: Iterable[Family]) -> str:
    lines: list[str] = []
    append = lines.append
    for family in families:
        if family.help:
            append(f"# HELP {family.name} {_escape(family.help)}")
        append(f"# TYPE {family.name} {family.type}")
        for name, labels, value in family.samples:
            append(f"{name}{{{labels}}} {_number(value)}" if labels else f"{name} {_number(value)}")
    lines.append("")
    return "\n".join(lines)
