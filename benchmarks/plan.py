"""How much one `make bench` measures: the full run, QUICK=1, and the test's tiny run."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Plan:
    name: str
    rounds: int  # in-process rounds (each: one block per route and variant)
    requests: int  # requests per in-process block
    load_rounds: int  # uvicorn + wrk rounds
    load_seconds: int  # seconds per wrk run
    load_warmup: int  # seconds of wrk per route and server before measuring (0: none)
    records: int  # records per way of recording (bench_record.py)
    render_sizes: tuple[int, ...]
    render_repeats: int
    flood: int  # distinct unknown paths, and distinct user attribute values
    profile_rounds: int  # layer-by-layer rounds
    profile_requests: int  # requests per layer block
    ab_rounds: int
    profiled: int  # requests per route under cProfile


FULL = Plan("full", rounds=60, requests=200, load_rounds=3, load_seconds=3, load_warmup=1,
            records=200_000,
            render_sizes=(1_000, 10_000, 100_000), render_repeats=5, flood=50_000,
            profile_rounds=30, profile_requests=200, ab_rounds=7, profiled=3_000)
QUICK = Plan("quick", rounds=6, requests=100, load_rounds=1, load_seconds=1, load_warmup=0,
             records=20_000,
             render_sizes=(1_000, 10_000), render_repeats=2, flood=5_000,
             profile_rounds=4, profile_requests=100, ab_rounds=2, profiled=500)
TINY = Plan("tiny", rounds=2, requests=20, load_rounds=1, load_seconds=1, load_warmup=0,
            records=2_000,
            render_sizes=(1_000,), render_repeats=1, flood=200,
            profile_rounds=1, profile_requests=20, ab_rounds=1, profiled=50)
PLANS = {plan.name: plan for plan in (FULL, QUICK, TINY)}
