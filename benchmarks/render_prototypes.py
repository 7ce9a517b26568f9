"""Prototypes of two proposed changes to `qf_otel/_prometheus_text.py`, to measure what they save.

Not used by qf-otel: `benchmarks.render` times them against the real `to_families()` on the same
collected data, and docs/performance.md quotes the difference.

1. `scoped_once`: the resource and scope labels are the same for every point of a scope; render
   them once per scope instead of once per point (today `_add_metric` passes them to
   `render_labels` with every point's attributes).
2. `cached`: a series' own label block never changes while the series lives; keep it between
   scrapes (keyed here by the attributes mapping's identity, which the fast core keeps stable for
   a series), so a scrape only formats numbers.
Only sums take the prototype path (the benchmark's big family is a counter); other kinds go
through the real code.
"""

from __future__ import annotations

from typing import Any

from opentelemetry.sdk.metrics.export import MetricsData, Sum

from qf_otel import _prometheus_text as text


def _scoped(resource: Any, scope: Any) -> list[tuple[str, Any]]:
    labels = [(k, resource[k]) for k in text.PROMOTED_RESOURCE_ATTRIBUTES if k in resource]
    labels.append(("otel_scope_name", scope.name))
    if scope.version:
        labels.append(("otel_scope_version", scope.version))
    return labels


def to_families(data: MetricsData, cache: dict[int, str] | None = None) -> dict[str, text.Family]:
    """`scoped_once` when `cache` is None, `cached` (filled on the way) otherwise."""
    families: dict[str, text.Family] = {}
    for resource_metrics in data.resource_metrics:
        for scope_metrics in resource_metrics.scope_metrics:
            scoped = _scoped(resource_metrics.resource.attributes, scope_metrics.scope)
            suffix = text.render_labels(scoped)
            for metric in scope_metrics.metrics:
                if not isinstance(metric.data, Sum):
                    text._add_metric(families, metric, scoped)
                    continue
                _add_sum(families, metric, suffix, cache)
    return families


def _add_sum(families: dict[str, text.Family], metric: Any, suffix: str,
             cache: dict[int, str] | None) -> None:
    monotonic = metric.data.is_monotonic
    name = text.metric_name(metric.name, metric.unit or "", "counter" if monotonic else "updown")
    family = families.get(name)
    if family is None:
        family = families[name] = text.Family(name, "counter" if monotonic else "gauge",
                                              metric.description or "")
    append = family.samples.append
    for point in metric.data.data_points:
        labels = cache.get(id(point.attributes)) if cache is not None else None
        if labels is None:
            own = text.render_labels(point.attributes.items())
            labels = f"{own},{suffix}" if own else suffix
            if cache is not None:
                cache[id(point.attributes)] = labels
        append((name, labels, point.value))
