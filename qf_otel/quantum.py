"""Quantum meters: coherence per system, algorithm run durations, optimization cycles.

    from qf_otel import quantum
    quantum.set_coherence(0.93, system="qpu-a")
    with quantum.algorithm_run("vqe", system="qpu-a") as run:
        run.add_cycles(5)

Works before ``configure()`` (values are kept, exported once configured) and never raises.
For a value recorded often with the same attributes, bind once: ``quantum.coherence(system=...)``.
"""

from __future__ import annotations

import time
from types import TracebackType

from qf_otel import _vocabulary as v
from qf_otel._bound import BoundCounter, BoundDuration, BoundRatio, Family, SyncOrAsyncBlock
from qf_otel._recording import Counter, Gauge, Histogram
from qf_otel._vocabulary import guarded

__all__ = ["AlgorithmRun", "algorithm_run", "coherence", "optimization_cycles", "record_cycles",
           "record_run", "set_coherence"]

SCOPE = "qf_otel.quantum"
# Runs take from milliseconds (a simulator) to an hour (a queued job on real hardware).
ALGORITHM_BUCKETS = (
    0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0,
    3600.0,
)

COHERENCE = Gauge(
    "qf.quantum.coherence",
    unit="1",
    description="Coherence of a quantum system, from 0 (fully decohered) to 1 (perfect).",
    attributes=(v.QUANTUM_SYSTEM,),
    scope=SCOPE,
)
ALGORITHM_DURATION = Histogram(
    "qf.quantum.algorithm.duration",
    unit="s",
    description="Duration of quantum algorithm runs; outcome failure when the run raised.",
    attributes=(v.QUANTUM_ALGORITHM, v.QUANTUM_SYSTEM, v.OUTCOME),
    boundaries=ALGORITHM_BUCKETS,
    scope=SCOPE,
)
OPTIMIZATION_CYCLES = Counter(
    "qf.quantum.optimization.cycles",
    unit="{cycle}",
    description="Optimization cycles (iterations of a variational loop) completed.",
    attributes=(v.QUANTUM_ALGORITHM, v.QUANTUM_SYSTEM),
    scope=SCOPE,
)

_coherence = Family(COHERENCE, BoundRatio)
_durations = Family(ALGORITHM_DURATION, BoundDuration)
_cycles = Family(OPTIMIZATION_CYCLES, BoundCounter)


def coherence(*, system: str) -> BoundRatio:
    """The coherence gauge of one system, bound: ``.set(x)`` with x in [0, 1]."""
    return _coherence.keep(system)


@guarded(COHERENCE.name)
def set_coherence(value: float, *, system: str) -> None:
    """Set the current coherence (0..1) of `system`; other values are rejected and counted."""
    checked = v.number(COHERENCE.name, value, minimum=0, maximum=1, below="out_of_range")
    if checked is not None:  # checked before binding: a gauge series must not appear unset
        _coherence.bind(system).set(checked)


def optimization_cycles(*, algorithm: str, system: str) -> BoundCounter:
    """The cycle counter of one algorithm on one system, bound: ``.add(n)``."""
    return _cycles.keep(algorithm, system)


@guarded(OPTIMIZATION_CYCLES.name)
def record_cycles(cycles: int, *, algorithm: str, system: str) -> None:
    """Count `cycles` completed optimization cycles."""
    checked = v.number(OPTIMIZATION_CYCLES.name, cycles, minimum=0)
    if checked is not None:
        _cycles.bind(algorithm, system).add(checked)


@guarded(ALGORITHM_DURATION.name)
def record_run(seconds: float, *, algorithm: str, system: str, success: bool = True) -> None:
    """Record a run you timed yourself (``algorithm_run`` times it for you)."""
    checked = v.number(ALGORITHM_DURATION.name, seconds, minimum=0)
    if checked is not None:
        outcome = "success" if success else "failure"
        _durations.bind(algorithm, system, outcome).record(checked)


class AlgorithmRun(SyncOrAsyncBlock):
    """Times one algorithm run; usable as ``with`` or ``async with``.

    The outcome is failure when the block raises (the exception propagates unchanged) or after
    :meth:`mark_failure`.
    """

    __slots__ = ("_algorithm", "_cycles", "_failed", "_started", "_system")

    def __init__(self, algorithm: str, system: str) -> None:
        self._algorithm = algorithm
        self._system = system
        self._cycles: BoundCounter | None = None
        self._failed = False
        self._started = time.perf_counter()

    def add_cycles(self, cycles: int = 1) -> None:
        """Count optimization cycles of this run (recorded at once, not at the end)."""
        if self._cycles is None:
            self._cycles = _cycles.bind(self._algorithm, self._system)
        self._cycles.add(cycles)

    def mark_failure(self) -> None:
        """Record this run as a failure even though the block does not raise."""
        self._failed = True

    def __enter__(self) -> AlgorithmRun:
        self._started = time.perf_counter()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._finish(failed=self._failed or exc_type is not None)

    @guarded(ALGORITHM_DURATION.name)
    def _finish(self, *, failed: bool) -> None:
        elapsed = time.perf_counter() - self._started
        outcome = "failure" if failed else "success"
        _durations.bind(self._algorithm, self._system, outcome).record(elapsed)


def algorithm_run(algorithm: str, *, system: str) -> AlgorithmRun:
    """Time a run of `algorithm` on `system`: ``with quantum.algorithm_run("vqe", system=s)``."""
    return AlgorithmRun(algorithm, system)
