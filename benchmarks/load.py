"""The real-server comparison: every variant on its own uvicorn, driven in turn by wrk.

Servers are pinned to CPU 0 and wrk to CPU 1 (when there are two and taskset exists), so the load
tool never takes the server's CPU. With enough connections a single-process Python server is
saturated; two figures per run: the server process's CPU time (all threads) per completed request,
which does not count time the server waited for a core (the headline on a shared machine), and
1e6 / (requests per second). Variants are alternated in short runs, rotated each round, as in the
in-process comparison.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable, Sequence

import psutil

from benchmarks.app import ROUTES
from benchmarks.workers import Fleet, Worker, boost_priority

WRK = shutil.which("wrk") or "/usr/bin/wrk"
CONNECTIONS = 16
_RATE = re.compile(r"Requests/sec:\s*([0-9.]+)")
_COUNT = re.compile(r"(\d+) requests in")
_ERRORS = re.compile(r"Non-2xx or 3xx responses:\s*(\d+)|Socket errors:.*")

Samples = dict[str, dict[str, list[float]]]


def _cpus() -> tuple[int | None, int | None]:
    if (os.cpu_count() or 1) >= 2 and shutil.which("taskset"):
        return 0, 1
    return None, None


def wrk(url: str, seconds: int, cpu: int | None) -> tuple[float, int]:
    """(requests per second, requests) wrk got from `url`; raises if any response failed."""
    command = [WRK, "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", url]
    if cpu is not None:
        command = ["taskset", "-c", str(cpu), *command]
    output = subprocess.run(command, capture_output=True, text=True, check=True,
                            timeout=seconds + 30, preexec_fn=boost_priority).stdout
    failed = _ERRORS.search(output)
    if failed is not None:
        raise RuntimeError(f"wrk {url}: {failed.group(0)}\n{output}")
    found, count = _RATE.search(output), _COUNT.search(output)
    if found is None or count is None:
        raise RuntimeError(f"wrk {url}: no rate in\n{output}")
    return float(found.group(1)), int(count.group(1))


def _cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def available() -> bool:
    return os.path.exists(WRK)


def measure(variants: Sequence[str], *, rounds: int, seconds: int, warmup: int = 1,
            progress: Callable[[str], None] = print) -> dict[str, Samples]:
    """{"cpu": server CPU µs per request, "wall": 1e6 / requests per second}."""
    server_cpu, load_cpu = _cpus()
    cpu: Samples = {v: {route: [] for route in ROUTES} for v in variants}
    wall: Samples = {v: {route: [] for route in ROUTES} for v in variants}
    workers = [Worker(v, "benchmarks.serve", [v], cpu=server_cpu) for v in variants]
    with Fleet(workers) as fleet:
        ports = {name: worker_port(fleet.workers[name]) for name in variants}
        processes = {name: psutil.Process(fleet.workers[name].pid) for name in variants}
        progress(f"uvicorn + wrk: {len(variants)} servers ready; {rounds} rounds of {seconds} s "
                 f"per route and variant, {CONNECTIONS} connections")
        for name in variants:  # warm every server (imports, first-request caches)
            for path in ROUTES.values():
                if warmup:
                    wrk(f"http://127.0.0.1:{ports[name]}{path}", warmup, load_cpu)
        for index in range(rounds):
            shift = index % len(variants)
            order = [*variants[shift:], *variants[:shift]]
            for route, path in ROUTES.items():
                for name in order:
                    before = _cpu_seconds(processes[name])
                    rate, count = wrk(f"http://127.0.0.1:{ports[name]}{path}", seconds, load_cpu)
                    used = _cpu_seconds(processes[name]) - before
                    cpu[name][route].append(used / count * 1e6)
                    wall[name][route].append(1e6 / rate)
    return {"cpu": cpu, "wall": wall}


def worker_port(worker: Worker) -> int:
    return int(worker.ready_line.split()[1])
