"""The demo's live summary, read back from the service's own metrics.

Two sources give the same five figures:
- `Snapshot` parses a `/metrics` exposition (what `make demo` reads from 127.0.0.1:9464); the
  figures of an interval are the differences between two snapshots, the p95 computed with the
  same bucket interpolation as PromQL's `histogram_quantile`;
- `PROMQL` holds the equivalent queries for a Prometheus server (what `make demo-stack` reads).

Figures: requests/s and the share of 5xx answers (HTTP server requests, probes excluded by
qf-otel), p95 request latency, the cache hit ratio of reads, and the coherence of each system.
"""

from __future__ import annotations

import bisect
import math
import time
from collections import defaultdict
from dataclasses import dataclass, field

from prometheus_client.parser import text_string_to_metric_families

REQUESTS = "http_server_request_duration_seconds"
CACHE = "qf_cache_requests"
COHERENCE = "qf_quantum_coherence_ratio"
WINDOW = "30s"
PROMQL = {
    "requests_per_second": f"sum(rate({REQUESTS}_count[{WINDOW}]))",
    "error_ratio": (f'sum(rate({REQUESTS}_count{{http_response_status_code=~"5.."}}[{WINDOW}]))'
                    f" / sum(rate({REQUESTS}_count[{WINDOW}]))"),
    "p95_seconds": f"histogram_quantile(0.95, sum by (le) (rate({REQUESTS}_bucket[{WINDOW}])))",
    "cache_hit_ratio": (f'sum(rate({CACHE}_total{{qf_cache_result="hit"}}[{WINDOW}]))'
                        f' / sum(rate({CACHE}_total{{qf_cache_operation="get"}}[{WINDOW}]))'),
    "coherence": f"max by (qf_quantum_system) ({COHERENCE})",
}


@dataclass
class Snapshot:
    """The cumulative values the summary needs, from one exposition."""

    taken: float = field(default_factory=time.monotonic)
    requests: float = 0.0
    server_errors: float = 0.0
    buckets: dict[float, float] = field(default_factory=dict)  # le -> cumulative count
    cache_hits: float = 0.0
    cache_misses: float = 0.0
    coherence: dict[str, float] = field(default_factory=dict)

    @classmethod
    def parse(cls, exposition: str, taken: float | None = None) -> Snapshot:
        snapshot = cls(taken=time.monotonic() if taken is None else taken)
        buckets: defaultdict[float, float] = defaultdict(float)
        for family in text_string_to_metric_families(exposition):
            for sample in family.samples:
                labels = sample.labels
                if sample.name == f"{REQUESTS}_count":
                    snapshot.requests += sample.value
                    if labels.get("http_response_status_code", "").startswith("5"):
                        snapshot.server_errors += sample.value
                elif sample.name == f"{REQUESTS}_bucket":
                    buckets[float(labels["le"])] += sample.value
                elif sample.name == f"{CACHE}_total" and labels.get("qf_cache_operation") == "get":
                    if labels.get("qf_cache_result") == "hit":
                        snapshot.cache_hits += sample.value
                    elif labels.get("qf_cache_result") == "miss":
                        snapshot.cache_misses += sample.value
                elif sample.name == COHERENCE:
                    system = labels.get("qf_quantum_system", "")
                    snapshot.coherence[system] = max(sample.value,
                                                     snapshot.coherence.get(system, 0.0))
        snapshot.buckets = dict(buckets)
        return snapshot


@dataclass(frozen=True)
class Summary:
    seconds: float
    requests: float
    requests_per_second: float
    error_ratio: float | None
    p95_seconds: float | None
    cache_hit_ratio: float | None
    coherence: dict[str, float]

    def line(self) -> str:
        coherence = "  ".join(f"{system} {value:.2f}" for system, value
                              in sorted(self.coherence.items())) or "-"
        return (f"{self.requests_per_second:7.1f} req/s   5xx {_percent(self.error_ratio)}   "
                f"p95 {_millis(self.p95_seconds)}   cache hits {_percent(self.cache_hit_ratio)}   "
                f"coherence {coherence}")


def summarize(before: Snapshot, after: Snapshot) -> Summary:
    """The figures of the interval between two snapshots of the same process."""
    seconds = after.taken - before.taken
    requests = after.requests - before.requests
    reads = (after.cache_hits - before.cache_hits) + (after.cache_misses - before.cache_misses)
    buckets = {le: count - before.buckets.get(le, 0.0) for le, count in after.buckets.items()}
    return Summary(
        seconds=seconds,
        requests=requests,
        requests_per_second=requests / seconds if seconds > 0 else 0.0,
        error_ratio=(after.server_errors - before.server_errors) / requests if requests else None,
        p95_seconds=histogram_quantile(0.95, buckets),
        cache_hit_ratio=(after.cache_hits - before.cache_hits) / reads if reads else None,
        coherence=dict(after.coherence),
    )


def histogram_quantile(q: float, buckets: dict[float, float]) -> float | None:
    """PromQL's `histogram_quantile` over cumulative bucket counts (le -> count).

    Same steps as Prometheus 2.x: sort by bound, force counts monotonic, find the first bucket
    whose count reaches rank = q * total, interpolate linearly inside it; a rank in the +Inf
    bucket answers the highest finite bound. None where PromQL answers NaN (no observations).
    """
    bounds = sorted(buckets)
    if len(bounds) < 2 or not math.isinf(bounds[-1]):
        return None
    counts: list[float] = []
    for bound in bounds:
        counts.append(max(buckets[bound], counts[-1] if counts else 0.0))
    total = counts[-1]
    if total == 0:
        return None
    rank = q * total
    index = bisect.bisect_left(counts, rank, hi=len(counts) - 1)
    if index == len(counts) - 1:
        return bounds[-2]
    if index == 0 and bounds[0] <= 0:
        return bounds[0]
    start = bounds[index - 1] if index > 0 else 0.0
    below = counts[index - 1] if index > 0 else 0.0
    return start + (bounds[index] - start) * ((rank - below) / (counts[index] - below))


def _percent(ratio: float | None) -> str:
    return "   -  " if ratio is None else f"{ratio * 100:5.1f} %"


def _millis(seconds: float | None) -> str:
    return "    -   " if seconds is None else f"{seconds * 1000:6.1f} ms"
