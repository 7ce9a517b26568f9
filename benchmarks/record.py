"""The record-cost table: runs `benchmarks/bench_record.py` (the meters' script), reads its rows.

That script owns which ways of recording are compared; this module only runs it in a fresh process
and parses its `label  µs` lines, so the two cannot drift apart.
"""

from __future__ import annotations

import os
import subprocess

from benchmarks.workers import PYTHON, ROOT, boost_priority

SCRIPT = os.path.join(ROOT, "benchmarks", "bench_record.py")


def measure(records: int) -> list[tuple[str, float]]:
    """(way of recording, µs per record), in the script's order."""
    output = subprocess.run(
        [PYTHON, SCRIPT, "--records", str(records)], cwd=ROOT, capture_output=True, text=True,
        check=True, timeout=600, env={**os.environ, "PYTHONPATH": ROOT},
        preexec_fn=boost_priority,
    ).stdout
    rows: list[tuple[str, float]] = []
    for line in output.splitlines()[1:]:  # the first line is the header
        label, _, value = line.rstrip().rpartition(" ")
        try:
            rows.append((label.strip(), float(value)))
        except ValueError:
            continue
    if not rows:
        raise RuntimeError(f"no rows in the output of {SCRIPT}:\n{output}")
    return rows
