"""Results → docs/performance.md (and a few console lines). Pure formatting, no measuring."""
# ruff: noqa: RUF001 (the multiplication sign and en dash are the report's typography)

from __future__ import annotations

import os
import statistics
from typing import Any

from benchmarks.app import ROUTES
from benchmarks.stats import Summary, summarise
from benchmarks.variants import BY_NAME, NAMES
from benchmarks.workers import ROOT

PROPOSALS = os.path.join(ROOT, "benchmarks", "proposals.md")
ROUTE_TITLES = {"items": "GET /items/{item_id}",
                "orders": "GET /orders/{order_id} (SQLite + cache)"}
BOUND_ROW = "qf bound .add(1)"


def _summaries(samples: dict[str, dict[str, list[float]]]) -> dict[str, dict[str, Summary]]:
    return {v: {r: summarise(samples[v][r], samples["bare"][r]) for r in ROUTES}
            for v in NAMES if v in samples}


def _cost_table(samples: dict[str, dict[str, list[float]]], unit: str) -> list[str]:
    found = _summaries(samples)
    head = "| variant | instruments | " + " | ".join(
        f"{ROUTE_TITLES[r]}: {unit} | × bare" for r in ROUTES) + " |"
    lines = [head, "|---|---|" + "---:|---:|" * len(ROUTES)]
    for name, by_route in found.items():
        cells = []
        for route in ROUTES:
            s = by_route[route]
            cells.append(f"{s.median:.0f} ({s.q1:.0f}–{s.q3:.0f})")
            cells.append(f"**{s.ratio:.2f}×** ({s.ratio_low:.2f}–{s.ratio_high:.2f})")
        variant = BY_NAME[name]
        lines.append(f"| {variant.label} | {variant.observes} | " + " | ".join(cells) + " |")
    return lines


def _ratio(results: dict[str, Any], part: str, variant: str, route: str) -> float | None:
    samples = results.get(part, {}).get("cpu")
    if not samples:
        return None
    return summarise(samples[variant][route], samples["bare"][route]).ratio


def _record_us(results: dict[str, Any], label: str) -> float | None:
    for row_label, value in results["record"]:
        if row_label == label:
            return float(value)
    return None


def _render_ms(results: dict[str, Any], series: int) -> float | None:
    for row in results["render"]:
        if row["series"] == series:
            return float(statistics.median(row["qf_ms"]))
    return None


def _verdict(value: float | None, limit: float) -> str:
    if value is None:
        return "not measured"
    return "met" if value <= limit else "**not met**"


def _fmt(value: float | None, pattern: str) -> str:
    return "n/a" if value is None else pattern.format(value)


def targets(results: dict[str, Any]) -> list[str]:
    metrics_in = _ratio(results, "inprocess", "qf-metrics", "orders")
    metrics_load = _ratio(results, "load", "qf-metrics", "orders")
    traces_in = _ratio(results, "inprocess", "qf-traces", "orders")
    traces_load = _ratio(results, "load", "qf-traces", "orders")
    bound = _record_us(results, BOUND_ROW)
    render = _render_ms(results, 10_000)
    flood = results["flood"]
    lines = [
        "| target | measured | verdict |", "|---|---|---|",
        f"| metrics only, HTTP + DB + cache, ≤ 1.5× bare (aim 1.1×) | orders route "
        f"{_fmt(metrics_in, '{:.2f}×')} in-process, {_fmt(metrics_load, '{:.2f}×')} on uvicorn "
        f"| {_verdict(metrics_in, 1.5)} (aim 1.1×: {_verdict(metrics_in, 1.1)}) |",
        f"| traces on, 100 % sampled, ≤ 2× bare | orders route {_fmt(traces_in, '{:.2f}×')} "
        f"in-process, {_fmt(traces_load, '{:.2f}×')} on uvicorn | {_verdict(traces_in, 2.0)} |",
        f"| bound domain record ≤ 1 µs | {_fmt(bound, '{:.2f} µs')} (`{BOUND_ROW}`) "
        f"| {_verdict(bound, 1.0)} |",
        f"| `/metrics` with 10 000 series ≤ 50 ms | {_fmt(render, '{:.0f} ms')} (median) "
        f"| {_verdict(render, 50.0)} |",
        f"| memory bounded under an attribute flood | {flood['after']['series']} series after "
        f"{2 * flood['flood']} flooding requests (limit {flood['limit']} per instrument), RSS "
        f"{flood['before']['rss_mib']:.0f} → {flood['after']['rss_mib']:.0f} MiB "
        f"| {'met' if flood['after_paths']['series'] == flood['before']['series'] else 'not met'}"
        " |",
    ]
    return lines


def _render_table(results: dict[str, Any]) -> list[str]:
    lines = ["| series | qf-otel ms (median, best) | qf-otel bytes | prometheus_client ms "
             "(median, best) | prometheus_client bytes | qf-otel / prometheus_client |",
             "|---:|---:|---:|---:|---:|---:|"]
    for row in results["render"]:
        ours, theirs = statistics.median(row["qf_ms"]), statistics.median(row["client_ms"])
        lines.append(
            f"| {row['series']:,} | {ours:.1f} ({min(row['qf_ms']):.1f}) | {row['qf_bytes']:,} | "
            f"{theirs:.1f} ({min(row['client_ms']):.1f}) | {row['client_bytes']:,} | "
            f"{ours / theirs:.2f}× |")
    return lines


def _flood_table(results: dict[str, Any]) -> list[str]:
    flood = results["flood"]
    n = flood["flood"]
    lines = ["| after | fast-core series | `/metrics` samples | RSS MiB |", "|---|---:|---:|---:|"]
    for key, title in (("before", "warm-up (every route once)"),
                       ("after_paths", f"+ {n:,} distinct unknown paths"),
                       ("after", f"+ {n:,} distinct `customer.id` / transaction kinds")):
        row = flood[key]
        lines.append(f"| {title} | {row['series']:,} | {row['exposition_samples']:,} | "
                     f"{row['rss_mib']:.1f} |")
    return lines


def _layer_table(results: dict[str, Any]) -> list[str]:
    found = results.get("layers")
    if not found:
        return []
    lines = ["Layer by layer (each in its own process, installed without `configure()`; CPU µs "
             "per request; cost = median of the per-round differences to bare; span rows export "
             "through a batch processor into a dropping exporter):", "",
             "| installed | " + " | ".join(f"{ROUTE_TITLES[r]} µs | cost" for r in found) + " |",
             "|---|" + "---:|---:|" * len(found)]
    first = next(iter(found.values()))
    for name in first:
        label = BY_NAME[name].label if name in BY_NAME else name
        cells = [f"{found[r][name]['median_us']:.0f} | {found[r][name]['cost_us']:+.0f}"
                 for r in found]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return lines


def _ab_table(results: dict[str, Any]) -> list[str]:
    found = results.get("ab")
    if not found:
        return []
    lines = ["A/B timings of what the proposals below would remove (each case in its own "
             "process, alternated; CPU µs per operation, best and median over rounds):", "",
             "| operation | case | best µs | median µs |", "|---|---|---:|---:|"]
    for operation, cases in found.items():
        for label, row in cases.items():
            lines.append(f"| {operation} | {label} | {row['best']:.2f} | {row['median']:.2f} |")
    return lines


def _profile_tables(profile: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    for mode, title in (("metrics", "metrics only"), ("traces", "metrics + traces")):
        for route, found in profile[mode].items():
            lines += ["", f"cProfile, {title}, {ROUTE_TITLES[route]}: "
                      f"{found['qf_share'] * 100:.0f} % of the profiled request is self time in "
                      "qf-otel code and the built-ins it calls directly, about "
                      f"{found['qf_us']:.0f} µs of the {found['unprofiled_us']:.0f} µs the "
                      "request costs unprofiled.", "",
                      "| function | calls/request | share | ≈ µs unprofiled |",
                      "|---|---:|---:|---:|"]
            for row in found["functions"][:10]:
                lines.append(f"| `{row['function']}` | {row['calls']:.1f} | "
                             f"{row['share'] * 100:.1f} % | {row['estimate_us']:.1f} |")
            for row in found["builtins"][:4]:
                lines.append(f"| `{row['function']}` (called from qf-otel) | {row['calls']:.1f} | "
                             f"{row['share'] * 100:.1f} % | {row['estimate_us']:.1f} |")
    lines += ["", "Primitives the hot path repeats (CPU ns per call, best of 5 × 20 000):", "",
              "| primitive | ns |", "|---|---:|"]
    for label, ns in profile["micro_ns"].items():
        lines.append(f"| {label} | {ns:.0f} |")
    return lines


def _render_steps(results: dict[str, Any]) -> list[str]:
    lines = ["The families step alone (data → label blocks; label blocks are cached per series "
             "between scrapes), on the same collected data (CPU ms, median):", "",
             "| series | families step |", "|---:|---:|"]
    for row in results["render"]:
        if "families_ms" not in row:
            continue
        lines.append(f"| {row['series']:,} | {statistics.median(row['families_ms']):.1f} |")
    return lines


def markdown(results: dict[str, Any]) -> str:
    plan = results["plan"]
    m = results["machine"]
    versions = ", ".join(f"{k} {v}" for k, v in results["versions"].items())
    lines = [
        "# Performance", "",
        "<!-- Generated by `make bench` (benchmarks/run.py); edit benchmarks/, not this file. -->",
        "",
        f"Measured {results['date']} on {m['cpu']}, {m['cores']} cores, {m['system']} "
        f"(load average {m['load']} at the start, {m.get('load_after', 'n/a')} at the end: "
        "a shared machine, see *Method*). Plan `" + plan["name"] + "`, "
        f"{results['seconds']:.0f} s. Revision {m.get('revision', 'unknown')}.", "",
        f"Versions: {versions}.", "",
        "Reproduce: `make bench` (about 10 minutes; writes this file), or `make bench QUICK=1` "
        "(about a minute, a smoke run written to /tmp). Individual parts: "
        "`python -m benchmarks.render 10000`, `python -m benchmarks.flood`, "
        "`python -m benchmarks.profile`, `python benchmarks/bench_record.py`.", "",
        "## Against the targets", "", *targets(results), "",
        "## Per-request cost, in-process (ASGI callable driven directly)", "",
        f"CPU µs per request: median over {plan['rounds']} rounds of {plan['requests']} requests "
        "(interquartile range); × bare is the median of the per-round ratios to bare measured in "
        "the same round (their interquartile range).", "",
        *_cost_table(results["inprocess"]["cpu"], "µs"), "",
        "The same blocks in wall-clock time (includes time spent waiting for a core):", "",
        *_cost_table(results["inprocess"]["wall"], "µs"), "",
    ]
    if "load" in results:
        lines += [
            "## Per-request cost on uvicorn under wrk", "",
            "uvicorn (httptools, uvloop) pinned to CPU 0, wrk (1 thread, 16 connections) pinned "
            f"to CPU 1; {plan['load_rounds']} rounds of {plan['load_seconds']} s per route and "
            "variant. Server CPU µs per completed request:", "",
            *_cost_table(results["load"]["cpu"], "µs"), "",
            "Throughput view, 1e6 / (requests per second):", "",
            *_cost_table(results["load"]["wall"], "µs"), "",
        ]
    lines += [
        "## Record cost of a domain metric", "",
        f"From `benchmarks/bench_record.py --records {plan['records']}` (best of 5):", "",
        "| way of recording | µs/record |", "|---|---:|",
        *[f"| {label} | {value:.3f} |" for label, value in results["record"]], "",
        "## `/metrics` render time", "",
        "CPU time of one render. qf-otel: one fast-core counter with N attribute sets "
        "(3 attributes), rendered by the pull exporter's scrape path "
        "(`PrometheusPullExport.render_shared()`: SDK collect, fast-core snapshot, families, "
        "text; every series also carries the resource and scope labels). "
        "prometheus_client: a counter with the same labels and series, `generate_latest()`.", "",
        *_render_table(results), "", *_render_steps(results), "",
        "## Memory under a cardinality flood", "",
        "qf-otel metrics only, driven in-process; the `/customers/{id}` route records a user's own "
        "fast-core counter with `customer.id` (bounded by `cardinality_limit`, then the overflow "
        "series) and `business.record_transaction(kind=<id>)` (folded to `other`).", "",
        *_flood_table(results), "",
        "## Where the time goes", "",
        *_layer_table(results), "", *_ab_table(results), "",
        *_profile_tables(results["profile"]), "",
    ]
    if os.path.exists(PROPOSALS):
        with open(PROPOSALS) as text:
            lines += [text.read().rstrip(), ""]
    lines += [
        "## Method", "",
        "- One app (benchmarks/app.py) for every variant; each variant is set up the way its "
        "documentation says (benchmarks/variants.py) in its own process, because `configure()` "
        "is once per process and instrumentations patch classes globally.",
        "- All variant processes are started once and kept alive; the coordinator asks them in "
        "turn for one block, rotating the order every round. Variants are thus compared within "
        "seconds of each other, and every ratio is paired with the bare block of the same round.",
        "- The headline figures are CPU time (the measured process, all its threads: a span "
        "processor's export thread counts), because on a shared 2-core machine wall time mostly "
        "measures who else was running. Wall-clock tables are kept for reference. Measured "
        "processes run at nice -10 when the benchmark is run as root.",
        "- Traced variants export through the SDK's BatchSpanProcessor into an exporter that drops "
        "the spans, for contrib and qf-otel alike: span creation and processing are counted, "
        "encoding and network are not.",
        "- FastAPI's native telemetry is on when a global MeterProvider is set; "
        "`FastAPI(telemetry={'tracing': False, 'logs': False})` with an SDK MeterProvider "
        "(in-memory reader) is its metrics-only form. Bare FastAPI 0.165 still checks for "
        "configured providers on every request; qf-otel's patch marks the request as observed "
        "so that check (and FastAPI's own recording) is skipped.",
        "- The order route is `async def` calling the synchronous engine, so no thread-pool hop "
        "adds scheduling noise to every variant.",
        "",
    ]
    return "\n".join(lines)


def summary(results: dict[str, Any]) -> str:
    return "\n".join(targets(results))
