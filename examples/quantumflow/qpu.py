"""A simulated quantum processing unit whose coherence drifts with use.

The model is a toy but behaves like the real thing in the ways an operator sees: every job heats
the device in proportion to its circuit depth, the heat dissipates exponentially (time constant
`COOLING_SECONDS`), and the calibration drifts slowly between recalibrations. Coherence is the
calibrated baseline minus the heat, bounded to [FLOOR, 1]. Moderate traffic keeps it around
0.85-0.9; a sustained stream of deep circuits pushes it under 0.7, which is what the
`LowQuantumCoherence` alert watches. Jobs on a decohered device fail more often.
"""

from __future__ import annotations

import math
import random
import threading
import time
from dataclasses import dataclass, field

COOLING_SECONDS = 10.0
HEAT_PER_LAYER = 0.00003
FLOOR = 0.35
RECALIBRATE_SECONDS = 120.0
# Systems the service knows. `qpu-c` is in maintenance: jobs sent to it are refused (503).
SYSTEMS = ("simulator", "qpu-a", "qpu-b", "qpu-c")
OFFLINE = frozenset({"qpu-c"})


class QpuOffline(Exception):
    """The system is in maintenance and takes no jobs."""


class Decoherence(Exception):
    """The run lost its quantum state before finishing (more likely at low coherence)."""


@dataclass
class Qpu:
    name: str
    baseline: float
    heat: float = 0.0
    drift: float = 0.0
    updated: float = field(default_factory=time.monotonic)
    calibrated: float = field(default_factory=time.monotonic)
    rng: random.Random = field(default_factory=random.Random)

    def coherence(self) -> float:
        """Current coherence after cooling down since the last update."""
        self._advance(time.monotonic())
        if self.name == "simulator":
            return 1.0
        return min(1.0, max(FLOOR, self.baseline + self.drift - self.heat))

    def run_layer(self, depth: int) -> None:
        """Account for one cycle of a circuit of `depth` layers; may raise Decoherence."""
        self._advance(time.monotonic())
        self.heat += HEAT_PER_LAYER * depth
        coherence = self.coherence()
        # Below 0.75 a cycle fails with a probability that grows as coherence falls.
        if self.rng.random() < max(0.0, 0.75 - coherence) * 0.05:
            raise Decoherence(f"{self.name} decohered at {coherence:.2f}")

    def _advance(self, now: float) -> None:
        elapsed = now - self.updated
        if elapsed <= 0:
            return
        self.heat *= math.exp(-elapsed / COOLING_SECONDS)
        # A bounded random walk: calibration wanders by a few hundredths between recalibrations.
        step = self.rng.gauss(0, 0.004 * math.sqrt(elapsed))
        self.drift = max(-0.04, min(0.02, self.drift + step))
        if now - self.calibrated > RECALIBRATE_SECONDS:
            self.drift, self.calibrated = 0.0, now
        self.updated = now


class QpuFleet:
    """The systems this service submits jobs to; thread-safe."""

    def __init__(self, seed: int | None = None) -> None:
        rng = random.Random(seed)
        self._lock = threading.Lock()
        self._qpus = {
            "simulator": Qpu("simulator", 1.0, rng=random.Random(rng.random())),
            "qpu-a": Qpu("qpu-a", 0.95, rng=random.Random(rng.random())),
            "qpu-b": Qpu("qpu-b", 0.92, rng=random.Random(rng.random())),
        }

    def online(self) -> list[str]:
        return list(self._qpus)

    def coherence(self, system: str) -> float:
        with self._lock:
            return self._get(system).coherence()

    def run_layer(self, system: str, depth: int) -> float:
        """One optimization cycle on `system`; returns the coherence after it."""
        with self._lock:
            qpu = self._get(system)
            qpu.run_layer(depth)
            return qpu.coherence()

    def _get(self, system: str) -> Qpu:
        if system in OFFLINE:
            raise QpuOffline(f"{system} is in maintenance")
        return self._qpus[system]
