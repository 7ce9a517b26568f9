"""The in-process comparison: every variant's worker alive at once, blocks alternated per round.

A round runs one block of each route on every variant, in an order rotated each round so no variant
always follows the same neighbour. The result is, per variant and route, one µs/request sample per
round, paired with bare's sample of the same round.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from benchmarks.app import ROUTES
from benchmarks.workers import Fleet, Worker

Samples = dict[str, dict[str, list[float]]]  # variant -> route -> µs per request, one per round


def empty(variants: Sequence[str]) -> Samples:
    return {v: {route: [] for route in ROUTES} for v in variants}


def measure(variants: Sequence[str], *, rounds: int, requests: int,
            progress: Callable[[str], None] = print) -> dict[str, Samples]:
    """{"cpu": samples, "wall": samples}: CPU µs per request (the headline), and wall µs."""
    cpu, wall = empty(variants), empty(variants)
    workers = [Worker(v, "benchmarks.asgi_driver", [v]) for v in variants]
    with Fleet(workers) as fleet:
        progress(f"in-process: {len(variants)} workers ready; {rounds} rounds of "
                 f"{requests} requests per route and variant")
        for index in range(rounds):
            shift = index % len(variants)
            order = [*variants[shift:], *variants[:shift]]
            for route in ROUTES:
                for name in order:
                    answer = fleet.workers[name].ask(f"{route} {requests}").split()
                    cpu[name][route].append(float(answer[0]))
                    wall[name][route].append(float(answer[1]))
    return {"cpu": cpu, "wall": wall}
