"""qf-otel layer by layer: bare, + HTTP, + DB, + cache, then the same with spans.

Each layer is its own worker process (`benchmarks.variants.LAYERS`, installed without
`configure()`), alternated block by block with bare like the main comparison; a layer's cost is
the median over rounds of its difference to bare in the same round.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from typing import Any

from benchmarks import inprocess
from benchmarks.variants import LAYER_NAMES


def measure(*, rounds: int, requests: int,
            progress: Callable[[str], None] = print) -> dict[str, Any]:
    """route -> layer -> {"median_us", "cost_us"} (CPU µs per request)."""
    names = ("bare", *LAYER_NAMES)
    cpu = inprocess.measure(names, rounds=rounds, requests=requests, progress=progress)["cpu"]
    found: dict[str, Any] = {}
    for route in cpu["bare"]:
        bare = cpu["bare"][route]
        found[route] = {
            name: {"median_us": statistics.median(cpu[name][route]),
                   "cost_us": statistics.median(
                       [v - b for v, b in zip(cpu[name][route], bare, strict=True)])}
            for name in names
        }
    return found
