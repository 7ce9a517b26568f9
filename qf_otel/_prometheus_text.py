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

import json
import logging
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any

from opentelemetry.sdk.metrics.export import Gauge, Histogram, MetricsData, Sum

from qf_otel._limits import log_once

_logger = logging.getLogger("qf_otel")

PROMOTED_RESOURCE_ATTRIBUTES = ("service.name", "service.namespace", "deployment.environment.name")
_JOB_ATTRIBUTES = frozenset({"service.name", "service.namespace"})

# The Collector translator's unit words (otlptranslator, UnderscoreEscapingWithSuffixes).
_UNIT_WORDS = {
    "d": "days", "h": "hours", "min": "minutes", "s": "seconds", "ms": "milliseconds",
    "us": "microseconds", "ns": "nanoseconds", "By": "bytes", "KiBy": "kibibytes",
    "MiBy": "mebibytes", "GiBy": "gibibytes", "TiBy": "tibibytes", "KBy": "kilobytes",
    "MBy": "megabytes", "GBy": "gigabytes", "TBy": "terabytes", "m": "meters", "V": "volts",
    "A": "amperes", "J": "joules", "W": "watts", "g": "grams", "Cel": "celsius", "Hz": "hertz",
    "%": "percent", "1": "",
}
_PER_WORDS = {"s": "second", "m": "minute", "h": "hour", "d": "day", "w": "week",
              "mo": "month", "y": "year"}
_TOKEN_SEPARATORS = re.compile(r"[^a-zA-Z0-9:]+")
_INVALID_LABEL = re.compile(r"[^a-zA-Z0-9_]")
# label names a data point may not set: Prometheus reserves `__*`, `le` is the bucket bound
_RESERVED_PREFIX = "__"


@dataclass
class Family:
    name: str
    type: str  # counter | gauge | histogram
    help: str
    # (metric name with suffix, rendered label block without braces, value)
    samples: list[tuple[str, str, float]] = field(default_factory=list)


@lru_cache(maxsize=4096)
def metric_name(name: str, unit: str, kind: str) -> str:
    """The Prometheus name of an OTel metric; `kind` is counter, gauge, updown or histogram.

    As the Collector's translator: the name's tokens, then the unit word unless already a token,
    then `per_<unit>`, then `total` (counters) or `ratio` (gauges in unit 1) moved to the end.
    A unit part with an {annotation} contributes nothing.
    """
    tokens = [token for token in _TOKEN_SEPARATORS.split(name) if token]
    main, _, per = (unit or "").partition("/")
    main, per = main.strip(), per.strip()
    if main and "{" not in main and "}" not in main:
        word = _UNIT_WORDS.get(main, _INVALID_LABEL.sub("_", main))
        if word and word not in tokens:
            tokens.append(word)
    if per and "{" not in per and "}" not in per:
        tokens += ["per", _PER_WORDS.get(per, _INVALID_LABEL.sub("_", per))]
    if kind == "counter":
        tokens = [token for token in tokens if token != "total"] + ["total"]
    if kind == "gauge" and main == "1":
        tokens = [token for token in tokens if token != "ratio"] + ["ratio"]
    base = "_".join(tokens)
    return "_" + base if base[:1].isdigit() else base


@lru_cache(maxsize=4096)
def label_name(key: str) -> str:
    name = _INVALID_LABEL.sub("_", key)
    if name[:1].isdigit():
        name = "key_" + name
    elif name.startswith("_") and not name.startswith("__"):
        name = "key" + name
    return name


def _escape(value: str) -> str:
    # a lone surrogate (undecodable bytes from the environment) would fail the whole scrape
    value = value.encode("utf-8", "backslashreplace").decode("utf-8")
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _escape_help(value: str) -> str:
    value = value.encode("utf-8", "backslashreplace").decode("utf-8")
    return value.replace("\\", "\\\\").replace("\n", "\\n")


def _plain(value: Any) -> str:
    """A value as the Collector writes it: floats never in exponent form, sequences as JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value != value or value in (math.inf, -math.inf):
            return {math.inf: "+Inf", -math.inf: "-Inf"}.get(value, "NaN")
        digits = format(Decimal(repr(value)), "f")
        return digits.rstrip("0").rstrip(".") if "." in digits else digits
    if isinstance(value, list | tuple):
        return json.dumps(list(value), separators=(",", ":"), ensure_ascii=False)
    return str(value)


def _label_value(value: Any) -> str:
    return _escape(_plain(value))


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
    fresh: dict[int, tuple[Any, _CacheKey, str]] = {}
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
_CacheKey = tuple[tuple[tuple[str, Any], ...], bool]
_label_cache: dict[int, tuple[Any, _CacheKey, str]] = {}


def _point_labels(
    attributes: Any,
    scoped: list[tuple[str, Any]],
    key: _CacheKey,
    fresh: dict[int, tuple[Any, _CacheKey, str]],
) -> str:
    hit = _label_cache.get(id(attributes))
    if hit is not None and hit[0] is attributes and hit[1] == key:
        fresh[id(attributes)] = hit
        return hit[2]
    rendered = render_labels([*_allowed(attributes, scoped, histogram=key[1]), *scoped])
    fresh[id(attributes)] = (attributes, key, rendered)
    return rendered


def _allowed(attributes: Any, scoped: list[tuple[str, Any]], *, histogram: bool
             ) -> list[tuple[str, Any]]:
    """A point's attributes minus those that would break the scrape or the resource labels:
    Prometheus rejects a whole scrape with a reserved (`__*`, `le` on a histogram) or duplicate
    label name, and the resource's service labels win over a point attribute, as in the
    Collector."""
    taken = {label_name(name) for name, _ in scoped}
    kept = []
    for key, value in attributes.items():
        name = label_name(key)
        if name.startswith(_RESERVED_PREFIX) or name in taken or (histogram and name == "le"):
            log_once(_logger, f"label-{name}", "qf-otel: attribute %r dropped: the label %r is "
                     "reserved or set by the resource", key, name)
            continue
        kept.append((key, value))
    return kept


def _add_metric(
    families: dict[str, Family],
    metric: Any,
    scoped: list[tuple[str, Any]],
    scoped_key: tuple[tuple[str, Any], ...],
    fresh: dict[int, tuple[Any, _CacheKey, str]],
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
    key = (scoped_key, prom_type == "histogram")
    for point in data.data_points:
        labels = _point_labels(point.attributes, scoped, key, fresh)
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


def to_json(families: Iterable[Family]) -> bytes:
    """Families as a worker hands them to the process serving the group's port."""
    return json.dumps(
        [{"name": f.name, "type": f.type, "help": f.help, "samples": f.samples} for f in families]
    ).encode()


def render(families: Iterable[Family]) -> str:
    lines: list[str] = []
    append = lines.append
    for family in families:
        if family.help:
            append(f"# HELP {family.name} {_escape_help(family.help)}")
        append(f"# TYPE {family.name} {family.type}")
        for name, labels, value in family.samples:
            append(f"{name}{{{labels}}} {_number(value)}" if labels else f"{name} {_number(value)}")
    lines.append("")
    return "\n".join(lines)
