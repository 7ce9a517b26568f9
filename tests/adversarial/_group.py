"""A pull-exporter process group made of plain Python processes: each configures qf-otel on the
same port and group directory, records a known count, and sleeps. No web server involved, so a
test controls exactly which process serves the port and which ones are peers."""

from __future__ import annotations

import re
import sys
import textwrap
import time
from pathlib import Path

from tests.support.apps import ChildProcess

WORKER = textwrap.dedent("""
    import os, sys, time, qf_otel
    from qf_otel._recording import Counter
    port, group, hits, gate = int(sys.argv[1]), sys.argv[2], float(sys.argv[3]), sys.argv[4]
    print("pid", os.getpid(), flush=True)
    while gate != "-" and not os.path.exists(gate):   # lets a test prepare the directory first
        time.sleep(0.02)
    try:
        qf_otel.configure(service_name="grp", prometheus_port=port, multiprocess_dir=group,
                          disabled_instrumentations=["system_metrics"])
    except BaseException as error:
        print("configure-raised", type(error).__name__, error, flush=True)
        raise SystemExit(3)
    Counter("adv.group.hits", unit="{hit}", description="Hits.", attributes=()).series().add(hits)
    print("worker-ready", flush=True)
    time.sleep(60)
""")
SAMPLE = re.compile(r'^adv_group_hits_total\{(.*)\} (\S+)$')


def start_worker(port: int, group: Path, hits: float, gate: str = "-") -> ChildProcess:
    return ChildProcess([sys.executable, "-c", WORKER, str(port), str(group), str(hits), gate])


def wait_registered(group: Path, count: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while len(list(group.glob("*.port"))) < count:
        if time.monotonic() > deadline:
            found = list(group.iterdir()) if group.exists() else []
            raise AssertionError(f"{count} peers not registered in {group}: {found}")
        time.sleep(0.05)


def hits_by_instance(exposition: str) -> dict[str, float]:
    """{service_instance_id (or 'single'): value} of adv_group_hits_total."""
    found: dict[str, float] = {}
    for line in exposition.splitlines():
        match = SAMPLE.match(line)
        if match:
            instance = re.search(r'service_instance_id="([^"]*)"', match.group(1))
            found[instance.group(1) if instance else "single"] = float(match.group(2))
    return found
