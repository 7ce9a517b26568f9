"""`make bench`: every issue-8 measurement in one run, written to docs/performance.md.

    .venv/bin/python -m benchmarks.run            # full run, ~10 minutes
    QUICK=1 .venv/bin/python -m benchmarks.run    # smoke run, ~1 minute (not written to docs/)
    .venv/bin/python -m benchmarks.run --plan tiny --output /tmp/p.md --json /tmp/p.json

Each part runs in fresh processes (see the modules): in-process ASGI comparison, uvicorn + wrk
comparison, record cost, /metrics render, cardinality flood, profile.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import time
from typing import Any

from benchmarks import ab, inprocess, layers, load, machine, record, report
from benchmarks.plan import PLANS, Plan
from benchmarks.variants import NAMES
from benchmarks.workers import PYTHON, ROOT, boost_priority

DOC = os.path.join(ROOT, "docs", "performance.md")
QUICK_DOC = os.path.join("/tmp", "qf-otel-bench-quick.md")


def _progress(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _json_of(module: str, *args: str) -> Any:
    output = subprocess.run(
        [PYTHON, "-m", module, *args], cwd=ROOT, capture_output=True, text=True, timeout=1800,
        env={**os.environ, "PYTHONPATH": ROOT}, preexec_fn=boost_priority,
    )
    if output.returncode != 0:
        raise RuntimeError(f"{module} {' '.join(args)} failed:\n{output.stderr[-3000:]}")
    return json.loads(output.stdout.strip().splitlines()[-1])


def run(plan: Plan, *, with_load: bool = True) -> dict[str, Any]:
    started = time.monotonic()
    results: dict[str, Any] = {
        "plan": plan.__dict__, "machine": machine.describe(), "versions": machine.versions(),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }
    _progress(f"plan {plan.name}; load average {results['machine']['load']}")
    results["inprocess"] = inprocess.measure(NAMES, rounds=plan.rounds, requests=plan.requests,
                                             progress=_progress)
    if with_load and load.available():
        results["load"] = load.measure(NAMES, rounds=plan.load_rounds, seconds=plan.load_seconds,
                                       warmup=plan.load_warmup,
                                       progress=_progress)
    _progress("record cost (benchmarks/bench_record.py)")
    results["record"] = record.measure(plan.records)
    results["render"] = []
    for size in plan.render_sizes:
        _progress(f"/metrics render, {size} series")
        results["render"].append(
            _json_of("benchmarks.render", str(size), "--repeats", str(plan.render_repeats)))
    _progress(f"cardinality flood, {plan.flood} + {plan.flood} requests")
    results["flood"] = _json_of("benchmarks.flood", "--flood", str(plan.flood))
    results["layers"] = layers.measure(rounds=plan.profile_rounds,
                                       requests=plan.profile_requests, progress=_progress)
    results["ab"] = ab.measure(plan.ab_rounds, progress=_progress)
    _progress("profile")
    results["profile"] = _json_of("benchmarks.profile", "--profiled", str(plan.profiled))
    results["machine"]["load_after"] = machine.load_average()
    results["seconds"] = time.monotonic() - started
    _progress(f"done in {results['seconds']:.0f} s")
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    quick = os.environ.get("QUICK", "") not in ("", "0")
    parser.add_argument("--plan", choices=sorted(PLANS), default="quick" if quick else "full")
    parser.add_argument("--output", help="markdown file (default: docs/performance.md for the "
                        f"full plan, {QUICK_DOC} otherwise)")
    parser.add_argument("--json", help="also write the raw results here")
    parser.add_argument("--no-load", action="store_true", help="skip the uvicorn + wrk part")
    parser.add_argument("--from-json", help="re-render the report from raw results saved by "
                        "--json, measuring nothing")
    args = parser.parse_args(argv)
    if args.from_json:
        with open(args.from_json) as saved:
            results = json.load(saved)
    else:
        results = run(PLANS[args.plan], with_load=not args.no_load)
    plan_name = results["plan"]["name"]
    output = args.output or (DOC if plan_name == "full" else QUICK_DOC)
    with open(output, "w") as out:
        out.write(report.markdown(results))
    if args.json and not args.from_json:
        with open(args.json, "w") as out:
            json.dump(results, out, indent=1)
    print(report.summary(results))
    print(f"written: {output}")


if __name__ == "__main__":
    main()
