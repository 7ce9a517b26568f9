"""`/metrics` render time against the number of series, qf-otel against prometheus_client.

    python -m benchmarks.render SERIES [--repeats K]

Runs in its own process (configure() is once per process; memory of one size must not carry into
the next). qf-otel: one fast-core counter with SERIES distinct attribute sets (3 attributes), then
the pull exporter's full scrape path `render_shared()`: SDK collect → fast-core snapshot →
families → text, exactly what a scrape of the embedded `/metrics` runs. prometheus_client: a
counter with the same labels and series count in its own registry, rendered by
`generate_latest()`.
Prints JSON: ms per render (every repeat) for both, the byte size of each output, and the ms of
the families step (data → label blocks, steady state: label blocks are cached between scrapes).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Sized

import prometheus_client

import qf_otel
from qf_otel import _prometheus_text, _recording

LABELS = ("bench.route", "bench.method", "bench.status")


def _values(index: int) -> tuple[str, str, str]:
    return f"/route/{index // 100}", f"m{index % 10}", f"{200 + (index // 10) % 10}"


def _timed(render: Callable[[], Sized], repeats: int) -> tuple[list[float], int]:
    """CPU ms of each call (this process: a scrape is served on one of its threads)."""
    times: list[float] = []
    size = 0
    for _ in range(repeats):
        started = time.process_time()
        output = render()
        times.append((time.process_time() - started) * 1000)
        size = len(output)
    return times, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("series", type=int)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    telemetry = qf_otel.configure(service_name="bench", prometheus_port=0,
                                  cardinality_limit=args.series + 100)
    counter = _recording.Counter("bench.render.requests", unit="{request}",
                                 description="Render benchmark.", attributes=LABELS,
                                 scope="benchmarks")
    registry = prometheus_client.CollectorRegistry()
    client = prometheus_client.Counter("bench_render_requests", "Render benchmark.",
                                       [k.replace(".", "_") for k in LABELS], registry=registry)
    for index in range(args.series):
        values = _values(index)
        counter.series(*values).add(1)
        client.labels(*values).inc()
    pull = telemetry.prometheus
    assert pull is not None
    ours, our_size = _timed(pull.render_shared, args.repeats)
    theirs, their_size = _timed(lambda: prometheus_client.generate_latest(registry),
                                args.repeats)
    pull._latest = None
    pull.collect()
    data = pull._latest
    assert data is not None
    steps = {
        "families_ms": _timed(lambda: _prometheus_text.to_families(data), args.repeats)[0],
    }
    print(json.dumps({"series": args.series, "qf_ms": ours, "qf_bytes": our_size,
                      "client_ms": theirs, "client_bytes": their_size, **steps}))


if __name__ == "__main__":
    main()
